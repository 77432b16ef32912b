/* store_sqlite.c: the incident store in one SQLite file with SpatiaLite points: opening and
 * locking it, its schema and migrations, and the statement interface of store.h over SQLite.
 *
 * One process at a time: an exclusive flock on PATH.lock, held until the store is closed.
 *
 * Crash safety: the database is in WAL mode with synchronous=NORMAL. Every change of one input
 * (its article, mentions, reports and the incidents they touch) is one transaction (store.c), so
 * a process killed at any moment leaves each input either as it was or as it became, never
 * half-written; the next run redoes whatever had not committed. WAL rather than a rollback
 * journal because a commit then costs one append to the -wal file and no fsync (a rollback
 * journal syncs the journal and the database at every commit: thousands of fsyncs for a full
 * build), and a power cut can at worst lose the last few commits, never corrupt the file.
 * update.c checkpoints once at the end of a run, which syncs the database before any layer is
 * replaced. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

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

/* Where SQLite's SQL differs from store.c's: SpatiaLite's points, and the generation in meta. */
static const char *const SQLITE_SQL[SQ__COUNT] = {
    [SQ_MENTION_PUT] = "INSERT INTO mentions(article_id, ord, text, start, \"end\", resolved, geonameid, name,"
                       " feature_code, country, admin1, admin2, lat, lon, geo_precision, score, why, section,"
                       " fallback_geonameid, fallback_name, geom) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                       " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
                       " CASE WHEN ?13 IS NOT NULL THEN MakePoint(?14, ?13, 4326) END)",
    [SQ_REPORT_PUT] = "INSERT INTO reports(article_id, ord, incident_id, event_id_cnty, published, event_date,"
                      " time_precision, date_text, day_lo, day_hi, event_type, sub_event_type, actor1, actor2,"
                      " fatalities, fatalities_stated, injured, location, geonameid, has_coords, lat, lon,"
                      " country_code, iso3, country, iso, admin1, admin2, geo_precision, background, confidence,"
                      " evidence, notes, geom) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                      " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30,"
                      " ?31, ?32, ?33, CASE WHEN ?20 THEN MakePoint(?22, ?21, 4326) END)",
    [SQ_INCIDENT_SET] = "UPDATE incidents SET event_date = ?2, year = ?3, time_precision = ?4, event_type = ?5,"
                        " sub_event_type = ?6, actor1 = ?7, actor2 = ?8, country_code = ?9, iso3 = ?10,"
                        " country = ?11, iso = ?12, admin1 = ?13, admin2 = ?14, location = ?15, geonameid = ?16,"
                        " has_coords = ?17, lat = ?18, lon = ?19, geo_precision = ?20, fatalities = ?21,"
                        " injured = ?22, background = ?23, confidence = ?24, source = ?25, notes = ?26,"
                        " evidence = ?27, article_id = ?28, n_reports = ?29,"
                        " geom = CASE WHEN ?17 THEN MakePoint(?19, ?18, 4326) END WHERE incident_id = ?1",
    [SQ_GEN_GET] = "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'",
    [SQ_GEN_BUMP] = "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'",
};

/* ------------------------------------------------------------------ statements */

typedef struct {
    store_stmt base;
    sqlite3_stmt *st;
} sqlite_stmt;

static store_stmt *sl_prepare(incmap_store *s, const char *sql, incmap_error *err);

static void sl_finalize(store_stmt *st)
{
    sqlite_stmt *x = (sqlite_stmt *)st;
    sqlite3_finalize(x->st);
    free(x);
}

static void sl_reset(store_stmt *st)
{
    sqlite_stmt *x = (sqlite_stmt *)st;
    sqlite3_reset(x->st);
    sqlite3_clear_bindings(x->st);
}

/* Indexes beyond the statement's parameters fail with SQLITE_RANGE, which is what "ignored"
 * means here. */
