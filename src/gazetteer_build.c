/* gazetteer_build.c: GeoNames files -> SQLite gazetteer -> compiled name index.
 *
 * Each source is read in large blocks (gzip or plain, via zlib), so memory does not grow with
 * the file. A line with the wrong number of columns or an invalid value is reported as FILE:LINE
 * and skipped: a column is never shifted. The same geonameid in several files: the row with the
 * newer modification date wins, and on a tie the file named later.
 *
 * Two threads, because a world import (12 million places, 18 million alternate names) is too much
 * work for one core in a minute:
 *  - the calling thread parses and checks the lines, and feeds every name to the index builder
 *    (normalising and interning names is the index's heavy part);
 *  - a writer thread inserts the parsed rows into SQLite, then builds the SQLite indexes and the
 *    derived points, and reads the final place records back for the name index, while the
 *    calling thread groups the names.
 * Parsed lines travel in batches (a block of text, its fields pointing into it), a few of which
 * circulate between the two threads, so memory stays bounded. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <sqlite3.h>

#include "gazetteer.h"
#include "gazetteer_index.h"
#include "text.h"

#define MAX_FIELDS 24
#define BLOCK (4u << 20) /* bytes of text per batch */
#define N_BATCHES 4      /* in flight: being parsed, queued, being inserted */

typedef enum { SRC_GEONAME, SRC_ADMIN1, SRC_ADMIN2, SRC_COUNTRY, SRC_ALTNAMES, SRC_CURATED } source_kind;

/* One checked line, ready to insert: fields point into the batch's text. */
typedef struct {
    const char *f[19];
    long long id, pop, elev, dem;
    double lat, lon;
    unsigned long line;
    int historic;
} item;

typedef struct batch {
    struct batch *next;
    source_kind kind;
    const char *path;
    int file_no;
    char *text; /* lines, NUL-terminated in place (tabs become NULs too) */
    size_t len, cap;
    item *items;
    size_t n, cap_items;
    char **converted; /* lines that were not UTF-8, converted: owned here */
    size_t n_converted, cap_converted;
} batch;

/* What the two threads share, under mu; everything else belongs to one of them. In order:
 * batches go to the writer until `loaded`; the parser publishes its prediction of the derived
 * points (`predicted_ready`); the writer, once SQLite has derived them, publishes SQLite's
 * (`derived_ready`). */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch *queue, *queue_tail; /* parsed, waiting for the writer */
    batch *spare;              /* inserted, ready to be refilled */
    int loaded;                /* no more batches will come */
    int abandon;               /* the parser failed: stop and roll back */
    int writer_done;           /* the writer has returned */
    const uint32_t *predicted; /* owned by the index builder */
    size_t n_predicted;
    int64_t predicted_inserts;
    int predicted_ready;
    incmap_index_derived *derived; /* owned here, once derived_ready */
    int derived_ready, derived_match;
    incmap_status writer_rc; /* the writer's failure, with writer_err */
    incmap_error writer_err;
} channel;

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *ins_place, *ins_alt, *ins_admin1, *ins_admin2, *ins_country;
    const char *build_id;
    channel *ch;
} writer;

typedef struct {
    const incmap_import_options *opt;
    incmap_import_stats *stats;
    incmap_error *err;
    incmap_index_builder *ib;
    channel *ch;
    const char *path;
    unsigned long line;
    int filter_names; /* every dump and table is read: names of unknown places can be skipped */
} parser;

static void warn(parser *p, const char *fmt, ...) INCMAP_PRINTF(2, 3);
static void warn(parser *p, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->opt->quiet)
        return;
    if (p->opt->warn)
        p->opt->warn(p->opt->warn_user, msg);
    else
        fprintf(stderr, "incmap: %s\n", msg);
}

static source_kind kind_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, "admin1Codes", 11) == 0)
        return SRC_ADMIN1;
    if (strncmp(base, "admin2Codes", 11) == 0)
        return SRC_ADMIN2;
    if (strncmp(base, "countryInfo", 11) == 0)
        return SRC_COUNTRY;
    if (strncmp(base, "alternateNames", 14) == 0)
        return SRC_ALTNAMES;
    if (strstr(base, ".tsv"))
        return SRC_CURATED;
    return SRC_GEONAME;
}

static const char *kind_name(source_kind k)
{
    static const char *names[] = {"geoname dump", "admin1 codes", "admin2 codes", "country info",
                                  "alternate names", "curated names"};
    return names[k];
}

/* ---------------------------------------------------------------- schema */

static const char *SCHEMA =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE place(geonameid INTEGER PRIMARY KEY, name TEXT NOT NULL, asciiname TEXT,"
    " alternatenames TEXT, lat REAL NOT NULL, lon REAL NOT NULL, fclass TEXT, fcode TEXT, country TEXT,"
    " cc2 TEXT, admin1 TEXT, admin2 TEXT, admin3 TEXT, admin4 TEXT, population INTEGER, elevation INTEGER,"
    " dem INTEGER, timezone TEXT, moddate TEXT, source TEXT, file_no INTEGER);"
    "CREATE TABLE altname(geonameid INTEGER NOT NULL, lang TEXT, name TEXT NOT NULL, flags INTEGER,"
    " source TEXT);"
    "CREATE TABLE admin1(code TEXT PRIMARY KEY, name TEXT, asciiname TEXT, geonameid INTEGER);"
    "CREATE TABLE admin2(code TEXT PRIMARY KEY, name TEXT, asciiname TEXT, geonameid INTEGER);"
    "CREATE TABLE country(iso TEXT PRIMARY KEY, iso3 TEXT, name TEXT, capital TEXT, population INTEGER,"
    " continent TEXT, geonameid INTEGER, isonum INTEGER);"; /* isonum: ISO 3166-1 numeric (ACLED's iso) */

static incmap_status db_exec(sqlite3 *db, incmap_error *err, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        incmap_fail(err, INCMAP_ERR_DB, "gazetteer build: %s (in: %.80s)", msg ? msg : sqlite3_errmsg(db), sql);
        sqlite3_free(msg);
        return INCMAP_ERR_DB;
    }
    return INCMAP_OK;
}

