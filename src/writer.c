/* writer.c: the incidents, mentions and articles layers written through GDAL/OGR (incmap.h,
 * "layers"). The only file that includes GDAL headers.
 *
 * Everything is written into a temporary directory made inside the destination directory, under
 * the final file names, so that GDAL sees ordinary names and every file a driver adds beside
 * its main one (.csvt, .prj, a shapefile's .dbf) travels with it; incmap_layers_commit closes
 * the datasets and renames each file over its final name (a rename within one file system,
 * so a reader sees the old file or the new one, never a half-written one). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>


#include "gdal_api.h"
#include "util.h"
#include "writer.h"

enum { L_INCIDENTS, L_MENTIONS, L_ARTICLES, N_LAYERS };

typedef struct {
    const char *name;
    OGRFieldType type;
    OGRFieldSubType subtype;
    const char *domain; /* a field domain's name, where the format has domains (GeoPackage) */
} field_def;

/* Field order is the order in the files: ACLED's own fields as issue 4 lists them, then ours. */
enum {
    I_EVENT_ID, I_EVENT_DATE, I_YEAR, I_TIME_PRECISION, I_EVENT_TYPE, I_SUB_EVENT_TYPE, I_ACTOR1, I_ACTOR2,
    I_COUNTRY, I_ISO, I_ADMIN1, I_ADMIN2, I_LOCATION, I_LATITUDE, I_LONGITUDE, I_GEO_PRECISION, I_SOURCE,
    I_NOTES, I_FATALITIES, I_CONFIDENCE, I_BACKGROUND, I_EVIDENCE, I_ARTICLE_ID, I_GEONAMEID, N_INCIDENT_FIELDS
};
static const field_def INCIDENT_FIELDS[N_INCIDENT_FIELDS] = {
    {"event_id_cnty", OFTString, OFSTNone, NULL},   {"event_date", OFTDate, OFSTNone, NULL},
    {"year", OFTInteger, OFSTNone, NULL},           {"time_precision", OFTInteger, OFSTNone, NULL},
    {"event_type", OFTString, OFSTNone, "event_type"}, {"sub_event_type", OFTString, OFSTNone, NULL},
    {"actor1", OFTString, OFSTNone, NULL},          {"actor2", OFTString, OFSTNone, NULL},
    {"country", OFTString, OFSTNone, NULL},         {"iso", OFTInteger, OFSTNone, NULL},
    {"admin1", OFTString, OFSTNone, NULL},          {"admin2", OFTString, OFSTNone, NULL},
    {"location", OFTString, OFSTNone, NULL},        {"latitude", OFTReal, OFSTNone, NULL},
    {"longitude", OFTReal, OFSTNone, NULL},         {"geo_precision", OFTInteger, OFSTNone, "geo_precision"},
    {"source", OFTString, OFSTNone, NULL},          {"notes", OFTString, OFSTNone, NULL},
    {"fatalities", OFTInteger, OFSTNone, NULL},     {"confidence", OFTReal, OFSTNone, NULL},
    {"background", OFTInteger, OFSTBoolean, NULL},  {"evidence", OFTString, OFSTNone, NULL},
    {"article_id", OFTString, OFSTNone, NULL},      {"geonameid", OFTInteger64, OFSTNone, NULL},
};

enum {
    M_MENTION_ID, M_ARTICLE_ID, M_TEXT, M_NAME, M_FEATURE_CODE, M_COUNTRY, M_ADMIN1, M_SECTION, M_START, M_END,
    M_GEONAMEID, M_LATITUDE, M_LONGITUDE, M_GEO_PRECISION, M_SCORE, M_WHY, N_MENTION_FIELDS
};
static const field_def MENTION_FIELDS[N_MENTION_FIELDS] = {
    {"mention_id", OFTString, OFSTNone, NULL},   {"article_id", OFTString, OFSTNone, NULL},
    {"text", OFTString, OFSTNone, NULL},         {"name", OFTString, OFSTNone, NULL},
    {"feature_code", OFTString, OFSTNone, NULL}, {"country", OFTString, OFSTNone, NULL},
    {"admin1", OFTString, OFSTNone, NULL},       {"section", OFTString, OFSTNone, NULL},
    {"start", OFTInteger64, OFSTNone, NULL},     {"end", OFTInteger64, OFSTNone, NULL},
    {"geonameid", OFTInteger64, OFSTNone, NULL}, {"latitude", OFTReal, OFSTNone, NULL},
    {"longitude", OFTReal, OFSTNone, NULL},      {"geo_precision", OFTInteger, OFSTNone, "geo_precision"},
    {"score", OFTReal, OFSTNone, NULL},          {"why", OFTString, OFSTNone, NULL},
};

enum { A_ARTICLE_ID, A_SOURCE, A_TITLE, A_PUBLISHED, A_LANGUAGE, A_SHA256, A_PROCESSED_AT, N_ARTICLE_FIELDS };
static const field_def ARTICLE_FIELDS[N_ARTICLE_FIELDS] = {
    {"article_id", OFTString, OFSTNone, NULL}, {"source", OFTString, OFSTNone, NULL},
    {"title", OFTString, OFSTNone, NULL},      {"published", OFTDate, OFSTNone, NULL},
    {"language", OFTString, OFSTNone, NULL},   {"sha256", OFTString, OFSTNone, NULL},
    {"processed_at", OFTDateTime, OFSTNone, NULL},
};

_Static_assert((int)N_INCIDENT_FIELDS >= (int)N_MENTION_FIELDS && (int)N_INCIDENT_FIELDS >= (int)N_ARTICLE_FIELDS,
               "out_layer.fi is sized for the incidents layer, the widest");

typedef struct {
    const char *name;
    OGRwkbGeometryType geometry;
    const field_def *fields;
    int n_fields;
    const char *description;
} layer_def;

static const layer_def LAYERS[N_LAYERS] = {
    {"incidents", wkbPoint, INCIDENT_FIELDS, N_INCIDENT_FIELDS,
     "Incidents coded by incmap from news articles, with ACLED's field names"},
    {"mentions", wkbPoint, MENTION_FIELDS, N_MENTION_FIELDS,
     "Every place mention incmap resolved to a GeoNames entry, with its reasons"},
    {"articles", wkbNone, ARTICLE_FIELDS, N_ARTICLE_FIELDS, "The articles incmap read"},
};

/* ACLED's event types and geo_precision codes: the field domains of the GeoPackage. */
static const char *const EVENT_TYPES[] = {"Battles",  "Explosions/Remote violence", "Violence against civilians",
                                          "Protests", "Riots",                      "Strategic developments"};
static const char *const GEO_PRECISION[][2] = {{"1", "the place itself"},
                                               {"2", "near the place, or a part of a region"},
                                               {"3", "a larger region (an admin area or the country)"}};

const char *incmap_layer_style_qml(const char *layer)
{
    for (const incmap_layer_style *s = incmap_layer_styles; s->layer; s++)
        if (!strcmp(s->layer, layer))
            return s->qml;
    return NULL;
}

/* ---------------------------------------------------------------- id sets */

/* The ids written to one layer, so that a repeated id is refused rather than written twice.
 * Open addressing over strings kept in the writer's arena. */
typedef struct {
    const char **slot;
    size_t cap, n;
} id_set;