static void sl_bind_text(store_stmt *st, int i, const char *v)
{
    sqlite_stmt *x = (sqlite_stmt *)st;
    if (v && *v)
        sqlite3_bind_text(x->st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(x->st, i);
}

static void sl_bind_int64(store_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(((sqlite_stmt *)st)->st, i, v);
}

static void sl_bind_double(store_stmt *st, int i, double v)
{
    sqlite3_bind_double(((sqlite_stmt *)st)->st, i, v);
}

static int sl_step(store_stmt *st)
{
    int rc = sqlite3_step(((sqlite_stmt *)st)->st);
    return rc == SQLITE_ROW ? STORE_ROW : rc == SQLITE_DONE ? STORE_DONE : STORE_ERROR;
}

static const char *sl_column(store_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(((sqlite_stmt *)st)->st, i);
}

static int64_t sl_column_int64(store_stmt *st, int i)
{
    return sqlite3_column_int64(((sqlite_stmt *)st)->st, i);
}

static double sl_column_double(store_stmt *st, int i)
{
    return sqlite3_column_double(((sqlite_stmt *)st)->st, i);
}

const char *incmap_store_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* ------------------------------------------------------------------ transactions */

/* SQLite says "database or disk is full" and leaves the reader to guess which: a store on a full
 * file system is told as that, with what to do. A static string, as sqlite3_errmsg's is. */
static int sl_disk_full(incmap_store *s)
{
    return (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_FULL || sqlite3_system_errno(s->db) == ENOSPC;
}

#define SL_FULL_MESSAGE                                                                                        \
    "No space left on device (SQLite: database or disk is full): free some space and run again; what was "   \
    "committed stays, consistent"

static incmap_status sl_exec(incmap_store *s, const char *sql, incmap_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        incmap_fail(err, INCMAP_ERR_DB, "store %s: %s (in: %.60s)", s->path,
                    sl_disk_full(s) ? SL_FULL_MESSAGE : msg ? msg : sqlite3_errmsg(s->db), sql);
        sqlite3_free(msg);
        return INCMAP_ERR_DB;
    }
    return INCMAP_OK;
}

/* A writer takes the write lock at once (IMMEDIATE); a reader's deferred transaction is a
 * snapshot from its first read. */
static incmap_status sl_begin(incmap_store *s, int snapshot, incmap_error *err)
{
    return sl_exec(s, snapshot ? "BEGIN" : "BEGIN IMMEDIATE", err);
}

static incmap_status sl_commit(incmap_store *s, incmap_error *err)
{
    return sl_exec(s, "COMMIT", err);
}

static void sl_rollback(incmap_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static const char *sl_errmsg(incmap_store *s)
{
    return sl_disk_full(s) ? SL_FULL_MESSAGE : sqlite3_errmsg(s->db);
}

static int sl_retryable(incmap_store *s)
{
    (void)s;
    return 0; /* one writer: nothing to lose a race against */
}

static incmap_status sl_checkpoint(incmap_store *s, incmap_error *err)
{
    return sl_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", err);
}

static void sl_close(incmap_store *s)
{
    /* The last connection to close checkpoints the WAL into the database and removes it, so a
     * store at rest is one file. */
    sqlite3_close(s->db);
    s->db = NULL;
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    s->lock_fd = -1;
}

static const store_driver SQLITE_DRIVER = {
    .name = "SQLite",
    .sql = SQLITE_SQL,
    .temp_schema = "temp.",
    .bbox_sql = " ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'incidents'"
                " AND f_geometry_column = 'geom' AND search_frame = BuildMbr(%s, ?3, %s, ?5, 4326))",
    .prepare = sl_prepare,
    .finalize = sl_finalize,
    .reset = sl_reset,
    .bind_text = sl_bind_text,
    .bind_int64 = sl_bind_int64,
    .bind_double = sl_bind_double,
    .step = sl_step,
    .column = sl_column,
    .column_int64 = sl_column_int64,
    .column_double = sl_column_double,
    .exec = sl_exec,
    .begin = sl_begin,
    .commit = sl_commit,
    .rollback = sl_rollback,
    .errmsg = sl_errmsg,
    .retryable = sl_retryable,
    .checkpoint = sl_checkpoint,
    .close = sl_close,
};

static store_stmt *sl_prepare(incmap_store *s, const char *sql, incmap_error *err)
{
    sqlite_stmt *x = calloc(1, sizeof *x);
    if (!x) {
        incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    x->base.drv = &SQLITE_DRIVER;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &x->st, NULL) != SQLITE_OK) {
        incmap_fail(err, INCMAP_ERR_DB,
                    "store %s: preparing a statement (is the store from another incmap version?): %s", s->path,
                    sqlite3_errmsg(s->db));
        sqlite3_finalize(x->st);
        free(x);
        return NULL;
    }
    return &x->base;
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

static incmap_status header_fail(incmap_store *s, incmap_error *err)
{
    /* Opening a WAL store creates its -shm file: on a full disk that is where it fails. */
    if (sl_disk_full(s))
        return incmap_fail(err, INCMAP_ERR_DB, "store %s: %s (opening it)", s->path, SL_FULL_MESSAGE);
    return incmap_fail(err, INCMAP_ERR_DB, "store %s: reading the store's header (is it an SQLite database?): %s",
                       s->path, sqlite3_errmsg(s->db));
}

static incmap_status pragma_int(incmap_store *s, const char *sql, int64_t *out, incmap_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return header_fail(s, err);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return header_fail(s, err);
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

/* What the file is, before anything writes to it: a store from a newer incmap, or an SQLite
 * database of something else, is refused untouched (switching it to WAL would already rewrite
 * its header). */
static incmap_status check_header(incmap_store *s, int64_t *version, incmap_error *err)
{
    int64_t app_id, n_objects;
    incmap_status rc;
    if ((rc = pragma_int(s, "PRAGMA user_version", version, err)) ||
        (rc = pragma_int(s, "PRAGMA application_id", &app_id, err)) ||
        (rc = pragma_int(s, "SELECT count(*) FROM sqlite_master", &n_objects, err)))
        return rc;
    if (app_id != STORE_APPLICATION_ID && (app_id != 0 || n_objects != 0))
        return incmap_fail(err, INCMAP_ERR_DB,
                           "%s is an SQLite database but not an incmap store: pass another --store FILE", s->path);
    if (*version > INCMAP_STORE_SCHEMA)
        return incmap_fail(err, INCMAP_ERR_DB,
                           "store %s has schema %lld, newer than this incmap's %d: upgrade incmap (incmap %s); "
                           "the store was not modified",
                           s->path, (long long)*version, INCMAP_STORE_SCHEMA, INCMAP_VERSION);
    return INCMAP_OK;
}

static incmap_status migrate(incmap_store *s, int64_t version, incmap_error *err)
{
    incmap_status rc;
    for (int64_t v = version; v < INCMAP_STORE_SCHEMA; v++) {
        char bump[96];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %lld; PRAGMA application_id = %d;", (long long)v + 1,
                 STORE_APPLICATION_ID);
        if ((rc = sl_begin(s, 0, err)) || (rc = sl_exec(s, MIGRATIONS[v], err)) || (rc = sl_exec(s, bump, err)) ||
            (rc = sl_commit(s, err))) {
            sl_rollback(s);
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err ? err->message : "");
            return incmap_fail(err, rc, "migrating the store to schema %lld failed: %s", (long long)v + 1, why);
        }
    }
    return INCMAP_OK;
}

incmap_status incmap_store_sqlite_open(incmap_store *s, const incmap_store_options *o, incmap_error *err)
{
    const char *path = s->path;
    s->drv = &SQLITE_DRIVER;
    if (o->must_exist && access(path, F_OK) != 0)
        return incmap_fail(err, INCMAP_ERR_IO, "no store at %s: %s (incmap update creates it)", path, strerror(errno));
    incmap_status rc = take_lock(path, o->wait_seconds, &s->lock_fd, err);
    if (rc != INCMAP_OK)
        return rc;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        return incmap_fail(err, INCMAP_ERR_IO, "cannot open store %s: %s", path,
                           s->db ? sqlite3_errmsg(s->db) : "out of memory");
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 1);
    int64_t ignored, version;
    if ((rc = check_header(s, &version, err)) != INCMAP_OK || (rc = load_spatialite(s, err)) != INCMAP_OK ||
        (rc = pragma_int(s, "PRAGMA journal_mode = WAL", &ignored, err)) != INCMAP_OK ||
        /* A checkpoint syncs the WAL and the database; one article's commit writes some twenty
         * pages, so SQLite's default of a checkpoint every 1000 pages meant two fsyncs every few
         * dozen articles, which dominated a full build. 16384 pages (64 MB of WAL at most) is a
         * handful of checkpoints per 10,000 articles; update.c checkpoints at the end anyway. */
        (rc = sl_exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 16384;",
                      err)) != INCMAP_OK)
        return rc;
    return migrate(s, version, err);
}