static incmap_status prepare(sqlite3 *db, incmap_error *err, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return incmap_fail(err, INCMAP_ERR_DB, "gazetteer build: %s", sqlite3_errmsg(db));
    return INCMAP_OK;
}

/* ---------------------------------------------------------------- field parsing */

static int split_tabs(char *line, const char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; (p = strchr(p, '\t')); p++) {
        *p = 0;
        if (n == max)
            return max + 1; /* too many: reported, never truncated */
        f[n++] = p + 1;
    }
    return n;
}

/* strtoll's answer, without its cost for the plain digit strings that GeoNames columns are. */
static int parse_int(const char *s, long long *v, int allow_empty)
{
    if (!*s) {
        *v = 0;
        return allow_empty;
    }
    const char *p = s + (*s == '-');
    size_t n = 0;
    unsigned long long x = 0;
    while (p[n] >= '0' && p[n] <= '9' && n < 18)
        x = x * 10 + (unsigned long long)(p[n++] - '0');
    if (n && !p[n]) {
        *v = *s == '-' ? -(long long)x : (long long)x;
        return 1;
    }
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return !errno && *end == 0;
}

/* strtod's answer. GeoNames writes coordinates with a few decimals: up to 15 significant digits,
 * the digits make an integer below 2^53 and the power of ten is exact, so one division rounds
 * exactly as strtod does. Anything else goes to strtod. */
static int parse_coord(const char *s, double *v, double lim)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (!*s)
        return 0;
    const char *p = s + (*s == '-');
    unsigned long long m = 0;
    int digits = 0, frac = -1;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            m = m * 10 + (unsigned long long)(*p - '0');
            digits++;
            frac += frac >= 0;
        } else if (*p == '.' && frac < 0) {
            frac = 0;
        } else {
            break;
        }
    }
    if (!*p && digits && digits <= 15 && p[-1] != '.' && (p - s) > (*s == '-')) {
        double x = (double)m / pow10[frac > 0 ? frac : 0];
        *v = *s == '-' ? -x : x;
        return fabs(*v) <= lim;
    }
    char *end;
    *v = strtod(s, &end);
    return *end == 0 && isfinite(*v) && fabs(*v) <= lim;
}

/* ---------------------------------------------------------------- checking lines */

/* Returns NULL when the line is fine, else why it is malformed. */
static const char *check_geoname(item *it, const char **f, int n)
{
    if (n != 19)
        return n > 19 ? "more than 19 tab-separated columns" : "fewer than 19 tab-separated columns";
    if (!parse_int(f[0], &it->id, 0) || it->id <= 0 || it->id > UINT32_MAX)
        return "column 1 (geonameid) is not a positive integer";
    if (!*f[1])
        return "column 2 (name) is empty";
    if (!parse_coord(f[4], &it->lat, 90))
        return "column 5 (latitude) is not a number in [-90, 90]";
    if (!parse_coord(f[5], &it->lon, 180))
        return "column 6 (longitude) is not a number in [-180, 180]";
    if (strlen(f[6]) > 1)
        return "column 7 (feature class) is longer than one letter";
    if (strlen(f[7]) > 10)
        return "column 8 (feature code) is longer than 10 characters";
    if (*f[8] && strlen(f[8]) != 2)
        return "column 9 (country code) is not two letters";
    if (!parse_int(f[14], &it->pop, 1) || it->pop < 0)
        return "column 15 (population) is not a non-negative integer";
    if (!parse_int(f[15], &it->elev, 1))
        it->elev = 0; /* elevation is informative only; GeoNames leaves odd values here */
    if (!parse_int(f[16], &it->dem, 1))
        it->dem = 0;
    memcpy(it->f, f, 19 * sizeof *f);
    return NULL;
}

static const char *check_admin(item *it, const char **f, int n)
{
    if (n != 4)
        return "expected 4 tab-separated columns (code, name, ascii name, geonameid)";
    if (!strchr(f[0], '.'))
        return "column 1 (code) is not of the form CC.CODE";
    if (!parse_int(f[3], &it->id, 0) || it->id <= 0)
        return "column 4 (geonameid) is not a positive integer";
    memcpy(it->f, f, 3 * sizeof *f);
    return NULL;
}

static const char *check_country(item *it, const char **f, int n)
{
    if (n < 17)
        return "expected at least 17 tab-separated columns";
    if (strlen(f[0]) != 2)
        return "column 1 (ISO code) is not two letters";
    if (!parse_int(f[16], &it->id, 0) || it->id <= 0)
        return "column 17 (geonameid) is not a positive integer";
    if (!parse_int(f[7], &it->pop, 1))
        it->pop = 0;
    long long isonum;
    /* Kosovo has no numeric code: not a reason to drop the country */
    it->elev = parse_int(f[2], &isonum, 0) && isonum > 0 ? isonum : 0;
    memcpy(it->f, f, 9 * sizeof *f);
    return NULL;
}

/* alternateNamesV2.txt: id, geonameid, isolanguage, name, isPreferred, isShort, isColloquial,
 * isHistoric, from, to (the older alternateNames.txt has the first 8). Links, postal codes and
 * airport codes are not names a text uses for a place: skip = 1, and not counted as a name. */