static int id_set_has(const id_set *s, const char *id)
{
    if (!s->cap)
        return 0;
    size_t j = incmap_hash(id, strlen(id), 0) & (s->cap - 1);
    for (; s->slot[j]; j = (j + 1) & (s->cap - 1))
        if (!strcmp(s->slot[j], id))
            return 1;
    return 0;
}

/* 1 added, 0 already there, -1 out of memory. */
static int id_set_add(id_set *s, incmap_arena *a, const char *id)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        const char **slot = calloc(cap, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i])
                continue;
            size_t j = incmap_hash(s->slot[i], strlen(s->slot[i]), 0) & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = s->slot[i];
        }
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    size_t j = incmap_hash(id, strlen(id), 0) & (s->cap - 1);
    for (; s->slot[j]; j = (j + 1) & (s->cap - 1))
        if (!strcmp(s->slot[j], id))
            return 0;
    if (!(s->slot[j] = incmap_arena_strdup(a, id)))
        return -1;
    s->n++;
    return 1;
}

/* ---------------------------------------------------------------- the writer */

typedef struct {
    GDALDatasetH ds;  /* the layer's own file, or NULL when it lives in the shared GeoPackage */
    OGRLayerH lyr;
    OGRFeatureH feat; /* reused for every row */
    /* Where our fields are in the layer: drivers may add their own (KML's Name and Description
     * come first) or rename ours, so the index of field i is fi[i], never i. id_field: the
     * GeoJSON "id" field's index, -1 for other formats. */
    int fi[N_INCIDENT_FIELDS]; /* the widest layer */
    int id_field;
    int in_txn;       /* ds has a transaction open */
    size_t n;
    id_set ids;
} out_layer;

struct incmap_layers {
    const incmap_gdal *gdal;
    char *path;     /* as given, for messages */
    char *dir;      /* the destination directory */
    char *tmp;      /* our temporary directory inside it */
    int tmp_fd;     /* holds its flock: a live writer's directory is never taken for a stale one */
    char *mem;      /* formats other than GeoPackage: where GDAL writes them (/vsimem/), see copy_out */
    char *file[N_LAYERS]; /* final file names (GeoPackage: file[0] only) */
    char driver[64];
    int gpkg, geojson;
    /* The format loses features without geometry (GDAL 3.6's FlatGeobuf drops them without an
     * error): the articles table goes to CSV instead and incidents without coordinates are left
     * out, counted in skipped and reported by a warning at the commit. */
    int needs_geometry;
    size_t skipped;
    void (*warn)(void *user, const char *message);
    void *warn_user;
    int committed;
    int broken;     /* a write failed: the output is incomplete and must not be committed */
    GDALDatasetH ds; /* the GeoPackage holding all three layers */
    int in_txn;
    out_layer L[N_LAYERS];
    OGRSpatialReferenceH srs;
    OGRGeometryH point;
    incmap_arena *arena;
};

/* GDAL's last message. The GeoPackage driver quotes the whole failing statement
 * ("sqlite3_exec(CREATE TABLE ...) failed: database or disk is full"): only its reason is kept. */
static const char *gdal_reason(const incmap_gdal *gdal)
{
    const char *m = gdal->CPLGetLastErrorMsg();
    if (!m || !*m)
        return "GDAL gave no reason";
    const char *f = strstr(m, ") failed: ");
    return !strncmp(m, "sqlite3_exec(", 13) && f ? f + 10 : m;
}

/* A write that failed because the file system is full is reported as that, whatever GDAL or
 * SQLite called it on the way ("database or disk is full", a failed insert, a table that the
 * failed statement did not create): the directory, the room left, what to do. Other failures
 * keep their message. The check runs before the temporary files are removed (which frees the
 * space again). */
static void explain_full(const incmap_layers *l, incmap_status rc, incmap_error *err)
{
    if (rc != INCMAP_ERR_IO || !err || !l || !l->dir)
        return;
    const char *said = l->gdal->CPLGetLastErrorMsg();
    int says = strstr(err->message, "disk is full") || strstr(err->message, "No space left") ||
               (said && (strstr(said, "disk is full") || strstr(said, "No space left")));
    struct statvfs v;
    int have = statvfs(l->dir, &v) == 0;
    unsigned long long avail = have ? (unsigned long long)v.f_bavail * v.f_frsize : 0;
    /* Under a megabyte left after a failed write is a full disk, whatever the message. A file
     * system without inode counts (btrfs) reports f_files 0. */
    int full = have && (avail < (1u << 20) || (v.f_files && !v.f_favail));
    if (!says && !full)
        return;
    char what[sizeof err->message];
    size_t n = strlen(l->path);
    const char *m = err->message;
    if (!strncmp(m, l->path, n) && !strncmp(m + n, ": ", 2))
        m += n + 2; /* the path comes first in the new message */
    snprintf(what, sizeof what, "%s", m);
    int replaced = strstr(what, "already replaced") != NULL;
    incmap_fail(err, INCMAP_ERR_IO,
                "%s: No space left on device in %s (%llu KiB free): free some space or write the layers elsewhere%s "
                "[what failed: %s]",
                l->path, l->dir, avail / 1024, replaced ? "" : "; the previous files are untouched", what);
}

/* Removes a directory we made and everything in it (GDAL may have made subdirectories). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *p = malloc(n);
            if (!p)
                continue;
            snprintf(p, n, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(p);
            else
                unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static char *join(incmap_arena *a, const char *dir, const char *name)
{
    return incmap_arena_printf(a, "%s/%s", dir, name);
}

/* ---------------------------------------------------------------- temporary directories */

/* Our temporary directory for an output is DIR/.FILE.incmap-XXXXXX (mkdtemp's six characters),
 * held with an flock for as long as the writer has it. A writer killed with -9 leaves its
 * directory behind, unlocked: the next writer of the same output removes it. Only that pattern,
 * and only when no live writer holds it, so that two runs writing the same output never remove
 * each other's files. */
#define TMP_TAG ".incmap-"
#define TMP_RANDOM 6

static int is_our_tmp(const char *name, const char *file)
{
    size_t nf = strlen(file), nt = strlen(TMP_TAG);
    if (name[0] != '.' || strncmp(name + 1, file, nf) || strncmp(name + 1 + nf, TMP_TAG, nt))
        return 0;
    const char *r = name + 1 + nf + nt;
    if (strlen(r) != TMP_RANDOM)
        return 0;
    for (; *r; r++)
        if (!isalnum((unsigned char)*r))
            return 0;
    return 1;
}

/* Locks the directory at path (an flock on a descriptor of it) and checks that path still names
 * that directory once locked: it may have been removed by a cleaner that held the lock before
 * us. Returns the descriptor, -1 when busy, gone or not a directory. */
static int lock_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat a, b;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &a) != 0 || lstat(path, &b) != 0 || a.st_dev != b.st_dev ||
        a.st_ino != b.st_ino) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Removes the temporary directories of this output that writers killed before they finished
 * left in dir. Best effort: what cannot be removed is left for the next run. */
static void remove_stale(incmap_layers *l)
{
    DIR *d = opendir(l->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_our_tmp(e->d_name, l->file[0]))
            continue;
        const char *p = join(l->arena, l->dir, e->d_name);
        int fd = p ? lock_dir(p) : -1;
        if (fd < 0)
            continue; /* a live writer's, or not a directory */
        remove_tree(p);
        close(fd);
    }
    closedir(d);
}

