/* test_writer.c: the layers API (incmap.h, "layers"): rows written and read back with OGR, the
 * driver chosen from a name or an extension, commit and abort leaving the right files, errors
 * for unknown drivers and unwritable paths (with nothing left behind), stable ids and
 * byte-identical GeoJSON, and a geocoded doc converted into rows. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "context.h" /* ctx->gz, for the country table */
#include "incmap.h"
#include "testing.h"

/* ---------------------------------------------------------------- helpers */

static char *make_tmpdir(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *p = malloc(strlen(base) + 32);
    sprintf(p, "%s/incmap-writer-XXXXXX", base);
    assert_non_null(mkdtemp(p));
    return p;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_dir(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* The names in dir, sorted, space-separated ("" when empty). */
static void list_dir(const char *dir, char *out, size_t n)
{
    struct dirent **names;
    int k = scandir(dir, &names, NULL, alphasort);
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < k; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
            used += (size_t)snprintf(out + used, used < n ? n - used : 0, "%s%s", used ? " " : "", names[i]->d_name);
        free(names[i]);
    }
    free(names);
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static char *slurp(const char *path, size_t *len)
{
    char *b = NULL;
    incmap_error err;
    assert_int_equal(incmap_read_file(path, 0, &b, len, &err), INCMAP_OK);
    return b;
}

static GDALDatasetH open_vector(const char *path)
{
    return GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
}

static incmap_incident_row incident(const char *id, const char *date, int has_coords, double lat, double lon)
{
    incmap_incident_row r = {0};
    r.event_id_cnty = id;
    r.event_date = date;
    r.year = date ? atoi(date) : 0;
    r.time_precision = date ? 1 : 0;
    r.event_type = "Battles";
    r.sub_event_type = "Armed clash";
    r.actor1 = "JNIM: Group for Support of Islam and Muslims";
    r.country = "Mali";
    r.iso = 466;
    r.admin1 = "Koulikoro";
    r.location = "Kati";
    r.has_coords = has_coords;
    r.latitude = lat;
    r.longitude = lon;
    r.geo_precision = 1;
    r.fatalities = 3;
    r.source = "kati.txt";
    r.notes = "On 2025-07-14: Armed clash at Kati; 3 killed.";
    r.confidence = 0.8;
    r.evidence = "Des hommes armés ont attaqué lundi un poste à Kati.";
    r.article_id = "0123456789abcdef";
    r.geonameid = 2455518;
    return r;
}

static const incmap_article_row ARTICLE = {"0123456789abcdef", "kati.txt", "Attaque près de Kati", "2025-07-15", "fr",
                                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                           "2025-07-15T10:00:00Z"};

static const incmap_mention_row MENTION = {"0123456789abcdef", "Kati", "Kati", "PPLA2", "ML", "Koulikoro",
                                           "exact name", "body", 120, 124, 2455518, 12.744, -8.07, 0.95, 1};

/* Writes ARTICLE, n incidents (MLI1, MLI2, ...) and MENTION to path. */
static void write_rows(const char *path, const char *driver, int n, int commit)
{
    incmap_layers_options o = {.driver = driver};
    incmap_error err = {0};
    incmap_layers *l = incmap_layers_open(path, &o, &err);
    if (!l)
        fail_msg("open %s: %s", path, err.message);
    assert_int_equal(incmap_layers_add_article(l, &ARTICLE, &err), INCMAP_OK);
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "MLI%d", i + 1);
        incmap_incident_row r = incident(id, "2025-07-14", 1, 12.744 + i * 0.001, -8.07);
        if (incmap_layers_add_incident(l, &r, &err) != INCMAP_OK)
            fail_msg("%s", err.message);
    }
    assert_int_equal(incmap_layers_add_mention(l, &MENTION, &err), INCMAP_OK);
    if (commit && incmap_layers_commit(l, &err) != INCMAP_OK)
        fail_msg("commit %s: %s", path, err.message);
    incmap_layers_destroy(l);
}

static long long count_features(const char *path, const char *layer)
{
    GDALDatasetH ds = open_vector(path);
    if (!ds)
        return -1;
    OGRLayerH l = layer ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    long long n = l ? (long long)OGR_L_GetFeatureCount(l, TRUE) : -1;
    GDALClose(ds);
    return n;
}

