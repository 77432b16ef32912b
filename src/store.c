/* store.c: the incident store: opening and locking it, the schema and its migrations, and
 * recording or forgetting one article in one transaction (see store.h for the tables).
 *
 * Crash safety: the database is in WAL mode with synchronous=NORMAL. Every change of one input
 * (its article, mentions, reports and the incidents they touch) is one transaction, so a process
 * killed at any moment leaves each input either as it was or as it became, never half-written;
 * the next run redoes whatever had not committed. WAL rather than a rollback journal because a
 * commit then costs one append to the -wal file and no fsync (a rollback journal syncs the
 * journal and the database at every commit: thousands of fsyncs for a full build), and a power
 * cut can at worst lose the last few commits, never corrupt the file. update.c checkpoints once
 * at the end of a run, which syncs the database before any layer is replaced. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dates.h"

/* PRAGMA application_id: "INCM". A database with another id is not ours to migrate. */
#define STORE_APPLICATION_ID 0x494E434D

/* ------------------------------------------------------------------ schema */

/* Migrations: MIGRATIONS[v] takes a store from schema v to v + 1. Never edit one that has been
 * released; add the next. SpatiaLite must be loaded (AddGeometryColumn keeps its metadata). */
static const char *const MIGRATIONS[] = {
    /* 0 -> 1 */
    "SELECT InitSpatialMetaData(0, 'WGS84');"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta VALUES('generation', '0');"
    "CREATE TABLE articles("
    " article_id TEXT PRIMARY KEY,"       /* 16 hex digits of sha256 */
    " sha256 TEXT NOT NULL UNIQUE,"
    " source TEXT NOT NULL,"              /* URL, else the first input key */
    " url TEXT, title TEXT, published TEXT, published_from TEXT, language TEXT, encoding TEXT,"
    " kind TEXT NOT NULL,"                /* text, html, feed */
    " processed_at TEXT NOT NULL,"
    " n_places INTEGER NOT NULL, n_reports INTEGER NOT NULL);"
    "CREATE TABLE inputs("
    " key TEXT PRIMARY KEY,"              /* absolute path, or FEED#ID */
    " article_id TEXT NOT NULL,"
    " sha256 TEXT NOT NULL);"
    "CREATE INDEX inputs_article ON inputs(article_id);"
    "CREATE TABLE mentions("
    " article_id TEXT NOT NULL, ord INTEGER NOT NULL,"
    " text TEXT NOT NULL, start INTEGER NOT NULL, \"end\" INTEGER NOT NULL,"
    " resolved INTEGER NOT NULL, geonameid INTEGER, name TEXT, feature_code TEXT,"
    " country TEXT, admin1 TEXT, admin2 TEXT, lat REAL, lon REAL,"
    " geo_precision INTEGER, score REAL, why TEXT, section TEXT,"
    " fallback_geonameid INTEGER, fallback_name TEXT,"
    " PRIMARY KEY(article_id, ord));"
    "SELECT AddGeometryColumn('mentions', 'geom', 4326, 'POINT', 'XY');"
    "CREATE TABLE incidents("
    " incident_id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " event_id_cnty TEXT NOT NULL UNIQUE,"
    " event_date TEXT, year INTEGER, time_precision INTEGER,"
    " event_type TEXT, sub_event_type TEXT, actor1 TEXT, actor2 TEXT,"
    " country_code TEXT, iso3 TEXT, country TEXT, iso INTEGER,"
    " admin1 TEXT, admin2 TEXT, location TEXT, geonameid INTEGER,"
    " has_coords INTEGER NOT NULL DEFAULT 0, lat REAL, lon REAL, geo_precision INTEGER,"
    " fatalities INTEGER, injured INTEGER, background INTEGER, confidence REAL,"
    " source TEXT, notes TEXT, evidence TEXT, article_id TEXT, n_reports INTEGER);"
    "SELECT AddGeometryColumn('incidents', 'geom', 4326, 'POINT', 'XY');"
    "SELECT CreateSpatialIndex('incidents', 'geom');"
    "CREATE INDEX incidents_date ON incidents(event_date);"
    "CREATE TABLE reports("
    " article_id TEXT NOT NULL, ord INTEGER NOT NULL,"
    " incident_id INTEGER NOT NULL,"
    " event_id_cnty TEXT NOT NULL,"       /* the id an incident founded by this report takes */
    " published TEXT,"
    " event_date TEXT, time_precision INTEGER, date_text TEXT, day_lo INTEGER, day_hi INTEGER,"
    " event_type TEXT, sub_event_type TEXT, actor1 TEXT, actor2 TEXT,"
    " fatalities INTEGER, fatalities_stated INTEGER, injured INTEGER,"
    " location TEXT, geonameid INTEGER, has_coords INTEGER NOT NULL, lat REAL, lon REAL,"
    " country_code TEXT, iso3 TEXT, country TEXT, iso INTEGER, admin1 TEXT, admin2 TEXT,"
    " geo_precision INTEGER, background INTEGER, confidence REAL, evidence TEXT, notes TEXT,"
    " PRIMARY KEY(article_id, ord));"
    "SELECT AddGeometryColumn('reports', 'geom', 4326, 'POINT', 'XY');"
    "CREATE INDEX reports_incident ON reports(incident_id);"
    "CREATE INDEX reports_match ON reports(sub_event_type, day_lo);"
    "CREATE TABLE outputs(path TEXT PRIMARY KEY, generation INTEGER NOT NULL);"
    /* For people reading the store: which articles report each incident. */
    "CREATE VIEW incident_sources AS SELECT r.incident_id, i.event_id_cnty, a.article_id, a.source,"
    " a.url, a.published, r.fatalities, r.evidence FROM reports r JOIN incidents i USING(incident_id)"
    " JOIN articles a USING(article_id);",
};