/* ---------------------------------------------------------------- driver choice */

/* Extensions several drivers claim, and the one we mean. */
static const char *const PREFERRED[][2] = {
    {"gpkg", "GPKG"}, {"geojson", "GeoJSON"}, {"json", "GeoJSON"},
    {"kml", "KML"},   {"csv", "CSV"},         {"fgb", "FlatGeobuf"},
};

static int can_write_vectors(const incmap_gdal *gdal, GDALDriverH d)
{
    const char *v = gdal->GDALGetMetadataItem(d, GDAL_DCAP_VECTOR, NULL);
    const char *c = gdal->GDALGetMetadataItem(d, GDAL_DCAP_CREATE, NULL);
    return v && c && !strcasecmp(v, "YES") && !strcasecmp(c, "YES");
}

/* 1 when ext is one of the space-separated words of list (case-insensitive). */
static int has_word(const char *list, const char *ext)
{
    size_t n = strlen(ext);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        if (k == n && !strncasecmp(p, ext, n))
            return 1;
        p += k;
    }
    return 0;
}

static GDALDriverH driver_for_extension(const incmap_gdal *gdal, const char *ext)
{
    for (size_t i = 0; i < sizeof PREFERRED / sizeof *PREFERRED; i++)
        if (!strcasecmp(ext, PREFERRED[i][0]))
            return gdal->GDALGetDriverByName(PREFERRED[i][1]);
    for (int i = 0; i < gdal->GDALGetDriverCount(); i++) {
        GDALDriverH d = gdal->GDALGetDriver(i);
        if (can_write_vectors(gdal, d) && (has_word(gdal->GDALGetMetadataItem(d, GDAL_DMD_EXTENSIONS, NULL), ext) ||
                                     has_word(gdal->GDALGetMetadataItem(d, GDAL_DMD_EXTENSION, NULL), ext)))
            return d;
    }
    return NULL;
}

static GDALDriverH choose_driver(const incmap_gdal *gdal, const char *path, const char *name, const char *ext, incmap_error *err)
{
    GDALDriverH d;
    if (name && *name) {
        if (!(d = gdal->GDALGetDriverByName(name))) {
            incmap_fail(err, INCMAP_ERR_USAGE,
                        "unknown OGR driver '%s': use GPKG, GeoJSON, FlatGeobuf, CSV, KML or another name that "
                        "'ogrinfo --formats' lists as writable (rw)",
                        name);
            return NULL;
        }
        if (!can_write_vectors(gdal, d)) {
            incmap_fail(err, INCMAP_ERR_USAGE,
                        "the GDAL driver '%s' cannot create vector layers: use GPKG, GeoJSON, FlatGeobuf, CSV, KML "
                        "or another vector format 'ogrinfo --formats' lists as writable (rw)",
                        name);
            return NULL;
        }
        return d;
    }
    if (!*ext) {
        incmap_fail(err, INCMAP_ERR_USAGE,
                    "%s: no file extension to tell the format by: end the name in .gpkg, .geojson, .fgb, .csv or "
                    ".kml, or name an OGR driver",
                    path);
        return NULL;
    }
    if (!(d = driver_for_extension(gdal, ext))) {
        incmap_fail(err, INCMAP_ERR_USAGE,
                    "%s: no GDAL driver writes '.%s' files: use .gpkg, .geojson, .fgb, .csv or .kml, or name an OGR "
                    "driver",
                    path, ext);
        return NULL;
    }
    return d;
}

/* ---------------------------------------------------------------- creating the layers */

static incmap_status add_domains(incmap_layers *l, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    /* OGR's coded values are lists ended by a NULL code; its API takes them non-const */
    enum { N_TYPES = sizeof EVENT_TYPES / sizeof *EVENT_TYPES, N_PREC = sizeof GEO_PRECISION / sizeof *GEO_PRECISION };
    OGRCodedValue ev[N_TYPES + 1] = {{0}}, gp[N_PREC + 1] = {{0}};
    for (size_t i = 0; i < N_TYPES; i++)
        ev[i].pszCode = (char *)EVENT_TYPES[i];
    for (size_t i = 0; i < N_PREC; i++) {
        gp[i].pszCode = (char *)GEO_PRECISION[i][0];
        gp[i].pszValue = (char *)GEO_PRECISION[i][1];
    }
    OGRFieldDomainH doms[2] = {
        gdal->OGR_CodedFldDomain_Create("event_type", "ACLED event types", OFTString, OFSTNone, ev),
        gdal->OGR_CodedFldDomain_Create("geo_precision", "ACLED geo_precision: how exactly the point locates the event",
                                  OFTInteger, OFSTNone, gp)};
    incmap_status rc = INCMAP_OK;
    for (int i = 0; i < 2; i++) {
        char *reason = NULL;
        if (rc == INCMAP_OK && (!doms[i] || !gdal->GDALDatasetAddFieldDomain(l->ds, doms[i], &reason)))
            rc = incmap_fail(err, INCMAP_ERR_IO, "%s: cannot add the field domains: %s", l->path,
                             reason ? reason : gdal_reason(gdal));
        gdal->VSIFree(reason);
        if (doms[i])
            gdal->OGR_FldDomain_Destroy(doms[i]);
    }
    return rc;
}

/* The layer creation options we want from the drivers we know; other drivers get their defaults. */
static void layer_options(const incmap_layers *l, const char *driver, int k, char *desc, char **opt, size_t max)
{
    size_t n = 0;
#define OPT(s)                                                                                                        \
    do {                                                                                                              \
        if (n + 1 < max)                                                                                              \
            opt[n++] = (char *)(s);                                                                                   \
    } while (0)
    if (l->gpkg) {
        OPT(desc);
        OPT("FID=fid");
        if (LAYERS[k].geometry != wkbNone) {
            OPT("GEOMETRY_NAME=geom");
            OPT("SPATIAL_INDEX=YES");
        }
    } else if (!strcasecmp(driver, "GeoJSON")) {
        /* RFC 7946: WGS 84 lon/lat and no crs member; the feature id from our "id" field */
        OPT("RFC7946=YES");
        OPT("COORDINATE_PRECISION=6");
        OPT("ID_FIELD=id");
        OPT("ID_TYPE=String");
    } else if (!strcasecmp(driver, "GeoJSONSeq")) {
        OPT("COORDINATE_PRECISION=6");
        OPT("ID_FIELD=id");
        OPT("ID_TYPE=String");
    } else if (!strcasecmp(driver, "CSV")) {
        OPT("CREATE_CSVT=YES"); /* keeps dates, integers and reals typed for QGIS and ogr2ogr */
    }
#undef OPT
    opt[n] = NULL;
}

