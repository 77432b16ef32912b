/* store.h: the incident store's insides, shared by store.c (opening, recording or forgetting an
 * article), store_dedup.c (placing reports into incidents, recomputing an incident from its
 * reports, the neighbourhood a report's placement depends on), store_export.c (layers from the
 * tables), update.c (inputs to records) and the two backends:
 *
 *   store_sqlite.c  one SQLite file with SpatiaLite points, one process at a time (a flock)
 *   store_pg.c      a PostgreSQL/PostGIS database, several `incmap update` workers at once
 *
 * Everything above the SQL (what a report merges with, what an incident says, which inputs are
 * new, the layers) is written once, against the statement interface below (store_stmt, a
 * prepared statement with ?N parameters, stepped row by row). A backend supplies it through a
 * store_driver: the SQL of each statement where its dialect differs (geometry, upserts), and the
 * hooks that only matter with several writers (claims on inputs, neighbourhood locks, row
 * locks), which are no-ops for SQLite.
 *
 * Tables (schema 1; SQL in store.c, store_sqlite.c and store_pg.c):
 *   meta(key, value)        SQLite: 'generation', bumped by every change the layers show
 *                           (PostgreSQL: the sum of the rows of `generation`, see store_pg.c)
 *   articles                one per distinct content (article_id: 16 hex digits of its SHA-256)
 *   inputs(key, article_id) where each article was found: an absolute path or FEED#ID; several
 *                           inputs may share one article (the same text under two names)
 *   mentions                every place mention of an article, with a point
 *   reports                 an incident as one article codes it, with a point; incident_id says
 *                           which merged incident it belongs to
 *   incidents               merged incidents, recomputed from their reports, with a point
 *   outputs(path, generation) the generation each output file was last written from
 */
#ifndef INCMAP_STORE_H
#define INCMAP_STORE_H

#include <sqlite3.h>

#include "gazetteer.h"
#include "incmap.h"
#include "util.h"

/* Statements, made on first use and kept for the store's life. */
typedef enum {
    SQ_INPUT_GET,
    SQ_INPUT_PUT,
    SQ_INPUT_DEL,
    SQ_INPUT_REFS,
    SQ_INPUT_RANGE,
    SQ_INPUT_FRESH,  /* PostgreSQL: recorded by another worker since this run listed its inputs */
    SQ_ARTICLE_BY_SHA,
    SQ_ARTICLE_PUT,
    SQ_ARTICLE_DEL,
    SQ_MENTION_PUT,
    SQ_MENTION_DEL,
    SQ_REPORTS_OF_ARTICLE,
    SQ_REPORT_DEL,
    SQ_REPORT_PUT,
    SQ_REPORT_CANDIDATES,
    SQ_REPORT_IN_INCIDENT,
    SQ_REPORTS_OF_INCIDENT,
    SQ_INCIDENT_NEW,
    SQ_INCIDENT_LOCK, /* PostgreSQL: the incident's row, locked before it is recomputed */
    SQ_INCIDENT_DEL,
    SQ_INCIDENT_SET,
    SQ_INCIDENT_COUNT,
    SQ_GEN_GET,
    SQ_GEN_BUMP,
    SQ_OUTPUT_GET,
    SQ_OUTPUT_PUT,
    SQ_OUTPUT_DEL,
    SQ__COUNT
} store_sql;

/* ------------------------------------------------------------------ statements */

/* A prepared statement of either backend. Parameters are ?1, ?2, ... in the SQL of both (the
 * PostgreSQL driver rewrites them as $1, $2, ...). Binding NULL or "" as text binds SQL NULL.
 * Extra bindings beyond the statement's parameters are ignored. */
typedef struct store_stmt store_stmt;

enum { STORE_ERROR = -1, STORE_DONE = 0, STORE_ROW = 1 };

typedef struct store_driver store_driver;
struct store_stmt {
    const store_driver *drv; /* a backend's statement starts with this */
};

struct store_driver {
    const char *name;       /* "SQLite", "PostgreSQL": for messages */
    int shared;             /* several processes, on several machines, write the store */
    const char *const *sql; /* SQL[q] where this dialect differs from store.c's; NULL entries: the common SQL */
    const char *temp_schema; /* how temporary tables are qualified: "temp." or "pg_temp." */
    /* A bounding-box test on incidents.geom through the spatial index, with two %s for the west
     * and east bounds (SQL expressions) and ?3, ?5 for south and north. */
    const char *bbox_sql;