static const char *const SQL[SQ__COUNT] = {
    [SQ_INPUT_GET] = "SELECT article_id, sha256 FROM inputs WHERE key = ?1",
    [SQ_INPUT_PUT] = "INSERT INTO inputs(key, article_id, sha256) VALUES(?1, ?2, ?3)"
                     " ON CONFLICT(key) DO UPDATE SET article_id = excluded.article_id, sha256 = excluded.sha256",
    [SQ_INPUT_DEL] = "DELETE FROM inputs WHERE key = ?1",
    [SQ_INPUT_REFS] = "SELECT count(*) FROM inputs WHERE article_id = ?1 AND key <> ?2",
    [SQ_INPUT_RANGE] = "SELECT key FROM inputs WHERE key >= ?1 AND key < ?2 ORDER BY key",
    [SQ_ARTICLE_BY_SHA] = "SELECT article_id FROM articles WHERE sha256 = ?1",
    [SQ_ARTICLE_PUT] = "INSERT INTO articles(article_id, sha256, source, url, title, published, published_from,"
                       " language, encoding, kind, processed_at, n_places, n_reports)"
                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [SQ_ARTICLE_DEL] = "DELETE FROM articles WHERE article_id = ?1",
    [SQ_MENTION_PUT] = "INSERT INTO mentions(article_id, ord, text, start, \"end\", resolved, geonameid, name,"
                       " feature_code, country, admin1, admin2, lat, lon, geo_precision, score, why, section,"
                       " fallback_geonameid, fallback_name, geom) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                       " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
                       " CASE WHEN ?13 IS NOT NULL THEN MakePoint(?14, ?13, 4326) END)",
    [SQ_MENTION_DEL] = "DELETE FROM mentions WHERE article_id = ?1",
    [SQ_REPORTS_OF_ARTICLE] = "SELECT incident_id, sub_event_type, day_lo, day_hi, has_coords, lat, lon,"
                              " geo_precision, country_code FROM reports WHERE article_id = ?1 ORDER BY ord",
    [SQ_REPORT_DEL] = "DELETE FROM reports WHERE article_id = ?1",
    [SQ_REPORT_PUT] = "INSERT INTO reports(article_id, ord, incident_id, event_id_cnty, published, event_date,"
                      " time_precision, date_text, day_lo, day_hi, event_type, sub_event_type, actor1, actor2,"
                      " fatalities, fatalities_stated, injured, location, geonameid, has_coords, lat, lon,"
                      " country_code, iso3, country, iso, admin1, admin2, geo_precision, background, confidence,"
                      " evidence, notes, geom) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                      " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30,"
                      " ?31, ?32, ?33, CASE WHEN ?20 THEN MakePoint(?22, ?21, 4326) END)",
    /* Reports whose date window may touch [?2, ?3] (windows are at most 31 days wide, so
     * day_lo >= ?2 - 33 bounds the index range). */
    [SQ_REPORT_CANDIDATES] = "SELECT incident_id, sub_event_type, day_lo, day_hi, has_coords, lat, lon,"
                             " geo_precision, country_code FROM reports"
                             " WHERE sub_event_type = ?1 AND day_lo BETWEEN ?2 - 33 AND ?3 + 1 AND day_hi >= ?2 - 1"
                             " AND article_id <> ?4 ORDER BY incident_id",
    [SQ_REPORT_IN_INCIDENT] = "SELECT 1 FROM reports WHERE incident_id = ?1 AND article_id = ?2",
    [SQ_REPORTS_OF_INCIDENT] = "SELECT r.article_id, r.ord, r.published, r.event_date, r.time_precision,"
                               " r.event_type, r.sub_event_type, r.actor1, r.actor2, r.fatalities,"
                               " r.fatalities_stated, r.injured, r.location, r.geonameid, r.has_coords, r.lat,"
                               " r.lon, r.country_code, r.iso3, r.country, r.iso, r.admin1, r.admin2,"
                               " r.geo_precision, r.background, r.confidence, r.evidence, a.source, r.notes"
                               " FROM reports r JOIN articles a USING(article_id) WHERE r.incident_id = ?1"
                               " ORDER BY r.article_id, r.ord",
    [SQ_INCIDENT_NEW] = "INSERT INTO incidents(event_id_cnty) VALUES(?1)",
    [SQ_INCIDENT_ID_TAKEN] = "SELECT 1 FROM incidents WHERE event_id_cnty = ?1",
    [SQ_INCIDENT_DEL] = "DELETE FROM incidents WHERE incident_id = ?1",
    [SQ_INCIDENT_SET] = "UPDATE incidents SET event_date = ?2, year = ?3, time_precision = ?4, event_type = ?5,"
                        " sub_event_type = ?6, actor1 = ?7, actor2 = ?8, country_code = ?9, iso3 = ?10,"
                        " country = ?11, iso = ?12, admin1 = ?13, admin2 = ?14, location = ?15, geonameid = ?16,"
                        " has_coords = ?17, lat = ?18, lon = ?19, geo_precision = ?20, fatalities = ?21,"
                        " injured = ?22, background = ?23, confidence = ?24, source = ?25, notes = ?26,"
                        " evidence = ?27, article_id = ?28, n_reports = ?29,"
                        " geom = CASE WHEN ?17 THEN MakePoint(?19, ?18, 4326) END WHERE incident_id = ?1",
    [SQ_INCIDENT_COUNT] = "SELECT count(*) FROM incidents",
    [SQ_GEN_GET] = "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'",
    [SQ_GEN_BUMP] = "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'",
    [SQ_OUTPUT_GET] = "SELECT generation FROM outputs WHERE path = ?1",
    [SQ_OUTPUT_PUT] = "INSERT OR REPLACE INTO outputs(path, generation) VALUES(?1, ?2)",
    [SQ_OUTPUT_DEL] = "DELETE FROM outputs WHERE path = ?1",
};

