/* store_export.c: the layers (incidents, mentions, articles) from the store's tables, through the
 * layers API (writer.c), which writes temporary files and renames them over the old ones. Rows go
 * out in an order that depends on their content only (incidents by event_id_cnty, articles by id,
 * mentions by article and position), so the same store gives byte-identical files whatever order
 * its rows were made in. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

/* Format names users type, and the extension the layers API picks the driver from. */
static const struct {
    const char *name, *ext;
    int single_layer;         /* one layer per file: mentions and articles go beside the incidents */
    const char *articles_ext; /* the articles table's, where the writer needs another format for a
                                 table without geometry (FlatGeobuf: CSV) */
} FORMATS[] = {
    {"gpkg", "gpkg", 0, "gpkg"}, {"geojson", "geojson", 1, "geojson"}, {"fgb", "fgb", 1, "csv"},
    {"flatgeobuf", "fgb", 1, "csv"}, {"csv", "csv", 1, "csv"}, {"kml", "kml", 1, "kml"},
};

static int format_index(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof FORMATS / sizeof *FORMATS; i++)
        if (strlen(FORMATS[i].name) == len && !strncasecmp(FORMATS[i].name, name, len))
            return (int)i;
    return -1;
}

char *incmap_store_output_path(const char *dir, const char *format)
{
    int f = format_index(format, strlen(format));
    if (f < 0)
        return NULL;
    size_t n = strlen(dir) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%sincidents.%s", dir, *dir && dir[strlen(dir) - 1] == '/' ? "" : "/", FORMATS[f].ext);
    return p;
}

/* Calls fn on each format of a comma-separated list (spaces allowed), once per distinct file. */
static incmap_status each_format(const char *formats, incmap_status (*fn)(void *user, int f), void *user,
                                 incmap_error *err)
{
    int done[sizeof FORMATS / sizeof *FORMATS] = {0};
    const char *p = formats;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *q = p;
        while (*q && *q != ',' && !isspace((unsigned char)*q))
            q++;
        if (q == p)
            break;
        int f = format_index(p, (size_t)(q - p));
        if (f < 0)
            return incmap_fail(err, INCMAP_ERR_USAGE, "unknown format '%.*s' (gpkg, geojson, fgb, csv or kml)",
                               (int)(q - p), p);
        /* fgb and flatgeobuf name the same file. */
        int dup = 0;
        for (size_t i = 0; i < sizeof FORMATS / sizeof *FORMATS; i++)
            if (done[i] && !strcmp(FORMATS[i].ext, FORMATS[f].ext))
                dup = 1;
        done[f] = 1;
        if (!dup && fn) {
            incmap_status rc = fn(user, f);
            if (rc != INCMAP_OK)
                return rc;
        }
        p = q;
    }
    return INCMAP_OK;
}

incmap_status incmap_check_formats(const char *formats, incmap_error *err)
{
    if (!formats || !*formats)
        return incmap_fail(err, INCMAP_ERR_USAGE, "no output format (gpkg, geojson, fgb, csv or kml)");
    return each_format(formats, NULL, NULL, err);
}

/* ------------------------------------------------------------------ writing */

typedef struct {
    incmap_store *s;
    const char *dir;
    const char *dir_real; /* its absolute path: the key of `outputs`, whatever the working directory */
    const incmap_export_options *filter; /* NULL: everything */
    int record;                          /* note the generation written in `outputs` */
    int only_stale;                      /* skip a format whose files are current */
    int64_t generation;
    void (*on_written)(void *user, const char *path);
    void *user;
    incmap_export_stats *stats;
    incmap_error *err;
} export_job;

static int is_filtered(const incmap_export_options *f)
{
    return f && ((f->since && *f->since) || f->has_bbox || (f->countries && *f->countries));
}

/* Country codes of a filter, upper-cased, as an SQL list of literals ('ML','BFA'); NULL on a
 * malformed code. Codes are letters only, so quoting is safe. */
static char *country_list(const char *countries, incmap_error *err)
{
    incmap_buf b = {0};
    const char *p = countries;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *q = p;
        while (*q && *q != ',' && !isspace((unsigned char)*q))
            q++;
        if (q == p)
            break;
        size_t n = (size_t)(q - p);
        int ok = n == 2 || n == 3;
        for (size_t i = 0; i < n && ok; i++)
            ok = isalpha((unsigned char)p[i]) != 0;
        if (!ok) {
            incmap_buf_free(&b);
            incmap_fail(err, INCMAP_ERR_USAGE, "'%.*s' is not a country code (ISO 3166-1 alpha-2 or alpha-3: ML, MLI)",
                        (int)n, p);
            return NULL;
        }
        incmap_buf_puts(&b, b.len ? ",'" : "'");
        for (size_t i = 0; i < n; i++)
            incmap_buf_putc(&b, (char)toupper((unsigned char)p[i]));
        incmap_buf_putc(&b, '\'');
        p = q;
    }
    if (!b.len || b.oom) {
        incmap_buf_free(&b);
        incmap_fail(err, INCMAP_ERR_USAGE, "no country code in '%s'", countries);
        return NULL;
    }
    return b.s;
}