static incmap_status create_layer(incmap_layers *l, GDALDriverH drv, int k, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    const layer_def *def = &LAYERS[k];
    out_layer *L = &l->L[k];
    GDALDatasetH ds = l->ds;
    if (def->geometry == wkbNone && l->needs_geometry)
        drv = gdal->GDALGetDriverByName("CSV");
    const char *driver = gdal->GDALGetDriverShortName(drv);
    if (!l->gpkg) {
        const char *file = join(l->arena, l->mem, l->file[k]);
        if (!file)
            return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        gdal->CPLErrorReset();
        if (!(ds = L->ds = gdal->GDALCreate(drv, file, 0, 0, 0, GDT_Unknown, NULL)))
            return incmap_fail(err, INCMAP_ERR_IO, "%s/%s: cannot create it with GDAL's %s driver: %s", l->dir,
                               l->file[k], driver, gdal_reason(gdal));
    }
    char desc[160], *opt[8];
    snprintf(desc, sizeof desc, "DESCRIPTION=%s", def->description);
    layer_options(l, driver, k, desc, opt, sizeof opt / sizeof *opt);
    gdal->CPLErrorReset();
    L->lyr = gdal->GDALDatasetCreateLayer(ds, def->name, def->geometry == wkbNone ? NULL : l->srs, def->geometry, opt);
    if (!L->lyr)
        return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot create the %s layer: %s", l->path, def->name,
                           gdal_reason(gdal));
    L->id_field = -1;
    for (int i = l->geojson ? -1 : 0; i < def->n_fields; i++) {
        OGRFieldDefnH fd = i < 0 ? gdal->OGR_Fld_Create("id", OFTString)
                                 : gdal->OGR_Fld_Create(def->fields[i].name, def->fields[i].type);
        if (i >= 0) {
            gdal->OGR_Fld_SetSubType(fd, def->fields[i].subtype);
            if (l->gpkg && def->fields[i].domain)
                gdal->OGR_Fld_SetDomainName(fd, def->fields[i].domain);
        }
        gdal->CPLErrorReset();
        OGRErr e = gdal->OGR_L_CreateField(L->lyr, fd, TRUE);
        gdal->OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot create the field %s.%s: %s", l->path, def->name,
                               i < 0 ? "id" : def->fields[i].name, gdal_reason(gdal));
        int at = gdal->OGR_FD_GetFieldCount(gdal->OGR_L_GetLayerDefn(L->lyr)) - 1; /* a new field is the last one */
        if (i < 0)
            L->id_field = at;
        else
            L->fi[i] = at;
    }
    if (!(L->feat = gdal->OGR_F_Create(gdal->OGR_L_GetLayerDefn(L->lyr))))
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    return INCMAP_OK;
}

/* The GeoPackage's layer_styles table, as QGIS itself creates it (QGIS reads the row whose
 * f_table_schema is '', f_table_name the layer and f_geometry_column its geometry column, with
 * useAsDefault set, and applies its QML when the layer is loaded). */
static incmap_status add_styles(incmap_layers *l, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    static const struct {
        const char *name;
        OGRFieldType type;
        int width;
    } cols[] = {{"f_table_catalog", OFTString, 256}, {"f_table_schema", OFTString, 256},
                {"f_table_name", OFTString, 256},    {"f_geometry_column", OFTString, 256},
                {"styleName", OFTString, 30},        {"styleQML", OFTString, 0},
                {"styleSLD", OFTString, 0},          {"useAsDefault", OFTInteger, 0},
                {"description", OFTString, 0},       {"owner", OFTString, 30},
                {"ui", OFTString, 30},               {"update_time", OFTDateTime, 0}};
    gdal->CPLErrorReset();
    OGRLayerH lyr = gdal->GDALDatasetCreateLayer(l->ds, "layer_styles", NULL, wkbNone, NULL);
    if (!lyr)
        return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot create the layer_styles table: %s", l->path, gdal_reason(gdal));
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        OGRFieldDefnH fd = gdal->OGR_Fld_Create(cols[i].name, cols[i].type);
        gdal->OGR_Fld_SetWidth(fd, cols[i].width);
        if (cols[i].type == OFTInteger)
            gdal->OGR_Fld_SetSubType(fd, OFSTBoolean);
        if (cols[i].type == OFTDateTime)
            gdal->OGR_Fld_SetDefault(fd, "CURRENT_TIMESTAMP");
        OGRErr e = gdal->OGR_L_CreateField(lyr, fd, TRUE);
        gdal->OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot create layer_styles.%s: %s", l->path, cols[i].name,
                               gdal_reason(gdal));
    }
    OGRFeatureDefnH defn = gdal->OGR_L_GetLayerDefn(lyr);
    for (int k = 0; k < N_LAYERS; k++) {
        const char *qml = incmap_layer_style_qml(LAYERS[k].name);
        if (!qml)
            continue;
        const char *values[][2] = {{"f_table_catalog", ""},
                                   {"f_table_schema", ""},
                                   {"f_table_name", LAYERS[k].name},
                                   {"f_geometry_column", gdal->OGR_L_GetGeometryColumn(l->L[k].lyr)},
                                   {"styleName", LAYERS[k].name},
                                   {"styleQML", qml},
                                   {"styleSLD", ""},
                                   {"useAsDefault", "1"},
                                   {"description", "incmap's default style"},
                                   {"owner", ""}};
        OGRFeatureH f = gdal->OGR_F_Create(defn);
        for (size_t i = 0; i < sizeof values / sizeof *values; i++)
            gdal->OGR_F_SetFieldString(f, gdal->OGR_FD_GetFieldIndex(defn, values[i][0]), values[i][1]);
        gdal->CPLErrorReset();
        OGRErr e = gdal->OGR_L_CreateFeature(lyr, f);
        gdal->OGR_F_Destroy(f);
        if (e != OGRERR_NONE)
            return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot write the %s style: %s", l->path, LAYERS[k].name,
                               gdal_reason(gdal));
    }
    return INCMAP_OK;
}