    store_stmt *(*prepare)(incmap_store *s, const char *sql, incmap_error *err);
    void (*finalize)(store_stmt *st);
    void (*reset)(store_stmt *st); /* ready to run again; bindings cleared */
    void (*bind_text)(store_stmt *st, int i, const char *v);
    void (*bind_int64)(store_stmt *st, int i, int64_t v);
    void (*bind_double)(store_stmt *st, int i, double v);
    int (*step)(store_stmt *st); /* STORE_ROW, STORE_DONE or STORE_ERROR */
    const char *(*column)(store_stmt *st, int i); /* NULL for SQL NULL; valid until the next step */
    int64_t (*column_int64)(store_stmt *st, int i);
    double (*column_double)(store_stmt *st, int i);

    incmap_status (*exec)(incmap_store *s, const char *sql, incmap_error *err);
    /* snapshot: one consistent view of the store for several reads (export) */
    incmap_status (*begin)(incmap_store *s, int snapshot, incmap_error *err);
    incmap_status (*commit)(incmap_store *s, incmap_error *err);
    void (*rollback)(incmap_store *s);
    const char *(*errmsg)(incmap_store *s); /* the last failure's message */
    int (*retryable)(incmap_store *s);      /* the last failure was a deadlock or serialisation failure */
    incmap_status (*checkpoint)(incmap_store *s, incmap_error *err); /* durable before layers change */
    void (*close)(incmap_store *s);

    /* Several writers (NULL: one process at a time, as with SQLite's flock). */
    int (*claim)(incmap_store *s, const char *key, const char *sha256, int wait, incmap_error *err);
    void (*unclaim)(incmap_store *s);
    incmap_status (*lock_keys)(incmap_store *s, const int64_t *keys, size_t n, incmap_error *err);
    incmap_status (*lock_output)(incmap_store *s, const char *path, int lock, incmap_error *err);
    incmap_status (*mark_listing)(incmap_store *s, incmap_error *err);
    /* Many inputs' content hashes in one round trip (NULL: one query each, as cheap in SQLite). */
    incmap_status (*inputs_get)(incmap_store *s, const char *const *keys, size_t n, char (*sha256)[65],
                                incmap_error *err);
};

struct incmap_store {
    const store_driver *drv;
    char *path;     /* what messages name: the file, or the URL without its password */
    sqlite3 *db;    /* SQLite: the database */
    int lock_fd;    /* SQLite: the flock on PATH.lock, -1 when none */
    struct store_pg *pg; /* PostgreSQL: the connection and its state (store_pg.c) */
    store_stmt *st[SQ__COUNT];
    int closing;        /* statements are finalized because the store closes (no cleanup on the server) */
    char listed_at[64]; /* PostgreSQL: server time when this run started listing inputs, "" before */
};

/* The cached statement for q, reset and with its bindings cleared; NULL after filling err. */
store_stmt *incmap_store_stmt(incmap_store *s, store_sql q, incmap_error *err);
/* 1 when this backend has a statement q (SQ_INCIDENT_LOCK, SQ_INPUT_FRESH are PostgreSQL's). */
int incmap_store_has(const incmap_store *s, store_sql q);
/* A one-off statement (export's filtered queries); free it with store_finalize. */
store_stmt *incmap_store_prepare(incmap_store *s, const char *sql, incmap_error *err);

static inline void store_finalize(store_stmt *st)
{
    if (st)
        st->drv->finalize(st);
}
static inline void store_reset(store_stmt *st) { st->drv->reset(st); }
/* NULL or "" binds SQL NULL. The text is copied. */
static inline void store_bind_text(store_stmt *st, int i, const char *v) { st->drv->bind_text(st, i, v); }
static inline void store_bind_int64(store_stmt *st, int i, int64_t v) { st->drv->bind_int64(st, i, v); }
static inline void store_bind_int(store_stmt *st, int i, int v) { st->drv->bind_int64(st, i, v); }
static inline void store_bind_double(store_stmt *st, int i, double v) { st->drv->bind_double(st, i, v); }
static inline int store_step(store_stmt *st) { return st->drv->step(st); }
/* Column i of the current row: text (NULL for SQL NULL), text ("" for SQL NULL), numbers (0). */
static inline const char *store_opt(store_stmt *st, int i) { return st->drv->column(st, i); }
static inline const char *store_text(store_stmt *st, int i)
{
    const char *v = st->drv->column(st, i);
    return v ? v : "";
}
static inline int store_is_null(store_stmt *st, int i) { return st->drv->column(st, i) == NULL; }
static inline int64_t store_int64(store_stmt *st, int i) { return st->drv->column_int64(st, i); }
static inline int store_int(store_stmt *st, int i) { return (int)st->drv->column_int64(st, i); }
static inline double store_double(store_stmt *st, int i) { return st->drv->column_double(st, i); }
/* Steps a statement that returns no row, then resets it: 1 when it ran to the end. */
static inline int store_step_done(store_stmt *st)
{
    int rc = store_step(st);
    store_reset(st);
    return rc == STORE_DONE;
}