/* ---------------------------------------------------------------- tests */

static void test_gpkg_rows(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), *gpkg = path_in(dir, "incidents.gpkg");
    incmap_layers_options o = {.driver = NULL};
    incmap_error err = {0};
    incmap_layers *l = incmap_layers_open(gpkg, &o, &err);
    assert_non_null(l);
    assert_string_equal(incmap_layers_driver(l), "GPKG");
    assert_int_equal(incmap_layers_add_article(l, &ARTICLE, &err), INCMAP_OK);
    incmap_incident_row a = incident("MLI1", "2025-07-14", 1, 12.7440004, -8.0700004);
    incmap_incident_row b = incident("MLI2", NULL, 0, 0, 0); /* undated, no coordinates */
    b.actor1 = "";
    b.iso = 0;
    assert_int_equal(incmap_layers_add_incident(l, &a, &err), INCMAP_OK);
    assert_int_equal(incmap_layers_add_incident(l, &b, &err), INCMAP_OK);
    assert_int_equal(incmap_layers_add_mention(l, &MENTION, &err), INCMAP_OK);
    size_t na, ni, nm;
    incmap_layers_counts(l, &na, &ni, &nm);
    assert_int_equal(na, 1);
    assert_int_equal(ni, 2);
    assert_int_equal(nm, 1);
    assert_int_equal(access(gpkg, F_OK), -1); /* nothing at the final name before the commit */
    assert_int_equal(incmap_layers_commit(l, &err), INCMAP_OK);
    incmap_layers_destroy(l);

    char files[256];
    list_dir(dir, files, sizeof files);
    assert_string_equal(files, "incidents.gpkg"); /* temporaries gone */

    int bad = 0;
    GDALDatasetH ds = open_vector(gpkg);
    assert_non_null(ds);
    OGRLayerH inc = GDALDatasetGetLayerByName(ds, "incidents");
    assert_non_null(inc);
    CHECK_INT(bad, "incidents count", 2, OGR_L_GetFeatureCount(inc, TRUE));
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(inc);
    static const struct {
        const char *name;
        OGRFieldType type;
    } want[] = {{"event_id_cnty", OFTString}, {"event_date", OFTDate},   {"year", OFTInteger},
                {"time_precision", OFTInteger}, {"event_type", OFTString}, {"iso", OFTInteger},
                {"latitude", OFTReal},        {"longitude", OFTReal},   {"geo_precision", OFTInteger},
                {"fatalities", OFTInteger},   {"confidence", OFTReal},  {"geonameid", OFTInteger64}};
    for (size_t i = 0; i < N_ROWS(want); i++) {
        int k = OGR_FD_GetFieldIndex(defn, want[i].name);
        CHECK_TRUE(bad, k >= 0, "no field %s", want[i].name);
        if (k >= 0)
            CHECK_INT(bad, want[i].name, want[i].type, OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, k)));
    }
    /* ACLED's own fields come first, in ACLED's order */
    CHECK_STR(bad, "first field", "event_id_cnty", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, 0)));
    CHECK_STR(bad, "19th field", "fatalities", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, 18)));
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(inc);
    CHECK_STR(bad, "CRS", "4326", srs ? OSRGetAuthorityCode(srs, NULL) : "(none)");
    CHECK_STR(bad, "event_type domain", "event_type",
              OGR_Fld_GetDomainName(OGR_FD_GetFieldDefn(defn, OGR_FD_GetFieldIndex(defn, "event_type"))));
    CHECK_TRUE(bad, GDALDatasetGetFieldDomain(ds, "geo_precision") != NULL, "no geo_precision domain");

    OGR_L_SetAttributeFilter(inc, "event_id_cnty = 'MLI1'");
    OGRFeatureH f = OGR_L_GetNextFeature(inc);
    assert_non_null(f);
    CHECK_STR(bad, "event_date", "2025/07/14", OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(defn, "event_date")));
    CHECK_STR(bad, "latitude rounded to 6 decimals", "12.744",
              OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(defn, "latitude")));
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    assert_non_null(g);
    CHECK_TRUE(bad, OGR_G_GetX(g, 0) == -8.07 && OGR_G_GetY(g, 0) == 12.744, "point (x lon, y lat) is (%g %g)",
               OGR_G_GetX(g, 0), OGR_G_GetY(g, 0));
    CHECK_STR(bad, "country", "Mali", OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(defn, "country")));
    OGR_F_Destroy(f);
    OGR_L_SetAttributeFilter(inc, "event_id_cnty = 'MLI2'");
    f = OGR_L_GetNextFeature(inc);
    assert_non_null(f);
    CHECK_TRUE(bad, OGR_F_GetGeometryRef(f) == NULL, "an incident without coordinates has no geometry");
    CHECK_TRUE(bad, OGR_F_IsFieldNull(f, OGR_FD_GetFieldIndex(defn, "event_date")), "no date: null");
    CHECK_TRUE(bad, OGR_F_IsFieldNull(f, OGR_FD_GetFieldIndex(defn, "actor1")), "\"\" actor: null");
    CHECK_TRUE(bad, OGR_F_IsFieldNull(f, OGR_FD_GetFieldIndex(defn, "iso")), "iso 0: null");
    OGR_F_Destroy(f);

    OGRLayerH men = GDALDatasetGetLayerByName(ds, "mentions");
    assert_non_null(men);
    f = OGR_L_GetNextFeature(men);
    assert_non_null(f);
    CHECK_STR(bad, "mention_id", "0123456789abcdef-120", OGR_F_GetFieldAsString(f, 0));
    OGR_F_Destroy(f);
    OGRLayerH art = GDALDatasetGetLayerByName(ds, "articles");
    assert_non_null(art);
    CHECK_INT(bad, "articles have no geometry", wkbNone, OGR_L_GetGeomType(art));
    f = OGR_L_GetNextFeature(art);
    assert_non_null(f);
    OGRFeatureDefnH adefn = OGR_L_GetLayerDefn(art);
    int k = OGR_FD_GetFieldIndex(adefn, "processed_at");
    CHECK_INT(bad, "processed_at type", OFTDateTime, OGR_Fld_GetType(OGR_FD_GetFieldDefn(adefn, k)));
    CHECK_STR(bad, "processed_at", "2025/07/15 10:00:00+00", OGR_F_GetFieldAsString(f, k));
    OGR_F_Destroy(f);

    /* QGIS's default-style rows: one per layer, for that layer's geometry column */
    OGRLayerH styles = GDALDatasetGetLayerByName(ds, "layer_styles");
    assert_non_null(styles);
    OGR_L_SetAttributeFilter(styles, "f_table_schema = '' AND f_table_name = 'incidents' AND "
                                     "f_geometry_column = 'geom' AND useAsDefault = 1");
    f = OGR_L_GetNextFeature(styles);
    CHECK_TRUE(bad, f != NULL, "no default style row for incidents");
    if (f) {
        const char *qml = OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(styles), "styleQML"));
        CHECK_TRUE(bad, strstr(qml, "categorizedSymbol") && strstr(qml, "startField=\"event_date\""),
                   "the incidents style is not categorised with a time field: %.200s", qml);
        OGR_F_Destroy(f);
    }
    OGR_L_SetAttributeFilter(styles, NULL);
    CHECK_INT(bad, "styles", 3, OGR_L_GetFeatureCount(styles, TRUE));
    GDALClose(ds);
    remove_dir(dir);
    free(gpkg);
    free(dir);
    END_TABLE(bad);
}