static const char *check_altname(item *it, const char **f, int n, int *skip)
{
    if (n != 10 && n != 8)
        return "expected 10 tab-separated columns (or 8 in the older format)";
    if (!parse_int(f[1], &it->id, 0) || it->id <= 0)
        return "column 2 (geonameid) is not a positive integer";
    if (!*f[3])
        return "column 4 (name) is empty";
    const char *lang = f[2];
    *skip = !strcmp(lang, "link") || !strcmp(lang, "post") || !strcmp(lang, "iata") || !strcmp(lang, "icao") ||
            !strcmp(lang, "faac") || !strcmp(lang, "wkdt") || !strcmp(lang, "unlc") || !strcmp(lang, "phon");
    it->f[0] = lang;
    it->f[1] = f[3];
    it->historic = *f[7] == '1';
    return NULL;
}

static const char *check_curated(item *it, const char **f, int n)
{
    if (n != 3)
        return "expected 3 tab-separated columns (geonameid, lang, name)";
    if (!parse_int(f[0], &it->id, 0) || it->id <= 0)
        return "column 1 (geonameid) is not a positive integer";
    if (!*f[2])
        return "column 3 (name) is empty";
    it->f[0] = f[1];
    it->f[1] = f[2];
    it->historic = 0;
    return NULL;
}

/* Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF, as utf8proc), and no
 * control character that would make incmap_text_decode call the line binary, and no BOM. Lines
 * that pass are what incmap_text_decode would return unchanged; the rest go through it. */
static int plain_utf8(const unsigned char *s, size_t n)
{
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        return 0;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t')
                return 0;
            i++;
            continue;
        }
        size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0xC2 || c > 0xF4 || i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) || (c == 0xF0 && s[i + 1] < 0x90) ||
            (c == 0xF4 && s[i + 1] > 0x8F))
            return 0;
        i += k;
    }
    return 1;
}

/* ---------------------------------------------------------------- the channel */

static batch *batch_new(void)
{
    batch *b = calloc(1, sizeof *b);
    if (b && !(b->text = malloc(BLOCK + 1))) {
        free(b);
        return NULL;
    }
    if (b)
        b->cap = BLOCK;
    return b;
}

static void batch_reset(batch *b)
{
    for (size_t i = 0; i < b->n_converted; i++)
        free(b->converted[i]);
    b->n_converted = 0;
    b->n = 0;
    b->len = 0;
}

static void batch_free(batch *b)
{
    if (!b)
        return;
    batch_reset(b);
    free(b->text);
    free(b->items);
    free(b->converted);
    free(b);
}

/* A batch to fill: a spare one, once the writer has inserted it. NULL when the writer failed. */
static batch *take_spare(channel *ch)
{
    pthread_mutex_lock(&ch->mu);
    while (!ch->spare && !ch->writer_done)
        pthread_cond_wait(&ch->cv, &ch->mu);
    batch *b = ch->writer_done ? NULL : ch->spare;
    if (b)
        ch->spare = b->next;
    pthread_mutex_unlock(&ch->mu);
    if (b)
        batch_reset(b);
    return b;
}

static void send_batch(channel *ch, batch *b)
{
    b->next = NULL;
    pthread_mutex_lock(&ch->mu);
    if (ch->queue_tail)
        ch->queue_tail->next = b;
    else
        ch->queue = b;
    ch->queue_tail = b;
    pthread_cond_broadcast(&ch->cv);
    pthread_mutex_unlock(&ch->mu);
}

/* ---------------------------------------------------------------- the writer thread */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC); /* the batch outlives the step */
    else
        sqlite3_bind_null(st, i);
}

static int insert_item(writer *w, const batch *b, const item *it)
{
    sqlite3_stmt *st;
    switch (b->kind) {
    case SRC_GEONAME:
        st = w->ins_place;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, it->id);
        for (int i = 1; i <= 3; i++)
            bind_text(st, i + 1, it->f[i]);
        sqlite3_bind_double(st, 5, it->lat);
        sqlite3_bind_double(st, 6, it->lon);
        for (int i = 6; i <= 13; i++)
            bind_text(st, i + 1, it->f[i]);
        sqlite3_bind_int64(st, 15, it->pop);
        sqlite3_bind_int64(st, 16, it->elev);
        sqlite3_bind_int64(st, 17, it->dem);
        bind_text(st, 18, it->f[17]);
        bind_text(st, 19, it->f[18]);
        bind_text(st, 20, b->path);
        sqlite3_bind_int(st, 21, b->file_no);
        break;
    case SRC_ADMIN1:
    case SRC_ADMIN2:
        st = b->kind == SRC_ADMIN1 ? w->ins_admin1 : w->ins_admin2;
        sqlite3_reset(st);
        for (int i = 0; i < 3; i++)
            bind_text(st, i + 1, it->f[i]);
        sqlite3_bind_int64(st, 4, it->id);
        break;
    case SRC_COUNTRY:
        st = w->ins_country;
        sqlite3_reset(st);
        bind_text(st, 1, it->f[0]);
        bind_text(st, 2, it->f[1]);
        bind_text(st, 3, it->f[4]);
        bind_text(st, 4, it->f[5]);
        sqlite3_bind_int64(st, 5, it->pop);
        bind_text(st, 6, it->f[8]);
        sqlite3_bind_int64(st, 7, it->id);
        if (it->elev)
            sqlite3_bind_int64(st, 8, it->elev);
        else
            sqlite3_bind_null(st, 8);
        break;
    default: /* alternate and curated names */
        st = w->ins_alt;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, it->id);
        bind_text(st, 2, it->f[0]);
        bind_text(st, 3, it->f[1]);
        sqlite3_bind_int(st, 4, it->historic);
        bind_text(st, 5, b->path);
        break;
    }
    return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

