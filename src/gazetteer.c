/* gazetteer.c: opening a built gazetteer, probing its name index, fetching details. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <geodesic.h>
#include <sqlite3.h>

#include "gazetteer.h"
#include "gazetteer_index.h"

/* The details of recently resolved places: the same few hundred places recur in every article
 * of a region, and one SQL query per mention was an eighth of the run time. Direct-mapped by
 * geonameid; entries whose strings do not fit are simply not cached. */
#define DETAILS_CACHE 4096
typedef struct {
    int64_t geonameid; /* 0: empty */
    double lat, lon;
    int64_t population;
    char name[120], feature_class[2], feature_code[11], country[3], admin1[100], admin2[100];
} details_entry;

/* The names of admin areas by code ("ML.06", "ML.06.0601"), for the details: a handful of areas
 * hold most places named, and looking the name up with the place (a join on a concatenated code)
 * tripled the cost of a place's first look-up. Direct-mapped by the code's hash. */
#define ADMIN_NAMES_CACHE 1024
typedef struct {
    char code[48]; /* "" empty; admin1 and admin2 codes differ by their dots */
    char name[100];
} admin_name_entry;

/* Geodesic distances between entries (incmap_gazetteer_distance_km), direct-mapped by the pair
 * of records: entries of the mapped index, stable while the gazetteer is open. */
#define DISTANCE_CACHE 65536
typedef struct {
    const incmap_gz_record *x, *y; /* x NULL: empty */
    double km;
} distance_entry;

/* Probes already answered, direct-mapped by the key's hash; keys too long for an entry are not
 * remembered. Two caches: name probes (incmap_gazetteer_probe_hashed), since capitalised words
 * recur within an article and from one to the next, and in an index of gigabytes each probe is
 * three cache misses (bucket, key, string); and spelling-variant probes
 * (incmap_gazetteer_probe_spelling), since the same unknown words (people, organisations) recur
 * and each runs edit distances against up to thousands of indexed spellings. */
#define PROBE_CACHE 8192
#define SPELLING_CACHE 4096
typedef struct {
    uint64_t hash;
    const incmap_gz_posting *posts;
    uint32_t n;
    uint8_t len; /* 0: empty */
    uint8_t found, longer;
    char key[41];
} answer_entry;

/* The entry for key in cache (size entries; NULL: no cache), holding its answer or to be filled
 * by answer_keep; NULL when the key is too long to remember. */
static answer_entry *answer_slot(answer_entry *cache, size_t size, const char *key, size_t len, uint64_t h)
{
    return cache && len && len < sizeof cache->key ? &cache[h % size] : NULL;
}

static int answer_holds(const answer_entry *e, const char *key, size_t len, uint64_t h)
{
    return e && e->hash == h && e->len == len && !memcmp(e->key, key, len);
}

static void answer_keep(answer_entry *e, const char *key, size_t len, uint64_t h, int found,
                        const incmap_gz_posting *posts, size_t n, int longer)
{
    if (!e)
        return;
    *e = (answer_entry){h, posts, (uint32_t)n, (uint8_t)len, (uint8_t)found, (uint8_t)longer, {0}};
    memcpy(e->key, key, len);
}

struct incmap_gazetteer {
    char *path;
    /* PROBE_CACHE and SPELLING_CACHE entries, or NULL; written through a const gazetteer, as
     * they only remember answers */
    answer_entry *probes, *spelling;
    details_entry *cache; /* DETAILS_CACHE entries, or NULL */
    admin_name_entry *admin_names; /* ADMIN_NAMES_CACHE entries, allocated with cache; NULL: none */
    distance_entry *distances; /* DISTANCE_CACHE entries, allocated on first use; NULL: none */
    struct geod_geodesic geod; /* WGS84, set up on first use (geod_ready) */
    int geod_ready;
    sqlite3 *db;
    sqlite3_stmt *details, *admin1_of;
    sqlite3_stmt *admin_name[2]; /* an admin1 and an admin2 area's name by its code */
    sqlite3_stmt *country; /* prepared on first use by incmap_gazetteer_country */
    const unsigned char *map;
    size_t map_len;
    const index_header *h;
    const incmap_gz_record *rec;
    const index_key *keys;
    const index_bucket *buckets;
    const incmap_gz_posting *posts;
    const char *strings;
    const uint32_t *by_id; /* record numbers in geonameid order */
};