static void test_driver_choice(void **state)
{
    (void)state;
    static const struct {
        const char *file, *driver, *want, *files;
    } rows[] = {
        {"incidents.gpkg", NULL, "GPKG", "incidents.gpkg"},
        {"incidents.geojson", NULL, "GeoJSON", "articles.geojson articles.qml incidents.geojson incidents.qml "
                                              "mentions.geojson mentions.qml"},
        {"x.json", NULL, "GeoJSON", "articles.json articles.qml mentions.json mentions.qml x.json x.qml"},
        /* FlatGeobuf drops features without geometry: the articles table goes to CSV */
        {"incidents.fgb", NULL, "FlatGeobuf", "articles.csv articles.csvt articles.qml incidents.fgb incidents.qml "
                                              "mentions.fgb mentions.qml"},
        {"incidents.csv", NULL, "CSV", "articles.csv articles.csvt articles.qml incidents.csv incidents.csvt "
                                       "incidents.prj incidents.qml mentions.csv mentions.csvt mentions.prj "
                                       "mentions.qml"},
        {"incidents.kml", NULL, "KML", "articles.kml articles.qml incidents.kml incidents.qml mentions.kml "
                                       "mentions.qml"},
        {"incidents.GPKG", NULL, "GPKG", "incidents.GPKG"},
        {"incidents.txt", "geojson", "GeoJSON", "articles.qml articles.txt incidents.qml incidents.txt mentions.qml "
                                                "mentions.txt"},
        {"incidents.gpkg", "FlatGeobuf", "FlatGeobuf", "articles.csv articles.csvt articles.qml incidents.gpkg "
                                                       "incidents.qml mentions.gpkg mentions.qml"},
        /* the shapefile driver cuts field names to 10 characters: values must still land right */
        {"incidents.shp", NULL, "ESRI Shapefile", "articles.dbf articles.qml incidents.dbf incidents.prj "
                                                  "incidents.qml incidents.shp incidents.shx mentions.dbf "
                                                  "mentions.prj mentions.qml mentions.shp mentions.shx"},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        char *dir = make_tmpdir(), *path = path_in(dir, rows[i].file), files[512], input[128];
        snprintf(input, sizeof input, "%s --driver %s", rows[i].file, rows[i].driver ? rows[i].driver : "(none)");
        incmap_layers_options o = {.driver = rows[i].driver};
        incmap_error err = {0};
        incmap_layers *l = incmap_layers_open(path, &o, &err);
        CHECK_TRUE(bad, l != NULL, "%s: %s", input, err.message);
        if (l) {
            CHECK_STR(bad, input, rows[i].want, incmap_layers_driver(l));
            incmap_layers_destroy(l); /* not committed: nothing may remain */
            list_dir(dir, files, sizeof files);
            CHECK_STR(bad, input, "", files);
        }
        write_rows(path, rows[i].driver, 2, 1);
        list_dir(dir, files, sizeof files);
        CHECK_STR(bad, input, rows[i].files, files);
        CHECK_INT(bad, input, 2, count_features(path, strcmp(rows[i].want, "GPKG") ? NULL : "incidents"));
        /* the values read back by field name: KML adds fields of its own before ours */
        GDALDatasetH ds = open_vector(path);
        OGRLayerH lyr = !ds ? NULL : strcmp(rows[i].want, "GPKG") ? GDALDatasetGetLayer(ds, 0)
                                                                    : GDALDatasetGetLayerByName(ds, "incidents");
        OGRFeatureH f = lyr ? OGR_L_GetNextFeature(lyr) : NULL;
        CHECK_TRUE(bad, f != NULL, "%s: cannot read the incidents back", input);
        if (f) {
            OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
            CHECK_STR(bad, input, "Kati", OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(defn, "location")));
            CHECK_STR(bad, input, "3", OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(defn, "fatalities")));
            CHECK_STR(bad, input, "Mali", OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(defn, "country")));
            OGR_F_Destroy(f);
        }
        if (ds)
            GDALClose(ds);
        remove_dir(dir);
        free(path);
        free(dir);
    }
    END_TABLE(bad);
}

