/* update.c: incmap_update: inputs (files, directories, JSON Lines feeds) to store records, one
 * input at a time, then the layers when the store changed.
 *
 * A run: list every input (directories walked, feeds parsed), sort them by key so that every run
 * sees them in the same order, then for each: hash its content, skip it when the store already
 * has that hash for that key, else code it and record it (store.c: one transaction per input).
 * Then forget the inputs gone from a directory or feed that was listed completely, checkpoint,
 * and rewrite the layers whose recorded generation is behind the store's.
 *
 * Several workers on one PostgreSQL store (store_pg.c) run this same loop over the same inputs:
 * an input is claimed before it is coded (incmap_store_claim: its key and its content), an input
 * another worker holds is put aside and taken up after the others (waiting for that worker to
 * finish it, or to die: its claims end with its connection), and one already stored with the
 * same content is skipped. So N workers split a backlog, each input coded once; with SQLite
 * the claim always succeeds and this is the plain loop.
 *
 * Two things keep workers from spending their time on each other's inputs: what the store holds
 * is looked up LOOK_AHEAD inputs at a time (one round trip for many unchanged inputs), and a
 * worker that meets another's claim jumps to a random place in what it has left, so that
 * workers started together do not walk the list in step. A lone worker never meets a claim and
 * keeps key order: its store is the one SQLite would hold. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "context.h"
#include "feed.h"
#include "html.h"
#include "store.h"

typedef incmap_feed_entry feed_entry;

typedef struct {
    char *key;      /* absolute path, or FEED#ID */
    char *path;     /* a file to read; NULL for a feed entry */
    feed_entry *fe; /* a feed entry; NULL for a file */
    size_t seq;     /* discovery order: the later of two equal keys wins */
} item;

/* A key range whose inputs were all listed: what is stored in it and was not seen is gone. */
typedef struct {
    char *lo, *hi;
    int complete;
} scope;

typedef struct {
    incmap_store *s;
    incmap_ctx *ctx;
    const incmap_update_options *opt;
    incmap_update_stats *stats;
    item *items;
    size_t n_items, cap_items;
    scope *scopes;
    size_t n_scopes, cap_scopes;
    feed_entry **entries;
    size_t n_entries, cap_entries;
    size_t *deferred; /* items another worker held: taken up after the others */
    size_t n_deferred, cap_deferred;
    size_t done;      /* items finished, for the progress events */
    char (*stored)[65];    /* per item: its content hash in the store when last looked up, "" none */
    unsigned char *looked; /* per item: stored[] is filled */
    unsigned seed;         /* for the jumps */
    char processed_at[32];
    incmap_error *err;
} run;

incmap_update_options incmap_update_default_options(void)
{
    incmap_update_options o = {0};
    return o;
}

static void emit(run *r, incmap_update_event_kind kind, const char *input, const char *message, size_t n_places,
                 size_t n_incidents)
{
    if (!r->opt->on_event)
        return;
    incmap_update_event ev = {kind, input ? input : "", message ? message : "", 0, r->n_items, n_places, n_incidents};
    r->opt->on_event(r->opt->user, &ev);
}

static void emit_progress(run *r, size_t done)
{
    if (!r->opt->on_event)
        return;
    incmap_update_event ev = {INCMAP_UPDATE_PROGRESS, "", "", done, r->n_items, 0, 0};
    r->opt->on_event(r->opt->user, &ev);
}

static void input_failed(run *r, const char *input, const char *message)
{
    r->stats->articles_failed++;
    emit(r, INCMAP_UPDATE_FAILED, input, message, 0, 0);
}

static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (s) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}

/* ------------------------------------------------------------------ discovery */

static int add_item(run *r, char *key, char *path, feed_entry *fe)
{
    if (!key || incmap_grow(&r->items, &r->cap_items, r->n_items + 1, sizeof *r->items)) {
        free(key);
        free(path);
        return -1;
    }
    r->items[r->n_items] = (item){key, path, fe, r->n_items};
    r->n_items++;
    return 0;
}

/* Returns the new scope's index, or -1 when out of memory. (An index, not a pointer: listing a
 * directory adds the scopes of the feeds inside it, which moves the array.) */