/* Fills the temporary table sel(incident_id) with the incidents that pass the filter. */
static incmap_status select_incidents(incmap_store *s, const incmap_export_options *f, incmap_error *err)
{
    const char *tmp = s->drv->temp_schema;
    char setup[256];
    snprintf(setup, sizeof setup,
             "CREATE TEMP TABLE IF NOT EXISTS sel(incident_id BIGINT PRIMARY KEY); DELETE FROM %ssel;", tmp);
    incmap_status rc = incmap_store_exec(s, setup, err);
    if (rc != INCMAP_OK)
        return rc;
    incmap_buf sql = {0};
    incmap_buf_printf(&sql, "INSERT INTO %ssel SELECT incident_id FROM incidents WHERE 1 = 1", tmp);
    if (f->since && *f->since)
        incmap_buf_puts(&sql, " AND event_date >= ?1");
    if (f->has_bbox) {
        /* Through the spatial index; a box across the antimeridian (west > east) is two. */
        incmap_buf_puts(&sql, " AND (");
        if (f->west <= f->east) {
            incmap_buf_printf(&sql, s->drv->bbox_sql, "?2", "?4");
        } else {
            incmap_buf_printf(&sql, s->drv->bbox_sql, "?2", "180");
            incmap_buf_puts(&sql, " OR");
            incmap_buf_printf(&sql, s->drv->bbox_sql, "-180", "?4");
        }
        incmap_buf_puts(&sql, ")");
    }
    if (f->countries && *f->countries) {
        char *list = country_list(f->countries, err);
        if (!list) {
            incmap_buf_free(&sql);
            return INCMAP_ERR_USAGE;
        }
        incmap_buf_printf(&sql, " AND (country_code IN (%s) OR iso3 IN (%s))", list, list);
        free(list);
    }
    if (sql.oom) {
        incmap_buf_free(&sql);
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    }
    store_stmt *st = incmap_store_prepare(s, sql.s, err);
    incmap_buf_free(&sql);
    if (!st)
        return INCMAP_ERR_DB;
    if (f->since && *f->since)
        store_bind_text(st, 1, f->since);
    if (f->has_bbox) {
        store_bind_double(st, 2, f->west);
        store_bind_double(st, 3, f->south);
        store_bind_double(st, 4, f->east);
        store_bind_double(st, 5, f->north);
    }
    int r = store_step(st);
    store_finalize(st);
    return r == STORE_DONE ? INCMAP_OK : incmap_store_fail(s, err, "selecting incidents");
}

/* Rounded as the layers API rounds geocode's rows: 6 decimals for degrees (about 0.1 m), 2 for
 * scores. */
static double rounded(store_stmt *st, int i, double scale)
{
    return round(store_double(st, i) * scale) / scale;
}

static const char *opt_text(store_stmt *st, int i)
{
    return store_opt(st, i); /* NULL stays NULL: "no value" for the writer */
}