/* ------------------------------------------------------------------ helpers */

incmap_status incmap_store_fail(incmap_store *s, incmap_error *err, const char *doing)
{
    return incmap_fail(err, INCMAP_ERR_DB, "store %s: %s: %s", s->path, doing, sqlite3_errmsg(s->db));
}

sqlite3_stmt *incmap_store_stmt(incmap_store *s, store_sql q, incmap_error *err)
{
    if (!s->st[q]) {
        if (sqlite3_prepare_v3(s->db, SQL[q], -1, SQLITE_PREPARE_PERSISTENT, &s->st[q], NULL) != SQLITE_OK) {
            incmap_store_fail(s, err, "preparing a statement (is the store from another incmap version?)");
            return NULL;
        }
    } else {
        sqlite3_reset(s->st[q]);
        sqlite3_clear_bindings(s->st[q]);
    }
    return s->st[q];
}

incmap_status incmap_store_exec(incmap_store *s, const char *sql, incmap_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        incmap_fail(err, INCMAP_ERR_DB, "store %s: %s (in: %.60s)", s->path, msg ? msg : sqlite3_errmsg(s->db), sql);
        sqlite3_free(msg);
        return INCMAP_ERR_DB;
    }
    return INCMAP_OK;
}

incmap_status incmap_store_begin(incmap_store *s, incmap_error *err)
{
    return incmap_store_exec(s, "BEGIN IMMEDIATE", err);
}

incmap_status incmap_store_commit(incmap_store *s, incmap_error *err)
{
    return incmap_store_exec(s, "COMMIT", err);
}

void incmap_store_rollback(incmap_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void incmap_store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

const char *incmap_store_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* ------------------------------------------------------------------ lock */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Takes an exclusive flock on PATH.lock (a file of its own: SQLite's POSIX locks on the database
 * must not be disturbed by another descriptor on it), waiting up to wait seconds, and writes our
 * pid into it so that the next process can say who holds it. */
static incmap_status take_lock(const char *path, double wait, int *fd_out, incmap_error *err)
{
    char lp[4096];
    if (snprintf(lp, sizeof lp, "%s.lock", path) >= (int)sizeof lp)
        return incmap_fail(err, INCMAP_ERR_USAGE, "store path too long: %s", path);
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return incmap_fail(err, INCMAP_ERR_IO, "cannot open the lock file %s: %s (is the directory writable?)", lp,
                           strerror(errno));
    double deadline = now_seconds() + wait;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            incmap_fail(err, INCMAP_ERR_IO, "cannot lock %s: %s", lp, strerror(errno));
            close(fd);
            return INCMAP_ERR_IO;
        }
        if (wait >= 0 && now_seconds() >= deadline) {
            char pid[32] = "";
            ssize_t k = pread(fd, pid, sizeof pid - 1, 0);
            pid[k > 0 ? k : 0] = 0;
            pid[strcspn(pid, "\n")] = 0;
            incmap_fail(err, INCMAP_ERR_LIMIT,
                        "store %s is in use by another incmap process%s%s%s (lock %s)%s: try again later, or "
                        "pass --wait SECONDS to wait for it",
                        path, *pid ? " (pid " : "", pid, *pid ? ")" : "", lp,
                        wait > 0 ? "; waited until the time limit" : "");
            close(fd);
            return INCMAP_ERR_LIMIT;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        /* The pid is only for messages; the lock is what matters. */
    }
    *fd_out = fd;
    return INCMAP_OK;
}