static long add_scope(run *r, const char *lo, char hi_last)
{
    if (incmap_grow(&r->scopes, &r->cap_scopes, r->n_scopes + 1, sizeof *r->scopes))
        return -1;
    scope *sc = &r->scopes[r->n_scopes];
    sc->lo = strdup(lo);
    sc->hi = strdup(lo);
    if (!sc->lo || !sc->hi) {
        free(sc->lo);
        free(sc->hi);
        return -1;
    }
    /* [lo, hi): every key that starts with lo. lo ends in '/' or '#', and the character after it
     * in byte order ends hi. */
    sc->hi[strlen(sc->hi) - 1] = hi_last;
    sc->complete = 1;
    return (long)r->n_scopes++;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcasecmp(name + n - k, suffix) == 0;
}

static int is_feed_name(const char *name)
{
    return has_suffix(name, ".jsonl");
}

static int is_html_name(const char *name)
{
    return has_suffix(name, ".html") || has_suffix(name, ".htm") || has_suffix(name, ".xhtml");
}

static int is_article_name(const char *name)
{
    return is_html_name(name) || has_suffix(name, ".txt") || has_suffix(name, ".text") || is_feed_name(name);
}

/* Broken lines reported one by one per feed; past that, one message says how many more, so that
 * a binary file named .jsonl does not bury the other messages. Each still counts as a failure. */
#define FEED_REPORTED_LINES 20

typedef struct {
    run *r;
    const char *real, *prefix;
    long sc;
    size_t n_bad, last_bad;
} feed_walk;

/* One line of a feed (incmap_feed_lines' callback): an item, or a failure naming FEED:LINE.
 * Returns 1 when out of memory, which stops the walk. */
static int feed_line(void *user, size_t line_no, const char *line, size_t len)
{
    feed_walk *w = user;
    run *r = w->r;
    char why[INCMAP_FEED_WHY];
    int oom = 0;
    feed_entry *fe = incmap_feed_parse_line(line, len, r->ctx->opt.max_article_bytes, why, &oom);
    if (oom)
        return 1;
    if (!fe) {
        /* The entry this line held may still be in the feed: nothing of it is removed. */
        r->scopes[w->sc].complete = 0;
        w->last_bad = line_no;
        if (++w->n_bad > FEED_REPORTED_LINES) {
            r->stats->articles_failed++;
            return 0;
        }
        char where[32], msg[PATH_MAX + INCMAP_FEED_WHY + 64];
        snprintf(where, sizeof where, ":%zu", line_no);
        snprintf(msg, sizeof msg, "%s%s: %s; the other entries go on", w->real, where, why);
        char *label = concat(w->real, where);
        input_failed(r, label ? label : w->real, msg);
        free(label);
        return 0;
    }
    if (incmap_grow(&r->entries, &r->cap_entries, r->n_entries + 1, sizeof *r->entries) ||
        add_item(r, concat(w->prefix, fe->id), NULL, fe)) {
        incmap_feed_entry_free(fe);
        return 1;
    }
    r->entries[r->n_entries++] = fe;
    return 0;
}

/* A feed: one item per entry, keyed FEED#ID. A line that is not an entry fails (with its line
 * number) and keeps the feed's scope from removing anything: the entry it held may still be
 * there. */
static int list_feed(run *r, const char *real)
{
    char *data = NULL;
    size_t len = 0;
    incmap_error e = {0};
    char *prefix = concat(real, "#");
    long sc = prefix ? add_scope(r, prefix, '$') : -1;
    if (sc < 0) {
        free(prefix);
        return -1;
    }
    if (incmap_read_file(real, 0, &data, &len, &e) != INCMAP_OK) {
        r->scopes[sc].complete = 0;
        input_failed(r, real, e.message);
        free(prefix);
        return 0;
    }
    feed_walk w = {r, real, prefix, sc, 0, 0};
    int rc = incmap_feed_lines(data, len, real, feed_line, &w, &e);
    if (rc < 0 && e.code != INCMAP_ERR_NOMEM) {
        r->scopes[sc].complete = 0;
        input_failed(r, real, e.message);
        rc = 0;
    }
    if (w.n_bad > FEED_REPORTED_LINES) {
        char msg[PATH_MAX + 200];
        snprintf(msg, sizeof msg, "%s: %zu more lines that are not entries, up to line %zu (not reported one by one)",
                 real, w.n_bad - FEED_REPORTED_LINES, w.last_bad);
        emit(r, INCMAP_UPDATE_FAILED, real, msg, 0, 0);
    }
    free(data);
    free(prefix);
    return rc ? -1 : 0;
}

static int list_file(run *r, const char *key);