size_t incmap_gazetteer_skeleton(const char *key, size_t len, char *out)
{
    /* The first letter, then the consonants, doubled ones once: vowels are where transcriptions
     * of Manding, Songhay or Tamasheq names disagree most. */
    char prev = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (c == ' ')
            continue;
        int vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
        if (n && (vowel || c == 'h' || c == prev))
            continue;
        out[n++] = c;
        prev = c;
    }
    out[n] = 0;
    return n;
}

/* Whether incmap_edit_distance(a, na, b, strlen(b)) <= limit, computed in the diagonal band
 * |i - j| <= limit only (cells outside it cannot be within the limit) and given up as soon as a
 * whole row is past the limit. Same answer, at world scale a fraction of the cost: a consonant
 * skeleton's postings run into the thousands. Strings are capped at 255 bytes as there. */
static int within_distance(const char *a, size_t na, const char *b, int limit)
{
    size_t nb = strnlen(b, 256), lim = (size_t)limit;
    na = na > 255 ? 255 : na;
    nb = nb > 255 ? 255 : nb;
    if ((na > nb ? na - nb : nb - na) > lim)
        return 0;
    int big = limit + 1, rows[2][257];
    int *prev = rows[0], *cur = rows[1];
    /* Row 0 as far as the first row reads it (j <= lim + 1 at most); the rows after write
     * their own band and the cell past it. */
    size_t init = nb < lim + 1 ? nb : lim + 1;
    for (size_t j = 0; j <= init; j++)
        prev[j] = j < lim + 1 ? (int)j : big;
    if (init < 256)
        prev[init + 1] = big;
    for (size_t i = 1; i <= na; i++) {
        size_t lo = i > lim ? i - lim : 0, hi = i + lim < nb ? i + lim : nb;
        int best = big;
        if (lo == 0) {
            cur[0] = (int)i < big ? (int)i : big;
            best = cur[0];
            lo = 1;
        } else {
            cur[lo - 1] = big;
        }
        for (size_t j = lo; j <= hi; j++) {
            int v = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            cur[j] = v < big ? v : big;
            if (cur[j] < best)
                best = cur[j];
        }
        if (hi < nb)
            cur[hi + 1] = big; /* the next row reads one past the band */
        if (best > limit)
            return 0;
        int *t = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb] <= limit;
}

#define SPELLINGS_TESTED 1024 /* a power of two */

int incmap_gazetteer_probe_spelling(const incmap_gazetteer *g, const char *squashed, size_t len,
                                    const incmap_gz_posting **out, size_t *n_out)
{
    *n_out = 0;
    if (len < 6)
        return 0; /* short names have too many neighbours one letter away */
    uint64_t h = incmap_hash(squashed, len, 13);
    answer_entry *e = answer_slot(g->spelling, SPELLING_CACHE, squashed, len, h);
    if (answer_holds(e, squashed, len, h)) {
        if (e->found) {
            *out = e->posts;
            *n_out = e->n;
        }
        return e->found;
    }
    char sk_here[128]; /* the skeleton is never longer than the name */
    char *sk = len < sizeof sk_here ? sk_here : malloc(len + 1);
    if (!sk)
        return 0;
    size_t sk_len = incmap_gazetteer_skeleton(squashed, len, sk);
    const incmap_gz_posting *p;
    size_t np = 0;
    int longer, found = 0;
    if (sk_len >= 4 && incmap_gazetteer_probe(g, sk, sk_len, 1, &p, &np, &longer)) {
        int limit = len >= 10 ? 2 : 1;
        /* Many places share a spelling, and a world gazetteer lists thousands of places under
         * a skeleton: each spelling is tested once (the set holds the first SPELLINGS_TESTED;
         * past them a spelling repeated in a row is still skipped). The set is sized for the
         * postings there are, as most skeletons have a few: clearing it all was a tenth of a
         * probe. */
        uint32_t tested[2 * SPELLINGS_TESTED]; /* key_off + 1, open addressing over [0, mask] */
        size_t mask = 15;
        while (mask + 1 < 2 * (np < SPELLINGS_TESTED ? np : SPELLINGS_TESTED))
            mask = 2 * mask + 1;
        memset(tested, 0, (mask + 1) * sizeof *tested);
        size_t n_tested = 0;
        uint32_t last = UINT32_MAX;
        for (size_t k = 0; k < np && !found; k++) {
            uint32_t off = p[k].key_off;
            if (off == last)
                continue;
            last = off;
            if (n_tested < SPELLINGS_TESTED) {
                size_t slot = (off * 2654435761u) & mask;
                while (tested[slot] && tested[slot] != off + 1)
                    slot = (slot + 1) & mask;
                if (tested[slot])
                    continue;
                tested[slot] = off + 1;
                n_tested++;
            }
            found = within_distance(squashed, len, incmap_gazetteer_string(g, off), limit);
        }
    }
    if (sk != sk_here)
        free(sk);
    if (found) {
        *out = p;
        *n_out = np;
    }
    answer_keep(e, squashed, len, h, found, found ? p : NULL, found ? np : 0, 0);
    return found;
}

