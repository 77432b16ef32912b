/* store.c: the incident store whatever its backend: opening it (store_sqlite.c or store_pg.c),
 * the SQL both dialects share, and recording or forgetting one input in one transaction (see
 * store.h for the tables).
 *
 * Several writers (PostgreSQL): a change takes, inside its transaction and in this order, (1) a
 * lock on the article it releases (another worker may be linking an input to that content),
 * (2) the neighbourhood locks of every report it adds or removes (store_dedup.c:
 * incmap_report_lock_keys; two reports that could merge share one, so placing a report never
 * races with another placement it could depend on), (3) the rows of the incidents it touches, in
 * ascending id order, before recomputing them (a report can join an incident from far enough
 * away not to share a neighbourhood lock with another report joining it), (4) the generation.
 * One order for everyone: no deadlock between two changes. Should PostgreSQL still report one
 * (a lock key collision), the change is rolled back and run again. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dates.h"

/* The SQL both dialects accept; a backend overrides an entry in its driver's table (geometry,
 * the generation, PostgreSQL's row locks). NULL: only some backend has it. */
static const char *const COMMON_SQL[SQ__COUNT] = {
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
    [SQ_MENTION_DEL] = "DELETE FROM mentions WHERE article_id = ?1",
    [SQ_REPORTS_OF_ARTICLE] = "SELECT incident_id, sub_event_type, day_lo, day_hi, has_coords, lat, lon,"
                              " geo_precision, country_code FROM reports WHERE article_id = ?1 ORDER BY ord",
    [SQ_REPORT_DEL] = "DELETE FROM reports WHERE article_id = ?1",
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
    /* No row back: another incident holds that id (new_incident tries the next one). */
    [SQ_INCIDENT_NEW] = "INSERT INTO incidents(event_id_cnty) VALUES(?1) ON CONFLICT(event_id_cnty) DO NOTHING"
                        " RETURNING incident_id",
    [SQ_INCIDENT_DEL] = "DELETE FROM incidents WHERE incident_id = ?1",
    [SQ_INCIDENT_COUNT] = "SELECT count(*) FROM incidents",
    [SQ_OUTPUT_GET] = "SELECT generation FROM outputs WHERE path = ?1",
    [SQ_OUTPUT_PUT] = "INSERT INTO outputs(path, generation) VALUES(?1, ?2)"
                      " ON CONFLICT(path) DO UPDATE SET generation = excluded.generation",
    [SQ_OUTPUT_DEL] = "DELETE FROM outputs WHERE path = ?1",
};

/* How many times a change that lost a deadlock is tried again before the run gives up. */
#define STORE_RETRIES 8

/* ------------------------------------------------------------------ helpers */

incmap_status incmap_store_fail(incmap_store *s, incmap_error *err, const char *doing)
{
    return incmap_fail(err, INCMAP_ERR_DB, "store %s: %s: %s", s->path, doing, s->drv->errmsg(s));
}

int incmap_store_has(const incmap_store *s, store_sql q)
{
    return s->drv->sql[q] != NULL || COMMON_SQL[q] != NULL;
}

store_stmt *incmap_store_stmt(incmap_store *s, store_sql q, incmap_error *err)
{
    if (s->st[q]) {
        store_reset(s->st[q]);
        return s->st[q];
    }
    const char *sql = s->drv->sql[q] ? s->drv->sql[q] : COMMON_SQL[q];
    if (!sql) {
        incmap_fail(err, INCMAP_ERR_USAGE, "store %s: statement %d does not exist for %s (a bug in incmap)", s->path,
                    (int)q, s->drv->name);
        return NULL;
    }
    return s->st[q] = s->drv->prepare(s, sql, err);
}

store_stmt *incmap_store_prepare(incmap_store *s, const char *sql, incmap_error *err)
{
    return s->drv->prepare(s, sql, err);
}

incmap_status incmap_store_exec(incmap_store *s, const char *sql, incmap_error *err)
{
    return s->drv->exec(s, sql, err);
}

incmap_status incmap_store_begin(incmap_store *s, incmap_error *err)
{
    return s->drv->begin(s, 0, err);
}