/* A directory, recursively: article files by their extension, hidden names skipped (editors'
 * and our own temporary files), symbolic links to directories not followed (no loops). */
static int list_dir(run *r, const char *dir, long sc)
{
    DIR *d = opendir(dir);
    if (!d) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s: cannot list the directory: %s", dir, strerror(errno));
        r->scopes[sc].complete = 0;
        input_failed(r, dir, msg);
        return 0;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *sub = malloc(strlen(dir) + strlen(de->d_name) + 2);
        if (!sub) {
            rc = -1;
            break;
        }
        sprintf(sub, "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = list_dir(r, sub, sc);
        } else if (is_article_name(de->d_name)) {
            if (stat(sub, &st) == 0 && S_ISREG(st.st_mode))
                rc = list_file(r, sub);
        }
        free(sub);
    }
    closedir(d);
    return rc;
}

/* A file (key: its absolute path): a feed by its name, else one article. */
static int list_file(run *r, const char *key)
{
    if (is_feed_name(key))
        return list_feed(r, key);
    char *k = strdup(key), *p = strdup(key);
    if (!p) {
        free(k);
        return -1;
    }
    return add_item(r, k, p, NULL);
}

static int list_input(run *r, const char *input)
{
    char real[PATH_MAX];
    struct stat st;
    if (stat(input, &st) != 0 || !realpath(input, real)) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s: %s", input, strerror(errno));
        input_failed(r, input, msg);
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        char *prefix = concat(real, "/");
        long sc = prefix ? add_scope(r, prefix, '0') : -1;
        free(prefix);
        return sc < 0 ? -1 : list_dir(r, real, sc);
    }
    if (!S_ISREG(st.st_mode)) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s: not a regular file or directory", input);
        input_failed(r, input, msg);
        return 0;
    }
    return list_file(r, real);
}

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sorted by key, one item per key (the last listed). */
static void sort_items(run *r)
{
    if (r->n_items) /* qsort wants a non-NULL array even for nothing */
        qsort(r->items, r->n_items, sizeof *r->items, cmp_item);
    size_t k = 0;
    for (size_t i = 0; i < r->n_items; i++) {
        if (i + 1 < r->n_items && !strcmp(r->items[i].key, r->items[i + 1].key)) {
            free(r->items[i].key);
            free(r->items[i].path);
            continue;
        }
        r->items[k++] = r->items[i];
    }
    r->n_items = k;
}

static int seen(const run *r, const char *key)
{
    size_t lo = 0, hi = r->n_items;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->items[mid].key, key);
        if (!c)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* ------------------------------------------------------------------ one input */

/* The bytes an entry's id is computed from: its fields as well as its text, since a corrected
 * date or language changes the coding. */
static void feed_canonical(const feed_entry *e, incmap_buf *b)
{
    incmap_buf_printf(b, "incmap-feed-entry-1\n%s\n%s\n%s\n%s\n%s\n", e->url ? e->url : "", e->title ? e->title : "",
                      e->published ? e->published : "", e->language ? e->language : "", e->is_html ? "html" : "text");
    incmap_buf_puts(b, e->body);
}

/* One input (item k). wait = 0: an input another worker holds is put aside (*deferred = 1);
 * wait = 1: wait for that worker. */