/* A sidecar style (incidents.qml beside incidents.geojson), which QGIS applies on load. */
static incmap_status write_sidecar(incmap_layers *l, int k, incmap_error *err)
{
    const char *qml = incmap_layer_style_qml(LAYERS[k].name);
    if (!qml)
        return INCMAP_OK;
    const char *dot = strrchr(l->file[k], '.');
    size_t stem = dot && dot != l->file[k] ? (size_t)(dot - l->file[k]) : strlen(l->file[k]);
    const char *path = incmap_arena_printf(l->arena, "%s/%.*s.qml", l->tmp, (int)stem, l->file[k]);
    if (!path)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    FILE *f = fopen(path, "wb");
    size_t n = strlen(qml);
    int ok = f && fwrite(qml, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        return incmap_fail(err, INCMAP_ERR_IO, "%s/%.*s.qml: cannot write the style: %s", l->dir, (int)stem,
                           l->file[k], strerror(errno));
    return INCMAP_OK;
}

static incmap_status start_transactions(incmap_layers *l, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    /* Transactions where the format has them (GeoPackage: about six times faster); GeoJSON and
     * the other plain files have none and fail when asked. */
    if (l->gpkg) {
        if (gdal->GDALDatasetStartTransaction(l->ds, FALSE) != OGRERR_NONE)
            return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot start a transaction: %s", l->path, gdal_reason(gdal));
        l->in_txn = 1;
        return INCMAP_OK;
    }
    for (int k = 0; k < N_LAYERS; k++) {
        out_layer *L = &l->L[k];
        if (gdal->GDALDatasetTestCapability(L->ds, ODsCTransactions)) {
            if (gdal->GDALDatasetStartTransaction(L->ds, FALSE) != OGRERR_NONE)
                return incmap_fail(err, INCMAP_ERR_IO, "%s/%s: cannot start a transaction: %s", l->dir, l->file[k],
                                   gdal_reason(gdal));
            L->in_txn = 1;
        }
    }
    return INCMAP_OK;
}

/* Splits path into the directory and file name, and names the three files. */
static incmap_status name_files(incmap_layers *l, const char *path, incmap_error *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        return incmap_fail(err, INCMAP_ERR_USAGE, "%s names a directory: give a file name, such as %s%sincidents.gpkg",
                           path, path, slash && !slash[1] ? "" : "/");
    if (slash == path)
        l->dir = incmap_arena_strdup(l->arena, "/");
    else
        l->dir = slash ? incmap_arena_strndup(l->arena, path, (size_t)(slash - path))
                       : incmap_arena_strdup(l->arena, ".");
    l->file[L_INCIDENTS] = incmap_arena_strdup(l->arena, base);
    if (!l->dir || !l->file[0])
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    if (l->gpkg)
        return INCMAP_OK;
    const char *dot = strrchr(base, '.');
    const char *ext = dot && dot != base ? dot : "";
    for (int k = 1; k < N_LAYERS; k++) {
        const char *e = LAYERS[k].geometry == wkbNone && l->needs_geometry ? ".csv" : ext;
        if (!(l->file[k] = incmap_arena_printf(l->arena, "%s%s", LAYERS[k].name, e)))
            return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        if (!strcmp(l->file[k], base))
            return incmap_fail(err, INCMAP_ERR_USAGE,
                               "%s: the %s layer is written beside the incidents file under that very name: call "
                               "the incidents file something else (incidents%s)",
                               path, LAYERS[k].name, ext);
    }
    return INCMAP_OK;
}

static void close_all(incmap_layers *l, int rollback)
{
    const incmap_gdal *gdal = l->gdal;
    for (int k = 0; k < N_LAYERS; k++) {
        out_layer *L = &l->L[k];
        if (L->feat)
            gdal->OGR_F_Destroy(L->feat);
        L->feat = NULL;
        if (L->ds) {
            if (L->in_txn && rollback)
                gdal->GDALDatasetRollbackTransaction(L->ds);
            gdal->GDALClose(L->ds);
        }
        L->ds = NULL;
        L->in_txn = 0;
        L->lyr = NULL;
    }
    if (l->ds) {
        if (l->in_txn && rollback)
            gdal->GDALDatasetRollbackTransaction(l->ds);
        gdal->GDALClose(l->ds);
    }
    l->ds = NULL;
    l->in_txn = 0;
}

void incmap_layers_destroy(incmap_layers *l)
{
    if (!l)
        return;
    const incmap_gdal *gdal = l->gdal;
    gdal->CPLPushErrorHandler(gdal->CPLQuietErrorHandler);
    close_all(l, 1);
    gdal->CPLPopErrorHandler();
    if (l->tmp)
        remove_tree(l->tmp); /* after a commit it is already gone; before, this is the abort */
    if (l->mem)
        gdal->VSIRmdirRecursive(l->mem);
    if (l->tmp_fd >= 0)
        close(l->tmp_fd); /* after the removal: no cleaner takes it half-removed */
    for (int k = 0; k < N_LAYERS; k++)
        free(l->L[k].ids.slot);
    if (l->point)
        gdal->OGR_G_DestroyGeometry(l->point);
    if (l->srs)
        gdal->OSRDestroySpatialReference(l->srs);
    incmap_arena_destroy(l->arena);
    free(l);
}

static incmap_layers *layers_open(const incmap_gdal *gdal, const char *path, const incmap_layers_options *options, incmap_error *err)
{
    if (!path || !*path) {
        incmap_fail(err, INCMAP_ERR_USAGE, "no output path given: name a file such as output/incidents.gpkg");
        return NULL;
    }
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    const char *ext = dot && dot != (slash ? slash + 1 : path) ? dot + 1 : "";
    GDALDriverH drv = choose_driver(gdal, path, options ? options->driver : NULL, ext, err);
    if (!drv)
        return NULL;
    incmap_layers *l = calloc(1, sizeof *l);
    if (l)
        l->gdal = gdal;
    if (!l || !(l->arena = incmap_arena_new()) || !(l->path = incmap_arena_strdup(l->arena, path))) {
        incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        if (l)
            incmap_arena_destroy(l->arena);
        free(l);
        return NULL;
    }
    l->tmp_fd = -1;
    snprintf(l->driver, sizeof l->driver, "%s", gdal->GDALGetDriverShortName(drv));
    l->gpkg = !strcmp(l->driver, "GPKG");
    l->geojson = !strcmp(l->driver, "GeoJSON") || !strcmp(l->driver, "GeoJSONSeq");
    l->needs_geometry = !strcmp(l->driver, "FlatGeobuf");
    if (options) {
        l->warn = options->warn;
        l->warn_user = options->warn_user;
    }
    if (name_files(l, path, err) != INCMAP_OK)
        goto fail;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        incmap_fail(err, INCMAP_ERR_USAGE, "%s is a directory: give a file name, such as %s/incidents.gpkg", path,
                    path);
        goto fail;
    }
    remove_stale(l);
    /* Locked as soon as made; a cleaner that got to it first (it saw it unlocked) removes it,
     * and then another is made. */
    for (int attempt = 0; attempt < 8 && l->tmp_fd < 0; attempt++) {
        char *tmpl = incmap_arena_printf(l->arena, "%s/.%s" TMP_TAG "XXXXXX", l->dir, l->file[0]);
        if (!tmpl) {
            incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
            goto fail;
        }
        if (!mkdtemp(tmpl)) {
            incmap_fail(err, INCMAP_ERR_IO, "%s: cannot write in %s (%s): %s", path, l->dir, strerror(errno),
                        errno == ENOSPC ? "free some space or choose another directory"
                                        : "create the directory or choose another path");
            goto fail;
        }
        if ((l->tmp_fd = lock_dir(tmpl)) >= 0)
            l->tmp = tmpl;
    }
    if (!l->tmp) {
        incmap_fail(err, INCMAP_ERR_IO, "%s: cannot lock a temporary directory in %s: %s", path, l->dir,
                    strerror(errno));
        goto fail;
    }
    /* A directory in memory, made as such: the CSV driver writes a file only into a directory. */
    if (!l->gpkg &&
        (!(l->mem = incmap_arena_printf(l->arena, "/vsimem/incmap-%p%s", (void *)l, strrchr(l->tmp, '/'))) ||
         gdal->VSIMkdir(l->mem, 0755) != 0)) {
        incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!(l->srs = gdal->OSRNewSpatialReference(NULL)) || gdal->OSRImportFromEPSG(l->srs, 4326) != OGRERR_NONE ||
        !(l->point = gdal->OGR_G_CreateGeometry(wkbPoint))) {
        incmap_fail(err, INCMAP_ERR_IO, "cannot set up EPSG:4326 (is PROJ's proj.db installed?): %s", gdal_reason(gdal));
        goto fail;
    }
    /* longitude, latitude whatever EPSG says about axis order: what GIS files and RFC 7946 store */
    gdal->OSRSetAxisMappingStrategy(l->srs, OAMS_TRADITIONAL_GIS_ORDER);
    if (l->gpkg) {
        const char *file = join(l->arena, l->tmp, l->file[0]);
        gdal->CPLErrorReset();
        if (!file || !(l->ds = gdal->GDALCreate(drv, file, 0, 0, 0, GDT_Unknown, NULL))) {
            incmap_fail(err, INCMAP_ERR_IO, "%s: cannot create the GeoPackage: %s", path, gdal_reason(gdal));
            goto fail;
        }
        if (add_domains(l, err) != INCMAP_OK)
            goto fail;
    }
    for (int k = 0; k < N_LAYERS; k++)
        if (create_layer(l, drv, k, err) != INCMAP_OK || (!l->gpkg && write_sidecar(l, k, err) != INCMAP_OK))
            goto fail;
    if ((l->gpkg && add_styles(l, err) != INCMAP_OK) || start_transactions(l, err) != INCMAP_OK)
        goto fail;
    return l;
fail:
    explain_full(l, err ? err->code : INCMAP_OK, err);
    incmap_layers_destroy(l);
    return NULL;
}