/* ------------------------------------------------------------------ open / close */

incmap_store_options incmap_store_default_options(void)
{
    incmap_store_options o = {0};
    return o;
}

static incmap_status pragma_int(incmap_store *s, const char *sql, int64_t *out, incmap_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return incmap_store_fail(s, err, "reading the store's header (is it an SQLite database?)");
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return incmap_store_fail(s, err, "reading the store's header (is it an SQLite database?)");
    return INCMAP_OK;
}

static incmap_status load_spatialite(incmap_store *s, incmap_error *err)
{
    char *msg = NULL;
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, NULL);
    int rc = sqlite3_load_extension(s->db, "mod_spatialite", NULL, &msg);
    /* Only this one extension: SQL from a database must not be able to load code. */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
    if (rc != SQLITE_OK) {
        incmap_fail(err, INCMAP_ERR_DB,
                    "store %s: cannot load SpatiaLite (mod_spatialite): %s; install libsqlite3-mod-spatialite",
                    s->path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return INCMAP_ERR_DB;
    }
    return INCMAP_OK;
}

static incmap_status migrate(incmap_store *s, incmap_error *err)
{
    int64_t version, app_id, n_objects;
    incmap_status rc;
    if ((rc = pragma_int(s, "PRAGMA user_version", &version, err)) ||
        (rc = pragma_int(s, "PRAGMA application_id", &app_id, err)) ||
        (rc = pragma_int(s, "SELECT count(*) FROM sqlite_master", &n_objects, err)))
        return rc;
    if (app_id != STORE_APPLICATION_ID && (app_id != 0 || n_objects != 0))
        return incmap_fail(err, INCMAP_ERR_DB,
                           "%s is an SQLite database but not an incmap store: pass another --store FILE", s->path);
    if (version > INCMAP_STORE_SCHEMA)
        return incmap_fail(err, INCMAP_ERR_DB,
                           "store %s has schema %lld, newer than this incmap's %d: upgrade incmap (incmap %s)",
                           s->path, (long long)version, INCMAP_STORE_SCHEMA, INCMAP_VERSION);
    for (int64_t v = version; v < INCMAP_STORE_SCHEMA; v++) {
        char bump[96];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %lld; PRAGMA application_id = %d;", (long long)v + 1,
                 STORE_APPLICATION_ID);
        if ((rc = incmap_store_begin(s, err)) || (rc = incmap_store_exec(s, MIGRATIONS[v], err)) ||
            (rc = incmap_store_exec(s, bump, err)) || (rc = incmap_store_commit(s, err))) {
            incmap_store_rollback(s);
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err ? err->message : "");
            return incmap_fail(err, rc, "migrating the store to schema %lld failed: %s", (long long)v + 1, why);
        }
    }
    return INCMAP_OK;
}

incmap_store *incmap_store_open(const char *path, const incmap_store_options *opt, incmap_error *err)
{
    incmap_store_options o = opt ? *opt : incmap_store_default_options();
    incmap_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->lock_fd = -1;
    if (o.must_exist && access(path, F_OK) != 0) {
        incmap_fail(err, INCMAP_ERR_IO, "no store at %s: %s (incmap update creates it)", path, strerror(errno));
        goto fail;
    }
    if (take_lock(path, o.wait_seconds, &s->lock_fd, err) != INCMAP_OK)
        goto fail;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        incmap_fail(err, INCMAP_ERR_IO, "cannot open store %s: %s", path,
                    s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 1);
    int64_t ignored;
    if (load_spatialite(s, err) != INCMAP_OK ||
        pragma_int(s, "PRAGMA journal_mode = WAL", &ignored, err) != INCMAP_OK ||
        /* A checkpoint syncs the WAL and the database; one article's commit writes some twenty
         * pages, so SQLite's default of a checkpoint every 1000 pages meant two fsyncs every few
         * dozen articles, which dominated a full build. 16384 pages (64 MB of WAL at most) is a
         * handful of checkpoints per 10,000 articles; update.c checkpoints at the end anyway. */
        incmap_store_exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 16384;",
                          err) != INCMAP_OK ||
        migrate(s, err) != INCMAP_OK)
        goto fail;
    return s;