static incmap_status process(run *r, size_t k, int wait, int *deferred)
{
    const item *it = &r->items[k];
    incmap_error e = {0};
    char *bytes = NULL;
    size_t len = 0;
    incmap_buf canon = {0}, text = {0}, title = {0};
    incmap_doc *doc = NULL;
    incmap_doc_rows *rows = NULL;
    incmap_status fatal = INCMAP_OK;
    int claimed = 0;

    *deferred = 0;
    if (it->path) {
        if (incmap_read_file(it->path, r->ctx->opt.max_article_bytes, &bytes, &len, &e) != INCMAP_OK) {
            input_failed(r, it->key, e.message);
            goto done;
        }
    } else {
        feed_canonical(it->fe, &canon);
        if (canon.oom) {
            fatal = incmap_fail(r->err, INCMAP_ERR_NOMEM, "out of memory");
            goto done;
        }
        bytes = canon.s;
        len = canon.len;
        canon.s = NULL;
    }
    char article_id[17], sha[65], old_id[17], old_sha[65];
    incmap_article_id(bytes, len, article_id, sha);
    snprintf(old_sha, sizeof old_sha, "%s", r->stored[k]); /* looked up ahead: may be a little old */
    if (strcmp(old_sha, sha) != 0) {
        /* Claimed, then looked up again: another worker may have recorded it meanwhile. */
        int got = incmap_store_claim(r->s, it->key, sha, wait, r->err);
        if (got < 0) {
            fatal = r->err ? r->err->code : INCMAP_ERR_DB;
            goto done;
        }
        if (!got) {
            *deferred = 1;
            goto done;
        }
        claimed = 1;
        if ((fatal = incmap_store_input_get(r->s, it->key, old_id, old_sha, r->err)) != INCMAP_OK)
            goto done;
    }
    if (!strcmp(old_sha, sha)) {
        r->stats->articles_unchanged++;
        emit(r, INCMAP_UPDATE_UNCHANGED, it->key, "", 0, 0);
        goto done;
    }
    int is_new = !*old_sha;
    store_article a = {0};
    a.key = it->key;
    a.article_id = article_id;
    a.sha256 = sha;
    a.processed_at = r->processed_at;
    int known = incmap_store_article_by_sha(r->s, sha, article_id, r->err);
    if (known < 0) {
        fatal = INCMAP_ERR_DB;
        goto done;
    }
    const char *detail = "";
    if (!known) {
        /* Code it. */
        const char *body = bytes;
        size_t body_len = len;
        int html = 0;
        incmap_article_info info = {0};
        info.source = it->key;
        info.language = r->opt->language;
        if (it->fe) {
            body = it->fe->body;
            body_len = strlen(body);
            html = it->fe->is_html;
            info.published = it->fe->published;
            if (it->fe->language)
                info.language = it->fe->language;
            if (html && incmap_html_utf8_to_text(body, body_len, &text, &title) != INCMAP_OK) {
                fatal = incmap_fail(r->err, INCMAP_ERR_NOMEM, "out of memory");
                goto done;
            }
        } else {
            html = is_html_name(it->key) || incmap_html_sniff(bytes, len);
            if (html && incmap_html_to_text(bytes, len, it->key, &text, &title, &e) != INCMAP_OK) {
                if (e.code == INCMAP_ERR_NOMEM) {
                    fatal = incmap_fail(r->err, e.code, "%s", e.message);
                    goto done;
                }
                input_failed(r, it->key, e.message);
                goto done;
            }
        }
        if (html) {
            body = text.s ? text.s : "";
            body_len = text.len;
        }
        doc = incmap_geocode(r->ctx, body, body_len, &info, &e);
        if (!doc) {
            if (e.code == INCMAP_ERR_NOMEM) {
                fatal = incmap_fail(r->err, e.code, "%s", e.message);
                goto done;
            }
            input_failed(r, it->key, e.message);
            goto done;
        }
        /* The layer rows geocode would write for it: the notes, and the headline as a title
         * when the feed or the page's <title> gives none. */
        if (!(rows = incmap_doc_rows_new(r->ctx, doc, body, body_len, r->processed_at, &e))) {
            if (e.code == INCMAP_ERR_NOMEM) {
                fatal = incmap_fail(r->err, e.code, "%s", e.message);
                goto done;
            }
            input_failed(r, it->key, e.message);
            goto done;
        }
        a.doc = doc;
        a.rows = rows;
        a.kind = it->fe ? "feed" : html ? "html" : "text";
        a.url = it->fe ? it->fe->url : NULL;
        a.title = it->fe && it->fe->title && *it->fe->title ? it->fe->title
                  : title.len                                 ? title.s
                                                              : rows->article.title;
    } else {
        detail = "the same content as another input: not coded again";
    }
    a.source = a.url && *a.url ? a.url : it->key;
    store_counts c = {0};
    if ((fatal = incmap_store_put(r->s, r->ctx->gz, &a, &c, r->err)) != INCMAP_OK)
        goto done;
    r->stats->incidents_added += c.added;
    r->stats->incidents_merged += c.merged;
    r->stats->incidents_removed += c.removed;
    if (is_new)
        r->stats->articles_new++;
    else
        r->stats->articles_changed++;
    emit(r, is_new ? INCMAP_UPDATE_NEW : INCMAP_UPDATE_CHANGED, it->key, detail, doc ? doc->n_places : 0,
         doc ? doc->n_incidents : 0);
done:
    if (fatal != INCMAP_OK && r->err && !strstr(r->err->message, it->key)) {
        char why[sizeof r->err->message];
        snprintf(why, sizeof why, "%s", r->err->message);
        incmap_fail(r->err, fatal, "%s: %s", it->key, why);
    }
    if (claimed)
        incmap_store_unclaim(r->s);
    incmap_doc_rows_destroy(rows);
    incmap_doc_destroy(doc);
    free(bytes);
    incmap_buf_free(&canon);
    incmap_buf_free(&text);
    incmap_buf_free(&title);
    return fatal;
}