incmap_layers *incmap_layers_open(const char *path, const incmap_layers_options *options, incmap_error *err)
{
    const incmap_gdal *gdal = incmap_gdal_load(err);
    if (!gdal)
        return NULL;
    gdal->CPLPushErrorHandler(gdal->CPLQuietErrorHandler);
    incmap_layers *l = layers_open(gdal, path, options, err);
    gdal->CPLPopErrorHandler();
    return l;
}

/* ---------------------------------------------------------------- rows */

static void set_str(const incmap_gdal *gdal, OGRFeatureH f, int i, const char *s)
{
    if (s && *s)
        gdal->OGR_F_SetFieldString(f, i, s);
    else
        gdal->OGR_F_SetFieldNull(f, i);
}

/* An integer where 0 means "unknown". */
static void set_int_or_null(const incmap_gdal *gdal, OGRFeatureH f, int i, int64_t v)
{
    if (v)
        gdal->OGR_F_SetFieldInteger64(f, i, v);
    else
        gdal->OGR_F_SetFieldNull(f, i);
}

static incmap_status check_date(const incmap_layers *l, const char *what, const char *id, const char *d,
                                incmap_error *err)
{
    if (d && *d && !incmap_valid_date(d))
        return incmap_fail(err, INCMAP_ERR_FORMAT, "%s: %s of %s is '%s', not a calendar date YYYY-MM-DD", l->path,
                           what, id, d);
    return INCMAP_OK;
}

static void set_date(const incmap_gdal *gdal, OGRFeatureH f, int i, const char *d)
{
    if (d && *d)
        gdal->OGR_F_SetFieldDateTimeEx(f, i, atoi(d), atoi(d + 5), atoi(d + 8), 0, 0, 0, 0);
    else
        gdal->OGR_F_SetFieldNull(f, i);
}

static incmap_status check_coords(const incmap_layers *l, const char *id, double lat, double lon, incmap_error *err)
{
    if (!isfinite(lat) || !isfinite(lon) || fabs(lat) > 90 || fabs(lon) > 180)
        return incmap_fail(err, INCMAP_ERR_FORMAT, "%s: %s has latitude %g, longitude %g: not WGS 84 degrees", l->path,
                           id, lat, lon);
    return INCMAP_OK;
}

static double round6(double v)
{
    return round(v * 1e6) / 1e6;
}

/* Sets the point (or no geometry) and the latitude/longitude fields, rounded to 6 decimals
 * (about 10 cm) like the GeoJSON coordinates, so every format carries the same numbers. */
static void set_point(incmap_layers *l, OGRFeatureH f, int has, double lat, double lon, int i_lat, int i_lon)
{
    const incmap_gdal *gdal = l->gdal;
    if (!has) {
        gdal->OGR_F_SetGeometry(f, NULL);
        gdal->OGR_F_SetFieldNull(f, i_lat);
        gdal->OGR_F_SetFieldNull(f, i_lon);
        return;
    }
    lat = round6(lat);
    lon = round6(lon);
    gdal->OGR_G_SetPoint_2D(l->point, 0, lon, lat);
    gdal->OGR_F_SetGeometry(f, l->point);
    gdal->OGR_F_SetFieldDouble(f, i_lat, lat);
    gdal->OGR_F_SetFieldDouble(f, i_lon, lon);
}

static incmap_status check_writable(const incmap_layers *l, incmap_error *err)
{
    if (l->committed)
        return incmap_fail(err, INCMAP_ERR_USAGE, "%s: already committed: open the layers again to write more",
                           l->path);
    if (l->broken)
        return incmap_fail(err, INCMAP_ERR_IO, "%s: an earlier write failed, so the output is incomplete: fix the "
                                               "cause and write it again", l->path);
    return INCMAP_OK;
}

/* Registers a row's id; a repeated one is refused. */
static incmap_status claim_id(incmap_layers *l, int k, const char *field, const char *id, incmap_error *err)
{
    if (!id || !*id)
        return incmap_fail(err, INCMAP_ERR_USAGE, "%s: a row of %s without %s: every row needs its id", l->path,
                           LAYERS[k].name, field);
    int r = id_set_add(&l->L[k].ids, l->arena, id);
    if (r < 0)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    if (r == 0)
        return incmap_fail(err, INCMAP_ERR_USAGE, "%s: %s %s was already written to %s: ids must be unique", l->path,
                           field, id, LAYERS[k].name);
    return INCMAP_OK;
}

static incmap_status write_feature(incmap_layers *l, int k, const char *id, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    out_layer *L = &l->L[k];
    gdal->OGR_F_SetFID(L->feat, OGRNullFID);
    gdal->CPLErrorReset();
    if (gdal->OGR_L_CreateFeature(L->lyr, L->feat) != OGRERR_NONE) {
        l->broken = 1;
        return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot write %s to %s (disk full?): %s", l->path, id,
                           LAYERS[k].name, gdal_reason(gdal));
    }
    L->n++;
    return INCMAP_OK;
}

static incmap_status add_incident(incmap_layers *l, const incmap_incident_row *r, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    incmap_status rc;
    const char *id = r->event_id_cnty;
    if ((rc = check_writable(l, err)) || (rc = check_date(l, "event_date", id ? id : "?", r->event_date, err)) ||
        (r->has_coords && (rc = check_coords(l, id ? id : "?", r->latitude, r->longitude, err))) ||
        (rc = claim_id(l, L_INCIDENTS, "event_id_cnty", id, err)))
        return rc;
    if (!r->has_coords && l->needs_geometry) {
        l->skipped++;
        return INCMAP_OK;
    }
    out_layer *L = &l->L[L_INCIDENTS];
    OGRFeatureH f = L->feat;
    if (L->id_field >= 0)
        gdal->OGR_F_SetFieldString(f, L->id_field, id);
    gdal->OGR_F_SetFieldString(f, L->fi[I_EVENT_ID], id);
    set_date(gdal, f, L->fi[I_EVENT_DATE], r->event_date);
    set_int_or_null(gdal, f, L->fi[I_YEAR], r->year);
    set_int_or_null(gdal, f, L->fi[I_TIME_PRECISION], r->time_precision);
    set_str(gdal, f, L->fi[I_EVENT_TYPE], r->event_type);
    set_str(gdal, f, L->fi[I_SUB_EVENT_TYPE], r->sub_event_type);
    set_str(gdal, f, L->fi[I_ACTOR1], r->actor1);
    set_str(gdal, f, L->fi[I_ACTOR2], r->actor2);
    set_str(gdal, f, L->fi[I_COUNTRY], r->country);
    set_int_or_null(gdal, f, L->fi[I_ISO], r->iso);
    set_str(gdal, f, L->fi[I_ADMIN1], r->admin1);
    set_str(gdal, f, L->fi[I_ADMIN2], r->admin2);
    set_str(gdal, f, L->fi[I_LOCATION], r->location);
    set_point(l, f, r->has_coords, r->latitude, r->longitude, L->fi[I_LATITUDE], L->fi[I_LONGITUDE]);
    set_int_or_null(gdal, f, L->fi[I_GEO_PRECISION], r->geo_precision);
    set_str(gdal, f, L->fi[I_SOURCE], r->source);
    set_str(gdal, f, L->fi[I_NOTES], r->notes);
    gdal->OGR_F_SetFieldInteger(f, L->fi[I_FATALITIES], r->fatalities);
    gdal->OGR_F_SetFieldDouble(f, L->fi[I_CONFIDENCE], round(r->confidence * 100) / 100);
    gdal->OGR_F_SetFieldInteger(f, L->fi[I_BACKGROUND], r->background != 0);
    set_str(gdal, f, L->fi[I_EVIDENCE], r->evidence);
    set_str(gdal, f, L->fi[I_ARTICLE_ID], r->article_id);
    set_int_or_null(gdal, f, L->fi[I_GEONAMEID], r->geonameid);
    return write_feature(l, L_INCIDENTS, id, err);
}