fail:
    incmap_store_close(s);
    return NULL;
}

void incmap_store_close(incmap_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < SQ__COUNT; i++)
        sqlite3_finalize(s->st[i]);
    /* The last connection to close checkpoints the WAL into the database and removes it, so a
     * store at rest is one file. */
    sqlite3_close(s->db);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    free(s->path);
    free(s);
}

/* ------------------------------------------------------------------ queries */

incmap_status incmap_store_input_get(incmap_store *s, const char *key, char article_id[17], char sha256[65],
                                     incmap_error *err)
{
    article_id[0] = sha256[0] = 0;
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_INPUT_GET, err);
    if (!st)
        return INCMAP_ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(article_id, 17, "%s", incmap_store_col(st, 0));
        snprintf(sha256, 65, "%s", incmap_store_col(st, 1));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? INCMAP_OK : incmap_store_fail(s, err, "looking up an input");
}

int incmap_store_article_by_sha(incmap_store *s, const char *sha256, char article_id[17], incmap_error *err)
{
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_ARTICLE_BY_SHA, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(article_id, 17, "%s", incmap_store_col(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        incmap_store_fail(s, err, "looking up an article");
        return -1;
    }
    return rc == SQLITE_ROW;
}

incmap_status incmap_store_keys_between(incmap_store *s, const char *lo, const char *hi,
                                        int (*fn)(void *user, const char *key), void *user, incmap_error *err)
{
    /* Keys are collected first: fn may change the inputs table, which must not happen while a
     * statement reads it. */
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_INPUT_RANGE, err);
    if (!st)
        return INCMAP_ERR_DB;
    sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
    char **keys = NULL;
    size_t n = 0, cap = 0;
    int rc;
    incmap_status out = INCMAP_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (incmap_grow(&keys, &cap, n + 1, sizeof *keys) || !(keys[n] = strdup(incmap_store_col(st, 0)))) {
            out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory listing the store's inputs");
            break;
        }
        n++;
    }
    if (out == INCMAP_OK && rc != SQLITE_DONE)
        out = incmap_store_fail(s, err, "listing inputs");
    sqlite3_reset(st);
    for (size_t i = 0; i < n; i++) {
        if (out == INCMAP_OK && fn(user, keys[i]))
            out = err && err->code ? err->code : INCMAP_ERR_DB;
        free(keys[i]);
    }
    free(keys);
    return out;
}

int64_t incmap_store_generation(incmap_store *s, incmap_error *err)
{
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_GEN_GET, err);
    if (!st)
        return -1;
    int64_t g = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (g < 0)
        incmap_store_fail(s, err, "reading the generation");
    return g;
}

size_t incmap_store_incident_count(incmap_store *s)
{
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_INCIDENT_COUNT, NULL);
    if (!st)
        return 0;
    size_t n = sqlite3_step(st) == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return n;
}

/* ------------------------------------------------------------------ changes */

/* Incidents touched by a change: refreshed (or deleted when empty) before it commits. */
typedef struct {
    int64_t *v;
    size_t n, cap;
} id_set;

static int id_set_add(id_set *t, int64_t id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i] == id)
            return 0;
    if (incmap_grow(&t->v, &t->cap, t->n + 1, sizeof *t->v))
        return -1;
    t->v[t->n++] = id;
    return 0;
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE;
}

/* Deletes an article with its mentions and reports when no input other than key has it. The
 * reports' match keys go into *released (for re-use by the new version of the same input) and
 * their incidents into touched. */
