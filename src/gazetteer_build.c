/* gazetteer_build.c: GeoNames files -> SQLite gazetteer -> compiled name index.
 *
 * Each source is read line by line (gzip or plain, via zlib), so memory does not grow with the
 * file. A line with the wrong number of columns or an invalid value is reported as FILE:LINE
 * and skipped: a column is never shifted. The same geonameid in several files: the row with
 * the newer modification date wins, and on a tie the file named later. */
#include <errno.h>
#include <math.h>
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

typedef enum { SRC_GEONAME, SRC_ADMIN1, SRC_ADMIN2, SRC_COUNTRY, SRC_ALTNAMES, SRC_CURATED } source_kind;

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *ins_place, *ins_alt, *ins_admin1, *ins_admin2, *ins_country;
    const incmap_import_options *opt;
    incmap_import_stats *stats;
    incmap_error *err;
    const char *path;
    unsigned long line;
    int file_no;
} builder;

static void warn(builder *b, const char *fmt, ...) INCMAP_PRINTF(2, 3);
static void warn(builder *b, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (b->opt->quiet)
        return;
    if (b->opt->warn)
        b->opt->warn(b->opt->warn_user, msg);
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

static incmap_status db_exec(builder *b, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(b->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        incmap_fail(b->err, INCMAP_ERR_DB, "gazetteer build: %s (in: %.80s)", msg ? msg : "?", sql);
        sqlite3_free(msg);
        return INCMAP_ERR_DB;
    }
    return INCMAP_OK;
}

static incmap_status prepare(builder *b, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(b->db, sql, -1, st, NULL) != SQLITE_OK)
        return incmap_fail(b->err, INCMAP_ERR_DB, "gazetteer build: %s", sqlite3_errmsg(b->db));
    return INCMAP_OK;
}

/* ---------------------------------------------------------------- line parsing */

static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p; p++) {
        if (*p == '\t') {
            *p = 0;
            if (n == max)
                return max + 1; /* too many: reported, never truncated */
            f[n++] = p + 1;
        }
    }
    return n;
}

static int parse_int(const char *s, long long *v, int allow_empty)
{
    if (!*s) {
        *v = 0;
        return allow_empty;
    }
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return !errno && *end == 0;
}