static incmap_status add_mention(incmap_layers *l, const incmap_mention_row *r, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    incmap_status rc;
    char id[128];
    snprintf(id, sizeof id, "%s-%lld", r->article_id ? r->article_id : "", (long long)r->start);
    if ((rc = check_writable(l, err)))
        return rc;
    if (!r->article_id || !*r->article_id)
        return incmap_fail(err, INCMAP_ERR_USAGE, "%s: a mention without article_id: every mention needs one", l->path);
    if ((rc = check_coords(l, id, r->latitude, r->longitude, err)) ||
        (rc = claim_id(l, L_MENTIONS, "mention_id", id, err)))
        return rc;
    out_layer *L = &l->L[L_MENTIONS];
    OGRFeatureH f = L->feat;
    if (L->id_field >= 0)
        gdal->OGR_F_SetFieldString(f, L->id_field, id);
    gdal->OGR_F_SetFieldString(f, L->fi[M_MENTION_ID], id);
    set_str(gdal, f, L->fi[M_ARTICLE_ID], r->article_id);
    set_str(gdal, f, L->fi[M_TEXT], r->text);
    set_str(gdal, f, L->fi[M_NAME], r->name);
    set_str(gdal, f, L->fi[M_FEATURE_CODE], r->feature_code);
    set_str(gdal, f, L->fi[M_COUNTRY], r->country);
    set_str(gdal, f, L->fi[M_ADMIN1], r->admin1);
    set_str(gdal, f, L->fi[M_SECTION], r->section);
    gdal->OGR_F_SetFieldInteger64(f, L->fi[M_START], r->start);
    gdal->OGR_F_SetFieldInteger64(f, L->fi[M_END], r->end);
    set_int_or_null(gdal, f, L->fi[M_GEONAMEID], r->geonameid);
    set_point(l, f, 1, r->latitude, r->longitude, L->fi[M_LATITUDE], L->fi[M_LONGITUDE]);
    set_int_or_null(gdal, f, L->fi[M_GEO_PRECISION], r->geo_precision);
    gdal->OGR_F_SetFieldDouble(f, L->fi[M_SCORE], round(r->score * 100) / 100);
    set_str(gdal, f, L->fi[M_WHY], r->why);
    return write_feature(l, L_MENTIONS, id, err);
}

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) into its parts; 0 when it is not that. */
static int parse_utc(const char *s, int v[6])
{
    char z = 0, t = 0;
    int n = 0;
    if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%c%n", &v[0], &v[1], &v[2], &t, &v[3], &v[4], &v[5], &z,
                                  &n) != 8 || n != 20 || t != 'T' || z != 'Z')
        return 0;
    char date[11];
    snprintf(date, sizeof date, "%.10s", s);
    return incmap_valid_date(date) && v[3] < 24 && v[4] < 60 && v[5] < 61;
}

static incmap_status add_article(incmap_layers *l, const incmap_article_row *r, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    incmap_status rc;
    const char *id = r->article_id;
    int t[6] = {0};
    if ((rc = check_writable(l, err)) || (rc = check_date(l, "published", id ? id : "?", r->published, err)))
        return rc;
    if (r->processed_at && *r->processed_at && !parse_utc(r->processed_at, t))
        return incmap_fail(err, INCMAP_ERR_FORMAT, "%s: processed_at of %s is '%s', not UTC YYYY-MM-DDTHH:MM:SSZ",
                           l->path, id ? id : "?", r->processed_at);
    if ((rc = claim_id(l, L_ARTICLES, "article_id", id, err)))
        return rc;
    out_layer *L = &l->L[L_ARTICLES];
    OGRFeatureH f = L->feat;
    if (L->id_field >= 0)
        gdal->OGR_F_SetFieldString(f, L->id_field, id);
    gdal->OGR_F_SetFieldString(f, L->fi[A_ARTICLE_ID], id);
    set_str(gdal, f, L->fi[A_SOURCE], r->source);
    set_str(gdal, f, L->fi[A_TITLE], r->title);
    set_date(gdal, f, L->fi[A_PUBLISHED], r->published);
    set_str(gdal, f, L->fi[A_LANGUAGE], r->language);
    set_str(gdal, f, L->fi[A_SHA256], r->sha256);
    if (r->processed_at && *r->processed_at)
        gdal->OGR_F_SetFieldDateTimeEx(f, L->fi[A_PROCESSED_AT], t[0], t[1], t[2], t[3], t[4], (float)t[5], 100);
    else
        gdal->OGR_F_SetFieldNull(f, L->fi[A_PROCESSED_AT]);
    return write_feature(l, L_ARTICLES, id, err);
}

incmap_status incmap_layers_add_incident(incmap_layers *l, const incmap_incident_row *row, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    gdal->CPLPushErrorHandler(gdal->CPLQuietErrorHandler);
    incmap_status rc = add_incident(l, row, err);
    explain_full(l, rc, err);
    gdal->CPLPopErrorHandler();
    return rc;
}

incmap_status incmap_layers_add_mention(incmap_layers *l, const incmap_mention_row *row, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    gdal->CPLPushErrorHandler(gdal->CPLQuietErrorHandler);
    incmap_status rc = add_mention(l, row, err);
    explain_full(l, rc, err);
    gdal->CPLPopErrorHandler();
    return rc;
}

incmap_status incmap_layers_add_article(incmap_layers *l, const incmap_article_row *row, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    gdal->CPLPushErrorHandler(gdal->CPLQuietErrorHandler);
    incmap_status rc = add_article(l, row, err);
    explain_full(l, rc, err);
    gdal->CPLPopErrorHandler();
    return rc;
}