static void test_commit_and_abort(void **state)
{
    (void)state;
    int bad = 0;
    static const char *const files[] = {"incidents.gpkg", "incidents.geojson"};
    for (size_t i = 0; i < N_ROWS(files); i++) {
        char *dir = make_tmpdir(), *path = path_in(dir, files[i]), before[512], after[512];
        const char *layer = i == 0 ? "incidents" : NULL;
        write_rows(path, NULL, 1, 1);
        CHECK_INT(bad, files[i], 1, count_features(path, layer));
        list_dir(dir, before, sizeof before);
        size_t len0, len1;
        char *old = slurp(path, &len0);

        /* open, write three, abort: the old files stay exactly as they were */
        write_rows(path, NULL, 3, 0);
        list_dir(dir, after, sizeof after);
        CHECK_STR(bad, files[i], before, after);
        char *now = slurp(path, &len1);
        CHECK_TRUE(bad, len0 == len1 && !memcmp(old, now, len0), "%s changed by an aborted write", files[i]);
        free(now);
        CHECK_INT(bad, files[i], 1, count_features(path, layer));

        /* the same again, committed: replaced */
        write_rows(path, NULL, 3, 1);
        list_dir(dir, after, sizeof after);
        CHECK_STR(bad, files[i], before, after);
        CHECK_INT(bad, files[i], 3, count_features(path, layer));
        free(old);
        remove_dir(dir);
        free(path);
        free(dir);
    }

    /* a failed row leaves the writer usable; a second commit is refused */
    char *dir = make_tmpdir(), *path = path_in(dir, "incidents.gpkg");
    incmap_error err = {0};
    incmap_layers *l = incmap_layers_open(path, NULL, &err);
    assert_non_null(l);
    incmap_incident_row r = incident("MLI1", "2025-07-14", 1, 12.7, -8.0);
    assert_int_equal(incmap_layers_add_incident(l, &r, &err), INCMAP_OK);
    CHECK_INT(bad, "same event_id_cnty twice", INCMAP_ERR_USAGE, incmap_layers_add_incident(l, &r, &err));
    CHECK_TRUE(bad, strstr(err.message, "MLI1") != NULL, "message: %s", err.message);
    r = incident("MLI2", "2025-02-30", 1, 12.7, -8.0);
    CHECK_INT(bad, "30 February", INCMAP_ERR_FORMAT, incmap_layers_add_incident(l, &r, &err));
    r = incident("MLI3", "2025-02-03", 1, 120.0, -8.0);
    CHECK_INT(bad, "latitude 120", INCMAP_ERR_FORMAT, incmap_layers_add_incident(l, &r, &err));
    r = incident(NULL, "2025-02-03", 1, 12.0, -8.0);
    CHECK_INT(bad, "no event_id_cnty", INCMAP_ERR_USAGE, incmap_layers_add_incident(l, &r, &err));
    incmap_article_row a = ARTICLE;
    a.processed_at = "2025-07-15 10:00";
    CHECK_INT(bad, "processed_at not ISO 8601 UTC", INCMAP_ERR_FORMAT, incmap_layers_add_article(l, &a, &err));
    assert_int_equal(incmap_layers_commit(l, &err), INCMAP_OK);
    CHECK_INT(bad, "commit twice", INCMAP_ERR_USAGE, incmap_layers_commit(l, &err));
    CHECK_INT(bad, "add after commit", INCMAP_ERR_USAGE, incmap_layers_add_incident(l, &r, &err));
    incmap_layers_destroy(l);
    CHECK_INT(bad, "only the good row was written", 1, count_features(path, "incidents"));
    remove_dir(dir);
    free(path);
    free(dir);
    END_TABLE(bad);
}