static incmap_status write_incidents(export_job *j, incmap_layers *l, int filtered)
{
    incmap_store *s = j->s;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT event_id_cnty, event_date, year, time_precision, event_type, sub_event_type, actor1, actor2,"
             " country, iso, admin1, admin2, location, has_coords, lat, lon, geo_precision, fatalities, source, notes,"
             " confidence, background, evidence, article_id, geonameid FROM incidents %s ORDER BY event_id_cnty",
             filtered ? "WHERE incident_id IN (SELECT incident_id FROM sel)" : "");
    store_stmt *st = incmap_store_prepare(s, sql, j->err);
    if (!st)
        return INCMAP_ERR_DB;
    int rc;
    incmap_status out = INCMAP_OK;
    while ((rc = store_step(st)) == STORE_ROW) {
        incmap_incident_row row = {0};
        row.event_id_cnty = opt_text(st, 0);
        row.event_date = opt_text(st, 1);
        row.year = store_int(st, 2);
        row.time_precision = store_int(st, 3);
        row.event_type = opt_text(st, 4);
        row.sub_event_type = opt_text(st, 5);
        row.actor1 = opt_text(st, 6);
        row.actor2 = opt_text(st, 7);
        row.country = opt_text(st, 8);
        row.iso = store_int(st, 9);
        row.admin1 = opt_text(st, 10);
        row.admin2 = opt_text(st, 11);
        row.location = opt_text(st, 12);
        row.has_coords = store_int(st, 13);
        row.latitude = rounded(st, 14, 1e6);
        row.longitude = rounded(st, 15, 1e6);
        row.geo_precision = store_int(st, 16);
        row.fatalities = store_int(st, 17);
        row.source = opt_text(st, 18);
        row.notes = opt_text(st, 19);
        row.confidence = rounded(st, 20, 100);
        row.background = store_int(st, 21);
        row.evidence = opt_text(st, 22);
        row.article_id = opt_text(st, 23);
        row.geonameid = store_int64(st, 24);
        if ((out = incmap_layers_add_incident(l, &row, j->err)) != INCMAP_OK)
            break;
        j->stats->incidents++;
    }
    if (out == INCMAP_OK && rc == STORE_ERROR)
        out = incmap_store_fail(s, j->err, "reading incidents");
    store_finalize(st);
    return out;
}

static incmap_status write_articles(export_job *j, incmap_layers *l, int filtered)
{
    incmap_store *s = j->s;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT article_id, source, title, published, language, sha256, processed_at FROM articles %s"
             " ORDER BY article_id",
             filtered ? "WHERE article_id IN (SELECT article_id FROM reports WHERE incident_id IN"
                        " (SELECT incident_id FROM sel))"
                      : "");
    store_stmt *st = incmap_store_prepare(s, sql, j->err);
    if (!st)
        return INCMAP_ERR_DB;
    int rc;
    incmap_status out = INCMAP_OK;
    while ((rc = store_step(st)) == STORE_ROW) {
        incmap_article_row row = {0};
        row.article_id = opt_text(st, 0);
        row.source = opt_text(st, 1);
        row.title = opt_text(st, 2);
        row.published = opt_text(st, 3);
        row.language = opt_text(st, 4);
        row.sha256 = opt_text(st, 5);
        row.processed_at = opt_text(st, 6);
        if ((out = incmap_layers_add_article(l, &row, j->err)) != INCMAP_OK)
            break;
        j->stats->articles++;
    }
    if (out == INCMAP_OK && rc == STORE_ERROR)
        out = incmap_store_fail(s, j->err, "reading articles");
    store_finalize(st);
    return out;
}

static incmap_status write_mentions(export_job *j, incmap_layers *l, int filtered)
{
    incmap_store *s = j->s;
    const incmap_export_options *f = j->filter;
    incmap_buf sql = {0};
    incmap_buf_puts(&sql, "SELECT article_id, text, name, feature_code, country, admin1, why, section, start, \"end\","
                          " geonameid, lat, lon, score, geo_precision FROM mentions WHERE resolved = 1"
                          " AND lat IS NOT NULL");
    if (filtered) {
        incmap_buf_puts(&sql, " AND article_id IN (SELECT article_id FROM reports WHERE incident_id IN"
                              " (SELECT incident_id FROM sel))");
        if (f->has_bbox)
            incmap_buf_puts(&sql, f->west <= f->east ? " AND lon BETWEEN ?1 AND ?3 AND lat BETWEEN ?2 AND ?4"
                                                     : " AND (lon >= ?1 OR lon <= ?3) AND lat BETWEEN ?2 AND ?4");
        if (f->countries && *f->countries) {
            char *list = country_list(f->countries, j->err);
            if (!list) {
                incmap_buf_free(&sql);
                return INCMAP_ERR_USAGE;
            }
            incmap_buf_printf(&sql, " AND (country IN (%s) OR country IN (SELECT country_code FROM reports"
                                    " WHERE iso3 IN (%s)))", list, list);
            free(list);
        }
    }
    incmap_buf_puts(&sql, " ORDER BY article_id, ord");
    if (sql.oom) {
        incmap_buf_free(&sql);
        return incmap_fail(j->err, INCMAP_ERR_NOMEM, "out of memory");
    }
    store_stmt *st = incmap_store_prepare(s, sql.s, j->err);
    incmap_buf_free(&sql);
    if (!st)
        return INCMAP_ERR_DB;
    if (filtered && f->has_bbox) {
        store_bind_double(st, 1, f->west);
        store_bind_double(st, 2, f->south);
        store_bind_double(st, 3, f->east);
        store_bind_double(st, 4, f->north);
    }
    int rc;
    incmap_status out = INCMAP_OK;
    while ((rc = store_step(st)) == STORE_ROW) {
        incmap_mention_row row = {0};
        row.article_id = opt_text(st, 0);
        row.text = opt_text(st, 1);
        row.name = opt_text(st, 2);
        row.feature_code = opt_text(st, 3);
        row.country = opt_text(st, 4);
        row.admin1 = opt_text(st, 5);
        row.why = opt_text(st, 6);
        row.section = opt_text(st, 7);
        row.start = store_int64(st, 8);
        row.end = store_int64(st, 9);
        row.geonameid = store_int64(st, 10);
        row.latitude = rounded(st, 11, 1e6);
        row.longitude = rounded(st, 12, 1e6);
        row.score = rounded(st, 13, 100);
        row.geo_precision = store_int(st, 14);
        if ((out = incmap_layers_add_mention(l, &row, j->err)) != INCMAP_OK)
            break;
        j->stats->mentions++;
    }
    if (out == INCMAP_OK && rc == STORE_ERROR)
        out = incmap_store_fail(s, j->err, "reading mentions");
    store_finalize(st);
    return out;
}