/* ------------------------------------------------------------------ removals */

typedef struct {
    run *r;
    incmap_status rc;
} remove_ctx;

static int in_incomplete_scope(const run *r, const char *key)
{
    for (size_t i = 0; i < r->n_scopes; i++)
        if (!r->scopes[i].complete && strcmp(key, r->scopes[i].lo) >= 0 && strcmp(key, r->scopes[i].hi) < 0)
            return 1;
    return 0;
}

static int remove_if_gone(void *user, const char *key)
{
    remove_ctx *x = user;
    run *r = x->r;
    if (seen(r, key) || in_incomplete_scope(r, key))
        return 0;
    store_counts c = {0};
    int got = incmap_store_claim(r->s, key, NULL, 1, r->err);
    if (got < 0) {
        x->rc = r->err ? r->err->code : INCMAP_ERR_DB;
        return 1;
    }
    x->rc = incmap_store_remove_input(r->s, key, &c, r->err);
    incmap_store_unclaim(r->s);
    if (x->rc != INCMAP_OK)
        return 1;
    if (!c.forgotten) /* another worker removed it, or recorded it after this run looked */
        return 0;
    r->stats->articles_removed++;
    r->stats->incidents_removed += c.removed;
    emit(r, INCMAP_UPDATE_REMOVED, key, "", 0, 0);
    return 0;
}

/* ------------------------------------------------------------------ the run */

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void layer_written(void *user, const char *path)
{
    run *r = user;
    emit(r, INCMAP_UPDATE_LAYERS, path, "", 0, 0);
}

#define LOOK_AHEAD 64

/* Looks up what the store holds for the next items of order[] (from pos) not looked up yet. */
static incmap_status look_ahead(run *r, const size_t *order, size_t pos, size_t n)
{
    const char *keys[LOOK_AHEAD] = {0};
    size_t idx[LOOK_AHEAD] = {0}, k = 0;
    char(*sha)[65] = malloc(LOOK_AHEAD * sizeof *sha);
    if (!sha)
        return incmap_fail(r->err, INCMAP_ERR_NOMEM, "out of memory");
    for (size_t p = pos; p < n && k < LOOK_AHEAD; p++)
        if (!r->looked[order[p]]) {
            idx[k] = order[p];
            keys[k++] = r->items[order[p]].key;
        }
    incmap_status rc = incmap_store_inputs_get(r->s, keys, k, sha, r->err);
    for (size_t i = 0; rc == INCMAP_OK && i < k; i++) {
        memcpy(r->stored[idx[i]], sha[i], sizeof sha[i]);
        r->looked[idx[i]] = 1;
    }
    free(sha);
    return rc;
}

static void reverse(size_t *a, size_t lo, size_t hi)
{
    while (lo + 1 < hi) {
        size_t t = a[lo];
        a[lo++] = a[--hi];
        a[hi] = t;
    }
}

/* Another worker is here: carry on from a random place of order[from, n) (a rotation, so that
 * what is left is still taken in runs of key order, and nothing is skipped). */
static void jump(run *r, size_t *order, size_t from, size_t n)
{
    if (n - from < 2)
        return;
    size_t k = (size_t)rand_r(&r->seed) % (n - from);
    reverse(order, from, from + k);
    reverse(order, from + k, n);
    reverse(order, from, n);
}

/* Runs process() over order[0, n): wait = 0 puts aside what other workers hold (into
 * r->deferred, which is why that list is run with wait = 1, which puts nothing aside). */
static incmap_status process_all(run *r, size_t *order, size_t n, int wait)
{
    for (size_t p = 0; p < n; p++) {
        incmap_status rc;
        int deferred;
        if (!r->looked[order[p]] && (rc = look_ahead(r, order, p, n)) != INCMAP_OK)
            return rc;
        if ((rc = process(r, order[p], wait, &deferred)) != INCMAP_OK)
            return rc;
        if (!deferred) {
            emit_progress(r, ++r->done);
            continue;
        }
        if (incmap_grow(&r->deferred, &r->cap_deferred, r->n_deferred + 1, sizeof *r->deferred))
            return incmap_fail(r->err, INCMAP_ERR_NOMEM, "out of memory");
        r->deferred[r->n_deferred++] = order[p];
        jump(r, order, p + 1, n);
    }
    return INCMAP_OK;
}