/* A commit that cannot put a file in place (a directory holds its name) reports it and leaves no
 * temporary files once destroyed. */
static void test_commit_failure(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), *path = path_in(dir, "incidents.geojson"), *blocker = path_in(dir, "mentions.geojson");
    char *inner = path_in(blocker, "keep");
    assert_int_equal(mkdir(blocker, 0700), 0);
    FILE *fp = fopen(inner, "w");
    assert_non_null(fp);
    fclose(fp);
    incmap_error err = {0};
    incmap_layers *l = incmap_layers_open(path, NULL, &err);
    assert_non_null(l);
    assert_int_equal(incmap_layers_add_mention(l, &MENTION, &err), INCMAP_OK);
    int bad = 0;
    CHECK_INT(bad, "commit over a directory", INCMAP_ERR_IO, incmap_layers_commit(l, &err));
    CHECK_TRUE(bad, strstr(err.message, "mentions.geojson") != NULL, "message: %s", err.message);
    CHECK_INT(bad, "no commit after a failed one", INCMAP_ERR_IO, incmap_layers_commit(l, &err));
    incmap_layers_destroy(l);
    char files[512];
    list_dir(dir, files, sizeof files);
    CHECK_TRUE(bad, !strstr(files, ".incmap-"), "temporary files left: %s", files);
    remove_dir(dir);
    free(inner);
    free(blocker);
    free(path);
    free(dir);
    END_TABLE(bad);
}