/* Admin areas and countries that no dump lists as a place (the bundled gazetteer has full dumps
 * only for West Africa) still need a point: the mean of the places they contain, or for a
 * country its capital. Marked source='derived' so nobody mistakes it for a surveyed centroid. */
static const char *DERIVE_SQL =
    "INSERT OR IGNORE INTO place(geonameid, name, asciiname, lat, lon, fclass, fcode, country, admin1,"
    " population, source)"
    " SELECT a.geonameid, a.name, a.asciiname, avg(p.lat), avg(p.lon), 'A', 'ADM1',"
    "  substr(a.code, 1, 2), substr(a.code, 4), 0, 'derived'"
    " FROM admin1 a JOIN place p ON p.country = substr(a.code, 1, 2) AND p.admin1 = substr(a.code, 4)"
    " WHERE a.geonameid NOT IN (SELECT geonameid FROM place) GROUP BY a.code;"
    "INSERT OR IGNORE INTO place(geonameid, name, asciiname, lat, lon, fclass, fcode, country, admin1,"
    " admin2, population, source)"
    " SELECT a.geonameid, a.name, a.asciiname, avg(p.lat), avg(p.lon), 'A', 'ADM2',"
    "  substr(a.code, 1, 2), substr(a.code, 4, instr(substr(a.code, 4), '.') - 1),"
    "  substr(a.code, 4 + instr(substr(a.code, 4), '.')), 0, 'derived'"
    " FROM admin2 a JOIN place p ON p.country = substr(a.code, 1, 2)"
    "  AND p.admin1 = substr(a.code, 4, instr(substr(a.code, 4), '.') - 1)"
    "  AND p.admin2 = substr(a.code, 4 + instr(substr(a.code, 4), '.'))"
    " WHERE a.geonameid NOT IN (SELECT geonameid FROM place) GROUP BY a.code;"
    "INSERT OR IGNORE INTO place(geonameid, name, asciiname, lat, lon, fclass, fcode, country, population,"
    " source)"
    " SELECT c.geonameid, c.name, c.name,"
    "  coalesce((SELECT lat FROM place WHERE country = c.iso AND fcode = 'PPLC'),"
    "   (SELECT avg(lat) FROM place WHERE country = c.iso)),"
    "  coalesce((SELECT lon FROM place WHERE country = c.iso AND fcode = 'PPLC'),"
    "   (SELECT avg(lon) FROM place WHERE country = c.iso)),"
    "  'A', 'PCLI', c.iso, c.population, 'derived'"
    " FROM country c WHERE c.geonameid NOT IN (SELECT geonameid FROM place)"
    "  AND EXISTS (SELECT 1 FROM place WHERE country = c.iso);";