/* Runs SQL without results. */
incmap_status incmap_store_exec(incmap_store *s, const char *sql, incmap_error *err);
/* An INCMAP_ERR_DB error naming the store, what was being done and the database's message. */
incmap_status incmap_store_fail(incmap_store *s, incmap_error *err, const char *doing);

incmap_status incmap_store_begin(incmap_store *s, incmap_error *err);
incmap_status incmap_store_commit(incmap_store *s, incmap_error *err);
void incmap_store_rollback(incmap_store *s);

/* SQLite only (kept for the unit tests, which read the database directly): a text column, "" for
 * NULL. */
const char *incmap_store_col(sqlite3_stmt *st, int i);

/* 1 when path names a PostgreSQL database: postgresql://..., postgres://... or PG:... (GDAL's
 * form, followed by libpq keyword=value pairs). */
int incmap_store_is_pg(const char *path);

/* The backends' open functions: fill s (drv, path, db or pg) or fail. s->path is set. */
incmap_status incmap_store_sqlite_open(incmap_store *s, const incmap_store_options *o, incmap_error *err);
incmap_status incmap_store_pg_open(incmap_store *s, const char *url, const incmap_store_options *o,
                                   incmap_error *err);

/* ------------------------------------------------------------------ several writers */

/* Claims an input for this process before it is coded: its key and (when not NULL) its content
 * hash, so that no other worker codes the same input or the same article meanwhile. 1 claimed,
 * 0 another worker holds it (wait = 0), -1 on error. Claims end with incmap_store_unclaim, or
 * when the process dies (PostgreSQL session locks end with the connection). SQLite: always 1
 * (the store's flock already excludes other processes). */
int incmap_store_claim(incmap_store *s, const char *key, const char *sha256, int wait, incmap_error *err);
void incmap_store_unclaim(incmap_store *s);
/* The lock key of an article's content (article_id: 16 hex digits), claimed by the worker coding
 * or linking it and locked by a change that deletes it. */
int64_t incmap_store_article_lock(const char *article_id);
/* Notes when this run started listing its inputs: an input another worker records after that is
 * not removed as gone by this run (it may have appeared after this run looked). */
incmap_status incmap_store_mark_listing(incmap_store *s, incmap_error *err);
/* Makes what is committed durable before layers show it (SQLite: a WAL checkpoint). */
incmap_status incmap_store_checkpoint(incmap_store *s, incmap_error *err);
/* One writer of an output file at a time (PostgreSQL: several workers finish together). */
incmap_status incmap_store_lock_output(incmap_store *s, const char *path, int lock, incmap_error *err);

/* ------------------------------------------------------------------ records */

/* What one change did; added into incmap_update_stats after the commit. */
typedef struct {
    size_t added, merged, removed; /* incidents */
    size_t forgotten;              /* inputs removed (incmap_store_remove_input) */
} store_counts;

/* An article ready for the store. doc NULL: the content is already there (under another input)
 * and only the input is linked to it. */
typedef struct {
    const char *key;           /* the input */
    const char *article_id;    /* 16 hex digits */
    const char *sha256;        /* 64 hex digits */
    const char *source;        /* URL, else the key */
    const char *url, *title, *kind; /* kind: "text", "html", "feed" */
    const char *processed_at;
    const incmap_doc *doc;
    const incmap_doc_rows *rows; /* the doc's layer rows (incmap_doc_rows_new): each incident's note */
} store_article;

/* The input's article and content hash (each 0-terminated, "" when the input is new). */
incmap_status incmap_store_input_get(incmap_store *s, const char *key, char article_id[17], char sha256[65],
                                     incmap_error *err);