static void test_errors_leave_nothing(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), *blocker = path_in(dir, "plain-file");
    FILE *fp = fopen(blocker, "w");
    assert_non_null(fp);
    fclose(fp);
    char gone[512], under_file[512], in_dir[512], raster[512], noext[512], clash[512];
    snprintf(gone, sizeof gone, "%s/no/such/dir/incidents.gpkg", dir);
    snprintf(under_file, sizeof under_file, "%s/incidents.geojson", blocker);
    snprintf(in_dir, sizeof in_dir, "%s", dir);
    snprintf(raster, sizeof raster, "%s/incidents.tif", dir);
    snprintf(noext, sizeof noext, "%s/incidents", dir);
    snprintf(clash, sizeof clash, "%s/mentions.geojson", dir);
    static const char *const what[] = {"unknown driver", "raster-only driver", "no such directory",
                                       "directory is a file", "path is a directory", "no extension",
                                       "extension no driver writes", "name of a sibling layer"};
    const struct {
        const char *path, *driver;
        incmap_status want;
        const char *in_message;
    } rows[] = {
        {gone, "NoSuchDriver", INCMAP_ERR_USAGE, "NoSuchDriver"},
        {raster, "GTiff", INCMAP_ERR_USAGE, "GTiff"},
        {gone, NULL, INCMAP_ERR_IO, "no/such/dir"},
        {under_file, NULL, INCMAP_ERR_IO, "plain-file"},
        {in_dir, "GPKG", INCMAP_ERR_USAGE, "directory"},
        {noext, NULL, INCMAP_ERR_USAGE, "extension"},
        {raster, NULL, INCMAP_ERR_USAGE, ".tif"},
        {clash, NULL, INCMAP_ERR_USAGE, "mentions"},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        incmap_layers_options o = {.driver = rows[i].driver};
        incmap_error err = {0};
        incmap_layers *l = incmap_layers_open(rows[i].path, &o, &err);
        CHECK_TRUE(bad, l == NULL, "%s: opened", what[i]);
        incmap_layers_destroy(l);
        CHECK_INT(bad, what[i], rows[i].want, err.code);
        CHECK_TRUE(bad, strstr(err.message, rows[i].in_message) != NULL, "%s: message lacks '%s': %s", what[i],
                   rows[i].in_message, err.message);
        char files[256];
        list_dir(dir, files, sizeof files);
        CHECK_STR(bad, what[i], "plain-file", files);
    }
    remove_dir(dir);
    free(blocker);
    free(dir);
    END_TABLE(bad);
}

static void collect(void *user, const char *message)
{
    snprintf(user, 512, "%s", message);
}

/* FlatGeobuf cannot hold features without geometry: incidents without coordinates are left out
 * with a warning rather than lost in silence, and the articles table goes to CSV. */
static void test_flatgeobuf_without_geometry(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), *path = path_in(dir, "incidents.fgb"), warning[512] = "";
    incmap_layers_options o = {.driver = NULL, .warn = collect, .warn_user = warning};
    incmap_error err = {0};
    incmap_layers *l = incmap_layers_open(path, &o, &err);
    assert_non_null(l);
    incmap_incident_row a = incident("MLI1", "2025-07-14", 1, 12.7, -8.0), b = incident("MLI2", NULL, 0, 0, 0);
    assert_int_equal(incmap_layers_add_incident(l, &a, &err), INCMAP_OK);
    assert_int_equal(incmap_layers_add_incident(l, &b, &err), INCMAP_OK);
    assert_int_equal(incmap_layers_add_article(l, &ARTICLE, &err), INCMAP_OK);
    size_t ni;
    incmap_layers_counts(l, NULL, &ni, NULL);
    int bad = 0;
    CHECK_INT(bad, "incidents counted", 1, ni);
    assert_int_equal(incmap_layers_commit(l, &err), INCMAP_OK);
    incmap_layers_destroy(l);
    CHECK_TRUE(bad, strstr(warning, "1 incident(s) without coordinates left out") != NULL, "warning: '%s'", warning);
    CHECK_INT(bad, "incidents in the file", 1, count_features(path, NULL));
    char *csv = path_in(dir, "articles.csv");
    CHECK_INT(bad, "articles in articles.csv", 1, count_features(csv, NULL));
    free(csv);
    remove_dir(dir);
    free(path);
    free(dir);
    END_TABLE(bad);
}