static int parse_coord(const char *s, double *v, double lim)
{
    char *end;
    if (!*s)
        return 0;
    *v = strtod(s, &end);
    return *end == 0 && isfinite(*v) && fabs(*v) <= lim;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Returns NULL when the line is fine, else why it is malformed. */
static const char *load_geoname(builder *b, char **f, int n)
{
    long long id, pop, elev, dem;
    double lat, lon;
    if (n != 19)
        return n > 19 ? "more than 19 tab-separated columns" : "fewer than 19 tab-separated columns";
    if (!parse_int(f[0], &id, 0) || id <= 0 || id > UINT32_MAX)
        return "column 1 (geonameid) is not a positive integer";
    if (!*f[1])
        return "column 2 (name) is empty";
    if (!parse_coord(f[4], &lat, 90))
        return "column 5 (latitude) is not a number in [-90, 90]";
    if (!parse_coord(f[5], &lon, 180))
        return "column 6 (longitude) is not a number in [-180, 180]";
    if (strlen(f[6]) > 1)
        return "column 7 (feature class) is longer than one letter";
    if (strlen(f[7]) > 10)
        return "column 8 (feature code) is longer than 10 characters";
    if (*f[8] && strlen(f[8]) != 2)
        return "column 9 (country code) is not two letters";
    if (!parse_int(f[14], &pop, 1) || pop < 0)
        return "column 15 (population) is not a non-negative integer";
    if (!parse_int(f[15], &elev, 1))
        elev = 0; /* elevation is informative only; GeoNames leaves odd values here */
    if (!parse_int(f[16], &dem, 1))
        dem = 0;
    sqlite3_stmt *st = b->ins_place;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    for (int i = 1; i <= 3; i++)
        bind_text(st, i + 1, f[i]);
    sqlite3_bind_double(st, 5, lat);
    sqlite3_bind_double(st, 6, lon);
    for (int i = 6; i <= 13; i++)
        bind_text(st, i + 1, f[i]);
    sqlite3_bind_int64(st, 15, pop);
    sqlite3_bind_int64(st, 16, elev);
    sqlite3_bind_int64(st, 17, dem);
    bind_text(st, 18, f[17]);
    bind_text(st, 19, f[18]);
    bind_text(st, 20, b->path);
    sqlite3_bind_int(st, 21, b->file_no);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sqlite3_errmsg(b->db);
    b->stats->places++;
    return NULL;
}

static const char *load_admin(builder *b, sqlite3_stmt *st, char **f, int n)
{
    long long id;
    if (n != 4)
        return "expected 4 tab-separated columns (code, name, ascii name, geonameid)";
    if (!strchr(f[0], '.'))
        return "column 1 (code) is not of the form CC.CODE";
    if (!parse_int(f[3], &id, 0) || id <= 0)
        return "column 4 (geonameid) is not a positive integer";
    sqlite3_reset(st);
    for (int i = 0; i < 3; i++)
        bind_text(st, i + 1, f[i]);
    sqlite3_bind_int64(st, 4, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sqlite3_errmsg(b->db);
    b->stats->admin_codes++;
    return NULL;
}

static const char *load_country(builder *b, char **f, int n)
{
    long long id, pop;
    if (n < 17)
        return "expected at least 17 tab-separated columns";
    if (strlen(f[0]) != 2)
        return "column 1 (ISO code) is not two letters";
    if (!parse_int(f[16], &id, 0) || id <= 0)
        return "column 17 (geonameid) is not a positive integer";
    if (!parse_int(f[7], &pop, 1))
        pop = 0;
    sqlite3_stmt *st = b->ins_country;
    sqlite3_reset(st);
    bind_text(st, 1, f[0]);
    bind_text(st, 2, f[1]);
    bind_text(st, 3, f[4]);
    bind_text(st, 4, f[5]);
    sqlite3_bind_int64(st, 5, pop);
    bind_text(st, 6, f[8]);
    sqlite3_bind_int64(st, 7, id);
    long long isonum;
    if (parse_int(f[2], &isonum, 0) && isonum > 0)
        sqlite3_bind_int64(st, 8, isonum);
    else
        sqlite3_bind_null(st, 8); /* Kosovo has none: not a reason to drop the country */
    if (sqlite3_step(st) != SQLITE_DONE)
        return sqlite3_errmsg(b->db);
    b->stats->countries++;
    return NULL;
}

static const char *insert_alt(builder *b, long long id, const char *lang, const char *name, int flags)
{
    sqlite3_stmt *st = b->ins_alt;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, lang);
    bind_text(st, 3, name);
    sqlite3_bind_int(st, 4, flags);
    bind_text(st, 5, b->path);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sqlite3_errmsg(b->db);
    b->stats->names++;
    return NULL;
}

/* alternateNamesV2.txt: id, geonameid, isolanguage, name, isPreferred, isShort, isColloquial,
 * isHistoric, from, to (the older alternateNames.txt has the first 8). Links, postal codes and
 * airport codes are not names a text uses for a place. */
static const char *load_altname(builder *b, char **f, int n)
{
    long long id;
    if (n != 10 && n != 8)
        return "expected 10 tab-separated columns (or 8 in the older format)";
    if (!parse_int(f[1], &id, 0) || id <= 0)
        return "column 2 (geonameid) is not a positive integer";
    if (!*f[3])
        return "column 4 (name) is empty";
    const char *lang = f[2];
    if (!strcmp(lang, "link") || !strcmp(lang, "post") || !strcmp(lang, "iata") || !strcmp(lang, "icao") ||
        !strcmp(lang, "faac") || !strcmp(lang, "wkdt") || !strcmp(lang, "unlc") || !strcmp(lang, "phon"))
        return NULL;
    int flags = (*f[7] == '1') ? 1 : 0; /* historic */
    return insert_alt(b, id, lang, f[3], flags);
}

static const char *load_curated(builder *b, char **f, int n)
{
    long long id;
    if (n != 3)
        return "expected 3 tab-separated columns (geonameid, lang, name)";
    if (!parse_int(f[0], &id, 0) || id <= 0)
        return "column 1 (geonameid) is not a positive integer";
    if (!*f[2])
        return "column 3 (name) is empty";
    return insert_alt(b, id, f[1], f[2], 0);
}

/* Reads one line of any length; returns its length, or -1 at end of file. */
static long read_line(gzFile gz, incmap_buf *line)
{
    incmap_buf_clear(line);
    char chunk[8192];
    while (gzgets(gz, chunk, sizeof chunk)) {
        size_t k = strlen(chunk);
        incmap_buf_append(line, chunk, k);
        if (k && chunk[k - 1] == '\n')
            break;
    }
    if (!line->len)
        return -1;
    while (line->len && (line->s[line->len - 1] == '\n' || line->s[line->len - 1] == '\r'))
        line->s[--line->len] = 0;
    return (long)line->len;
}

static incmap_status load_file(builder *b, const char *path)
{
    source_kind kind = kind_of(path);
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return incmap_fail(b->err, INCMAP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(gz, 1 << 17);
    b->path = path;
    b->line = 0;
    incmap_buf line = {0};
    incmap_status rc = INCMAP_OK;
    int latin1_warned = 0;
    while (read_line(gz, &line) >= 0) {
        b->line++;
        b->stats->rows_read++;
        if (line.oom) {
            rc = incmap_fail(b->err, INCMAP_ERR_NOMEM, "%s:%lu: out of memory", path, b->line);
            break;
        }
        if (!line.len || line.s[0] == '#')
            continue;
        /* GeoNames files are UTF-8; a line that is not is read as Windows-1252 (an editor saved
         * the file in Latin-1), and said once per file. */
        incmap_text t;
        incmap_error derr;
        char *text = line.s;
        if (incmap_text_decode(line.s, line.len, path, &t, &derr) != INCMAP_OK) {
            warn(b, "%s:%lu: %s; line skipped", path, b->line, derr.message);
            b->stats->skipped_malformed++;
            if (b->opt->strict) {
                rc = incmap_fail(b->err, INCMAP_ERR_FORMAT, "%s:%lu: %s (--strict)", path, b->line, derr.message);
                break;
            }
            continue;
        }
        if (strcmp(t.encoding, "UTF-8") != 0 && !latin1_warned) {
            warn(b, "%s:%lu: not UTF-8; reading this file's non-UTF-8 lines as %s", path, b->line, t.encoding);
            latin1_warned = 1;
        }
        text = t.utf8;
        char *f[MAX_FIELDS + 1];
        int n = split_tabs(text, f, MAX_FIELDS);
        const char *bad = NULL;
        switch (kind) {
        case SRC_GEONAME: bad = load_geoname(b, f, n); break;
        case SRC_ADMIN1: bad = load_admin(b, b->ins_admin1, f, n); break;
        case SRC_ADMIN2: bad = load_admin(b, b->ins_admin2, f, n); break;
        case SRC_COUNTRY: bad = load_country(b, f, n); break;
        case SRC_ALTNAMES: bad = load_altname(b, f, n); break;
        case SRC_CURATED: bad = load_curated(b, f, n); break;
        }
        incmap_text_free(&t);
        if (bad) {
            b->stats->skipped_malformed++;
            if (b->opt->strict) {
                rc = incmap_fail(b->err, INCMAP_ERR_FORMAT, "%s:%lu: %s (%s; --strict)", path, b->line, bad,
                                 kind_name(kind));
                break;
            }
            warn(b, "%s:%lu: %s (%s); line skipped", path, b->line, bad, kind_name(kind));
        }
    }
    int gzerr = 0;
    const char *gzmsg = gzerror(gz, &gzerr);
    if (rc == INCMAP_OK && gzerr != Z_OK && gzerr != Z_STREAM_END)
        rc = incmap_fail(b->err, INCMAP_ERR_IO, "%s:%lu: read error: %s (truncated or corrupt file?)", path,
                         b->line, gzmsg);
    gzclose(gz);
    incmap_buf_free(&line);
    b->stats->files++;
    return rc;
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

    builder b = {.opt = opt, .stats = stats, .err = err};
    incmap_status rc = INCMAP_OK;
    if (sqlite3_open_v2(tmp_db, &b.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        rc = incmap_fail(err, INCMAP_ERR_IO, "%s: cannot create the gazetteer: %s", tmp_db,
                         b.db ? sqlite3_errmsg(b.db) : "out of memory");
        goto out;
    }
    if ((rc = db_exec(&b, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-200000;")) ||
        (rc = db_exec(&b, SCHEMA)) || (rc = db_exec(&b, "BEGIN")))
        goto out;
    if ((rc = prepare(&b,
                      "INSERT INTO place VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,"
                      "?20,?21) ON CONFLICT(geonameid) DO UPDATE SET name=excluded.name,"
                      " asciiname=excluded.asciiname, alternatenames=excluded.alternatenames, lat=excluded.lat,"
                      " lon=excluded.lon, fclass=excluded.fclass, fcode=excluded.fcode, country=excluded.country,"
                      " cc2=excluded.cc2, admin1=excluded.admin1, admin2=excluded.admin2, admin3=excluded.admin3,"
                      " admin4=excluded.admin4, population=excluded.population, elevation=excluded.elevation,"
                      " dem=excluded.dem, timezone=excluded.timezone, moddate=excluded.moddate,"
                      " source=excluded.source, file_no=excluded.file_no"
                      " WHERE coalesce(excluded.moddate, '') >= coalesce(place.moddate, '')",
                      &b.ins_place)) ||
        (rc = prepare(&b, "INSERT INTO altname VALUES(?1,?2,?3,?4,?5)", &b.ins_alt)) ||
        (rc = prepare(&b, "INSERT OR REPLACE INTO admin1 VALUES(?1,?2,?3,?4)", &b.ins_admin1)) ||
        (rc = prepare(&b, "INSERT OR REPLACE INTO admin2 VALUES(?1,?2,?3,?4)", &b.ins_admin2)) ||
        (rc = prepare(&b, "INSERT OR REPLACE INTO country VALUES(?1,?2,?3,?4,?5,?6,?7,?8)", &b.ins_country)))
        goto out;
    for (size_t i = 0; i < n_sources && rc == INCMAP_OK; i++) {
        b.file_no = (int)i;
        rc = load_file(&b, sources[i]);
    }
    /* Sources that hold no place (an image, a zip, the wrong file) would otherwise be renamed
     * over a working gazetteer as an empty one. */
    if (rc == INCMAP_OK && !stats->places)
        rc = incmap_fail(err, INCMAP_ERR_FORMAT,
                         "%s: no place imported from %zu source file(s) (%llu malformed lines skipped): are they "
                         "GeoNames dumps? Nothing was written",
                         out_path, n_sources, (unsigned long long)stats->skipped_malformed);
    if (rc)
        goto out;
    if ((rc = db_exec(&b, "CREATE INDEX altname_id ON altname(geonameid);"
                          "CREATE INDEX place_country_code ON place(country, fcode);"
                          "CREATE INDEX place_admin ON place(country, admin1, admin2);")) ||
        (rc = db_exec(&b, DERIVE_SQL)))
        goto out;

    char build_id[32], when[32];
    random_id(build_id, sizeof build_id);
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    sqlite3_stmt *meta = NULL;
    if ((rc = prepare(&b, "INSERT INTO meta VALUES(?1, ?2)", &meta)))
        goto out;
    char schema[16];
    snprintf(schema, sizeof schema, "%d", INCMAP_GAZETTEER_SCHEMA);
    const char *kv[][2] = {{"schema_version", schema}, {"build_id", build_id}, {"built_at", when},
                           {"generator", "incmap " INCMAP_VERSION}};
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++) {
        sqlite3_reset(meta);
        sqlite3_bind_text(meta, 1, kv[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(meta, 2, kv[i][1], -1, SQLITE_STATIC);
        sqlite3_step(meta);
    }
    sqlite3_finalize(meta);
    if ((rc = db_exec(&b, "COMMIT")))
        goto out;
    if ((rc = incmap_index_write(b.db, tmp_idx, build_id, err)))
        goto out;
    if ((rc = db_exec(&b, "ANALYZE")))
        goto out;

out:
    sqlite3_finalize(b.ins_place);
    sqlite3_finalize(b.ins_alt);
    sqlite3_finalize(b.ins_admin1);
    sqlite3_finalize(b.ins_admin2);
    sqlite3_finalize(b.ins_country);
    if (b.db && sqlite3_close(b.db) != SQLITE_OK && rc == INCMAP_OK)
        rc = incmap_fail(err, INCMAP_ERR_DB, "%s: cannot close: %s", tmp_db, sqlite3_errmsg(b.db));
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