incmap_status incmap_store_commit(incmap_store *s, incmap_error *err)
{
    return s->drv->commit(s, err);
}

void incmap_store_rollback(incmap_store *s)
{
    s->drv->rollback(s);
}

int incmap_store_is_pg(const char *path)
{
    return path && (!strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11) ||
                    !strncasecmp(path, "PG:", 3));
}

/* ------------------------------------------------------------------ several writers */

int incmap_store_claim(incmap_store *s, const char *key, const char *sha256, int wait, incmap_error *err)
{
    return s->drv->claim ? s->drv->claim(s, key, sha256, wait, err) : 1;
}

void incmap_store_unclaim(incmap_store *s)
{
    if (s->drv->unclaim)
        s->drv->unclaim(s);
}

incmap_status incmap_store_mark_listing(incmap_store *s, incmap_error *err)
{
    return s->drv->mark_listing ? s->drv->mark_listing(s, err) : INCMAP_OK;
}

incmap_status incmap_store_checkpoint(incmap_store *s, incmap_error *err)
{
    return s->drv->checkpoint(s, err);
}

incmap_status incmap_store_lock_output(incmap_store *s, const char *path, int lock, incmap_error *err)
{
    return s->drv->lock_output ? s->drv->lock_output(s, path, lock, err) : INCMAP_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Takes the transaction locks of keys (sorted and deduplicated here: every change takes its
 * locks in the same order). */
static incmap_status lock_keys(incmap_store *s, int64_t *keys, size_t n, incmap_error *err)
{
    if (!s->drv->lock_keys || n == 0)
        return INCMAP_OK;
    qsort(keys, n, sizeof *keys, cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || keys[k - 1] != keys[i])
            keys[k++] = keys[i];
    return s->drv->lock_keys(s, keys, k, err);
}

int64_t incmap_store_article_lock(const char *article_id)
{
    return (int64_t)incmap_hash(article_id, strlen(article_id), 0x61727469636c65ULL /* "article" */);
}

/* The lock on an article's content: the claim a worker coding or linking it holds. */
static incmap_status lock_article(incmap_store *s, const char *article_id, incmap_error *err)
{
    if (!s->drv->lock_keys)
        return INCMAP_OK;
    int64_t key = incmap_store_article_lock(article_id);
    return s->drv->lock_keys(s, &key, 1, err);
}

/* ------------------------------------------------------------------ open / close */

incmap_store_options incmap_store_default_options(void)
{
    incmap_store_options o = {0};
    return o;
}

incmap_store *incmap_store_open(const char *path, const incmap_store_options *opt, incmap_error *err)
{
    incmap_store_options o = opt ? *opt : incmap_store_default_options();
    if (!path || !*path) {
        incmap_fail(err, INCMAP_ERR_USAGE, "no store given: a file, or a postgresql:// URL");
        return NULL;
    }
    incmap_store *s = calloc(1, sizeof *s);
    if (!s) {
        incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->lock_fd = -1;
    incmap_status rc;
    if (incmap_store_is_pg(path)) {
        rc = incmap_store_pg_open(s, path, &o, err);
    } else if (!(s->path = strdup(path))) {
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    } else {
        rc = incmap_store_sqlite_open(s, &o, err);
    }
    if (rc != INCMAP_OK) {
        incmap_store_close(s);
        return NULL;
    }
    return s;
}

void incmap_store_close(incmap_store *s)
{
    if (!s)
        return;
    s->closing = 1;
    for (int i = 0; i < SQ__COUNT; i++)
        store_finalize(s->st[i]);
    if (s->drv)
        s->drv->close(s);
    free(s->path);
    free(s);
}

/* ------------------------------------------------------------------ queries */

incmap_status incmap_store_input_get(incmap_store *s, const char *key, char article_id[17], char sha256[65],
                                     incmap_error *err)
{
    article_id[0] = sha256[0] = 0;
    store_stmt *st = incmap_store_stmt(s, SQ_INPUT_GET, err);
    if (!st)
        return INCMAP_ERR_DB;
    store_bind_text(st, 1, key);
    int rc = store_step(st);
    if (rc == STORE_ROW) {
        snprintf(article_id, 17, "%s", store_text(st, 0));
        snprintf(sha256, 65, "%s", store_text(st, 1));
    }
    store_reset(st);
    return rc != STORE_ERROR ? INCMAP_OK : incmap_store_fail(s, err, "looking up an input");
}

incmap_status incmap_store_inputs_get(incmap_store *s, const char *const *keys, size_t n, char (*sha256)[65],
                                      incmap_error *err)
{
    if (s->drv->inputs_get)
        return s->drv->inputs_get(s, keys, n, sha256, err);
    for (size_t i = 0; i < n; i++) {
        char id[17];
        incmap_status rc = incmap_store_input_get(s, keys[i], id, sha256[i], err);
        if (rc != INCMAP_OK)
            return rc;
    }
    return INCMAP_OK;
}

int incmap_store_article_by_sha(incmap_store *s, const char *sha256, char article_id[17], incmap_error *err)
{
    store_stmt *st = incmap_store_stmt(s, SQ_ARTICLE_BY_SHA, err);
    if (!st)
        return -1;
    store_bind_text(st, 1, sha256);
    int rc = store_step(st);
    if (rc == STORE_ROW)
        snprintf(article_id, 17, "%s", store_text(st, 0));
    store_reset(st);
    if (rc == STORE_ERROR) {
        incmap_store_fail(s, err, "looking up an article");
        return -1;
    }
    return rc == STORE_ROW;
}

incmap_status incmap_store_keys_between(incmap_store *s, const char *lo, const char *hi,
                                        int (*fn)(void *user, const char *key), void *user, incmap_error *err)
{
    /* Keys are collected first: fn may change the inputs table, which must not happen while a
     * statement reads it. */
    store_stmt *st = incmap_store_stmt(s, SQ_INPUT_RANGE, err);
    if (!st)
        return INCMAP_ERR_DB;
    store_bind_text(st, 1, lo);
    store_bind_text(st, 2, hi);
    char **keys = NULL;
    size_t n = 0, cap = 0;
    int rc;
    incmap_status out = INCMAP_OK;
    while ((rc = store_step(st)) == STORE_ROW) {
        if (incmap_grow(&keys, &cap, n + 1, sizeof *keys) || !(keys[n] = strdup(store_text(st, 0)))) {
            out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory listing the store's inputs");
            break;
        }
        n++;
    }
    if (out == INCMAP_OK && rc == STORE_ERROR)
        out = incmap_store_fail(s, err, "listing inputs");
    store_reset(st);
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
    store_stmt *st = incmap_store_stmt(s, SQ_GEN_GET, err);
    if (!st)
        return -1;
    int64_t g = store_step(st) == STORE_ROW ? store_int64(st, 0) : -1;
    store_reset(st);
    if (g < 0)
        incmap_store_fail(s, err, "reading the generation");
    return g;
}

size_t incmap_store_incident_count(incmap_store *s)
{
    store_stmt *st = incmap_store_stmt(s, SQ_INCIDENT_COUNT, NULL);
    if (!st)
        return 0;
    size_t n = store_step(st) == STORE_ROW ? (size_t)store_int64(st, 0) : 0;
    store_reset(st);
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

/* What one change holds while it runs; everything is freed or rolled back by change_end. */
typedef struct {
    id_set touched;
    store_match_key *released; /* the reports of the article the input pointed to, if it went */
    size_t n_released, cap_released;
    int64_t *locks; /* neighbourhood lock keys */
    size_t n_locks, cap_locks;
    int deleted; /* the old article was deleted */
    store_counts counts;
} change;

static void change_free(change *ch)
{
    free(ch->touched.v);
    free(ch->released);
    free(ch->locks);
    memset(ch, 0, sizeof *ch);
}

/* Deletes an article with its mentions and reports when no input other than key has it. The
 * reports' match keys go into ch->released (for re-use by the new version of the same input and
 * for the neighbourhood locks) and their incidents into ch->touched. */
static incmap_status release_article(incmap_store *s, const char *article_id, const char *key, change *ch,
                                     incmap_error *err)
{
    /* Another worker linking an input to this content holds its claim until it commits. */
    incmap_status out = lock_article(s, article_id, err);
    if (out != INCMAP_OK)
        return out;
    store_stmt *st = incmap_store_stmt(s, SQ_INPUT_REFS, err);
    if (!st)
        return INCMAP_ERR_DB;
    store_bind_text(st, 1, article_id);
    store_bind_text(st, 2, key);
    int64_t refs = store_step(st) == STORE_ROW ? store_int64(st, 0) : -1;
    store_reset(st);
    if (refs < 0)
        return incmap_store_fail(s, err, "counting an article's inputs");
    if (refs > 0)
        return INCMAP_OK;
    if (!(st = incmap_store_stmt(s, SQ_REPORTS_OF_ARTICLE, err)))
        return INCMAP_ERR_DB;
    store_bind_text(st, 1, article_id);
    int rc;
    while ((rc = store_step(st)) == STORE_ROW) {
        store_match_key k;
        incmap_store_read_match_key(st, &k);
        if (id_set_add(&ch->touched, k.incident_id) ||
            incmap_grow(&ch->released, &ch->cap_released, ch->n_released + 1, sizeof *ch->released)) {
            store_reset(st);
            return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        }
        ch->released[ch->n_released++] = k;
        /* A report without a date window never matched anything: it has no neighbourhood. */
        if (!store_is_null(st, 2) && incmap_report_lock_keys(&k, &ch->locks, &ch->n_locks, &ch->cap_locks)) {
            store_reset(st);
            return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        }
    }
    store_reset(st);
    if (rc == STORE_ERROR)
        return incmap_store_fail(s, err, "reading an article's reports");
    static const store_sql dels[] = {SQ_REPORT_DEL, SQ_MENTION_DEL, SQ_ARTICLE_DEL};
    for (size_t i = 0; i < sizeof dels / sizeof *dels; i++) {
        if (!(st = incmap_store_stmt(s, dels[i], err)))
            return INCMAP_ERR_DB;
        store_bind_text(st, 1, article_id);
        if (!store_step_done(st))
            return incmap_store_fail(s, err, "deleting an article's records");
    }
    ch->deleted = 1;
    return INCMAP_OK;
}

static incmap_status put_mentions(incmap_store *s, const store_article *a, incmap_error *err)
{
    const incmap_doc *d = a->doc;
    for (size_t i = 0; i < d->n_places; i++) {
        const incmap_place *p = &d->places[i];
        store_stmt *st = incmap_store_stmt(s, SQ_MENTION_PUT, err);
        if (!st)
            return INCMAP_ERR_DB;
        store_bind_text(st, 1, a->article_id);
        store_bind_int64(st, 2, (int64_t)i);
        store_bind_text(st, 3, p->text);
        store_bind_int64(st, 4, (int64_t)p->start);
        store_bind_int64(st, 5, (int64_t)p->end);
        store_bind_int(st, 6, p->resolved);
        if (p->resolved)
            store_bind_int64(st, 7, p->geonameid);
        store_bind_text(st, 8, p->name);
        store_bind_text(st, 9, p->feature_code);
        store_bind_text(st, 10, p->country);
        store_bind_text(st, 11, p->admin1);
        store_bind_text(st, 12, p->admin2);
        if (p->has_coords) {
            store_bind_double(st, 13, p->lat);
            store_bind_double(st, 14, p->lon);
        }
        store_bind_int(st, 15, p->geo_precision);
        store_bind_double(st, 16, p->score);
        store_bind_text(st, 17, p->why);
        store_bind_text(st, 18, p->section);
        if (p->fallback_geonameid)
            store_bind_int64(st, 19, p->fallback_geonameid);
        store_bind_text(st, 20, p->fallback_name);
        if (!store_step_done(st))
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
        store_stmt *st = incmap_store_stmt(s, SQ_INCIDENT_NEW, err);
        if (!st)
            return INCMAP_ERR_DB;
        store_bind_text(st, 1, try_id);
        int rc = store_step(st);
        if (rc == STORE_ROW)
            *id = store_int64(st, 0);
        store_reset(st);
        if (rc == STORE_ROW)
            return INCMAP_OK;
        if (rc == STORE_ERROR)
            return incmap_store_fail(s, err, "creating an incident");
        unsigned long long v = strtoull(event_id + digits, NULL, 10) + (unsigned long long)attempt + 1;
        snprintf(try_id, sizeof try_id, "%.*s%llu", (int)digits, event_id, v);
    }
    return incmap_fail(err, INCMAP_ERR_LIMIT, "store %s: no free event id after %s", s->path, event_id);
}

/* The fields matching looks at, for incident i of a doc; returns 1 when the report has a date
 * window (without one it can match nothing). */
static int report_key(const incmap_doc *d, size_t i, store_match_key *k)
{
    const incmap_incident *inc = &d->incidents[i];
    memset(k, 0, sizeof *k);
    snprintf(k->sub_event_type, sizeof k->sub_event_type, "%s", inc->sub_event_type ? inc->sub_event_type : "");
    int has_window = incmap_report_window(inc->event_date, inc->time_precision, d->published, &k->day_lo, &k->day_hi);
    k->has_coords = inc->has_coords;
    k->lat = inc->lat;
    k->lon = inc->lon;
    k->geo_precision = inc->geo_precision;
    snprintf(k->country, sizeof k->country, "%s", inc->country ? inc->country : "");
    return has_window;
}

static incmap_status put_reports(incmap_store *s, incmap_gazetteer *gz, const store_article *a, change *ch,
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
        store_match_key k;
        int has_window = report_key(d, i, &k);
        char event_id[40];
        founding_event_id(cn.iso3, a->article_id, i, event_id);
        int64_t incident_id = 0;
        int merged = 0;
        if (has_window && (rc = incmap_store_find_incident(s, &k, a->article_id, ch->released, ch->n_released,
                                                           &incident_id, &merged, err)) != INCMAP_OK)
            break;
        if (!incident_id) {
            if ((rc = new_incident(s, event_id, &incident_id, err)) != INCMAP_OK)
                break;
            ch->counts.added++;
        } else if (merged) {
            ch->counts.merged++;
        }
        if (id_set_add(&ch->touched, incident_id)) {
            rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
            break;
        }
        store_stmt *st = incmap_store_stmt(s, SQ_REPORT_PUT, err);
        if (!st) {
            rc = INCMAP_ERR_DB;
            break;
        }
        store_bind_text(st, 1, a->article_id);
        store_bind_int64(st, 2, (int64_t)i);
        store_bind_int64(st, 3, incident_id);
        store_bind_text(st, 4, event_id);
        store_bind_text(st, 5, d->published);
        store_bind_text(st, 6, inc->event_date);
        if (inc->time_precision)
            store_bind_int(st, 7, inc->time_precision);
        store_bind_text(st, 8, inc->date_text);
        if (has_window) {
            store_bind_int64(st, 9, k.day_lo);
            store_bind_int64(st, 10, k.day_hi);
        }
        store_bind_text(st, 11, inc->event_type);
        store_bind_text(st, 12, inc->sub_event_type);
        store_bind_text(st, 13, inc->actor1);
        store_bind_text(st, 14, inc->actor2);
        store_bind_int(st, 15, inc->fatalities);
        store_bind_int(st, 16, inc->fatalities_stated);
        if (inc->injured >= 0)
            store_bind_int(st, 17, inc->injured);
        store_bind_text(st, 18, inc->location);
        /* As the layers API does for geocode: the entry whose coordinates the incident carries. */
        int64_t gid = pl ? (pl->resolved ? pl->geonameid : pl->fallback_geonameid) : 0;
        if (gid)
            store_bind_int64(st, 19, gid);
        store_bind_int(st, 20, inc->has_coords);
        if (inc->has_coords) {
            store_bind_double(st, 21, inc->lat);
            store_bind_double(st, 22, inc->lon);
        }
        store_bind_text(st, 23, inc->country);
        store_bind_text(st, 24, cn.iso3);
        store_bind_text(st, 25, cn.name);
        if (cn.isonum)
            store_bind_int(st, 26, cn.isonum);
        store_bind_text(st, 27, inc->admin1);
        store_bind_text(st, 28, pl ? pl->admin2 : NULL);
        if (inc->geo_precision)
            store_bind_int(st, 29, inc->geo_precision);
        store_bind_int(st, 30, inc->background);
        store_bind_double(st, 31, inc->confidence);
        store_bind_text(st, 32, inc->evidence);
        if (a->rows && i < a->rows->n_incidents)
            store_bind_text(st, 33, a->rows->incidents[i].notes);
        if (!store_step_done(st))
            rc = incmap_store_fail(s, err, "recording an incident report");
    }
    incmap_arena_destroy(arena);
    return rc;
}

static incmap_status put_article_row(incmap_store *s, const store_article *a, incmap_error *err)
{
    const incmap_doc *d = a->doc;
    store_stmt *st = incmap_store_stmt(s, SQ_ARTICLE_PUT, err);
    if (!st)
        return INCMAP_ERR_DB;
    store_bind_text(st, 1, a->article_id);
    store_bind_text(st, 2, a->sha256);
    store_bind_text(st, 3, a->source);
    store_bind_text(st, 4, a->url);
    store_bind_text(st, 5, a->title);
    store_bind_text(st, 6, d->published);
    store_bind_text(st, 7, d->published_from);
    store_bind_text(st, 8, d->language);
    store_bind_text(st, 9, d->encoding);
    store_bind_text(st, 10, a->kind);
    store_bind_text(st, 11, a->processed_at);
    store_bind_int64(st, 12, (int64_t)d->n_places);
    store_bind_int64(st, 13, (int64_t)d->n_incidents);
    return store_step_done(st) ? INCMAP_OK : incmap_store_fail(s, err, "recording an article");
}

/* Refreshes or deletes every touched incident and bumps the generation: the layers change. The
 * incidents are locked first, in ascending order (see the top of this file). */
static incmap_status settle(incmap_store *s, change *ch, incmap_error *err)
{
    id_set *t = &ch->touched;
    if (t->n)
        qsort(t->v, t->n, sizeof *t->v, cmp_i64);
    if (incmap_store_has(s, SQ_INCIDENT_LOCK))
        for (size_t i = 0; i < t->n; i++) {
            store_stmt *st = incmap_store_stmt(s, SQ_INCIDENT_LOCK, err);
            if (!st)
                return INCMAP_ERR_DB;
            store_bind_int64(st, 1, t->v[i]);
            int rc;
            while ((rc = store_step(st)) == STORE_ROW)
                ;
            store_reset(st);
            if (rc == STORE_ERROR)
                return incmap_store_fail(s, err, "locking an incident");
        }
    for (size_t i = 0; i < t->n; i++) {
        int deleted = 0;
        incmap_status rc = incmap_store_refresh_incident(s, t->v[i], &deleted, err);
        if (rc != INCMAP_OK)
            return rc;
        ch->counts.removed += (size_t)deleted;
    }
    store_stmt *st = incmap_store_stmt(s, SQ_GEN_BUMP, err);
    if (!st)
        return INCMAP_ERR_DB;
    return store_step_done(st) ? INCMAP_OK : incmap_store_fail(s, err, "bumping the generation");
}

static incmap_status put_once(incmap_store *s, incmap_gazetteer *gz, const store_article *a, change *ch,
                              incmap_error *err)
{
    char old_id[17], old_sha[65];
    incmap_status rc;
    if ((rc = incmap_store_input_get(s, a->key, old_id, old_sha, err)) != INCMAP_OK)
        return rc;
    /* The old version goes first, so that the new one's reports neither merge with it nor lose
     * its incident ids: a matching released report hands its incident over. */
    if (*old_id && strcmp(old_id, a->article_id) != 0 &&
        (rc = release_article(s, old_id, a->key, ch, err)) != INCMAP_OK)
        return rc;
    if (a->doc) {
        for (size_t i = 0; i < a->doc->n_incidents; i++) {
            store_match_key k;
            if (report_key(a->doc, i, &k) && incmap_report_lock_keys(&k, &ch->locks, &ch->n_locks, &ch->cap_locks))
                return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        }
    }
    if ((rc = lock_keys(s, ch->locks, ch->n_locks, err)) != INCMAP_OK)
        return rc;
    if (a->doc && ((rc = put_article_row(s, a, err)) != INCMAP_OK || (rc = put_mentions(s, a, err)) != INCMAP_OK ||
                   (rc = put_reports(s, gz, a, ch, err)) != INCMAP_OK))
        return rc;
    store_stmt *st = incmap_store_stmt(s, SQ_INPUT_PUT, err);
    if (!st)
        return INCMAP_ERR_DB;
    store_bind_text(st, 1, a->key);
    store_bind_text(st, 2, a->article_id);
    store_bind_text(st, 3, a->sha256);
    if (!store_step_done(st))
        return incmap_store_fail(s, err, "recording an input");
    if ((a->doc || ch->deleted) && (rc = settle(s, ch, err)) != INCMAP_OK)
        return rc;
    return INCMAP_OK;
}

static incmap_status remove_once(incmap_store *s, const char *key, change *ch, incmap_error *err)
{
    char old_id[17], old_sha[65];
    incmap_status rc;
    if ((rc = incmap_store_input_get(s, key, old_id, old_sha, err)) != INCMAP_OK)
        return rc;
    if (!*old_id)
        return INCMAP_OK; /* not stored (another worker removed it first) */
    if (s->listed_at[0] && incmap_store_has(s, SQ_INPUT_FRESH)) {
        /* Recorded by another worker after this run listed its inputs: it may be an input that
         * appeared after this run looked, not one that went. */
        store_stmt *st = incmap_store_stmt(s, SQ_INPUT_FRESH, err);
        if (!st)
            return INCMAP_ERR_DB;
        store_bind_text(st, 1, key);
        store_bind_text(st, 2, s->listed_at);
        int r = store_step(st);
        store_reset(st);
        if (r == STORE_ERROR)
            return incmap_store_fail(s, err, "checking when an input was recorded");
        if (r == STORE_ROW)
            return INCMAP_OK;
    }
    if ((rc = release_article(s, old_id, key, ch, err)) != INCMAP_OK ||
        (rc = lock_keys(s, ch->locks, ch->n_locks, err)) != INCMAP_OK)
        return rc;
    store_stmt *st = incmap_store_stmt(s, SQ_INPUT_DEL, err);
    if (!st)
        return INCMAP_ERR_DB;
    store_bind_text(st, 1, key);
    if (!store_step_done(st))
        return incmap_store_fail(s, err, "forgetting an input");
    if (ch->deleted && (rc = settle(s, ch, err)) != INCMAP_OK)
        return rc;
    ch->counts.forgotten = 1;
    return INCMAP_OK;
}

/* Runs one change in a transaction; a change that lost a deadlock against another worker is
 * rolled back and run again after a short random pause. */
static incmap_status run_change(incmap_store *s, incmap_gazetteer *gz, const store_article *a, const char *key,
                                store_counts *c, incmap_error *err)
{
    unsigned seed = (unsigned)(uintptr_t)s ^ (unsigned)time(NULL);
    for (int attempt = 0;; attempt++) {
        change ch = {0};
        incmap_status rc = incmap_store_begin(s, err);
        if (rc == INCMAP_OK)
            rc = a ? put_once(s, gz, a, &ch, err) : remove_once(s, key, &ch, err);
        if (rc == INCMAP_OK)
            rc = incmap_store_commit(s, err);
        if (rc == INCMAP_OK) {
            c->added += ch.counts.added;
            c->merged += ch.counts.merged;
            c->removed += ch.counts.removed;
            c->forgotten += ch.counts.forgotten;
            change_free(&ch);
            return INCMAP_OK;
        }
        int again = s->drv->retryable(s) && attempt < STORE_RETRIES;
        incmap_store_rollback(s);
        change_free(&ch);
        if (!again)
            return rc;
        struct timespec pause = {0, (long)(1 + rand_r(&seed) % (5 << attempt)) * 1000000L};
        nanosleep(&pause, NULL);
    }
}

incmap_status incmap_store_put(incmap_store *s, incmap_gazetteer *gz, const store_article *a, store_counts *c,
                               incmap_error *err)
{
    return run_change(s, gz, a, a->key, c, err);
}

incmap_status incmap_store_remove_input(incmap_store *s, const char *key, store_counts *c, incmap_error *err)
{
    return run_change(s, NULL, NULL, key, c, err);
}