static incmap_status release_article(incmap_store *s, const char *article_id, const char *key,
                                     store_match_key **released, size_t *n_released, id_set *touched,
                                     int *deleted, incmap_error *err)
{
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_INPUT_REFS, err);
    if (!st)
        return INCMAP_ERR_DB;
    sqlite3_bind_text(st, 1, article_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int64_t refs = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (refs < 0)
        return incmap_store_fail(s, err, "counting an article's inputs");
    if (refs > 0)
        return INCMAP_OK;
    if (!(st = incmap_store_stmt(s, SQ_REPORTS_OF_ARTICLE, err)))
        return INCMAP_ERR_DB;
    sqlite3_bind_text(st, 1, article_id, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_match_key k = {0};
        k.incident_id = sqlite3_column_int64(st, 0);
        snprintf(k.sub_event_type, sizeof k.sub_event_type, "%s", incmap_store_col(st, 1));
        k.day_lo = sqlite3_column_int(st, 2);
        k.day_hi = sqlite3_column_int(st, 3);
        k.has_coords = sqlite3_column_int(st, 4);
        k.lat = sqlite3_column_double(st, 5);
        k.lon = sqlite3_column_double(st, 6);
        k.geo_precision = sqlite3_column_int(st, 7);
        snprintf(k.country, sizeof k.country, "%s", incmap_store_col(st, 8));
        if (id_set_add(touched, k.incident_id) ||
            (released && incmap_grow(released, &cap, *n_released + 1, sizeof **released))) {
            sqlite3_reset(st);
            return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        }
        if (released)
            (*released)[(*n_released)++] = k;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return incmap_store_fail(s, err, "reading an article's reports");
    static const store_sql dels[] = {SQ_REPORT_DEL, SQ_MENTION_DEL, SQ_ARTICLE_DEL};
    for (size_t i = 0; i < sizeof dels / sizeof *dels; i++) {
        if (!(st = incmap_store_stmt(s, dels[i], err)))
            return INCMAP_ERR_DB;
        sqlite3_bind_text(st, 1, article_id, -1, SQLITE_STATIC);
        if (!step_done(st))
            return incmap_store_fail(s, err, "deleting an article's records");
    }
    *deleted = 1;
    return INCMAP_OK;
}

static incmap_status put_mentions(incmap_store *s, const store_article *a, incmap_error *err)
{
    const incmap_doc *d = a->doc;
    for (size_t i = 0; i < d->n_places; i++) {
        const incmap_place *p = &d->places[i];
        sqlite3_stmt *st = incmap_store_stmt(s, SQ_MENTION_PUT, err);
        if (!st)
            return INCMAP_ERR_DB;
        sqlite3_bind_text(st, 1, a->article_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_text(st, 3, p->text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)p->start);
        sqlite3_bind_int64(st, 5, (int64_t)p->end);
        sqlite3_bind_int(st, 6, p->resolved);
        if (p->resolved)
            sqlite3_bind_int64(st, 7, p->geonameid);
        incmap_store_bind_text(st, 8, p->name);
        incmap_store_bind_text(st, 9, p->feature_code);
        incmap_store_bind_text(st, 10, p->country);
        incmap_store_bind_text(st, 11, p->admin1);
        incmap_store_bind_text(st, 12, p->admin2);
        if (p->has_coords) {
            sqlite3_bind_double(st, 13, p->lat);
            sqlite3_bind_double(st, 14, p->lon);
        }
        sqlite3_bind_int(st, 15, p->geo_precision);
        sqlite3_bind_double(st, 16, p->score);
        incmap_store_bind_text(st, 17, p->why);
        incmap_store_bind_text(st, 18, p->section);
        if (p->fallback_geonameid)
            sqlite3_bind_int64(st, 19, p->fallback_geonameid);
        incmap_store_bind_text(st, 20, p->fallback_name);
        if (!step_done(st))
            return incmap_store_fail(s, err, "recording a place mention");
    }
    return INCMAP_OK;
}

/* The event id an incident founded by report ord of an article takes: as the layers API defines
 * it for `geocode` output, so an incident reported once has the same id in both:
 * ISO3 + (the first 12 hex digits of article_id) * 10000 + ord. */
static void founding_event_id(const char *iso3, const char *article_id, size_t ord, char out[40])
{
    char hex[13];
    snprintf(hex, sizeof hex, "%.12s", article_id);
    unsigned long long v = strtoull(hex, NULL, 16);
    snprintf(out, 40, "%s%llu", iso3 && *iso3 ? iso3 : "XXX", v * 10000ULL + (unsigned long long)ord);
}

/* A new incident row for a report; its id text is the founding id, or the next free number after
 * it when an incident that outlived the article holds it already. */
static incmap_status new_incident(incmap_store *s, const char *event_id, int64_t *id, incmap_error *err)
{
    char try_id[48];
    snprintf(try_id, sizeof try_id, "%s", event_id);
    size_t digits = strcspn(event_id, "0123456789");
    for (int attempt = 0; attempt < 10000; attempt++) {
        sqlite3_stmt *st = incmap_store_stmt(s, SQ_INCIDENT_ID_TAKEN, err);
        if (!st)
            return INCMAP_ERR_DB;
        sqlite3_bind_text(st, 1, try_id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW)
            return incmap_store_fail(s, err, "checking an event id");
        unsigned long long v = strtoull(event_id + digits, NULL, 10) + (unsigned long long)attempt + 1;
        snprintf(try_id, sizeof try_id, "%.*s%llu", (int)digits, event_id, v);
    }
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_INCIDENT_NEW, err);
    if (!st)
        return INCMAP_ERR_DB;
    sqlite3_bind_text(st, 1, try_id, -1, SQLITE_STATIC);
    if (!step_done(st))
        return incmap_store_fail(s, err, "creating an incident");
    *id = sqlite3_last_insert_rowid(s->db);
    return INCMAP_OK;
}