/* The content hashes of n inputs (each "" when the input is new): a look-ahead for update.c, so
 * that a worker skips what is unchanged without a round trip per input. */
incmap_status incmap_store_inputs_get(incmap_store *s, const char *const *keys, size_t n, char (*sha256)[65],
                                      incmap_error *err);
/* 1 when an article with this content is stored (its id in article_id), 0 when not, -1 on error. */
int incmap_store_article_by_sha(incmap_store *s, const char *sha256, char article_id[17], incmap_error *err);

/* In one transaction: records a's article (when doc is set) with its mentions and reports,
 * places each report into an incident, links the input to it, and releases the article the
 * input pointed to before when nothing else uses it. gz: for country names and codes. With
 * several writers, a transaction that lost a deadlock is rolled back and run again. */
incmap_status incmap_store_put(incmap_store *s, incmap_gazetteer *gz, const store_article *a, store_counts *c,
                               incmap_error *err);
/* In one transaction: forgets an input (c->forgotten), and its article when no other input has
 * it. An input that is not stored, or that another worker recorded after this run's
 * incmap_store_mark_listing, is left alone. */
incmap_status incmap_store_remove_input(incmap_store *s, const char *key, store_counts *c, incmap_error *err);

/* Calls fn for each stored input key in [lo, hi) (byte order). Stops at fn's non-zero return. */
incmap_status incmap_store_keys_between(incmap_store *s, const char *lo, const char *hi,
                                        int (*fn)(void *user, const char *key), void *user, incmap_error *err);

int64_t incmap_store_generation(incmap_store *s, incmap_error *err); /* -1 on error */
size_t incmap_store_incident_count(incmap_store *s);

/* ---- store_dedup.c */

/* A report as placed: the fields matching looks at. */
typedef struct {
    int64_t incident_id;
    char sub_event_type[64];
    long day_lo, day_hi; /* the days the report's date may mean (see store_dedup.c) */
    int has_coords;
    double lat, lon;
    int geo_precision;
    char country[4];
} store_match_key;

/* A report's match key from the current row of a statement that selects, in this order,
 * incident_id, sub_event_type, day_lo, day_hi, has_coords, lat, lon, geo_precision, country
 * (SQ_REPORT_CANDIDATES, SQ_REPORTS_OF_ARTICLE). */
void incmap_store_read_match_key(store_stmt *st, store_match_key *k);

/* The date window of a report: its date widened by its precision; with no event date, the week
 * before publication; returns 0 when neither is known. */
int incmap_report_window(const char *event_date, int time_precision, const char *published, long *lo, long *hi);

/* The incident a report goes into: one of the released reports of the same input when one
 * matches (so an edit keeps incident ids), else the best-matching incident in the store that has
 * no report of this article, else 0 (a new incident). *merged is set when it joins an incident
 * another article reported. */
incmap_status incmap_store_find_incident(incmap_store *s, const store_match_key *k, const char *article_id,
                                         store_match_key *released, size_t n_released, int64_t *incident_id,
                                         int *merged, incmap_error *err);

/* Recomputes an incident's fields from its reports, or deletes it when it has none left
 * (*deleted = 1). */
incmap_status incmap_store_refresh_incident(incmap_store *s, int64_t incident_id, int *deleted, incmap_error *err);

/* Matching rule, exposed for the unit tests: 1 when the two reports may be the same incident;
 * *score (lower is closer) orders several candidates. */
int incmap_reports_match(const store_match_key *a, const store_match_key *b, double *score);

/* The neighbourhood a report's placement reads: lock keys (appended to *keys) such that any two
 * reports that could match share at least one. Reports that can match nothing add none. 0 on
 * success, -1 when out of memory. */
int incmap_report_lock_keys(const store_match_key *k, int64_t **keys, size_t *n, size_t *cap);

/* ---- store_export.c */

/* The output file of a format in dir ("gpkg" -> "DIR/incidents.gpkg"), or NULL when the format
 * is unknown. Malloc'd. */
char *incmap_store_output_path(const char *dir, const char *format);

/* Rewrites the layers of each format whose recorded generation is older than the store's (or
 * whose files are missing). */
incmap_status incmap_store_refresh_outputs(incmap_store *s, const char *dir, const char *formats,
                                           void (*on_written)(void *user, const char *path), void *user,
                                           size_t *written, incmap_error *err);

#endif
