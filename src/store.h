/* store.h: the incident store's insides, shared by store.c (opening, schema, migrations, lock,
 * article records), store_dedup.c (placing reports into incidents, recomputing an incident from
 * its reports), store_export.c (layers from the tables) and update.c (inputs to records).
 *
 * Tables (schema 1; see store.c for the SQL):
 *   meta(key, value)        'generation': bumped by every change the layers show
 *   articles                one per distinct content (article_id: 16 hex digits of its SHA-256)
 *   inputs(key, article_id) where each article was found: an absolute path or FEED#ID; several
 *                           inputs may share one article (the same text under two names)
 *   mentions                every place mention of an article, with a SpatiaLite point
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

/* Prepared statements, made on first use and kept for the store's life. */
typedef enum {
    SQ_INPUT_GET,
    SQ_INPUT_PUT,
    SQ_INPUT_DEL,
    SQ_INPUT_REFS,
    SQ_INPUT_RANGE,
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
    SQ_INCIDENT_ID_TAKEN,
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

struct incmap_store {
    sqlite3 *db;
    char *path;
    int lock_fd;
    sqlite3_stmt *st[SQ__COUNT];
};

/* The statement for q, reset and with its bindings cleared; NULL after filling err. */
sqlite3_stmt *incmap_store_stmt(incmap_store *s, store_sql q, incmap_error *err);
/* Runs SQL without results. */
incmap_status incmap_store_exec(incmap_store *s, const char *sql, incmap_error *err);
/* An INCMAP_ERR_DB error naming the store, what was being done and SQLite's message. */
incmap_status incmap_store_fail(incmap_store *s, incmap_error *err, const char *doing);

incmap_status incmap_store_begin(incmap_store *s, incmap_error *err);
incmap_status incmap_store_commit(incmap_store *s, incmap_error *err);
void incmap_store_rollback(incmap_store *s);

/* Binds s (NULL or "" as SQL NULL). */
void incmap_store_bind_text(sqlite3_stmt *st, int i, const char *s);
/* A text column, "" for NULL. */
const char *incmap_store_col(sqlite3_stmt *st, int i);

/* What one change did to the incidents; added into incmap_update_stats after the commit. */
typedef struct {
    size_t added, merged, removed;
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
/* 1 when an article with this content is stored (its id in article_id), 0 when not, -1 on error. */
int incmap_store_article_by_sha(incmap_store *s, const char *sha256, char article_id[17], incmap_error *err);

/* In one transaction: records a's article (when doc is set) with its mentions and reports,
 * places each report into an incident, links the input to it, and releases the article the
 * input pointed to before when nothing else uses it. gz: for country names and codes. */
incmap_status incmap_store_put(incmap_store *s, incmap_gazetteer *gz, const store_article *a, store_counts *c,
                               incmap_error *err);
/* In one transaction: forgets an input, and its article when no other input has it. */
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