/* The files of one format exist (for a one-layer-per-file format: all three). */
static int outputs_exist(const char *path, int f)
{
    if (access(path, F_OK) != 0)
        return 0;
    if (!FORMATS[f].single_layer)
        return 1;
    size_t n = strlen(path);
    char *other = malloc(n + 16);
    if (!other)
        return 0;
    int ok = 1;
    const char *dir_end = strrchr(path, '/');
    size_t dir_len = dir_end ? (size_t)(dir_end - path) + 1 : 0;
    snprintf(other, n + 16, "%.*smentions.%s", (int)dir_len, path, FORMATS[f].ext);
    ok = access(other, F_OK) == 0;
    snprintf(other, n + 16, "%.*sarticles.%s", (int)dir_len, path, FORMATS[f].articles_ext);
    ok = ok && access(other, F_OK) == 0;
    free(other);
    return ok;
}

/* The generation a format's files were last written from, -1 when never (or on error: then
 * they are written again, which is always safe). */
static int64_t written_generation(incmap_store *s, const char *key, incmap_error *err)
{
    store_stmt *st = incmap_store_stmt(s, SQ_OUTPUT_GET, err);
    if (!st)
        return -1;
    store_bind_text(st, 1, key);
    int64_t written = store_step(st) == STORE_ROW ? store_int64(st, 0) : -1;
    store_reset(st);
    return written;
}

static incmap_status write_format(export_job *j, int f, const char *path, const char *key)
{
    incmap_store *s = j->s;
    incmap_status rc = INCMAP_OK;
    if ((j->generation = incmap_store_generation(s, j->err)) < 0)
        return INCMAP_ERR_DB;
    if (j->only_stale && written_generation(s, key, j->err) == j->generation && outputs_exist(path, f))
        return INCMAP_OK;
    int filtered = is_filtered(j->filter);
    incmap_layers *l = incmap_layers_open(path, NULL, j->err);
    if (!l)
        return j->err ? j->err->code : INCMAP_ERR_IO;
    /* One read transaction: the three layers show the same state of the store, and the
     * generation recorded for them is that state's. The counts are those of the last format
     * written (every format gets the same rows). */
    j->stats->incidents = j->stats->mentions = j->stats->articles = 0;
    if ((rc = s->drv->begin(s, 1, j->err)) == INCMAP_OK) {
        if ((j->generation = incmap_store_generation(s, j->err)) < 0)
            rc = INCMAP_ERR_DB;
        if (rc == INCMAP_OK && filtered)
            rc = select_incidents(s, j->filter, j->err);
        if (rc == INCMAP_OK)
            rc = write_incidents(j, l, filtered);
        if (rc == INCMAP_OK)
            rc = write_mentions(j, l, filtered);
        if (rc == INCMAP_OK)
            rc = write_articles(j, l, filtered);
        incmap_store_rollback(s);
    }
    if (rc == INCMAP_OK)
        rc = incmap_layers_commit(l, j->err);
    incmap_layers_destroy(l);
    if (rc != INCMAP_OK)
        return rc;
    /* Record what the files now show; a filtered export makes them differ from the store, so
     * the next update rewrites them. */
    store_stmt *st = incmap_store_stmt(s, j->record ? SQ_OUTPUT_PUT : SQ_OUTPUT_DEL, j->err);
    if (!st)
        return INCMAP_ERR_DB;
    store_bind_text(st, 1, key);
    if (j->record)
        store_bind_int64(st, 2, j->generation);
    if (!store_step_done(st))
        return incmap_store_fail(s, j->err, "recording an output");
    j->stats->layers_written++;
    if (j->on_written)
        j->on_written(j->user, path);
    return INCMAP_OK;
}