static void test_geojson_stable(void **state)
{
    (void)state;
    char *d1 = make_tmpdir(), *d2 = make_tmpdir();
    char *p1 = path_in(d1, "incidents.geojson"), *p2 = path_in(d2, "incidents.geojson");
    write_rows(p1, NULL, 3, 1);
    write_rows(p2, NULL, 3, 1);
    int bad = 0;
    static const char *const names[] = {"incidents.geojson", "mentions.geojson", "articles.geojson", "incidents.qml"};
    for (size_t i = 0; i < N_ROWS(names); i++) {
        char *a = path_in(d1, names[i]), *b = path_in(d2, names[i]);
        size_t na, nb;
        char *x = slurp(a, &na), *y = slurp(b, &nb);
        CHECK_TRUE(bad, na == nb && !memcmp(x, y, na), "%s differs between two identical runs", names[i]);
        if (i == 0) {
            CHECK_TRUE(bad, !strstr(x, "\"crs\""), "RFC 7946 has no crs member: %.300s", x);
            CHECK_TRUE(bad, strstr(x, "\"id\": \"MLI1\"") != NULL, "feature id is event_id_cnty: %.300s", x);
            CHECK_TRUE(bad, strstr(x, "\"event_id_cnty\": \"MLI1\"") != NULL, "event_id_cnty kept in properties");
            CHECK_TRUE(bad, strstr(x, "[ -8.07, 12.745 ]") != NULL, "lon, lat order: %.600s", x);
            CHECK_TRUE(bad, strstr(x, "\"event_date\": \"2025-07-14\"") != NULL, "date as YYYY-MM-DD");
        }
        free(x);
        free(y);
        free(a);
        free(b);
    }
    remove_dir(d1);
    remove_dir(d2);
    free(p1);
    free(p2);
    free(d1);
    free(d2);
    END_TABLE(bad);
}

static void test_ids(void **state)
{
    (void)state;
    char id[17], sha[65];
    incmap_article_id("abc", 3, id, sha);
    /* FIPS 180-2's test vector for "abc" */
    assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(id, "ba7816bf8f01cfea");
    incmap_article_id("", 0, id, NULL);
    assert_string_equal(id, "e3b0c44298fc1c14");
}