static double tnow(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
static double tcpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
#define TRACE(...) (getenv("INCMAP_TRACE") ? fprintf(stderr, "%9.3f cpu %7.2f ", tnow(), tcpu()), fprintf(stderr, __VA_ARGS__) : 0)

/* Waits (under ch->mu) until *flag is set or the parser gave up; returns *flag. */
static int wait_for(channel *ch, const int *flag)
{
    while (!*flag && !ch->abandon)
        pthread_cond_wait(&ch->cv, &ch->mu);
    return *flag;
}

/* After the load: SQLite's indexes (after the rows, which is much faster than before), the derived
 * points (checked against the parser's prediction), the metadata, the commit, and ANALYZE (which
 * runs while the other thread writes the name index). */
static incmap_status finish_database(writer *w, incmap_error *err)
{
    channel *ch = w->ch;
    sqlite3 *db = w->db;
    incmap_status rc;
    char when[32], schema[16];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    snprintf(schema, sizeof schema, "%d", INCMAP_GAZETTEER_SCHEMA);
    TRACE("writer: load done\n");
    /* A small page cache sorts faster: SQLite sorts an index in cache-sized runs, and big runs
     * lose more to cache misses than merging small ones costs.
     * place_admin serves DERIVE_SQL's joins, and holds what they read: averaging the places of
     * an area through a plain index fetched every place's row at random from the table (19 of
     * the 12M world's 83 s). geonameid comes before lat and lon so that an area's places are
     * summed in the order they were (floating-point sums depend on it), and the points stay the
     * same to the last bit. */
    if ((rc = db_exec(db, err, "PRAGMA cache_size=-2000;"
                               "CREATE INDEX altname_id ON altname(geonameid);"
                               "CREATE INDEX place_country_code ON place(country, fcode);"
                               "CREATE INDEX place_admin ON place(country, admin1, admin2, geonameid, lat, lon);")))
        return rc;
    TRACE("writer: indexes\n");
    sqlite3_int64 before = sqlite3_total_changes64(db);
    if ((rc = db_exec(db, err, DERIVE_SQL)))
        return rc;
    sqlite3_int64 inserted = sqlite3_total_changes64(db) - before;
    pthread_mutex_lock(&ch->mu);
    int go_on = wait_for(ch, &ch->predicted_ready);
    pthread_mutex_unlock(&ch->mu);
    if (!go_on)
        return INCMAP_OK; /* the parser failed: nothing will be committed */
    int match;
    incmap_index_derived *d;
    if ((rc = incmap_index_read_derived(db, ch->predicted, ch->n_predicted, ch->predicted_inserts, inserted, &d,
                                        &match, err)))
        return rc;
    TRACE("writer: derived %lld (%s)\n", (long long)inserted, match ? "as predicted" : "not as predicted");
    pthread_mutex_lock(&ch->mu);
    ch->derived = d;
    ch->derived_ready = 1;
    ch->derived_match = match;
    pthread_cond_broadcast(&ch->cv);
    pthread_mutex_unlock(&ch->mu);
    sqlite3_stmt *meta = NULL;
    if ((rc = prepare(db, err, "INSERT INTO meta VALUES(?1, ?2)", &meta)))
        return rc;
    const char *kv[][2] = {{"schema_version", schema}, {"build_id", w->build_id}, {"built_at", when},
                           {"generator", "incmap " INCMAP_VERSION}};
    for (size_t i = 0; i < sizeof kv / sizeof *kv && rc == INCMAP_OK; i++) {
        sqlite3_reset(meta);
        sqlite3_bind_text(meta, 1, kv[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(meta, 2, kv[i][1], -1, SQLITE_STATIC);
        if (sqlite3_step(meta) != SQLITE_DONE)
            rc = incmap_fail(err, INCMAP_ERR_DB, "gazetteer build: metadata: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(meta);
    if (rc || (rc = db_exec(db, err, "COMMIT")))
        return rc;
    TRACE("writer: commit\n");
    rc = db_exec(db, err, "ANALYZE");
    TRACE("writer: analyze\n");
    return rc;
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    channel *ch = w->ch;
    incmap_error err = {0};
    incmap_status rc = INCMAP_OK;
    double waited = 0, t_ins = 0;
    for (;;) {
        pthread_mutex_lock(&ch->mu);
        double tw = tnow();
        while (!ch->queue && !ch->loaded && !ch->abandon)
            pthread_cond_wait(&ch->cv, &ch->mu);
        waited += tnow() - tw;
        batch *b = ch->abandon ? NULL : ch->queue;
        if (b && !(ch->queue = b->next))
            ch->queue_tail = NULL;
        pthread_mutex_unlock(&ch->mu);
        if (b) {
            double t0 = tcpu();
            for (size_t i = 0; i < b->n && rc == INCMAP_OK; i++)
                if (insert_item(w, b, &b->items[i]))
                    rc = incmap_fail(&err, INCMAP_ERR_DB, "%s:%lu: cannot insert into the gazetteer: %s", b->path,
                                     b->items[i].line, sqlite3_errmsg(w->db));
            t_ins += tcpu() - t0;
            pthread_mutex_lock(&ch->mu);
            b->next = ch->spare;
            ch->spare = b;
            pthread_cond_broadcast(&ch->cv);
            pthread_mutex_unlock(&ch->mu);
        } else {
            break;
        }
        if (rc)
            break;
    }
    pthread_mutex_lock(&ch->mu);
    int go_on = rc == INCMAP_OK && ch->loaded && !ch->abandon;
    pthread_mutex_unlock(&ch->mu);
    TRACE("writer: waited %.2f s for batches, inserted %.2f s\n", waited, t_ins);
    if (go_on && rc == INCMAP_OK)
        rc = finish_database(w, &err);
    pthread_mutex_lock(&ch->mu);
    ch->writer_rc = rc;
    ch->writer_err = err;
    ch->writer_done = 1;
    pthread_cond_broadcast(&ch->cv);
    pthread_mutex_unlock(&ch->mu);
    return NULL;
}

/* ---------------------------------------------------------------- the parser (calling thread) */

/* Feeds a checked line's names to the index builder. */
static incmap_status index_item(parser *p, source_kind kind, const item *it)
{
    incmap_index_builder *ib = p->ib;
    uint32_t id = (uint32_t)it->id;
    switch (kind) {
    case SRC_GEONAME: {
        const char *const *f = it->f;
        incmap_index_row row = {id, f[1], f[2], f[3], f[18], it->lat, it->lon, f[6], f[7], f[8], f[10], f[11], it->pop};
        return incmap_index_add_row(ib, &row);
    }
    case SRC_ADMIN1:
        return incmap_index_add_admin(ib, INDEX_ADMIN1, it->f[0], it->id, it->f[1], it->f[2]);
    case SRC_ADMIN2:
        return incmap_index_add_admin(ib, INDEX_ADMIN2, it->f[0], it->id, it->f[1], it->f[2]);
    case SRC_COUNTRY:
        return incmap_index_add_admin(ib, INDEX_COUNTRY, it->f[0], it->id, it->f[4], NULL);
    default:
        if (it->historic || it->id > UINT32_MAX || (p->filter_names && !incmap_index_knows(ib, id)))
            return INCMAP_OK; /* not indexed: a historic name, or a place no source lists */
        return incmap_index_add_name(ib, id, it->f[1]);
    }
}

/* Checks one line (NUL-terminated, in the batch's text) and adds it to the batch. Returns
 * INCMAP_OK, or the error that stops the build (--strict, out of memory). */
static incmap_status parse_line(parser *p, batch *b, char *line, size_t len, int *latin1_warned)
{
    incmap_import_stats *stats = p->stats;
    p->line++;
    stats->rows_read++;
    if (!len || line[0] == '#')
        return INCMAP_OK;
    /* GeoNames files are UTF-8; a line that is not is read as Windows-1252 (an editor saved the
     * file in Latin-1), and said once per file. */
    char *text = line;
    if (!plain_utf8((const unsigned char *)line, len)) {
        incmap_text t;
        incmap_error derr;
        if (incmap_text_decode(line, len, p->path, &t, &derr) != INCMAP_OK) {
            stats->skipped_malformed++;
            if (p->opt->strict)
                return incmap_fail(p->err, INCMAP_ERR_FORMAT, "%s:%lu: %s (--strict)", p->path, p->line, derr.message);
            warn(p, "%s:%lu: %s; line skipped", p->path, p->line, derr.message);
            return INCMAP_OK;
        }
        if (strcmp(t.encoding, "UTF-8") != 0 && !*latin1_warned) {
            warn(p, "%s:%lu: not UTF-8; reading this file's non-UTF-8 lines as %s", p->path, p->line, t.encoding);
            *latin1_warned = 1;
        }
        free(t.in_off);
        if (incmap_grow(&b->converted, &b->cap_converted, b->n_converted + 1, sizeof *b->converted)) {
            free(t.utf8);
            return incmap_fail(p->err, INCMAP_ERR_NOMEM, "%s:%lu: out of memory", p->path, p->line);
        }
        b->converted[b->n_converted++] = text = t.utf8;
    }
    if (incmap_grow(&b->items, &b->cap_items, b->n + 1, sizeof *b->items))
        return incmap_fail(p->err, INCMAP_ERR_NOMEM, "%s:%lu: out of memory", p->path, p->line);
    item *it = &b->items[b->n];
    const char *f[MAX_FIELDS + 1];
    int n = split_tabs(text, f, MAX_FIELDS), skip = 0;
    const char *bad = NULL;
    switch (b->kind) {
    case SRC_GEONAME: bad = check_geoname(it, f, n); break;
    case SRC_ADMIN1:
    case SRC_ADMIN2: bad = check_admin(it, f, n); break;
    case SRC_COUNTRY: bad = check_country(it, f, n); break;
    case SRC_ALTNAMES: bad = check_altname(it, f, n, &skip); break;
    case SRC_CURATED: bad = check_curated(it, f, n); break;
    }
    if (bad) {
        stats->skipped_malformed++;
        if (p->opt->strict)
            return incmap_fail(p->err, INCMAP_ERR_FORMAT, "%s:%lu: %s (%s; --strict)", p->path, p->line, bad,
                               kind_name(b->kind));
        warn(p, "%s:%lu: %s (%s); line skipped", p->path, p->line, bad, kind_name(b->kind));
        return INCMAP_OK;
    }
    if (skip)
        return INCMAP_OK;
    it->line = p->line;
    b->n++;
    switch (b->kind) {
    case SRC_GEONAME: stats->places++; break;
    case SRC_ADMIN1:
    case SRC_ADMIN2: stats->admin_codes++; break;
    case SRC_COUNTRY: stats->countries++; break;
    default: stats->names++; break;
    }
    incmap_status rc = index_item(p, b->kind, it);
    return rc == INCMAP_OK ? INCMAP_OK
                           : incmap_fail(p->err, rc, "%s:%lu: %s", p->path, p->line,
                                         rc == INCMAP_ERR_LIMIT ? "more names than the name index can hold"
                                                                : "out of memory indexing the names");
}

/* Reads one source into batches for the writer. */
static incmap_status load_file(parser *p, const char *path, int file_no)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return incmap_fail(p->err, INCMAP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(gz, 1 << 17);
    p->path = path;
    p->line = 0;
    source_kind kind = kind_of(path);
    incmap_status rc = INCMAP_OK;
    int latin1_warned = 0, eof = 0;
    char *carry = NULL; /* the unfinished last line of the previous block */
    size_t carry_len = 0;
    while (!eof && rc == INCMAP_OK) {
        batch *b = take_spare(p->ch);
        if (!b) {
            rc = INCMAP_ERR_DB; /* the writer failed: its error is reported */
            break;
        }
        b->kind = kind;
        b->path = path;
        b->file_no = file_no;
        if (carry_len + BLOCK > b->cap) {
            char *t = realloc(b->text, carry_len + BLOCK + 1);
            if (!t) {
                send_batch(p->ch, b);
                rc = incmap_fail(p->err, INCMAP_ERR_NOMEM, "%s:%lu: out of memory (a line of %zu bytes)", path,
                                 p->line + 1, carry_len);
                break;
            }
            b->text = t;
            b->cap = carry_len + BLOCK;
        }
        if (carry_len)
            memcpy(b->text, carry, carry_len);
        free(carry);
        carry = NULL;
        int got = gzread(gz, b->text + carry_len, BLOCK);
        if (got < 0) {
            send_batch(p->ch, b);
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            rc = incmap_fail(p->err, INCMAP_ERR_IO, "%s:%lu: read error: %s (truncated or corrupt file?)", path,
                             p->line, msg);
            break;
        }
        eof = got == 0 || gzeof(gz);
        b->len = carry_len + (size_t)got;
        carry_len = 0;
        char *s = b->text, *end = b->text + b->len;
        while (s < end && rc == INCMAP_OK) {
            char *nl = memchr(s, '\n', (size_t)(end - s));
            if (!nl && !eof)
                break; /* carried over to the next block */
            char *e = nl ? nl : end;
            *e = 0;
            size_t len = (size_t)(e - s);
            while (len && s[len - 1] == '\r')
                s[--len] = 0;
            rc = parse_line(p, b, s, len, &latin1_warned);
            s = nl ? nl + 1 : end;
        }
        if (rc == INCMAP_OK && s < end) {
            carry_len = (size_t)(end - s);
            if (!(carry = malloc(carry_len)))
                rc = incmap_fail(p->err, INCMAP_ERR_NOMEM, "%s:%lu: out of memory", path, p->line);
            else
                memcpy(carry, s, carry_len);
        }
        send_batch(p->ch, b);
    }
    free(carry);
    if (rc == INCMAP_OK) {
        int zerr = 0;
        const char *msg = gzerror(gz, &zerr);
        if (zerr != Z_OK && zerr != Z_STREAM_END)
            rc = incmap_fail(p->err, INCMAP_ERR_IO, "%s:%lu: read error: %s (truncated or corrupt file?)", path,
                             p->line, msg);
    }
    gzclose(gz);
    p->stats->files++;
    return rc;
}

static void random_id(char *out, size_t n)
{
    unsigned long long x = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
    FILE *r = fopen("/dev/urandom", "rb");
    if (r) {
        if (fread(&x, sizeof x, 1, r) != 1)
            x ^= (unsigned long long)clock();
        fclose(r);
    }
    snprintf(out, n, "%016llx", x);
}

/* About how many names the sources hold, to size the index's tables once: GeoNames lines
 * average some 60 bytes per name, and gzip divides the size by about 4. */
static uint64_t expected_names(const char *const *sources, size_t n)
{
    uint64_t bytes = 0;
    struct stat st;
    for (size_t i = 0; i < n; i++)
        if (stat(sources[i], &st) == 0)
            bytes += (uint64_t)st.st_size * (strstr(sources[i], ".gz") ? 4 : 1);
    uint64_t names = bytes / 60;
    return names > 200000000 ? 200000000 : names;
}

/* Waits until *flag is set or the writer has returned; returns *flag. */
static int wait_writer(channel *ch, const int *flag)
{
    pthread_mutex_lock(&ch->mu);
    while (!*flag && !ch->writer_done)
        pthread_cond_wait(&ch->cv, &ch->mu);
    int set = *flag;
    pthread_mutex_unlock(&ch->mu);
    return set;
}

/* The parse of every source, then the name index; the writer runs alongside. */
static incmap_status run(parser *p, writer *w, const char *out_path, const char *tmp_idx,
                         const char *const *sources, size_t n_sources)
{
    incmap_status rc = INCMAP_OK;
    incmap_import_stats *stats = p->stats;
    /* Alternate names of a place no source lists are not indexed: once every dump and admin table
     * has been read (the usual order: dumps, then alternateNames), they can be skipped at once. */
    size_t last_places = 0;
    for (size_t i = 0; i < n_sources; i++) {
        source_kind k = kind_of(sources[i]);
        if (k != SRC_ALTNAMES && k != SRC_CURATED)
            last_places = i + 1;
    }
    for (size_t i = 0; i < n_sources && rc == INCMAP_OK; i++) {
        p->filter_names = i >= last_places;
        TRACE("parser: %s\n", sources[i]);
        rc = load_file(p, sources[i], (int)i);
    }
    /* Sources that hold no place (an image, a zip, the wrong file) would otherwise be renamed
     * over a working gazetteer as an empty one. */
    if (rc == INCMAP_OK && !stats->places)
        rc = incmap_fail(p->err, INCMAP_ERR_FORMAT,
                         "%s: no place imported from %zu source file(s) (%llu malformed lines skipped): are they "
                         "GeoNames dumps? Nothing was written",
                         out_path, n_sources, (unsigned long long)stats->skipped_malformed);
    channel *ch = p->ch;
    pthread_mutex_lock(&ch->mu);
    if (rc == INCMAP_OK)
        ch->loaded = 1;
    else
        ch->abandon = 1;
    pthread_cond_broadcast(&ch->cv);
    pthread_mutex_unlock(&ch->mu);
    if (rc != INCMAP_OK)
        return rc;
    TRACE("parser: loaded\n");
    if ((rc = incmap_index_prepare(p->ib, p->err)))
        return rc;
    TRACE("parser: prepared\n");
    const uint32_t *pred;
    size_t n_pred;
    int64_t inserts;
    if ((rc = incmap_index_predict_derived(p->ib, &pred, &n_pred, &inserts, p->err)))
        return rc;
    pthread_mutex_lock(&ch->mu);
    ch->predicted = pred;
    ch->n_predicted = n_pred;
    ch->predicted_inserts = inserts;
    ch->predicted_ready = 1;
    pthread_cond_broadcast(&ch->cv);
    pthread_mutex_unlock(&ch->mu);
    if ((rc = incmap_index_plan(p->ib, NULL, p->err)))
        return rc;
    TRACE("parser: planned\n");
    if ((rc = incmap_index_write_body(p->ib, tmp_idx, w->build_id, p->err)))
        return rc;
    TRACE("parser: body written\n");
    if (!wait_writer(ch, &ch->derived_ready))
        return INCMAP_ERR_DB; /* the writer failed: its error is reported */
    /* SQLite's derived points are the writer's until derived_ready, then the parser's. */
    if (!ch->derived_match && ((rc = incmap_index_plan(p->ib, ch->derived, p->err)) ||
                               (rc = incmap_index_write_body(p->ib, tmp_idx, w->build_id, p->err))))
        return rc;
    rc = incmap_index_write_tail(p->ib, ch->derived, tmp_idx, p->err);
    TRACE("parser: index written\n");
    return rc;
}

incmap_status incmap_gazetteer_build(const char *out_path, const char *const *sources, size_t n_sources,
                                     const incmap_import_options *opt, incmap_import_stats *stats,
                                     incmap_error *err)
{
    incmap_import_options defaults = {0};
    incmap_import_stats local = {0};
    if (!opt)
        opt = &defaults;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!n_sources)
        return incmap_fail(err, INCMAP_ERR_USAGE, "gazetteer build: no source files given");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    /* Build beside the target and rename at the end, so a failed or interrupted build never
     * leaves a half-written gazetteer where a working one was. */
    size_t plen = strlen(out_path);
    char *tmp_db = malloc(plen + 32), *tmp_idx = malloc(plen + 32), *final_idx = malloc(plen + 8);
    if (!tmp_db || !tmp_idx || !final_idx) {
        free(tmp_db), free(tmp_idx), free(final_idx);
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    }
    snprintf(tmp_db, plen + 32, "%s.tmp%ld", out_path, (long)getpid());
    snprintf(tmp_idx, plen + 32, "%s.idx.tmp%ld", out_path, (long)getpid());
    snprintf(final_idx, plen + 8, "%s.idx", out_path);
    unlink(tmp_db);

    char build_id[32];
    random_id(build_id, sizeof build_id);
    channel ch = {.writer_rc = INCMAP_OK};
    writer w = {.build_id = build_id, .ch = &ch};
    parser p = {.opt = opt, .stats = stats, .err = err, .ch = &ch};
    batch *batches[N_BATCHES] = {0};
    int thread_started = 0, sync_ok = 0;
    pthread_t thread;
    incmap_status rc = INCMAP_OK;
    if (pthread_mutex_init(&ch.mu, NULL) == 0) {
        if (pthread_cond_init(&ch.cv, NULL) == 0)
            sync_ok = 1;
        else
            pthread_mutex_destroy(&ch.mu);
    }
    if (!sync_ok) {
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "gazetteer build: cannot create a lock");
        goto out;
    }
    /* NOMUTEX: the connection is used by one thread at a time (handed over at thread start and
     * join), so SQLite's own locking is pure cost. */
    if (sqlite3_open_v2(tmp_db, &w.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = incmap_fail(err, INCMAP_ERR_IO, "%s: cannot create the gazetteer: %s", tmp_db,
                         w.db ? sqlite3_errmsg(w.db) : "out of memory");
        goto out;
    }
    /* No journal and no syncs: the file is renamed into place only when complete, which is what
     * makes the build safe, not SQLite's journal. */
    if ((rc = db_exec(w.db, err,
                      "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
                      " PRAGMA cache_size=-65536;")) ||
        (rc = db_exec(w.db, err, SCHEMA)) || (rc = db_exec(w.db, err, "BEGIN")))
        goto out;
    if ((rc = prepare(w.db, err,
                      "INSERT INTO place VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,"
                      "?20,?21) ON CONFLICT(geonameid) DO UPDATE SET name=excluded.name,"
                      " asciiname=excluded.asciiname, alternatenames=excluded.alternatenames, lat=excluded.lat,"
                      " lon=excluded.lon, fclass=excluded.fclass, fcode=excluded.fcode, country=excluded.country,"
                      " cc2=excluded.cc2, admin1=excluded.admin1, admin2=excluded.admin2, admin3=excluded.admin3,"
                      " admin4=excluded.admin4, population=excluded.population, elevation=excluded.elevation,"
                      " dem=excluded.dem, timezone=excluded.timezone, moddate=excluded.moddate,"
                      " source=excluded.source, file_no=excluded.file_no"
                      " WHERE coalesce(excluded.moddate, '') >= coalesce(place.moddate, '')",
                      &w.ins_place)) ||
        (rc = prepare(w.db, err, "INSERT INTO altname VALUES(?1,?2,?3,?4,?5)", &w.ins_alt)) ||
        (rc = prepare(w.db, err, "INSERT OR REPLACE INTO admin1 VALUES(?1,?2,?3,?4)", &w.ins_admin1)) ||
        (rc = prepare(w.db, err, "INSERT OR REPLACE INTO admin2 VALUES(?1,?2,?3,?4)", &w.ins_admin2)) ||
        (rc = prepare(w.db, err, "INSERT OR REPLACE INTO country VALUES(?1,?2,?3,?4,?5,?6,?7,?8)", &w.ins_country)))
        goto out;
    if (!(p.ib = incmap_index_builder_new(expected_names(sources, n_sources)))) {
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "gazetteer build: out of memory");
        goto out;
    }
    for (int i = 0; i < N_BATCHES; i++) {
        if (!(batches[i] = batch_new())) {
            rc = incmap_fail(err, INCMAP_ERR_NOMEM, "gazetteer build: out of memory");
            goto out;
        }
        batches[i]->next = ch.spare;
        ch.spare = batches[i];
    }
    if (pthread_create(&thread, NULL, writer_main, &w) != 0) {
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "gazetteer build: cannot start the writer thread");
        goto out;
    }
    thread_started = 1;
    rc = run(&p, &w, out_path, tmp_idx, sources, n_sources);

out:
    if (thread_started) {
        pthread_mutex_lock(&ch.mu);
        if (rc != INCMAP_OK)
            ch.abandon = 1;
        pthread_cond_broadcast(&ch.cv);
        pthread_mutex_unlock(&ch.mu);
        pthread_join(thread, NULL);
        /* The writer's error explains a parser stop with INCMAP_ERR_DB and no message of its own. */
        if (ch.writer_rc != INCMAP_OK && (rc == INCMAP_OK || rc == INCMAP_ERR_DB)) {
            rc = ch.writer_rc;
            if (err)
                *err = ch.writer_err;
        }
    }
    incmap_index_derived_free(ch.derived);
    incmap_index_builder_free(p.ib);
    for (int i = 0; i < N_BATCHES; i++)
        batch_free(batches[i]);
    sqlite3_finalize(w.ins_place);
    sqlite3_finalize(w.ins_alt);
    sqlite3_finalize(w.ins_admin1);
    sqlite3_finalize(w.ins_admin2);
    sqlite3_finalize(w.ins_country);
    if (w.db && sqlite3_close(w.db) != SQLITE_OK && rc == INCMAP_OK)
        rc = incmap_fail(err, INCMAP_ERR_DB, "%s: cannot close: %s", tmp_db, sqlite3_errmsg(w.db));
    if (sync_ok) {
        pthread_cond_destroy(&ch.cv);
        pthread_mutex_destroy(&ch.mu);
    }
    if (rc == INCMAP_OK) {
        /* The index first: a reader that opens the new database and finds the old index sees
         * mismatched build ids and says so, instead of silently using stale names. */
        if (rename(tmp_idx, final_idx) != 0 || rename(tmp_db, out_path) != 0)
            rc = incmap_fail(err, INCMAP_ERR_IO, "%s: cannot rename into place: %s", out_path, strerror(errno));
    }
    if (rc != INCMAP_OK) {
        unlink(tmp_db);
        unlink(tmp_idx);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    stats->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    free(tmp_db);
    free(tmp_idx);
    free(final_idx);
    return rc;
}