/* The key of a format's files in `outputs`: their absolute path; in a shared store, prefixed
 * with this machine's name, since /srv/out on one machine is not /srv/out on another. */
static char *output_key(const export_job *j, int f)
{
    char *path = incmap_store_output_path(j->dir_real, FORMATS[f].name);
    if (!path || !j->s->drv->shared)
        return path;
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0)
        host[0] = 0;
    host[sizeof host - 1] = 0;
    size_t n = strlen(host) + strlen(path) + 2;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "%s:%s", host, path);
    free(path);
    return key;
}

/* One format. With several workers (PostgreSQL) the files of one path are written by one at a
 * time, and a worker that waited finds them current (or writes the newer state): files renamed
 * by two workers in the wrong order would otherwise show the older state. */
static incmap_status export_format(void *user, int f)
{
    export_job *j = user;
    char *path = incmap_store_output_path(j->dir, FORMATS[f].name);
    char *key = output_key(j, f);
    incmap_status rc;
    if (!path || !key)
        rc = incmap_fail(j->err, INCMAP_ERR_NOMEM, "out of memory");
    else if ((rc = incmap_store_lock_output(j->s, key, 1, j->err)) == INCMAP_OK) {
        rc = write_format(j, f, path, key);
        incmap_store_lock_output(j->s, key, 0, NULL);
    }
    free(path);
    free(key);
    return rc;
}

static incmap_status make_dir(const char *dir, incmap_error *err)
{
    /* mkdir -p: each parent in turn. */
    char *p = strdup(dir);
    if (!p)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    for (char *q = p + 1;; q++) {
        if (*q == '/' || !*q) {
            char c = *q;
            *q = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                incmap_fail(err, INCMAP_ERR_IO, "cannot create the output directory %s: %s", p, strerror(errno));
                free(p);
                return INCMAP_ERR_IO;
            }
            *q = c;
            if (!c)
                break;
        }
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return incmap_fail(err, INCMAP_ERR_IO, "output %s is not a directory", dir);
    return INCMAP_OK;
}

static incmap_status run_export(export_job *j, const char *formats)
{
    incmap_status rc = incmap_check_formats(formats, j->err);
    if (rc != INCMAP_OK)
        return rc;
    if ((rc = make_dir(j->dir, j->err)) != INCMAP_OK)
        return rc;
    char *real = realpath(j->dir, NULL);
    j->dir_real = real ? real : j->dir;
    rc = each_format(formats, export_format, j, j->err);
    free(real);
    return rc;
}

incmap_status incmap_store_refresh_outputs(incmap_store *s, const char *dir, const char *formats,
                                           void (*on_written)(void *user, const char *path), void *user,
                                           size_t *written, incmap_error *err)
{
    incmap_export_stats stats = {0};
    export_job j = {s, dir, NULL, NULL, 1, 1, 0, on_written, user, &stats, err};
    incmap_status rc = run_export(&j, formats);
    if (written)
        *written = stats.layers_written;
    return rc;
}

incmap_export_options incmap_export_default_options(void)
{
    incmap_export_options o = {0};
    return o;
}

incmap_status incmap_export(incmap_store *store, const char *out_dir, const incmap_export_options *opt,
                            incmap_export_stats *stats, incmap_error *err)
{
    incmap_export_options o = opt ? *opt : incmap_export_default_options();
    incmap_export_stats local = {0};
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (o.since && *o.since && !incmap_valid_date(o.since))
        return incmap_fail(err, INCMAP_ERR_USAGE, "since date '%s' is not a YYYY-MM-DD calendar date", o.since);
    if (o.has_bbox && !(o.south <= o.north && o.south >= -90 && o.north <= 90 && o.west >= -180 && o.west <= 180 &&
                        o.east >= -180 && o.east <= 180))
        return incmap_fail(err, INCMAP_ERR_USAGE,
                           "bounding box %g,%g,%g,%g is not WEST,SOUTH,EAST,NORTH in degrees (south <= north)", o.west,
                           o.south, o.east, o.north);
    if (o.countries && *o.countries) {
        char *list = country_list(o.countries, err);
        if (!list)
            return INCMAP_ERR_USAGE;
        free(list);
    }
    int filtered = is_filtered(&o);
    export_job j = {store, out_dir, NULL, &o, !filtered, 0, 0, NULL, NULL, stats, err};
    return run_export(&j, o.formats && *o.formats ? o.formats : "gpkg");
}