static void test_doc_rows(void **state)
{
    incmap_ctx *ctx = *state;
    char *bytes;
    size_t len;
    incmap_error err = {0};
    assert_int_equal(incmap_read_file(INCMAP_TEST_DATA "/articles/fr_kati.txt", 0, &bytes, &len, &err), INCMAP_OK);
    incmap_article_info info = {"fr_kati.txt", NULL, NULL};
    incmap_doc *doc = incmap_geocode(ctx, bytes, len, &info, &err);
    assert_non_null(doc);
    incmap_doc_rows *r = incmap_doc_rows_new(ctx, doc, bytes, len, "2025-07-15T10:00:00Z", &err);
    assert_non_null(r);
    int bad = 0;
    char id[17];
    incmap_article_id(bytes, len, id, NULL);
    CHECK_STR(bad, "article_id", id, r->article.article_id);
    CHECK_STR(bad, "title: the headline", "Mali : une attaque repoussée près de Kati", r->article.title);
    CHECK_STR(bad, "processed_at", "2025-07-15T10:00:00Z", r->article.processed_at);
    CHECK_INT(bad, "incidents", doc->n_incidents, r->n_incidents);
    CHECK_TRUE(bad, doc->n_incidents > 0, "the Kati article has an incident");
    size_t resolved = 0;
    for (size_t i = 0; i < doc->n_places; i++)
        resolved += doc->places[i].resolved && doc->places[i].has_coords;
    CHECK_INT(bad, "mentions: the resolved places", resolved, r->n_mentions);
    for (size_t i = 0; i < r->n_incidents; i++) {
        const incmap_incident_row *x = &r->incidents[i];
        char want[64];
        unsigned long long n = strtoull((char[13]){id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], id[8],
                                                   id[9], id[10], id[11], 0},
                                        NULL, 16);
        snprintf(want, sizeof want, "MLI%llu", n * 10000 + i);
        CHECK_STR(bad, "event_id_cnty", want, x->event_id_cnty);
        CHECK_STR(bad, "country name", "Mali", x->country);
        CHECK_INT(bad, "iso numeric", 466, x->iso);
        CHECK_STR(bad, "incident's article", id, x->article_id);
        CHECK_TRUE(bad, x->notes && strstr(x->notes, "Kati"), "notes: %s", x->notes ? x->notes : "(null)");
    }
    incmap_doc_rows_destroy(r);

    /* add_doc writes those rows; the same bytes again are skipped */
    char *dir = make_tmpdir(), *path = path_in(dir, "incidents.geojson");
    incmap_layers *l = incmap_layers_open(path, NULL, &err);
    assert_non_null(l);
    assert_int_equal(incmap_layers_add_doc(l, ctx, doc, bytes, len, NULL, &err), INCMAP_OK);
    assert_int_equal(incmap_layers_add_doc(l, ctx, doc, bytes, len, NULL, &err), INCMAP_OK);
    size_t na, ni, nm;
    incmap_layers_counts(l, &na, &ni, &nm);
    CHECK_INT(bad, "articles after the same doc twice", 1, na);
    CHECK_INT(bad, "incidents", doc->n_incidents, ni);
    CHECK_INT(bad, "mentions", resolved, nm);
    assert_int_equal(incmap_layers_commit(l, &err), INCMAP_OK);
    incmap_layers_destroy(l);
    CHECK_INT(bad, "incidents in the file", doc->n_incidents, count_features(path, NULL));
    remove_dir(dir);
    free(path);
    free(dir);
    incmap_doc_destroy(doc);
    free(bytes);
    END_TABLE(bad);
}

/* The gazetteer's country table: alpha-3, English name and ISO numeric code (ACLED's iso). */
static void test_country_codes(void **state)
{
    incmap_ctx *ctx = *state;
    incmap_arena *a = incmap_arena_new();
    static const struct {
        const char *cc, *iso3, *name;
        int isonum, found;
    } rows[] = {
        {"ML", "MLI", "Mali", 466, 1},
        {"BF", "BFA", "Burkina Faso", 854, 1},
        {"NE", "NER", "Niger", 562, 1},
        {"XK", "XKX", "Kosovo", 0, 1}, /* countryInfo gives 0: no numeric code */
        {"ZZ", "", "", 0, 0},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        incmap_gz_country c;
        incmap_error err = {0};
        CHECK_INT(bad, rows[i].cc, INCMAP_OK, incmap_gazetteer_country(ctx->gz, rows[i].cc, a, &c, &err));
        CHECK_INT(bad, rows[i].cc, rows[i].found, c.found);
        CHECK_STR(bad, rows[i].cc, rows[i].iso3, c.iso3);
        CHECK_STR(bad, rows[i].cc, rows[i].name, c.name);
        CHECK_INT(bad, rows[i].cc, rows[i].isonum, c.isonum);
    }
    incmap_arena_destroy(a);
    END_TABLE(bad);
}

static int setup(void **state)
{
    CPLSetErrorHandler(CPLQuietErrorHandler); /* reading back: GDAL's warnings are not ours */
    GDALAllRegister();
    return ctx_setup(state);
}

static int teardown(void **state)
{
    ctx_teardown(state);
    GDALDestroyDriverManager();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpkg_rows),        cmocka_unit_test(test_driver_choice),
        cmocka_unit_test(test_commit_and_abort), cmocka_unit_test(test_errors_leave_nothing),
        cmocka_unit_test(test_geojson_stable),   cmocka_unit_test(test_ids),
        cmocka_unit_test(test_flatgeobuf_without_geometry), cmocka_unit_test(test_commit_failure),
        cmocka_unit_test(test_doc_rows),         cmocka_unit_test(test_country_codes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