static int check_index(incmap_gazetteer *g, const char *idx_path, const char *build_id, incmap_error *err)
{
    const index_header *h = (const index_header *)g->map;
    if (g->map_len < sizeof *h || memcmp(h->magic, INDEX_MAGIC, 8) != 0)
        return incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: not an incmap name index (rebuild with 'incmap gazetteer build')",
                           idx_path);
    if (h->version != INCMAP_INDEX_VERSION)
        return incmap_fail(err, INCMAP_ERR_GAZETTEER,
                           "%s: name index version %u, this incmap reads version %d: rebuild the gazetteer",
                           idx_path, h->version, INCMAP_INDEX_VERSION);
    struct {
        uint64_t off, n, size;
    } sec[] = {{h->off_records, h->n_records, sizeof(incmap_gz_record)},
               {h->off_keys, h->n_keys, sizeof(index_key)},
               {h->off_buckets, h->n_buckets, sizeof(index_bucket)},
               {h->off_postings, h->n_postings, sizeof(incmap_gz_posting)},
               {h->off_strings, h->strings_size, 1},
               {h->off_by_id, h->n_records, sizeof(uint32_t)}};
    for (size_t i = 0; i < sizeof sec / sizeof *sec; i++)
        if (sec[i].off % 8 || sec[i].off > g->map_len || sec[i].n > (g->map_len - sec[i].off) / sec[i].size)
            return incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: truncated or corrupt name index: rebuild the gazetteer",
                               idx_path);
    if (!h->n_buckets || (h->n_buckets & (h->n_buckets - 1)) || !h->strings_size ||
        g->map[h->off_strings + h->strings_size - 1] != 0)
        return incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: corrupt name index: rebuild the gazetteer", idx_path);
    if (strncmp(h->build_id, build_id, sizeof h->build_id) != 0)
        return incmap_fail(err, INCMAP_ERR_GAZETTEER,
                           "%s does not belong to %s (different builds): rebuild the gazetteer", idx_path, g->path);
    g->h = h;
    g->rec = (const incmap_gz_record *)(g->map + h->off_records);
    g->keys = (const index_key *)(g->map + h->off_keys);
    g->buckets = (const index_bucket *)(g->map + h->off_buckets);
    g->posts = (const incmap_gz_posting *)(g->map + h->off_postings);
    g->strings = (const char *)(g->map + h->off_strings);
    g->by_id = (const uint32_t *)(g->map + h->off_by_id);
    return INCMAP_OK;
}