incmap_status incmap_layers_add_doc(incmap_layers *l, incmap_ctx *ctx, const incmap_doc *doc, const char *bytes,
                                    size_t len, const char *processed_at, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    incmap_status rc = check_writable(l, err);
    if (rc)
        return rc;
    char id[17];
    incmap_article_id(bytes, len, id, NULL);
    if (id_set_has(&l->L[L_ARTICLES].ids, id))
        return INCMAP_OK; /* the same bytes under another name: the article is in the layers already */
    incmap_doc_rows *rows = incmap_doc_rows_new(ctx, doc, bytes, len, processed_at, err);
    if (!rows)
        return err ? err->code : INCMAP_ERR_NOMEM;
    gdal->CPLPushErrorHandler(gdal->CPLQuietErrorHandler);
    rc = add_article(l, &rows->article, err);
    for (size_t i = 0; !rc && i < rows->n_incidents; i++)
        rc = add_incident(l, &rows->incidents[i], err);
    for (size_t i = 0; !rc && i < rows->n_mentions; i++)
        rc = add_mention(l, &rows->mentions[i], err);
    explain_full(l, rc, err);
    gdal->CPLPopErrorHandler();
    incmap_doc_rows_destroy(rows);
    return rc;
}

void incmap_layers_counts(const incmap_layers *l, size_t *articles, size_t *incidents, size_t *mentions)
{
    if (articles)
        *articles = l->L[L_ARTICLES].n;
    if (incidents)
        *incidents = l->L[L_INCIDENTS].n;
    if (mentions)
        *mentions = l->L[L_MENTIONS].n;
}

const char *incmap_layers_driver(const incmap_layers *l)
{
    return l->driver;
}

/* ---------------------------------------------------------------- commit */

/* fsync, so that after a crash the renamed file has its contents, not zero bytes. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* Writes n bytes to a new file at path; -1 with errno on any failure (the file is then left for
 * the temporary directory's removal). */
static int write_file(const char *path, const void *buf, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return -1;
    const char *p = buf;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = k < 0 ? errno : EIO;
            close(fd);
            errno = e;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return close(fd);
}

/* Copies the files GDAL wrote under the memory directory from into the directory to (made
 * already), directories too (FlatGeobuf given a name without .fgb makes one). */
static incmap_status copy_tree(incmap_layers *l, const char *from, const char *to, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    char **names = gdal->VSIReadDir(from);
    incmap_status rc = INCMAP_OK;
    for (int i = 0; names && names[i] && rc == INCMAP_OK; i++) {
        if (!strcmp(names[i], ".") || !strcmp(names[i], ".."))
            continue;
        const char *src = join(l->arena, from, names[i]), *dst = join(l->arena, to, names[i]);
        if (!src || !dst) {
            rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
            break;
        }
        char **sub = gdal->VSIReadDir(src); /* NULL for a file (and for an empty directory: none is made) */
        if (sub) {
            gdal->CSLDestroy(sub);
            if (mkdir(dst, 0777) != 0)
                rc = incmap_fail(err, INCMAP_ERR_IO, "%s: cannot make %s: %s", l->path, dst, strerror(errno));
            else
                rc = copy_tree(l, src, dst, err);
            continue;
        }
        vsi_l_offset n = 0;
        GByte *buf = gdal->VSIGetMemFileBuffer(src, &n, TRUE);
        if (write_file(dst, buf ? (const void *)buf : "", buf ? (size_t)n : 0) != 0)
            rc = incmap_fail(err, INCMAP_ERR_IO, "%s: cannot write %s: %s", l->path, dst, strerror(errno));
        gdal->VSIFree(buf);
    }
    gdal->CSLDestroy(names);
    return rc;
}

/* GDAL 3.6's GeoJSON, CSV and KML writers ignore a write that fails: a full disk left empty or
 * cut files behind a success. So those formats are written in memory (/vsimem/) and copied
 * into the temporary directory by writes whose every failure is seen. (A GeoPackage is SQLite,
 * which reports every failure: it is written in place.) The memory is the size of the output,
 * handed over file by file. */
static incmap_status copy_out(incmap_layers *l, incmap_error *err)
{
    return copy_tree(l, l->mem, l->tmp, err);
}

static incmap_status move_into_place(incmap_layers *l, incmap_error *err)
{
    DIR *d = opendir(l->tmp);
    if (!d)
        return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot read %s: %s", l->path, l->tmp, strerror(errno));
    incmap_status rc = INCMAP_OK;
    int moved = 0;
    struct dirent *e;
    while (rc == INCMAP_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        const char *from = join(l->arena, l->tmp, e->d_name), *to = join(l->arena, l->dir, e->d_name);
        if (!from || !to) {
            rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
            break;
        }
        struct stat st;
        if (lstat(from, &st) == 0 && S_ISREG(st.st_mode) && sync_path(from) != 0)
            rc = incmap_fail(err, INCMAP_ERR_IO, "%s: cannot write %s to disk: %s", l->path, e->d_name,
                             strerror(errno));
        else if (rename(from, to) != 0)
            rc = incmap_fail(err, INCMAP_ERR_IO, "%s: cannot rename %s over %s: %s%s", l->path, from, to,
                             strerror(errno), moved ? " (some files of the output were already replaced)" : "");
        else
            moved++;
    }
    closedir(d);
    if (rc == INCMAP_OK) {
        rmdir(l->tmp);
        l->tmp = NULL;
        sync_path(l->dir); /* the renames themselves */
    }
    return rc;
}

static incmap_status layers_commit(incmap_layers *l, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    incmap_status rc = check_writable(l, err);
    if (rc)
        return rc;
    gdal->CPLErrorReset();
    if (l->in_txn && gdal->GDALDatasetCommitTransaction(l->ds) != OGRERR_NONE)
        return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot commit the GeoPackage (disk full?): %s", l->path,
                           gdal_reason(gdal));
    l->in_txn = 0;
    for (int k = 0; k < N_LAYERS; k++) {
        out_layer *L = &l->L[k];
        if (L->in_txn && gdal->GDALDatasetCommitTransaction(L->ds) != OGRERR_NONE)
            return incmap_fail(err, INCMAP_ERR_IO, "%s/%s: cannot commit (disk full?): %s", l->dir, l->file[k],
                               gdal_reason(gdal));
        L->in_txn = 0;
    }
    /* GDAL 3.6's GDALClose reports nothing: a failure while flushing (the GeoPackage's R-tree,
     * GeoJSON's last buffer) shows only in the error state. */
    gdal->CPLErrorReset();
    close_all(l, 0);
    if (gdal->CPLGetLastErrorType() >= CE_Failure) {
        l->broken = 1;
        return incmap_fail(err, INCMAP_ERR_IO, "%s: closing the output failed (disk full?): %s", l->path,
                           gdal_reason(gdal));
    }
    if ((l->mem && (rc = copy_out(l, err)) != INCMAP_OK) || (rc = move_into_place(l, err)) != INCMAP_OK)
        return rc;
    l->committed = 1;
    if (l->skipped) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "%s: %zu incident(s) without coordinates left out: %s cannot store features without geometry "
                 "(use GPKG, GeoJSON or CSV to keep them)",
                 l->path, l->skipped, l->driver);
        if (l->warn)
            l->warn(l->warn_user, msg);
        else
            fprintf(stderr, "incmap: %s\n", msg);
    }
    return INCMAP_OK;
}

incmap_status incmap_layers_commit(incmap_layers *l, incmap_error *err)
{
    const incmap_gdal *gdal = l->gdal;
    gdal->CPLPushErrorHandler(gdal->CPLQuietErrorHandler);
    incmap_status rc = layers_commit(l, err);
    explain_full(l, rc, err);
    gdal->CPLPopErrorHandler();
    if (rc != INCMAP_OK && rc != INCMAP_ERR_USAGE)
        l->broken = 1;
    return rc;
}