static incmap_status put_reports(incmap_store *s, incmap_gazetteer *gz, const store_article *a,
                                 store_match_key *released, size_t n_released, id_set *touched, store_counts *c,
                                 incmap_error *err)
{
    const incmap_doc *d = a->doc;
    incmap_arena *arena = incmap_arena_new();
    if (!arena)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    incmap_status rc = INCMAP_OK;
    for (size_t i = 0; i < d->n_incidents && rc == INCMAP_OK; i++) {
        const incmap_incident *inc = &d->incidents[i];
        const incmap_place *pl = inc->place >= 0 && (size_t)inc->place < d->n_places ? &d->places[inc->place] : NULL;
        incmap_gz_country cn = {0};
        cn.iso3 = cn.name = "";
        if (gz && inc->country && *inc->country &&
            (rc = incmap_gazetteer_country(gz, inc->country, arena, &cn, err)) != INCMAP_OK)
            break;
        store_match_key k = {0};
        snprintf(k.sub_event_type, sizeof k.sub_event_type, "%s", inc->sub_event_type ? inc->sub_event_type : "");
        int has_window = incmap_report_window(inc->event_date, inc->time_precision, d->published, &k.day_lo, &k.day_hi);
        k.has_coords = inc->has_coords;
        k.lat = inc->lat;
        k.lon = inc->lon;
        k.geo_precision = inc->geo_precision;
        snprintf(k.country, sizeof k.country, "%s", inc->country ? inc->country : "");
        char event_id[40];
        founding_event_id(cn.iso3, a->article_id, i, event_id);
        int64_t incident_id = 0;
        int merged = 0;
        if (has_window && (rc = incmap_store_find_incident(s, &k, a->article_id, released, n_released, &incident_id,
                                                           &merged, err)) != INCMAP_OK)
            break;
        if (!incident_id) {
            if ((rc = new_incident(s, event_id, &incident_id, err)) != INCMAP_OK)
                break;
            c->added++;
        } else if (merged) {
            c->merged++;
        }
        if (id_set_add(touched, incident_id)) {
            rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
            break;
        }
        sqlite3_stmt *st = incmap_store_stmt(s, SQ_REPORT_PUT, err);
        if (!st) {
            rc = INCMAP_ERR_DB;
            break;
        }
        sqlite3_bind_text(st, 1, a->article_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_int64(st, 3, incident_id);
        sqlite3_bind_text(st, 4, event_id, -1, SQLITE_STATIC);
        incmap_store_bind_text(st, 5, d->published);
        incmap_store_bind_text(st, 6, inc->event_date);
        if (inc->time_precision)
            sqlite3_bind_int(st, 7, inc->time_precision);
        incmap_store_bind_text(st, 8, inc->date_text);
        if (has_window) {
            sqlite3_bind_int64(st, 9, k.day_lo);
            sqlite3_bind_int64(st, 10, k.day_hi);
        }
        incmap_store_bind_text(st, 11, inc->event_type);
        incmap_store_bind_text(st, 12, inc->sub_event_type);
        incmap_store_bind_text(st, 13, inc->actor1);
        incmap_store_bind_text(st, 14, inc->actor2);
        sqlite3_bind_int(st, 15, inc->fatalities);
        sqlite3_bind_int(st, 16, inc->fatalities_stated);
        if (inc->injured >= 0)
            sqlite3_bind_int(st, 17, inc->injured);
        incmap_store_bind_text(st, 18, inc->location);
        /* As the layers API does for geocode: the entry whose coordinates the incident carries. */
        int64_t gid = pl ? (pl->resolved ? pl->geonameid : pl->fallback_geonameid) : 0;
        if (gid)
            sqlite3_bind_int64(st, 19, gid);
        sqlite3_bind_int(st, 20, inc->has_coords);
        if (inc->has_coords) {
            sqlite3_bind_double(st, 21, inc->lat);
            sqlite3_bind_double(st, 22, inc->lon);
        }
        incmap_store_bind_text(st, 23, inc->country);
        incmap_store_bind_text(st, 24, cn.iso3);
        incmap_store_bind_text(st, 25, cn.name);
        if (cn.isonum)
            sqlite3_bind_int(st, 26, cn.isonum);
        incmap_store_bind_text(st, 27, inc->admin1);
        incmap_store_bind_text(st, 28, pl ? pl->admin2 : NULL);
        if (inc->geo_precision)
            sqlite3_bind_int(st, 29, inc->geo_precision);
        sqlite3_bind_int(st, 30, inc->background);
        sqlite3_bind_double(st, 31, inc->confidence);
        incmap_store_bind_text(st, 32, inc->evidence);
        if (a->rows && i < a->rows->n_incidents)
            incmap_store_bind_text(st, 33, a->rows->incidents[i].notes);
        if (!step_done(st))
            rc = incmap_store_fail(s, err, "recording an incident report");
    }
    incmap_arena_destroy(arena);
    return rc;
}

static incmap_status put_article_row(incmap_store *s, const store_article *a, incmap_error *err)
{
    const incmap_doc *d = a->doc;
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_ARTICLE_PUT, err);
    if (!st)
        return INCMAP_ERR_DB;
    sqlite3_bind_text(st, 1, a->article_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->source, -1, SQLITE_STATIC);
    incmap_store_bind_text(st, 4, a->url);
    incmap_store_bind_text(st, 5, a->title);
    incmap_store_bind_text(st, 6, d->published);
    incmap_store_bind_text(st, 7, d->published_from);
    incmap_store_bind_text(st, 8, d->language);
    incmap_store_bind_text(st, 9, d->encoding);
    sqlite3_bind_text(st, 10, a->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, a->processed_at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, (int64_t)d->n_places);
    sqlite3_bind_int64(st, 13, (int64_t)d->n_incidents);
    return step_done(st) ? INCMAP_OK : incmap_store_fail(s, err, "recording an article");
}