static void free_run(run *r)
{
    for (size_t i = 0; i < r->n_items; i++) {
        free(r->items[i].key);
        free(r->items[i].path);
    }
    free(r->items);
    for (size_t i = 0; i < r->n_entries; i++)
        incmap_feed_entry_free(r->entries[i]);
    free(r->entries);
    for (size_t i = 0; i < r->n_scopes; i++) {
        free(r->scopes[i].lo);
        free(r->scopes[i].hi);
    }
    free(r->scopes);
    free(r->deferred);
    free(r->stored);
    free(r->looked);
}

incmap_status incmap_update(incmap_store *store, incmap_ctx *ctx, const char *const *inputs, size_t n_inputs,
                            const incmap_update_options *opt, incmap_update_stats *stats, incmap_error *err)
{
    double t0 = wall();
    incmap_update_options defaults = incmap_update_default_options();
    incmap_update_stats local;
    if (!opt)
        opt = &defaults;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    const char *formats = opt->formats && *opt->formats ? opt->formats : "gpkg";
    if (opt->out_dir && incmap_check_formats(formats, err) != INCMAP_OK)
        return INCMAP_ERR_USAGE;
    if (opt->language && *opt->language && strcmp(opt->language, "auto") && strcmp(opt->language, "fr") &&
        strcmp(opt->language, "en") && strcmp(opt->language, "es"))
        return incmap_fail(err, INCMAP_ERR_USAGE, "unknown language '%s' (fr, en, es or auto)", opt->language);
    incmap_update_options o = *opt;
    if (o.language && !strcmp(o.language, "auto"))
        o.language = NULL;
    run r = {0};
    r.s = store;
    r.ctx = ctx;
    r.opt = &o;
    r.stats = stats;
    r.err = err;
    if (o.processed_at && *o.processed_at) {
        snprintf(r.processed_at, sizeof r.processed_at, "%s", o.processed_at);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(r.processed_at, sizeof r.processed_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }

    incmap_status rc = incmap_store_mark_listing(store, err);
    if (rc != INCMAP_OK)
        goto done;
    for (size_t i = 0; i < n_inputs; i++)
        if (list_input(&r, inputs[i]) != 0) {
            rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory listing the inputs");
            goto done;
        }
    sort_items(&r);
    r.seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    r.stored = calloc(r.n_items ? r.n_items : 1, sizeof *r.stored);
    r.looked = calloc(r.n_items ? r.n_items : 1, 1);
    size_t *order = malloc((r.n_items ? r.n_items : 1) * sizeof *order);
    if (!r.stored || !r.looked || !order) {
        free(order);
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < r.n_items; i++)
        order[i] = i;
    rc = process_all(&r, order, r.n_items, 0);
    free(order);
    if (rc != INCMAP_OK)
        goto done;
    /* What other workers held: by now done (then unchanged here), or still theirs (wait for
     * them), or left by a worker that died (claimed and coded here). Looked up again. */
    for (size_t i = 0; i < r.n_deferred; i++)
        r.looked[r.deferred[i]] = 0;
    if ((rc = process_all(&r, r.deferred, r.n_deferred, 1)) != INCMAP_OK)
        goto done;
    if (!o.keep_missing)
        for (size_t i = 0; i < r.n_scopes; i++) {
            if (!r.scopes[i].complete)
                continue;
            remove_ctx x = {&r, INCMAP_OK};
            if ((rc = incmap_store_keys_between(store, r.scopes[i].lo, r.scopes[i].hi, remove_if_gone, &x, err)) !=
                INCMAP_OK)
                goto done;
        }
    /* The store is made durable before any layer shows what it holds. */
    if ((rc = incmap_store_checkpoint(store, err)) != INCMAP_OK)
        goto done;
    if (o.out_dir &&
        (rc = incmap_store_refresh_outputs(store, o.out_dir, formats, layer_written, &r, &stats->layers_written, err)) !=
            INCMAP_OK)
        goto done;
done:
    stats->incidents_total = incmap_store_incident_count(store);
    stats->seconds = wall() - t0;
    free_run(&r);
    return rc;
}