incmap_gazetteer *incmap_gazetteer_open(const char *path, incmap_error *err)
{
    incmap_gazetteer *g = calloc(1, sizeof *g);
    char *uri = NULL, *idx_path = NULL;
    int fd = -1;
    if (!g || !(g->path = strdup(path)))
        goto nomem;
    struct stat st;
    if (stat(path, &st) != 0) {
        incmap_fail(err, INCMAP_ERR_GAZETTEER,
                    "%s: no gazetteer there (%s). Build one with 'incmap gazetteer build -o %s SOURCES...' or pass "
                    "--gazetteer FILE",
                    path, strerror(errno), path);
        goto fail;
    }
    size_t n = strlen(path);
    if (!(uri = malloc(3 * n + 32)) || !(idx_path = malloc(n + 8)))
        goto nomem;
    /* immutable: the gazetteer never changes under a reader (a rebuild writes a new file and
     * renames it), so SQLite can skip its file locks, a system call pair per query. */
    char *u = uri + sprintf(uri, "file:");
    for (const char *c = path; *c; c++)
        u += (*c == '?' || *c == '#' || *c == '%') ? sprintf(u, "%%%02X", (unsigned char)*c) : sprintf(u, "%c", *c);
    sprintf(u, "?mode=ro&immutable=1");
    snprintf(idx_path, n + 8, "%s.idx", path);
    /* NOMUTEX: a context, and its gazetteer, is used by one thread at a time (incmap.h). */
    if (sqlite3_open_v2(uri, &g->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: cannot open: %s", path, g->db ? sqlite3_errmsg(g->db) : "?");
        goto fail;
    }
    /* Not PRAGMA mmap_size: reading SQLite's pages through a mapping saved a copy per page, but a
     * fault on a cold file reads ahead around the page, and the first article's few look-ups took
     * 80-100 ms instead of 20-30; warm, the mapped pages doubled as RSS. */
    /* One read transaction, from the first query to the close, rather than one begun and ended
     * around each look-up (a fifth of a look-up's cost): the file does not change (immutable). */
    sqlite3_exec(g->db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *meta = NULL;
    char build_id[33] = "";
    int schema = -1;
    if (sqlite3_prepare_v2(g->db, "SELECT key, value FROM meta", -1, &meta, NULL) != SQLITE_OK) {
        incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: not an incmap gazetteer (%s)", path, sqlite3_errmsg(g->db));
        goto fail;
    }
    while (sqlite3_step(meta) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(meta, 0);
        const char *v = (const char *)sqlite3_column_text(meta, 1);
        if (k && v && !strcmp(k, "build_id"))
            snprintf(build_id, sizeof build_id, "%s", v);
        if (k && v && !strcmp(k, "schema_version"))
            schema = atoi(v);
    }
    sqlite3_finalize(meta);
    if (schema != INCMAP_GAZETTEER_SCHEMA) {
        incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: gazetteer schema %d, this incmap reads %d: rebuild it", path,
                    schema, INCMAP_GAZETTEER_SCHEMA);
        goto fail;
    }
    if ((fd = open(idx_path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: cannot open the name index: %s (rebuild the gazetteer)", idx_path,
                    strerror(errno));
        goto fail;
    }
    g->map_len = (size_t)st.st_size;
    g->map = g->map_len ? mmap(NULL, g->map_len, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (g->map == MAP_FAILED) {
        g->map = NULL;
        incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: cannot map the name index: %s", idx_path,
                    g->map_len ? strerror(errno) : "empty file");
        goto fail;
    }
    /* Look-ups touch a few scattered pages each: reading ahead around every fault would fetch
     * 128 KB from disk for 8 bytes on a cold cache. */
    madvise((void *)g->map, g->map_len, MADV_RANDOM);
    close(fd);
    fd = -1;
    if (check_index(g, idx_path, build_id, err) != INCMAP_OK)
        goto fail;
    g->spelling = calloc(SPELLING_CACHE, sizeof *g->spelling); /* NULL: run without a cache */
    g->probes = calloc(PROBE_CACHE, sizeof *g->probes);
    if (sqlite3_prepare_v2(g->db,
                           "SELECT name, fclass, fcode, country, admin1, admin2, lat, lon, population FROM place"
                           " WHERE geonameid = ?1",
                           -1, &g->details, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(g->db, "SELECT coalesce(name, '') FROM admin1 WHERE code = ?1", -1, &g->admin_name[0],
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(g->db, "SELECT coalesce(name, '') FROM admin2 WHERE code = ?1", -1, &g->admin_name[1],
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(g->db, "SELECT geonameid FROM place WHERE country = ?1 AND fcode = 'ADM1'", -1,
                           &g->admin1_of, NULL) != SQLITE_OK) {
        incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: not an incmap gazetteer (%s)", path, sqlite3_errmsg(g->db));
        goto fail;
    }
    free(uri);
    free(idx_path);
    return g;
nomem:
    incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory opening the gazetteer");
fail:
    if (fd >= 0)
        close(fd);
    free(uri);
    free(idx_path);
    incmap_gazetteer_close(g);
    return NULL;
}

void incmap_gazetteer_close(incmap_gazetteer *g)
{
    if (!g)
        return;
    sqlite3_finalize(g->details);
    sqlite3_finalize(g->admin1_of);
    sqlite3_finalize(g->admin_name[0]);
    sqlite3_finalize(g->admin_name[1]);
    sqlite3_finalize(g->country);
    sqlite3_close(g->db);
    free(g->cache);
    free(g->admin_names);
    free(g->distances);
    free(g->spelling);
    free(g->probes);
    if (g->map)
        munmap((void *)g->map, g->map_len);
    free(g->path);
    free(g);
}

const char *incmap_gazetteer_path(const incmap_gazetteer *g)
{
    return g->path;
}

int incmap_gazetteer_probe(const incmap_gazetteer *g, const char *key, size_t len, int fuzzy,
                           const incmap_gz_posting **out, size_t *n_out, int *longer)
{
    return incmap_gazetteer_probe_hashed(g, key, len, incmap_hash(key, len, fuzzy ? 1 : 0), out, n_out, longer);
}

static int probe_index(const incmap_gazetteer *g, const char *key, size_t len, uint64_t h,
                       const incmap_gz_posting **out, size_t *n_out, int *longer);

int incmap_gazetteer_probe_hashed(const incmap_gazetteer *g, const char *key, size_t len, uint64_t h,
                                  const incmap_gz_posting **out, size_t *n_out, int *longer)
{
    answer_entry *e = answer_slot(g->probes, PROBE_CACHE, key, len, h);
    if (answer_holds(e, key, len, h)) {
        if (e->found)
            *out = e->posts;
        *n_out = e->n;
        *longer = e->longer;
        return e->found;
    }
    int found = probe_index(g, key, len, h, out, n_out, longer);
    answer_keep(e, key, len, h, found, found ? *out : NULL, *n_out, *longer);
    return found;
}

static int probe_index(const incmap_gazetteer *g, const char *key, size_t len, uint64_t h,
                       const incmap_gz_posting **out, size_t *n_out, int *longer)
{
    size_t mask = (size_t)g->h->n_buckets - 1;
    *n_out = 0;
    *longer = 0;
    for (size_t i = h & mask, probes = 0; probes <= mask; i = (i + 1) & mask, probes++) {
        const index_bucket *b = &g->buckets[i];
        if (!b->key_plus1)
            return 0;
        if (b->check != (uint32_t)(h >> 32) || b->key_plus1 > g->h->n_keys)
            continue;
        const index_key *k = &g->keys[b->key_plus1 - 1];
        if (k->key_off >= g->h->strings_size)
            continue;
        const char *s = g->strings + k->key_off;
        if (strncmp(s, key, len) != 0 || s[len])
            continue;
        if ((uint64_t)k->post_off + k->post_count > g->h->n_postings)
            return 0; /* corrupt: treat as unknown rather than read out of bounds */
        *out = g->posts + k->post_off;
        *n_out = k->post_count;
        *longer = (k->flags & INDEX_KEY_LONGER) != 0;
        return 1;
    }
    return 0;
}

const incmap_gz_record *incmap_gazetteer_record(const incmap_gazetteer *g, uint32_t i)
{
    return i < g->h->n_records ? &g->rec[i] : NULL;
}

const char *incmap_gazetteer_string(const incmap_gazetteer *g, uint32_t off)
{
    return off < g->h->strings_size ? g->strings + off : "";
}

size_t incmap_gazetteer_n_records(const incmap_gazetteer *g)
{
    return (size_t)g->h->n_records;
}

const incmap_gz_record *incmap_gazetteer_find(const incmap_gazetteer *g, int64_t id)
{
    size_t lo = 0, hi = (size_t)g->h->n_records;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const incmap_gz_record *r = incmap_gazetteer_record(g, g->by_id[mid]);
        if (!r)
            return NULL; /* corrupt: treat as unknown rather than read out of bounds */
        if (r->geonameid < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    const incmap_gz_record *r = lo < g->h->n_records ? incmap_gazetteer_record(g, g->by_id[lo]) : NULL;
    return r && r->geonameid == id ? r : NULL;
}

double incmap_gazetteer_distance_km(incmap_gazetteer *g, const incmap_gz_record *x, const incmap_gz_record *y)
{
    if (!g->geod_ready) {
        geod_init(&g->geod, 6378137.0, 1 / 298.257223563); /* as incmap_wgs84_init */
        g->geod_ready = 1;
    }
    if (!g->distances)
        g->distances = calloc(DISTANCE_CACHE, sizeof *g->distances); /* NULL: run without a cache */
    const incmap_gz_record *pair[2] = {x, y};
    distance_entry *e = g->distances ? &g->distances[incmap_hash(pair, sizeof pair, 12) % DISTANCE_CACHE] : NULL;
    if (e && e->x == x && e->y == y)
        return e->km;
    double s12 = 0;
    geod_inverse(&g->geod, x->lat, x->lon, y->lat, y->lon, &s12, NULL, NULL);
    if (e)
        *e = (distance_entry){x, y, s12 / 1000.0};
    return s12 / 1000.0;
}

static const char *col(sqlite3_stmt *st, int i, incmap_arena *a)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return incmap_arena_strdup(a, s ? s : "");
}

/* Copies s into a cache field; 0 when it does not fit. */
static int cache_put(char *dst, size_t n, const char *s)
{
    size_t len = strlen(s);
    if (len >= n)
        return 0;
    memcpy(dst, s, len + 1);
    return 1;
}

static incmap_status details_from_cache(const details_entry *e, incmap_arena *arena, incmap_gz_details *out)
{
    out->geonameid = e->geonameid;
    out->name = incmap_arena_strdup(arena, e->name);
    out->feature_class = incmap_arena_strdup(arena, e->feature_class);
    out->feature_code = incmap_arena_strdup(arena, e->feature_code);
    out->country = incmap_arena_strdup(arena, e->country);
    out->admin1 = incmap_arena_strdup(arena, e->admin1);
    out->admin2 = incmap_arena_strdup(arena, e->admin2);
    out->lat = e->lat;
    out->lon = e->lon;
    out->population = e->population;
    return out->name && out->feature_class && out->feature_code && out->country && out->admin1 && out->admin2
               ? INCMAP_OK
               : INCMAP_ERR_NOMEM;
}

/* The name of the admin1 area (level 0) or admin2 area (level 1) of a place of country cc and
 * codes a1, a2 (NULL: none, SQL NULL), into the arena: "" when there is none, as a left join on
 * the code "cc.a1" or "cc.a1.a2" gives. */
static incmap_status admin_name(incmap_gazetteer *g, int level, const char *cc, const char *a1, const char *a2,
                                incmap_arena *arena, const char **out, incmap_error *err)
{
    *out = "";
    if (!cc || !a1 || (level && !a2))
        return INCMAP_OK; /* a NULL part: a NULL code, which no row has */
    char code[256];
    const char *parts[3] = {cc, a1, a2};
    int n = 0;
    for (int k = 0; k <= level + 1; k++) { /* "cc.a1" or "cc.a1.a2" */
        size_t len = strlen(parts[k]);
        if (len + (size_t)n + 2 > sizeof code)
            return INCMAP_OK; /* no gazetteer code is that long */
        if (k)
            code[n++] = '.';
        memcpy(code + n, parts[k], len);
        n += (int)len;
    }
    code[n] = 0;
    admin_name_entry *e = NULL;
    if (g->admin_names && (size_t)n < sizeof e->code) {
        e = &g->admin_names[incmap_hash(code, (size_t)n, 5) % ADMIN_NAMES_CACHE];
        if (!strcmp(e->code, code)) {
            *out = incmap_arena_strdup(arena, e->name);
            return *out ? INCMAP_OK : incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        }
    }
    sqlite3_stmt *st = g->admin_name[level];
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, code, n, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = col(st, 0, arena);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return incmap_fail(err, INCMAP_ERR_DB, "%s: admin area %s: %s", g->path, code, sqlite3_errmsg(g->db));
    if (!*out)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    if (e && cache_put(e->name, sizeof e->name, *out))
        memcpy(e->code, code, (size_t)n + 1);
    return INCMAP_OK;
}

incmap_status incmap_gazetteer_details(incmap_gazetteer *g, int64_t id, incmap_arena *arena, incmap_gz_details *out,
                                       incmap_error *err)
{
    if (!g->cache) { /* NULL: run without a cache */
        g->cache = calloc(DETAILS_CACHE, sizeof *g->cache);
        g->admin_names = calloc(ADMIN_NAMES_CACHE, sizeof *g->admin_names);
    }
    details_entry *e = g->cache ? &g->cache[(uint64_t)id % DETAILS_CACHE] : NULL;
    if (e && e->geonameid == id && id)
        return details_from_cache(e, arena, out) == INCMAP_OK ? INCMAP_OK
                                                               : incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    sqlite3_stmt *st = g->details;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return incmap_fail(err, rc == SQLITE_DONE ? INCMAP_ERR_GAZETTEER : INCMAP_ERR_DB,
                           "%s: geonameid %lld: %s", g->path, (long long)id,
                           rc == SQLITE_DONE ? "not in the gazetteer" : sqlite3_errmsg(g->db));
    }
    out->geonameid = id;
    out->name = col(st, 0, arena);
    out->feature_class = col(st, 1, arena);
    out->feature_code = col(st, 2, arena);
    out->country = col(st, 3, arena);
    /* the area codes (NULL for SQL NULL: no area), which the areas' names replace below */
    int nulls = (sqlite3_column_type(st, 3) == SQLITE_NULL) | (sqlite3_column_type(st, 4) == SQLITE_NULL) << 1 |
                (sqlite3_column_type(st, 5) == SQLITE_NULL) << 2;
    const char *a1 = col(st, 4, arena), *a2 = col(st, 5, arena);
    out->lat = sqlite3_column_double(st, 6);
    out->lon = sqlite3_column_double(st, 7);
    out->population = sqlite3_column_int64(st, 8);
    sqlite3_reset(st);
    if (!out->name || !out->feature_class || !out->feature_code || !out->country || !a1 || !a2)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    const char *cc = nulls & 1 ? NULL : out->country;
    a1 = nulls & 2 ? NULL : a1;
    a2 = nulls & 4 ? NULL : a2;
    incmap_status ar = admin_name(g, 0, cc, a1, a2, arena, &out->admin1, err);
    if (ar == INCMAP_OK)
        ar = admin_name(g, 1, cc, a1, a2, arena, &out->admin2, err);
    if (ar != INCMAP_OK)
        return ar;
    if (e) {
        e->geonameid = 0;
        if (cache_put(e->name, sizeof e->name, out->name) &&
            cache_put(e->feature_class, sizeof e->feature_class, out->feature_class) &&
            cache_put(e->feature_code, sizeof e->feature_code, out->feature_code) &&
            cache_put(e->country, sizeof e->country, out->country) &&
            cache_put(e->admin1, sizeof e->admin1, out->admin1) && cache_put(e->admin2, sizeof e->admin2, out->admin2)) {
            e->lat = out->lat;
            e->lon = out->lon;
            e->population = out->population;
            e->geonameid = id;
        }
    }
    return INCMAP_OK;
}

incmap_status incmap_gazetteer_admin1_of(incmap_gazetteer *g, const char *cc, int64_t **out, size_t *n,
                                         incmap_error *err)
{
    sqlite3_stmt *st = g->admin1_of;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, cc, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (incmap_grow(out, &cap, *n + 1, sizeof **out)) {
            sqlite3_reset(st);
            return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        }
        (*out)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    return INCMAP_OK;
}

incmap_status incmap_gazetteer_country(incmap_gazetteer *g, const char *cc, incmap_arena *arena,
                                       incmap_gz_country *out, incmap_error *err)
{
    memset(out, 0, sizeof *out);
    out->iso3 = out->name = "";
    if (!g->country && sqlite3_prepare_v2(g->db, "SELECT iso3, name, isonum FROM country WHERE iso = ?1", -1,
                                          &g->country, NULL) != SQLITE_OK)
        return incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: no country table with ISO codes (%s): rebuild the gazetteer",
                           g->path, sqlite3_errmsg(g->db));
    sqlite3_stmt *st = g->country;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, cc, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->iso3 = col(st, 0, arena);
        out->name = col(st, 1, arena);
        out->isonum = sqlite3_column_int(st, 2);
        out->found = 1;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return incmap_fail(err, INCMAP_ERR_DB, "%s: country %s: %s", g->path, cc, sqlite3_errmsg(g->db));
    if (!out->iso3 || !out->name)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    return INCMAP_OK;
}