/* Refreshes or deletes every touched incident and bumps the generation: the layers change. */
static incmap_status settle(incmap_store *s, const id_set *touched, store_counts *c, incmap_error *err)
{
    for (size_t i = 0; i < touched->n; i++) {
        int deleted = 0;
        incmap_status rc = incmap_store_refresh_incident(s, touched->v[i], &deleted, err);
        if (rc != INCMAP_OK)
            return rc;
        c->removed += (size_t)deleted;
    }
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_GEN_BUMP, err);
    if (!st)
        return INCMAP_ERR_DB;
    return step_done(st) ? INCMAP_OK : incmap_store_fail(s, err, "bumping the generation");
}

incmap_status incmap_store_put(incmap_store *s, incmap_gazetteer *gz, const store_article *a, store_counts *c,
                               incmap_error *err)
{
    store_counts local = {0};
    id_set touched = {0};
    store_match_key *released = NULL;
    size_t n_released = 0;
    char old_id[17], old_sha[65];
    incmap_status rc = incmap_store_begin(s, err);
    if (rc != INCMAP_OK)
        return rc;
    if ((rc = incmap_store_input_get(s, a->key, old_id, old_sha, err)) != INCMAP_OK)
        goto fail;
    int deleted = 0;
    /* The old version goes first, so that the new one's reports neither merge with it nor lose
     * its incident ids: a matching released report hands its incident over. */
    if (*old_id && strcmp(old_id, a->article_id) != 0 &&
        (rc = release_article(s, old_id, a->key, &released, &n_released, &touched, &deleted, err)) != INCMAP_OK)
        goto fail;
    if (a->doc && ((rc = put_article_row(s, a, err)) != INCMAP_OK || (rc = put_mentions(s, a, err)) != INCMAP_OK ||
                   (rc = put_reports(s, gz, a, released, n_released, &touched, &local, err)) != INCMAP_OK))
        goto fail;
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_INPUT_PUT, err);
    if (!st) {
        rc = INCMAP_ERR_DB;
        goto fail;
    }
    sqlite3_bind_text(st, 1, a->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->article_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->sha256, -1, SQLITE_STATIC);
    if (!step_done(st)) {
        rc = incmap_store_fail(s, err, "recording an input");
        goto fail;
    }
    if ((a->doc || deleted) && (rc = settle(s, &touched, &local, err)) != INCMAP_OK)
        goto fail;
    if ((rc = incmap_store_commit(s, err)) != INCMAP_OK)
        goto fail;
    c->added += local.added;
    c->merged += local.merged;
    c->removed += local.removed;
    free(touched.v);
    free(released);
    return INCMAP_OK;
fail:
    incmap_store_rollback(s);
    free(touched.v);
    free(released);
    return rc;
}

incmap_status incmap_store_remove_input(incmap_store *s, const char *key, store_counts *c, incmap_error *err)
{
    store_counts local = {0};
    id_set touched = {0};
    char old_id[17], old_sha[65];
    incmap_status rc = incmap_store_begin(s, err);
    if (rc != INCMAP_OK)
        return rc;
    if ((rc = incmap_store_input_get(s, key, old_id, old_sha, err)) != INCMAP_OK)
        goto fail;
    int deleted = 0;
    if (*old_id && (rc = release_article(s, old_id, key, NULL, NULL, &touched, &deleted, err)) != INCMAP_OK)
        goto fail;
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_INPUT_DEL, err);
    if (!st) {
        rc = INCMAP_ERR_DB;
        goto fail;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (!step_done(st)) {
        rc = incmap_store_fail(s, err, "forgetting an input");
        goto fail;
    }
    if ((deleted && (rc = settle(s, &touched, &local, err)) != INCMAP_OK) ||
        (rc = incmap_store_commit(s, err)) != INCMAP_OK)
        goto fail;
    c->removed += local.removed;
    free(touched.v);
    return INCMAP_OK;
fail:
    incmap_store_rollback(s);
    free(touched.v);
    return rc;
}
