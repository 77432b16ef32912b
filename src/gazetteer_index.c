/* gazetteer_index.c: builds the compiled name index (FILE.idx) from the names the importer feeds
 * it and the place records read back from the built SQLite gazetteer.
 *
 * Layout (little-endian, every section 8-aligned, found through the header's offsets):
 *   header | postings | keys[n_keys] | buckets[n_buckets] | strings | records[n_records] |
 *   by_id[n_records]
 * A key is a normalised name (or a consonant skeleton, in the fuzzy table); its postings list
 * the records it names, in geonameid order. A bucket holds 32 bits of the key's hash and key
 * index + 1 (0: empty). Records lie by consonant skeleton: each under the first skeleton (by
 * string id, roughly the order the sources bring them) that lists it, or for a name too short
 * for one the first name, so that the readings of a name, and of its spelling variants, are a
 * few pages of the index, not one page each; by_id gives their numbers in geonameid order, for
 * look-ups by id. Likewise the strings begin with the spellings the skeletons list, skeleton by
 * skeleton: a spelling probe reads them side by side.
 *
 * How it scales to the whole of GeoNames (12 million places, 18 million alternate names) in
 * bounded memory, without sorting a hundred million entries:
 *  - every distinct string is interned once in a hash table and named by a dense id; names are
 *    normalised and interned while the sources are parsed (overlapping the SQLite inserts), in
 *    batches whose table slots are prefetched, since each probe is a cache miss;
 *  - each occurrence of a name is one 12-byte log entry (name id, row or geonameid, kind), and
 *    the name's variants (numeral stripped, squashed, consonant skeleton) are derived once per
 *    distinct name, when the sources are read;
 *  - the entries of winning rows are expanded into postings and bucketed by key with a counting
 *    sort (two linear passes), then each key's postings are sorted by place;
 *  - record numbers depend on which admin areas SQLite derives a point for: the builder predicts
 *    them, plans the index while SQLite is still building its own indexes, and writes it once
 *    SQLite's derived rows have confirmed the prediction (or plans again from them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gazetteer.h"
#include "gazetteer_index.h"
#include "text.h"

#define NONE UINT32_MAX

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* Tables of hundreds of megabytes probed at random: huge pages spare a TLB miss per probe. A
 * hint; nothing depends on it. */
static void advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + n) & ~(huge - 1);
    if (n >= 4 * huge && e > a)
        madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p, (void)n;
#endif
}

/* Grows an array to at least need elements (doubling), advising huge pages when big. */
static int grow(void *items, size_t *cap, size_t need, size_t elsize)
{
    if (need <= *cap)
        return 0;
    if (incmap_grow(items, cap, need, elsize))
        return -1;
    advise_huge(*(void **)items, *cap * elsize);
    return 0;
}

/* ---------------------------------------------------------------- interned strings */

enum {
    ST_LONGER = 1, /* a proper word-prefix of an indexed name */
    ST_USED = 2,   /* a name key: its variants are derived */
    ST_KEY = 4,    /* a key's string, written to the index (planned) */
    ST_NAME = 8,   /* a record's name, written to the index */
    ST_GROUPED = 64, /* a spelling some skeleton lists: written with the others it lists */
    CODE_ADMIN1 = 16, /* in the codes table: some place's "CC.ADMIN1" */
    CODE_ADMIN2 = 32  /* some place's "CC.ADMIN1.ADMIN2" */
};

/* Strings back to back in a pool, each entry its 4-byte id then the bytes and a NUL (the first
 * at offset 8), so that a probe costs two cache misses: the slot, then the entry. */
typedef struct {
    char *pool;
    size_t len, cap;
    uint32_t *off;   /* id -> offset of its bytes in pool (after planning: in the index's strings) */
    uint8_t *flags;  /* id -> ST_* */
    size_t n, cap_ids;
    uint64_t *slots; /* tag (the hash's upper half) << 32 | entry offset; 0: empty */
    uint64_t mask;   /* slots - 1; slots NULL once no string can be added */
    int oom;         /* 1: out of memory, 2: past the format's 32-bit offsets */
} strtab;

typedef struct {
    const char *s;
    uint32_t len;
    uint64_t h;
} strref;

static uint32_t entry_id(const char *e)
{
    uint32_t id;
    memcpy(&id, e, sizeof id);
    return id;
}

static const char *strtab_str(const strtab *t, uint32_t id)
{
    return t->pool + t->off[id];
}

static int strtab_rehash(strtab *t, uint64_t n_slots)
{
    free(t->slots);
    t->slots = calloc(n_slots, sizeof *t->slots);
    if (!t->slots)
        return -1;
    advise_huge(t->slots, n_slots * sizeof *t->slots);
    t->mask = n_slots - 1;
    for (size_t id = 0; id < t->n; id++) {
        const char *s = strtab_str(t, (uint32_t)id);
        uint64_t h = incmap_hash(s, strlen(s), 0);
        uint64_t i = h & t->mask;
        while (t->slots[i])
            i = (i + 1) & t->mask;
        t->slots[i] = (h >> 32) << 32 | (uint64_t)(t->off[id] - 4);
    }
    return 0;
}

static uint64_t slots_for(uint64_t n)
{
    uint64_t s = 1024;
    while (s < n + n / 2)
        s *= 2;
    return s;
}

static uint32_t strtab_add(strtab *t, const char *s, size_t len, uint64_t h, uint64_t slot);

static int strtab_init(strtab *t, uint64_t expected)
{
    memset(t, 0, sizeof *t);
    t->cap = 1 << 16;
    t->cap_ids = 1024;
    t->pool = malloc(t->cap);
    t->off = malloc(t->cap_ids * sizeof *t->off);
    t->flags = calloc(t->cap_ids, 1);
    if (!t->pool || !t->off || !t->flags || strtab_rehash(t, slots_for(expected)))
        return -1;
    memset(t->pool, 0, 8);
    t->len = 8;
    /* id 0 is the empty string: offset 0 of the index's strings, "none" for the records */
    uint64_t h = incmap_hash("", 0, 0);
    return strtab_add(t, "", 0, h, h & t->mask) == 0 ? 0 : -1;
}

static void strtab_free(strtab *t)
{
    free(t->pool);
    free(t->off);
    free(t->flags);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* The id of s, or NONE with *slot where it would go. s has no NUL byte among its len. */
static uint32_t strtab_find(const strtab *t, const char *s, size_t len, uint64_t h, uint64_t *slot)
{
    uint32_t tag = (uint32_t)(h >> 32);
    uint64_t i = h & t->mask;
    for (uint64_t v; (v = t->slots[i]); i = (i + 1) & t->mask) {
        if ((uint32_t)(v >> 32) != tag)
            continue;
        const char *e = t->pool + (uint32_t)v;
        if (strncmp(e + 4, s, len) == 0 && !e[4 + len])
            return entry_id(e);
    }
    *slot = i;
    return NONE;
}

/* Adds s (not yet there) at slot, or without a slot when the table is gone (no dedup). */
static uint32_t strtab_add(strtab *t, const char *s, size_t len, uint64_t h, uint64_t slot)
{
    if (t->oom)
        return NONE;
    if (t->len + len + 5 > UINT32_MAX || t->n >= NONE - 1) {
        t->oom = 2;
        return NONE;
    }
    if (t->len + len + 5 > t->cap) {
        /* s may be a string of the pool itself */
        uintptr_t base = (uintptr_t)t->pool, at = (uintptr_t)s;
        int inside = at >= base && at < base + t->len;
        size_t cap = t->cap;
        if (grow(&t->pool, &cap, t->len + len + 5, 1)) {
            t->oom = 1;
            return NONE;
        }
        t->cap = cap;
        if (inside)
            s = t->pool + (at - base);
    }
    if (t->n == t->cap_ids) {
        size_t cap = t->cap_ids, cap2 = t->cap_ids;
        if (grow(&t->off, &cap, t->n + 1, sizeof *t->off) || grow(&t->flags, &cap2, t->n + 1, 1)) {
            t->oom = 1;
            return NONE;
        }
        memset(t->flags + t->cap_ids, 0, cap2 - t->cap_ids);
        t->cap_ids = cap < cap2 ? cap : cap2;
    }
    uint32_t id = (uint32_t)t->n++;
    char *e = t->pool + t->len;
    memcpy(e, &id, sizeof id);
    memcpy(e + 4, s, len);
    e[4 + len] = 0;
    t->off[id] = (uint32_t)t->len + 4;
    t->flags[id] = 0;
    if (t->slots)
        t->slots[slot] = (h >> 32) << 32 | (uint64_t)t->len;
    t->len += len + 5;
    /* grow at 70% load: linear probing stays short */
    if (t->slots && t->n * 10 > (t->mask + 1) * 7 && strtab_rehash(t, (t->mask + 1) * 2)) {
        t->oom = 1;
        return NONE;
    }
    return id;
}

static uint32_t strtab_intern_hashed(strtab *t, const char *s, size_t len, uint64_t h)
{
    uint64_t slot = 0;
    uint32_t id = t->slots ? strtab_find(t, s, len, h, &slot) : NONE;
    return id != NONE ? id : strtab_add(t, s, len, h, slot);
}

static uint32_t strtab_intern(strtab *t, const char *s, size_t len)
{
    return strtab_intern_hashed(t, s, len, incmap_hash(s, len, 0));
}

/* Interns n strings. The slots and the first candidate entries of the whole batch are
 * prefetched before any is probed: the misses overlap instead of queueing. */
static int strtab_intern_batch(strtab *t, const strref *r, size_t n, uint32_t *ids)
{
    for (size_t i = 0; i < n; i++)
        PREFETCH(&t->slots[r[i].h & t->mask]);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = t->slots[r[i].h & t->mask];
        if (v && (uint32_t)(v >> 32) == (uint32_t)(r[i].h >> 32))
            PREFETCH(t->pool + (uint32_t)v);
    }
    for (size_t i = 0; i < n; i++)
        if ((ids[i] = strtab_intern_hashed(t, r[i].s, r[i].len, r[i].h)) == NONE)
            return -1;
    return 0;
}

/* Gives id 0 and every string marked ST_KEY or ST_NAME an offset in the index's strings in
 * off[]: id 0 (the empty string, offset 0), the n_grouped strings at the pool offsets grouped (in
 * that order), then the others in pool order; returns their total size. The pool's own offsets
 * are then gone. */
static uint64_t strtab_layout(strtab *t, const uint32_t *grouped, size_t n_grouped)
{
    uint64_t out = 1;
    t->off[0] = 0;
    for (size_t i = 0; i < n_grouped; i++) {
        const char *str = t->pool + grouped[i];
        size_t n = strlen(str);
        t->off[entry_id(str - 4)] = (uint32_t)out;
        out += n + 1;
    }
    for (size_t p = 8; p < t->len;) {
        uint32_t id = entry_id(t->pool + p);
        size_t n = strlen(t->pool + p + 4);
        if (id == 0 || (t->flags[id] & ST_GROUPED)) {
            p += n + 5;
            continue; /* laid out already */
        }
        if (t->flags[id] & (ST_KEY | ST_NAME)) {
            t->off[id] = (uint32_t)out;
            out += n + 1;
        } else {
            t->off[id] = NONE;
        }
        p += n + 5;
    }
    return out;
}

static void strtab_restore(strtab *t)
{
    for (size_t p = 8; p < t->len;) {
        t->off[entry_id(t->pool + p)] = (uint32_t)p + 4;
        p += strlen(t->pool + p + 4) + 5;
    }
}

/* ---------------------------------------------------------------- a sparse set of geonameids */

/* Two levels of 2^16 bits: a whole 32-bit id space costs 512 KB of pointers, and 8 KB per
 * range of 65,536 ids actually used. */
typedef struct {
    uint64_t **page;
    int oom;
} idset;

static void idset_add(idset *s, uint32_t id)
{
    if (!s->page && !(s->page = calloc(1 << 16, sizeof *s->page))) {
        s->oom = 1;
        return;
    }
    uint64_t **p = &s->page[id >> 16];
    if (!*p && !(*p = calloc(1 << 10, sizeof **p))) {
        s->oom = 1;
        return;
    }
    (*p)[(id & 0xFFFF) >> 6] |= 1ULL << (id & 63);
}

static int idset_has(const idset *s, uint32_t id)
{
    const uint64_t *p = s->page ? s->page[id >> 16] : NULL;
    return p && (p[(id & 0xFFFF) >> 6] >> (id & 63) & 1);
}

static void idset_free(idset *s)
{
    if (s->page)
        for (size_t i = 0; i < 1 << 16; i++)
            free(s->page[i]);
    free(s->page);
    s->page = NULL;
}

/* ---------------------------------------------------------------- the builder */

/* Where a name came from. The postings of one place under one key are merged into one, keeping
 * the first one's full name (for the fuzzy table): first in this order, which is the order the
 * names were read back from the database in before (dump name, ascii name, alternatenames
 * column, alternate names, then the admin tables). */
enum {
    CLASS_NAME,
    CLASS_ASCII,
    CLASS_COLUMN,
    CLASS_ALTNAME,
    CLASS_ADMIN1,
    CLASS_ADMIN1_ASCII,
    CLASS_ADMIN2,
    CLASS_COUNTRY
};

#define WHO_ROW 0x8000u /* in logent.kind: who is a dump row number, not a geonameid */

typedef struct {
    uint32_t key;  /* string id of the normalised name */
    uint32_t who;  /* geonameid, or dump row number */
    uint16_t kind; /* INCMAP_NAME_* | WHO_ROW */
    uint16_t cls;  /* CLASS_* */
} logent;

/* A name waiting for its batch to be interned. */
typedef struct {
    uint32_t off, len; /* in pend_text */
    uint64_t h;
    uint32_t who;
    uint16_t kind, cls;
} pending;

typedef struct {
    uint32_t base;     /* numeral stripped ("tibi i" -> "tibi"), or NONE */
    uint32_t squashed; /* spaces removed from base (or the key), or NONE when there are none */
    uint32_t skeleton; /* consonant skeleton of the squashed form (fuzzy table), or NONE */
} variants;

typedef struct {
    int table;
    int64_t geonameid;
    uint32_t code, name, ascii; /* offsets in admin_strings */
} admin_row;

/* A derived point: predicted, or as SQLite made it. */
typedef struct {
    uint32_t id;
    const char *name, *ascii;
} derived;

/* A name of a derived point, as a posting to merge into its key's group. */
typedef struct {
    uint64_t group;
    incmap_gz_posting p;
} late_posting;

struct incmap_index_builder {
    strtab st;
    incmap_buf pend_text;
    pending *pend;
    size_t n_pend, cap_pend, row_first;
    strref *refs;
    uint32_t *ids;
    size_t cap_refs;
    logent *log;
    size_t n_log, cap_log;
    /* dump rows, numbered in the order given: geonameid, modification date, and the record the
     * row makes if it wins (name_off: offset in row_names; admin codes: string ids in codes) */
    uint32_t *row_id, *row_date;
    incmap_gz_record *row_rec;
    size_t n_rows, cap_rows, cap_rec;
    incmap_buf row_names;
    strtab dates;
    strtab codes; /* "CC.ADMIN1" and "CC.ADMIN1.ADMIN2": few and hot, apart from the names */
    admin_row *admin;
    size_t n_admin, cap_admin;
    admin_row **admin_sorted; /* the last row of each code, by table and code */
    size_t n_admin_sorted;
    incmap_buf admin_strings;
    idset known;
    incmap_buf key, tmp, sk;
    /* prepare */
    variants *var; /* per string id below n_var, where ST_USED */
    size_t n_var;
    incmap_gz_posting *post; /* record = geonameid, key_off = full name's string id, reserved = class */
    size_t n_post;
    uint32_t *start; /* group g (string id * 2 + fuzzy) is post[start[g] .. start[g + 1]) */
    size_t n_groups;
    /* the records: the winning rows, in geonameid order (name_off: string id once planned) */
    incmap_gz_record *rec;
    size_t n_rec;
    /* what the derived points need: the countries that have places (a bit per two-byte code),
     * the codes that places use (CODE_* in codes.flags) and the admin1 code of each admin2 code
     * (+ 1), since a '.' inside ADMIN1 would make an admin2 code alone ambiguous */
    uint64_t countries[1024];
    uint32_t *parent;
    size_t cap_parent;
    /* prediction */
    derived *pred;
    size_t n_pred;
    uint32_t *pred_ids;
    int64_t pred_inserted; /* rows SQLite should insert (ids past 32 bits included) */
    /* plan */
    const derived *dv; /* the derived points planned for */
    size_t n_dv;
    late_posting *late;
    size_t n_late;
    index_key *keys;
    index_bucket *buckets;
    uint64_t n_keys, n_buckets, n_final_posts, strings_size;
    int names_interned; /* the records' names are string ids now */
    int laid_out;       /* the strings' offsets are the index's (strtab_restore undoes it) */
    FILE *out;          /* the index being written */
    index_header header;
    uint32_t *direct; /* geonameid - min -> record + 1 (0: none), when ids are dense */
    /* place_of[m]: where the m-th record in geonameid order (the places and the derived points
     * merged, as recmap_find numbers them) lies in the index's records */
    uint32_t *place_of;
    /* The pool offsets of the spellings the skeletons list, skeleton by skeleton: written side
     * by side, so that a spelling probe reads a skeleton's spellings from a few pages of the
     * index and not one page each */
    uint32_t *grouped;
    size_t n_grouped;
    uint32_t direct_min;
    uint64_t direct_span;
    int oom;
};

incmap_index_builder *incmap_index_builder_new(uint64_t expected_names)
{
    incmap_index_builder *ib = calloc(1, sizeof *ib);
    if (!ib)
        return NULL;
    /* the names repeat, but their variants, the records' names and the prefixes add strings:
     * about as many strings in the end as names */
    if (strtab_init(&ib->st, expected_names + 1024) || strtab_init(&ib->dates, 1024) || strtab_init(&ib->codes, 4096)) {
        incmap_index_builder_free(ib);
        return NULL;
    }
    return ib;
}

static void free_plan(incmap_index_builder *ib)
{
    free(ib->late);
    free(ib->keys);
    free(ib->buckets);
    free(ib->direct);
    free(ib->place_of);
    free(ib->grouped);
    ib->grouped = NULL;
    ib->n_grouped = 0;
    ib->late = NULL;
    ib->keys = NULL;
    ib->buckets = NULL;
    ib->direct = NULL;
    ib->place_of = NULL;
    ib->n_late = 0;
}

void incmap_index_builder_free(incmap_index_builder *ib)
{
    if (!ib)
        return;
    strtab_free(&ib->st);
    strtab_free(&ib->dates);
    incmap_buf_free(&ib->pend_text);
    free(ib->pend);
    free(ib->refs);
    free(ib->ids);
    free(ib->log);
    free(ib->row_id);
    free(ib->row_date);
    free(ib->row_rec);
    incmap_buf_free(&ib->row_names);
    strtab_free(&ib->codes);
    free(ib->rec);
    free(ib->parent);
    free(ib->admin);
    free(ib->admin_sorted);
    incmap_buf_free(&ib->admin_strings);
    idset_free(&ib->known);
    incmap_buf_free(&ib->key);
    incmap_buf_free(&ib->tmp);
    incmap_buf_free(&ib->sk);
    free(ib->var);
    free(ib->post);
    free(ib->start);
    free(ib->pred);
    free(ib->pred_ids);
    free_plan(ib);
    if (ib->out)
        fclose(ib->out);
    free(ib);
}

int incmap_index_knows(const incmap_index_builder *ib, uint32_t geonameid)
{
    return idset_has(&ib->known, geonameid);
}

static incmap_status status_of(const incmap_index_builder *ib)
{
    return ib->oom ? (ib->oom == 2 ? INCMAP_ERR_LIMIT : INCMAP_ERR_NOMEM) : INCMAP_OK;
}

static void set_oom(incmap_index_builder *ib)
{
    if (!ib->oom)
        ib->oom = ib->st.oom == 2 ? 2 : 1;
}

/* incmap_normalize, with a fast path for the ASCII names that are most of GeoNames: letters and
 * digits lower-cased, any run of other characters one space, none at either end. */
static void normalize(const char *s, size_t n, incmap_buf *out)
{
    incmap_buf_clear(out);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) {
            incmap_normalize(s, n, out);
            return;
        }
    if (incmap_grow(&out->s, &out->cap, n + 1, 1)) {
        out->oom = 1;
        return;
    }
    size_t k = 0;
    int sep = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            sep = 1;
            continue;
        }
        if (sep && k)
            out->s[k++] = ' ';
        sep = 0;
        out->s[k++] = c;
    }
    out->s[k] = 0;
    out->len = k;
}

static void log_entry(incmap_index_builder *ib, uint32_t key, uint32_t who, uint16_t kind, uint16_t cls)
{
    if (ib->n_log == ib->cap_log && grow(&ib->log, &ib->cap_log, ib->n_log + 1, sizeof *ib->log)) {
        ib->oom = 1;
        return;
    }
    ib->log[ib->n_log++] = (logent){key, who, kind, cls};
}

static int reserve_refs(incmap_index_builder *ib, size_t n)
{
    size_t cap = ib->cap_refs, cap2 = ib->cap_refs;
    if (grow(&ib->refs, &cap, n, sizeof *ib->refs) || grow(&ib->ids, &cap2, n, sizeof *ib->ids))
        return -1;
    ib->cap_refs = cap < cap2 ? cap : cap2;
    return 0;
}

/* Interns the pending names in one batch and logs them. */
static void flush(incmap_index_builder *ib)
{
    size_t n = ib->n_pend;
    ib->n_pend = ib->row_first = 0;
    if (!n || ib->oom)
        return;
    if (reserve_refs(ib, n)) {
        ib->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        ib->refs[i] = (strref){ib->pend_text.s + ib->pend[i].off, ib->pend[i].len, ib->pend[i].h};
    if (strtab_intern_batch(&ib->st, ib->refs, n, ib->ids)) {
        set_oom(ib);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        ib->st.flags[ib->ids[i]] |= ST_USED;
        log_entry(ib, ib->ids[i], ib->pend[i].who, ib->pend[i].kind, ib->pend[i].cls);
    }
    incmap_buf_clear(&ib->pend_text);
}

/* A new row: its names are compared with each other, not with the previous rows'. */
static void begin_row(incmap_index_builder *ib)
{
    if (ib->n_pend >= 2048)
        flush(ib);
    ib->row_first = ib->n_pend;
}

/* Normalises one name and queues it; names of one row that normalise alike are queued once. */
static void add_one(incmap_index_builder *ib, const char *name, size_t n, uint32_t who, uint16_t kind, uint16_t cls)
{
    normalize(name, n, &ib->key);
    if (ib->key.oom) {
        ib->oom = 1;
        return;
    }
    size_t len = ib->key.len;
    if (!len)
        return;
    for (size_t i = ib->row_first; i < ib->n_pend; i++)
        if (ib->pend[i].len == len && ib->pend[i].kind == kind &&
            !memcmp(ib->pend_text.s + ib->pend[i].off, ib->key.s, len))
            return;
    if (grow(&ib->pend, &ib->cap_pend, ib->n_pend + 1, sizeof *ib->pend) || ib->pend_text.len + len + 1 > UINT32_MAX) {
        ib->oom = 1;
        return;
    }
    ib->pend[ib->n_pend++] =
        (pending){(uint32_t)ib->pend_text.len, (uint32_t)len, incmap_hash(ib->key.s, len, 0), who, kind, cls};
    incmap_buf_append(&ib->pend_text, ib->key.s, len + 1);
    if (ib->pend_text.oom)
        ib->oom = 1;
}

static void copy_field(char *dst, size_t n, const char *src)
{
    memset(dst, 0, n);
    if (src) /* a fixed-width field, not NUL-terminated when full */
        memcpy(dst, src, strlen(src) < n ? strlen(src) : n);
}

/* The record a row makes, as it will read back from SQLite (where "" is NULL). */
static int row_record(incmap_index_builder *ib, incmap_gz_record *rec, const incmap_index_row *row)
{
    memset(rec, 0, sizeof *rec);
    rec->geonameid = row->geonameid;
    rec->lat = (float)row->lat;
    rec->lon = (float)row->lon;
    rec->fclass = row->fclass && *row->fclass ? row->fclass[0] : ' ';
    copy_field(rec->fcode, sizeof rec->fcode, row->fcode);
    const char *cc = row->country, *a1 = row->admin1, *a2 = row->admin2;
    if (cc && strlen(cc) == 2)
        memcpy(rec->cc, cc, 2);
    rec->population = row->population > UINT32_MAX ? UINT32_MAX : row->population < 0 ? 0 : (uint32_t)row->population;
    const char *name = row->name ? row->name : "";
    if (ib->row_names.len > UINT32_MAX)
        return -1;
    rec->name_off = (uint32_t)ib->row_names.len;
    incmap_buf_append(&ib->row_names, name, strlen(name) + 1);
    if (cc && *cc && a1 && *a1) {
        incmap_buf *code = &ib->tmp;
        incmap_buf_clear(code);
        incmap_buf_puts(code, cc);
        incmap_buf_putc(code, '.');
        incmap_buf_puts(code, a1);
        if (code->oom || (rec->admin1_off = strtab_intern(&ib->codes, code->s, code->len)) == NONE)
            return -1;
        if (a2 && *a2) {
            incmap_buf_putc(code, '.');
            incmap_buf_puts(code, a2);
            if (code->oom || (rec->admin2_off = strtab_intern(&ib->codes, code->s, code->len)) == NONE)
                return -1;
            size_t had = ib->cap_parent;
            if (grow(&ib->parent, &ib->cap_parent, ib->codes.n, sizeof *ib->parent))
                return -1;
            memset(ib->parent + had, 0, (ib->cap_parent - had) * sizeof *ib->parent);
            if (!ib->parent[rec->admin2_off]) /* the first seen, if ADMIN1 makes it ambiguous */
                ib->parent[rec->admin2_off] = rec->admin1_off + 1;
        }
    }
    return ib->row_names.oom ? -1 : 0;
}

incmap_status incmap_index_add_row(incmap_index_builder *ib, const incmap_index_row *row)
{
    if (ib->n_rows == ib->cap_rows) {
        size_t cap = ib->cap_rows, cap2 = ib->cap_rows, cap3 = ib->cap_rows;
        if (ib->n_rows >= NONE - 1 || grow(&ib->row_id, &cap, ib->n_rows + 1, sizeof *ib->row_id) ||
            grow(&ib->row_date, &cap2, ib->n_rows + 1, sizeof *ib->row_date) ||
            grow(&ib->row_rec, &cap3, ib->n_rows + 1, sizeof *ib->row_rec)) {
            ib->oom = 1;
            return INCMAP_ERR_NOMEM;
        }
        ib->cap_rows = cap < cap2 ? (cap < cap3 ? cap : cap3) : (cap2 < cap3 ? cap2 : cap3);
    }
    const char *moddate = row->moddate ? row->moddate : "";
    uint32_t date = strtab_intern(&ib->dates, moddate, strlen(moddate));
    uint32_t r = (uint32_t)ib->n_rows;
    if (date == NONE || row_record(ib, &ib->row_rec[r], row)) {
        ib->oom = ib->codes.oom == 2 ? 2 : 1;
        return status_of(ib);
    }
    ib->row_id[r] = row->geonameid;
    ib->row_date[r] = date;
    ib->n_rows++;
    idset_add(&ib->known, row->geonameid);
    begin_row(ib);
    if (row->name)
        add_one(ib, row->name, strlen(row->name), r, INCMAP_NAME_MAIN | WHO_ROW, CLASS_NAME);
    if (row->asciiname)
        add_one(ib, row->asciiname, strlen(row->asciiname), r, INCMAP_NAME_MAIN | WHO_ROW, CLASS_ASCII);
    /* The dump's alternatenames column is comma-separated. */
    for (const char *p = row->alternatenames; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n && n < 512) /* longer pieces are not names */
            add_one(ib, p, n, r, INCMAP_NAME_ALT | WHO_ROW, CLASS_COLUMN);
        p += n + (comma ? 1 : 0);
    }
    if (ib->known.oom)
        ib->oom = 1;
    return status_of(ib);
}

incmap_status incmap_index_add_name(incmap_index_builder *ib, uint32_t geonameid, const char *name)
{
    begin_row(ib);
    add_one(ib, name, strlen(name), geonameid, INCMAP_NAME_CURATED, CLASS_ALTNAME);
    return status_of(ib);
}

incmap_status incmap_index_add_admin(incmap_index_builder *ib, int table, const char *code, int64_t geonameid,
                                     const char *name, const char *asciiname)
{
    if (grow(&ib->admin, &ib->cap_admin, ib->n_admin + 1, sizeof *ib->admin)) {
        ib->oom = 1;
        return INCMAP_ERR_NOMEM;
    }
    incmap_buf *b = &ib->admin_strings;
    admin_row *a = &ib->admin[ib->n_admin++];
    a->table = table;
    a->geonameid = geonameid;
    const char *s[3] = {code, name ? name : "", asciiname ? asciiname : ""};
    uint32_t *o[3] = {&a->code, &a->name, &a->ascii};
    for (int i = 0; i < 3; i++) {
        *o[i] = (uint32_t)b->len;
        incmap_buf_append(b, s[i], strlen(s[i]) + 1);
    }
    if (geonameid > 0 && geonameid <= UINT32_MAX)
        idset_add(&ib->known, (uint32_t)geonameid);
    if (b->oom || b->len > UINT32_MAX || ib->known.oom) {
        ib->oom = 1;
        return INCMAP_ERR_NOMEM;
    }
    return INCMAP_OK;
}

/* ---------------------------------------------------------------- prepare */

/* Sorts 64-bit keys (16 bits a pass, least significant first; passes where every key has the
 * same digit are skipped). */
static int radix_sort64(uint64_t *a, size_t n)
{
    uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    size_t *count = malloc((1 << 16) * sizeof *count);
    if (!tmp || !count) {
        free(tmp);
        free(count);
        return -1;
    }
    for (int shift = 0; shift < 64 && n; shift += 16) {
        memset(count, 0, (1 << 16) * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[a[i] >> shift & 0xFFFF]++;
        if (count[a[0] >> shift & 0xFFFF] == n)
            continue;
        size_t sum = 0;
        for (size_t d = 0; d < 1 << 16; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[a[i] >> shift & 0xFFFF]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
    free(tmp);
    free(count);
    return 0;
}

/* Which dump rows are their geonameid's last word: a row replaces the one before it when its
 * modification date is not older (as the SQLite upsert does). Returns a bitmap over rows, and
 * builds the records from the winners, in geonameid order. */
static uint64_t *winning_rows(incmap_index_builder *ib)
{
    size_t n = ib->n_rows;
    uint64_t *win = calloc(n / 64 + 1, sizeof *win);
    if (!win)
        return NULL;
    int sorted = 1;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = ib->row_id[i] > ib->row_id[i - 1];
    if (sorted) { /* one dump in geonameid order, as GeoNames writes them: every row wins */
        for (size_t i = 0; i < n; i++)
            win[i / 64] |= 1ULL << (i % 64);
        ib->rec = ib->row_rec; /* already in order */
        ib->n_rec = n;
        ib->row_rec = NULL;
        return win;
    }
    if (!(ib->rec = malloc((n ? n : 1) * sizeof *ib->rec))) {
        free(win);
        return NULL;
    }
    uint64_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) {
        free(win);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (uint64_t)ib->row_id[i] << 32 | i;
    if (radix_sort64(order, n)) {
        free(order);
        free(win);
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        uint32_t id = (uint32_t)(order[i] >> 32), best = (uint32_t)order[i];
        for (i++; i < n && (uint32_t)(order[i] >> 32) == id; i++) {
            uint32_t r = (uint32_t)order[i];
            if (strcmp(strtab_str(&ib->dates, ib->row_date[r]), strtab_str(&ib->dates, ib->row_date[best])) >= 0)
                best = r;
        }
        win[best / 64] |= 1ULL << (best % 64);
        ib->rec[ib->n_rec++] = ib->row_rec[best];
    }
    free(order);
    free(ib->row_rec);
    ib->row_rec = NULL;
    return win;
}

/* By table, code, then the order read (the last row of a code is its table's). */
static int cmp_admin(const admin_row *x, const admin_row *y, const char *strings)
{
    if (x->table != y->table)
        return x->table - y->table;
    int c = strcmp(strings + x->code, strings + y->code);
    return c ? c : (x < y ? -1 : x > y);
}

/* A merge sort: qsort has no context argument in C11, and the order must be stable. */
static void sort_admin(admin_row **p, size_t n, const char *strings, admin_row **tmp)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_admin(p, h, strings, tmp);
    sort_admin(p + h, n - h, strings, tmp);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_admin(p[j], p[i], strings) < 0 ? p[j++] : p[i++];
    while (i < h)
        tmp[k++] = p[i++];
    while (j < n)
        tmp[k++] = p[j++];
    memcpy(p, tmp, n * sizeof *p);
}

/* The admin tables keep the last row of each code: their names are logged as the tables'. */
static void log_admin_names(incmap_index_builder *ib)
{
    size_t n = ib->n_admin;
    admin_row **p = malloc((n ? n : 1) * sizeof *p), **tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!p || !tmp) {
        free(p);
        free(tmp);
        ib->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        p[i] = &ib->admin[i];
    const char *s = ib->admin_strings.s;
    sort_admin(p, n, s, tmp);
    free(tmp);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        admin_row *a = p[i];
        if (i + 1 < n && p[i + 1]->table == a->table && !strcmp(s + p[i + 1]->code, s + a->code))
            continue; /* replaced by a later row of the same code */
        p[kept++] = a;
        if (a->geonameid <= 0 || a->geonameid > UINT32_MAX)
            continue; /* no record can have that id */
        uint32_t id = (uint32_t)a->geonameid;
        uint16_t cls = a->table == INDEX_ADMIN1 ? CLASS_ADMIN1 : a->table == INDEX_ADMIN2 ? CLASS_ADMIN2 : CLASS_COUNTRY;
        begin_row(ib);
        add_one(ib, s + a->name, strlen(s + a->name), id, INCMAP_NAME_CURATED, cls);
        if (a->table == INDEX_ADMIN1) {
            begin_row(ib);
            add_one(ib, s + a->ascii, strlen(s + a->ascii), id, INCMAP_NAME_CURATED, CLASS_ADMIN1_ASCII);
        }
    }
    ib->admin_sorted = p;
    ib->n_admin_sorted = kept;
}

static int is_numeral(const char *w, size_t n)
{
    static const char *roman[] = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"};
    int digits = 1;
    for (size_t i = 0; i < n; i++)
        digits &= w[i] >= '0' && w[i] <= '9';
    if (digits && n <= 3)
        return 1;
    for (size_t i = 0; i < sizeof roman / sizeof *roman; i++)
        if (strlen(roman[i]) == n && memcmp(roman[i], w, n) == 0)
            return 1;
    return 0;
}

/* The variant strings of a name key, appended to out (NUL-separated): which[i] says which
 * field of variants each is (0 base, 1 squashed, 2 skeleton). Returns how many.
 *  - "Tibi I", "Tiby 1", "Kouri 2": villages split in numbered parts are written without the
 *    numeral in the press (base);
 *  - "Tin Zaouaten" is also written "Tinzaouaten" (squashed);
 *  - spelling variants ("Tin Zaouatine" / "Tinzaouaten"): the consonant skeleton, verified by
 *    edit distance at look-up time (fuzzy table). */
static int variant_strings(incmap_index_builder *ib, const char *key, incmap_buf *out, size_t *offs, int *which)
{
    size_t len = strlen(key), base_len = len;
    int n = 0;
    const char *last_space = strrchr(key, ' ');
    if (last_space && is_numeral(last_space + 1, len - (size_t)(last_space - key) - 1)) {
        base_len = (size_t)(last_space - key);
        offs[n] = out->len;
        which[n++] = 0;
        incmap_buf_append(out, key, base_len);
        incmap_buf_putc(out, 0);
    }
    incmap_buf_clear(&ib->tmp);
    incmap_buf_append(&ib->tmp, "", 0);
    for (size_t i = 0; i < base_len; i++)
        if (key[i] != ' ')
            incmap_buf_putc(&ib->tmp, key[i]);
    if (ib->tmp.len != base_len) {
        offs[n] = out->len;
        which[n++] = 1;
        incmap_buf_append(out, ib->tmp.s, ib->tmp.len + 1);
    }
    incmap_buf_clear(&ib->sk);
    incmap_buf_reserve(&ib->sk, ib->tmp.len);
    if (!ib->sk.s || ib->sk.cap < ib->tmp.len + 1)
        return -1; /* out of memory */
    ib->sk.len = incmap_gazetteer_skeleton(ib->tmp.s ? ib->tmp.s : "", ib->tmp.len, ib->sk.s);
    if (ib->sk.len >= 4) {
        offs[n] = out->len;
        which[n++] = 2;
        incmap_buf_append(out, ib->sk.s, ib->sk.len + 1);
    }
    return ib->tmp.oom || ib->sk.oom ? -1 : n;
}

/* The variants of one key, interned one by one (for the few names of derived points). */
static int derive_variants(incmap_index_builder *ib, uint32_t id, variants *v)
{
    incmap_buf text = {0};
    size_t offs[3];
    int which[3];
    *v = (variants){NONE, NONE, NONE};
    incmap_buf key = {0}; /* a copy: interning may move the pool */
    incmap_buf_puts(&key, strtab_str(&ib->st, id));
    int n = key.oom ? -1 : variant_strings(ib, key.s, &text, offs, which);
    for (int i = 0; i < n && !text.oom; i++) {
        uint32_t x = strtab_intern(&ib->st, text.s + offs[i], strlen(text.s + offs[i]));
        if (x == NONE) {
            n = -1;
            break;
        }
        *(which[i] == 0 ? &v->base : which[i] == 1 ? &v->squashed : &v->skeleton) = x;
    }
    int bad = n < 0 || text.oom;
    incmap_buf_free(&text);
    incmap_buf_free(&key);
    return bad ? -1 : 0;
}

/* The variants of every name key, in batches (their strings are interned like the names). */
static int derive_all_variants(incmap_index_builder *ib)
{
    size_t n0 = ib->st.n;
    ib->var = malloc((n0 ? n0 : 1) * sizeof *ib->var);
    if (!ib->var || reserve_refs(ib, 3 * 1024))
        return -1;
    advise_huge(ib->var, n0 * sizeof *ib->var);
    ib->n_var = n0;
    incmap_buf text = {0};
    uint32_t chunk[1024];
    size_t offs[3 * 1024];
    int which[3 * 1024], owner[3 * 1024];
    for (size_t id = 0; id < n0;) {
        size_t n_chunk = 0, n_refs = 0;
        incmap_buf_clear(&text);
        for (; id < n0 && n_chunk < 1024; id++) {
            if (!(ib->st.flags[id] & ST_USED))
                continue;
            ib->var[id] = (variants){NONE, NONE, NONE};
            /* copied first: interning may move the pool */
            size_t key_at = text.len;
            incmap_buf_puts(&text, strtab_str(&ib->st, (uint32_t)id));
            incmap_buf_putc(&text, 0);
            size_t at = text.len;
            incmap_buf_clear(&ib->key);
            incmap_buf_append(&ib->key, text.s + key_at, at - key_at - 1);
            int k = ib->key.oom ? -1 : variant_strings(ib, ib->key.s, &text, offs + n_refs, which + n_refs);
            if (k < 0 || text.oom) {
                incmap_buf_free(&text);
                return -1;
            }
            for (int j = 0; j < k; j++)
                owner[n_refs + (size_t)j] = (int)n_chunk;
            n_refs += (size_t)k;
            chunk[n_chunk++] = (uint32_t)id;
        }
        for (size_t i = 0; i < n_refs; i++) {
            const char *s = text.s + offs[i];
            size_t len = strlen(s);
            ib->refs[i] = (strref){s, (uint32_t)len, incmap_hash(s, len, 0)};
        }
        if (strtab_intern_batch(&ib->st, ib->refs, n_refs, ib->ids)) {
            incmap_buf_free(&text);
            return -1;
        }
        for (size_t i = 0; i < n_refs; i++) {
            variants *v = &ib->var[chunk[owner[i]]];
            *(which[i] == 0 ? &v->base : which[i] == 1 ? &v->squashed : &v->skeleton) = ib->ids[i];
        }
    }
    incmap_buf_free(&text);
    return 0;
}

/* The postings a logged name stands for: the name itself and its variants. */
typedef struct {
    uint64_t group;
    uint32_t full;
    uint16_t kind;
} expansion;

static int expand(const variants *v, uint32_t key, uint16_t kind, expansion out[4])
{
    int n = 0;
    out[n++] = (expansion){(uint64_t)key * 2, key, kind};
    uint32_t squashed = key;
    if (v->base != NONE) {
        out[n++] = (expansion){(uint64_t)v->base * 2, v->base, (uint16_t)(kind | INCMAP_NAME_NUMERAL)};
        squashed = v->base;
    }
    if (v->squashed != NONE) {
        squashed = v->squashed;
        out[n++] = (expansion){(uint64_t)squashed * 2, squashed, (uint16_t)(kind | INCMAP_NAME_SQUASHED)};
    }
    if (v->skeleton != NONE)
        out[n++] = (expansion){(uint64_t)v->skeleton * 2 + 1, squashed, (uint16_t)(kind | INCMAP_NAME_FUZZY)};
    return n;
}

/* One clean spelling of the name is enough for the posting to count as clean. */
static uint16_t merge_kind(uint16_t a, uint16_t b)
{
    const uint16_t variant = INCMAP_NAME_NUMERAL | INCMAP_NAME_SQUASHED | INCMAP_NAME_FUZZY;
    int clean = !(a & variant) || !(b & variant);
    return (uint16_t)((a | b) & (clean ? ~variant : 0xFFFF));
}

static int post_before(const incmap_gz_posting *a, const incmap_gz_posting *b)
{
    return a->record != b->record ? a->record < b->record : a->reserved < b->reserved;
}

/* Stable sort by (geonameid, class): insertion sort for the many short groups, merge sort for
 * the few long ones (a common name, a short consonant skeleton). */
static void sort_group(incmap_gz_posting *p, size_t n, incmap_gz_posting *tmp)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            incmap_gz_posting x = p[i];
            size_t j = i;
            for (; j > 0 && post_before(&x, &p[j - 1]); j--)
                p[j] = p[j - 1];
            p[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    sort_group(p, h, tmp);
    sort_group(p + h, n - h, tmp);
    if (!post_before(&p[h], &p[h - 1]))
        return;
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = post_before(&p[j], &p[i]) ? p[j++] : p[i++];
    while (i < h)
        tmp[k++] = p[i++];
    while (j < n)
        tmp[k++] = p[j++];
    memcpy(p, tmp, n * sizeof *p);
}

/* Expands the log into postings grouped by key (a counting sort), then sorts each group by
 * place and merges each place's postings. */
static incmap_status group_postings(incmap_index_builder *ib, incmap_error *err)
{
    uint64_t *win = winning_rows(ib);
    size_t n_groups = ib->st.n * 2;
    uint32_t *start = calloc(n_groups + 1, sizeof *start);
    if (!win || !start) {
        free(win);
        free(start);
        return incmap_fail(err, INCMAP_ERR_NOMEM, "index: out of memory grouping %zu names", ib->n_log);
    }
    advise_huge(start, (n_groups + 1) * sizeof *start);
    uint64_t total = 0;
    expansion x[4];
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < ib->n_log; i++) {
            const logent *e = &ib->log[i];
            uint32_t id = e->who;
            if (e->kind & WHO_ROW) {
                if (!(win[e->who / 64] >> (e->who % 64) & 1))
                    continue; /* a row that a newer one replaced */
                id = ib->row_id[e->who];
            }
            int n = expand(&ib->var[e->key], e->key, (uint16_t)(e->kind & ~WHO_ROW), x);
            for (int k = 0; k < n; k++) {
                if (pass == 0)
                    start[x[k].group]++;
                else
                    ib->post[start[x[k].group]++] = (incmap_gz_posting){id, x[k].full, x[k].kind, e->cls};
            }
        }
        if (pass == 1)
            break;
        for (size_t g = 0; g < n_groups; g++) {
            uint32_t c = start[g];
            start[g] = (uint32_t)total;
            total += c;
            if (total >= UINT32_MAX) {
                free(win);
                free(start);
                return incmap_fail(err, INCMAP_ERR_LIMIT, "index: more than 4 billion postings");
            }
        }
        start[n_groups] = (uint32_t)total;
        ib->post = malloc((total ? total : 1) * sizeof *ib->post);
        if (!ib->post) {
            free(win);
            free(start);
            return incmap_fail(err, INCMAP_ERR_NOMEM, "index: out of memory for %llu postings",
                               (unsigned long long)total);
        }
        advise_huge(ib->post, total * sizeof *ib->post);
    }
    free(win);
    /* After placing, start[g] is where group g + 1 starts. */
    memmove(start + 1, start, n_groups * sizeof *start);
    start[0] = 0;
    free(ib->log);
    ib->log = NULL;
    ib->n_log = ib->cap_log = 0;

    size_t longest = 0;
    for (size_t g = 0; g < n_groups; g++)
        if (start[g + 1] - start[g] > longest)
            longest = start[g + 1] - start[g];
    incmap_gz_posting *tmp = malloc((longest ? longest : 1) * sizeof *tmp);
    if (!tmp) {
        free(start);
        return incmap_fail(err, INCMAP_ERR_NOMEM, "index: out of memory");
    }
    size_t w = 0;
    for (size_t g = 0; g < n_groups; g++) {
        incmap_gz_posting *p = ib->post + start[g];
        size_t n = start[g + 1] - start[g];
        start[g] = (uint32_t)w;
        sort_group(p, n, tmp);
        for (size_t i = 0; i < n; i++) {
            if (w > start[g] && ib->post[w - 1].record == p[i].record) {
                ib->post[w - 1].kind = merge_kind(ib->post[w - 1].kind, p[i].kind);
                continue;
            }
            ib->post[w++] = p[i];
        }
    }
    start[n_groups] = (uint32_t)w;
    free(tmp);
    /* merging dropped a third or so: give it back */
    incmap_gz_posting *shrunk = realloc(ib->post, (w ? w : 1) * sizeof *ib->post);
    if (shrunk)
        ib->post = shrunk;
    ib->n_post = w;
    ib->start = start;
    ib->n_groups = n_groups;
    return INCMAP_OK;
}

/* What SQLite's joins will find for the derived points: the countries and admin codes places
 * have (NULL matches nothing, and a record has a code only when its parts are not NULL). */
static void mark_areas(incmap_index_builder *ib)
{
    for (size_t i = 0; i < ib->n_rec; i++) {
        const incmap_gz_record *r = &ib->rec[i];
        if (r->cc[0]) {
            unsigned code = (unsigned char)r->cc[0] << 8 | (unsigned char)r->cc[1];
            ib->countries[code / 64] |= 1ULL << (code % 64);
        }
        ib->codes.flags[r->admin1_off] |= CODE_ADMIN1;
        ib->codes.flags[r->admin2_off] |= CODE_ADMIN2;
    }
    ib->codes.flags[0] &= (uint8_t) ~(CODE_ADMIN1 | CODE_ADMIN2); /* "none" */
}

incmap_status incmap_index_prepare(incmap_index_builder *ib, incmap_error *err)
{
    flush(ib);
    log_admin_names(ib);
    flush(ib);
    if (!ib->oom && derive_all_variants(ib))
        set_oom(ib);
    if (ib->oom)
        return incmap_fail(err, status_of(ib), "index: %s",
                           ib->oom == 2 ? "more names than the index format holds (4 GB of strings)" : "out of memory");
    incmap_status rc = group_postings(ib, err);
    if (rc == INCMAP_OK)
        mark_areas(ib);
    free(ib->var);
    ib->var = NULL;
    free(ib->row_id);
    free(ib->row_date);
    ib->row_id = ib->row_date = NULL;
    incmap_buf_free(&ib->pend_text);
    free(ib->pend);
    ib->pend = NULL;
    ib->cap_pend = 0;
    return rc;
}

/* ---------------------------------------------------------------- SQLite's derived points */

struct incmap_index_derived {
    incmap_gz_record *rec; /* name_off, admin1_off, admin2_off: offsets in strings (0: none) */
    derived *dv;           /* ids and names */
    size_t n;
    incmap_buf strings;    /* starts with "" */
};

void incmap_index_derived_free(incmap_index_derived *d)
{
    if (!d)
        return;
    free(d->rec);
    free(d->dv);
    incmap_buf_free(&d->strings);
    free(d);
}

/* Appends s (NULL: "") to d's strings; returns its offset. */
static uint32_t add_string(incmap_index_derived *d, const char *s)
{
    uint32_t at = (uint32_t)d->strings.len;
    incmap_buf_append(&d->strings, s ? s : "", (s ? strlen(s) : 0) + 1);
    return at;
}

/* A derived row of (geonameid, name, lat, lon, fclass, fcode, country, admin1, admin2,
 * population, asciiname) as a record, as incmap_index_add_row would make it. */
static int derived_record(incmap_index_derived *d, sqlite3_stmt *st)
{
    size_t cap = d->n; /* the arrays grow in step */
    if (incmap_grow(&d->rec, &cap, d->n + 1, sizeof *d->rec) || (cap = d->n, 0) ||
        incmap_grow(&d->dv, &cap, d->n + 1, sizeof *d->dv))
        return -1;
    incmap_gz_record *r = &d->rec[d->n];
    memset(r, 0, sizeof *r);
    r->geonameid = (uint32_t)sqlite3_column_int64(st, 0);
    r->name_off = add_string(d, (const char *)sqlite3_column_text(st, 1));
    uint32_t ascii = add_string(d, (const char *)sqlite3_column_text(st, 10));
    r->lat = (float)sqlite3_column_double(st, 2);
    r->lon = (float)sqlite3_column_double(st, 3);
    const char *fc = (const char *)sqlite3_column_text(st, 4);
    r->fclass = fc && *fc ? fc[0] : ' ';
    copy_field(r->fcode, sizeof r->fcode, (const char *)sqlite3_column_text(st, 5));
    const char *cc = (const char *)sqlite3_column_text(st, 6);
    const char *a1 = (const char *)sqlite3_column_text(st, 7);
    const char *a2 = (const char *)sqlite3_column_text(st, 8);
    if (cc && strlen(cc) == 2)
        memcpy(r->cc, cc, 2);
    if (cc && a1 && *a1) {
        r->admin1_off = (uint32_t)d->strings.len;
        incmap_buf_printf(&d->strings, "%s.%s%c", cc, a1, 0);
        if (a2 && *a2) {
            r->admin2_off = (uint32_t)d->strings.len;
            incmap_buf_printf(&d->strings, "%s.%s.%s%c", cc, a1, a2, 0);
        }
    }
    long long pop = sqlite3_column_int64(st, 9);
    r->population = pop > UINT32_MAX ? UINT32_MAX : pop < 0 ? 0 : (uint32_t)pop;
    /* the names as offsets for now: the buffer may still move */
    d->dv[d->n] = (derived){r->geonameid, (const char *)(uintptr_t)r->name_off, (const char *)(uintptr_t)ascii};
    d->n++;
    return d->strings.oom || d->strings.len > UINT32_MAX ? -1 : 0;
}

incmap_status incmap_index_read_derived(sqlite3 *db, const uint32_t *predicted, size_t n_predicted,
                                        int64_t predicted_inserts, int64_t inserted, incmap_index_derived **out,
                                        int *matches, incmap_error *err)
{
    static const char *cols = "SELECT geonameid, name, lat, lon, fclass, fcode, country, admin1, admin2, population,"
                              " asciiname, source = 'derived' FROM place";
    char sql[300];
    sqlite3_stmt *st = NULL;
    incmap_index_derived *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "index: out of memory");
    incmap_buf_append(&d->strings, "", 1);
    /* Ids past 32 bits are inserted but never indexed: with any, the count says nothing. */
    *matches = predicted_inserts == inserted && predicted_inserts == (int64_t)n_predicted;
    for (int pass = *matches ? 0 : 1; pass < 2; pass++) {
        snprintf(sql, sizeof sql, "%s %s", cols,
                 pass == 0 ? "WHERE geonameid = ?1" : "WHERE source = 'derived' ORDER BY geonameid");
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            goto dberr;
        for (size_t i = 0; pass == 1 || i < n_predicted; i++) {
            if (pass == 0) {
                sqlite3_reset(st);
                sqlite3_bind_int64(st, 1, predicted[i]);
            }
            int step = sqlite3_step(st);
            if (step == SQLITE_DONE && pass == 1)
                break;
            if (step != SQLITE_ROW && step != SQLITE_DONE)
                goto dberr;
            if (step == SQLITE_DONE || !sqlite3_column_int(st, 11)) {
                *matches = 0; /* predicted, but not derived: read them all */
                break;
            }
            sqlite3_int64 id = sqlite3_column_int64(st, 0);
            if (id <= 0 || id > UINT32_MAX)
                continue; /* no record can carry it */
            if (derived_record(d, st))
                goto nomem;
        }
        sqlite3_finalize(st);
        st = NULL;
        if (*matches || pass == 1)
            break;
        d->n = 0; /* the prediction was wrong: start again with SQLite's list */
        d->strings.len = 1;
    }
    for (size_t i = 0; i < d->n; i++) {
        d->dv[i].name = d->strings.s + (uintptr_t)d->dv[i].name;
        d->dv[i].ascii = d->strings.s + (uintptr_t)d->dv[i].ascii;
    }
    *out = d;
    return INCMAP_OK;
dberr:
    incmap_fail(err, INCMAP_ERR_DB, "index: reading the derived points: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    incmap_index_derived_free(d);
    return INCMAP_ERR_DB;
nomem:
    sqlite3_finalize(st);
    incmap_index_derived_free(d);
    return incmap_fail(err, INCMAP_ERR_NOMEM, "index: out of memory reading the derived points");
}

/* ---------------------------------------------------------------- predicting the derived points */

/* SQLite's substr(X, Y[, Z]) on UTF-8 text (characters, not bytes), appended to out; has_z = 0
 * for the two-argument form. Follows SQLite's substrFunc, negative lengths included. */
static void sql_substr(const char *z, long long p1, long long p2, int has_z, incmap_buf *out)
{
    long long len = 0;
    for (const unsigned char *c = (const unsigned char *)z; *c; c++)
        len += (*c & 0xC0) != 0x80;
    int neg = 0;
    if (!has_z)
        p2 = 1000000000;
    else if (p2 < 0) {
        neg = 1;
        p2 = -p2;
    }
    if (p1 < 0) {
        p1 += len;
        if (p1 < 0) {
            p2 += p1;
            if (p2 < 0)
                p2 = 0;
            p1 = 0;
        }
    } else if (p1 > 0) {
        p1--;
    } else if (p2 > 0) {
        p2--;
    }
    if (neg) {
        p1 -= p2;
        if (p1 < 0) {
            p2 += p1;
            p1 = 0;
        }
    }
    const unsigned char *s = (const unsigned char *)z;
    for (; *s && p1; p1--)
        for (s++; (*s & 0xC0) == 0x80; s++)
            ;
    const unsigned char *e = s;
    for (; *e && p2; p2--)
        for (e++; (*e & 0xC0) == 0x80; e++)
            ;
    incmap_buf_append(out, (const char *)s, (size_t)(e - s));
}

/* SQLite's instr(X, '.'): the character position of the first '.', 0 when none. */
static long long sql_instr_dot(const char *z)
{
    long long pos = 0;
    for (const unsigned char *c = (const unsigned char *)z; *c; c++) {
        pos += (*c & 0xC0) != 0x80;
        if (*c == '.')
            return pos;
    }
    return 0;
}

static int find_u32(const uint32_t *a, size_t n, uint32_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && a[lo] == x;
}

static size_t lower_bound_rec(const incmap_index_builder *ib, uint32_t id)
{
    size_t lo = 0, hi = ib->n_rec;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ib->rec[mid].geonameid < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int has_record(const incmap_index_builder *ib, uint32_t id)
{
    size_t i = lower_bound_rec(ib, id);
    return i < ib->n_rec && ib->rec[i].geonameid == id;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_derived(const void *a, const void *b)
{
    const derived *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* DERIVE_SQL's three statements, replayed on the records and the admin tables: which ids get a
 * point, and under which name. Each statement sees the places as they were before it ran
 * (SQLite reads an INSERT's SELECT on the same table before inserting) and keeps the first row
 * of an id (INSERT OR IGNORE); a row with no name breaks place.name's NOT NULL and is skipped. */
incmap_status incmap_index_predict_derived(incmap_index_builder *ib, const uint32_t **ids, size_t *n_ids,
                                           int64_t *inserts, incmap_error *err)
{
    const char *s = ib->admin_strings.s;
    incmap_buf a = {0}, b = {0}, key = {0};
    uint32_t *stmt_ids = NULL; /* ids derived by the statements before this one, sorted */
    size_t n_before = 0, cap_pred = 0, cap_before = 0;
    admin_row **countries = NULL;
    strtab areas = {0};
    free(ib->pred);
    ib->pred = NULL;
    ib->n_pred = 0;
    ib->pred_inserted = 0;
    /* The (country, admin1) and (country, admin1, admin2) of the places, as "CC\1A1" and
     * "CC\1A1\1A2", from their codes: what SQLite's joins will find (NULL matches nothing). */
    if (strtab_init(&areas, ib->codes.n))
        goto nomem;
    for (uint32_t id = 1; id < ib->codes.n; id++) {
        const strtab *c = &ib->codes;
        uint32_t parent = (c->flags[id] & CODE_ADMIN2) && id < ib->cap_parent ? ib->parent[id] : 0;
        if (!(c->flags[id] & CODE_ADMIN1) && !parent)
            continue;
        const char *code = strtab_str(c, parent ? parent - 1 : id);
        incmap_buf_clear(&key);
        incmap_buf_append(&key, code, 2);
        incmap_buf_putc(&key, '\1');
        incmap_buf_puts(&key, code + 3);
        if (parent) {
            incmap_buf_putc(&key, '\1');
            incmap_buf_puts(&key, strtab_str(c, id) + strlen(code) + 1);
        }
        if (key.oom || strtab_intern(&areas, key.s, key.len) == NONE)
            goto nomem;
    }
    /* countries in the order of their table's rows: the row of each code inserted last */
    countries = malloc((ib->n_admin ? ib->n_admin : 1) * sizeof *countries);
    if (!countries)
        goto nomem;
    size_t n_countries = 0;
    for (size_t i = 0; i < ib->n_admin; i++) {
        admin_row *c = &ib->admin[i];
        if (c->table != INDEX_COUNTRY)
            continue;
        int later = 0;
        for (size_t j = 0; j < ib->n_admin_sorted; j++) /* few countries: a scan will do */
            if (ib->admin_sorted[j]->table == INDEX_COUNTRY && !strcmp(s + ib->admin_sorted[j]->code, s + c->code))
                later = ib->admin_sorted[j] != c;
        if (!later)
            countries[n_countries++] = c;
    }
    for (int stmt = 0; stmt < 3; stmt++) {
        size_t first_of_stmt = ib->n_pred;
        admin_row **rows = stmt == 2 ? countries : ib->admin_sorted;
        size_t n_rows = stmt == 2 ? n_countries : ib->n_admin_sorted;
        for (size_t i = 0; i < n_rows; i++) {
            const admin_row *ar = rows[i];
            if (ar->table != (stmt == 0 ? INDEX_ADMIN1 : stmt == 1 ? INDEX_ADMIN2 : INDEX_COUNTRY))
                continue;
            int64_t gid = ar->geonameid;
            /* NOT IN (SELECT geonameid FROM place), as the statement found it */
            if (gid > 0 && gid <= UINT32_MAX &&
                (has_record(ib, (uint32_t)gid) || find_u32(stmt_ids, n_before, (uint32_t)gid)))
                continue;
            const char *code = s + ar->code;
            int exists;
            if (stmt == 2) {
                const unsigned char *cc = (const unsigned char *)code; /* two bytes, checked on import */
                exists = ib->countries[(cc[0] << 8 | cc[1]) / 64] >> ((cc[0] << 8 | cc[1]) % 64) & 1;
            } else {
                incmap_buf_clear(&key);
                incmap_buf_clear(&a);
                sql_substr(code, 1, 2, 1, &key);
                incmap_buf_putc(&key, '\1');
                incmap_buf_clear(&b);
                sql_substr(code, 4, 0, 0, &b);
                if (stmt == 0) {
                    incmap_buf_append(&key, b.s, b.len);
                } else {
                    long long dot = sql_instr_dot(b.s);
                    sql_substr(code, 4, dot - 1, 1, &key);
                    incmap_buf_putc(&key, '\1');
                    sql_substr(code, 4 + dot, 0, 0, &key);
                }
                if (key.oom || a.oom || b.oom)
                    goto nomem;
                uint64_t slot;
                exists = strtab_find(&areas, key.s, key.len, incmap_hash(key.s, key.len, 0), &slot) != NONE;
            }
            if (!exists || !*(s + ar->name))
                continue;
            /* INSERT OR IGNORE: an id inserted earlier by this statement keeps its first row */
            int dup = 0;
            for (size_t j = first_of_stmt; j < ib->n_pred && !dup; j++)
                dup = ib->pred[j].id == gid;
            if (gid > UINT32_MAX || gid <= 0) {
                ib->pred_inserted++; /* inserted by SQLite, but no record can carry it */
                continue;
            }
            if (dup)
                continue;
            if (incmap_grow(&ib->pred, &cap_pred, ib->n_pred + 1, sizeof *ib->pred))
                goto nomem;
            const char *ascii = stmt == 2 ? s + ar->name : s + ar->ascii;
            ib->pred[ib->n_pred++] = (derived){(uint32_t)gid, s + ar->name, ascii};
            ib->pred_inserted++;
        }
        /* the ids this statement derived count as places for the next ones */
        for (size_t j = first_of_stmt; j < ib->n_pred; j++) {
            if (incmap_grow(&stmt_ids, &cap_before, n_before + 1, sizeof *stmt_ids))
                goto nomem;
            stmt_ids[n_before++] = ib->pred[j].id;
        }
        if (n_before)
            qsort(stmt_ids, n_before, sizeof *stmt_ids, cmp_u32);
    }
    if (ib->n_pred)
        qsort(ib->pred, ib->n_pred, sizeof *ib->pred, cmp_derived);
    free(ib->pred_ids);
    ib->pred_ids = malloc((ib->n_pred ? ib->n_pred : 1) * sizeof *ib->pred_ids);
    if (!ib->pred_ids)
        goto nomem;
    for (size_t i = 0; i < ib->n_pred; i++)
        ib->pred_ids[i] = ib->pred[i].id;
    *ids = ib->pred_ids;
    *n_ids = ib->n_pred;
    *inserts = ib->pred_inserted;
    strtab_free(&areas);
    free(countries);
    free(stmt_ids);
    incmap_buf_free(&a);
    incmap_buf_free(&b);
    incmap_buf_free(&key);
    return INCMAP_OK;
nomem:
    strtab_free(&areas);
    free(countries);
    free(stmt_ids);
    incmap_buf_free(&a);
    incmap_buf_free(&b);
    incmap_buf_free(&key);
    return incmap_fail(err, INCMAP_ERR_NOMEM, "index: out of memory predicting the derived points");
}

/* ---------------------------------------------------------------- plan */

/* Record numbers while planning: the records and the derived points merged in geonameid order
 * (place_of says where each lies in the index). A direct table when the ids are dense (GeoNames'
 * are), else a binary search in both lists. */
static int recmap_init(incmap_index_builder *ib)
{
    free(ib->direct);
    ib->direct = NULL;
    size_t nr = ib->n_rec;
    const incmap_gz_record *rec = ib->rec;
    uint64_t n = nr + ib->n_dv;
    if (!n)
        return 0;
    uint32_t lo = nr ? rec[0].geonameid : ib->dv[0].id, hi = nr ? rec[nr - 1].geonameid : ib->dv[0].id;
    if (ib->n_dv) {
        lo = ib->dv[0].id < lo ? ib->dv[0].id : lo;
        hi = ib->dv[ib->n_dv - 1].id > hi ? ib->dv[ib->n_dv - 1].id : hi;
    }
    uint64_t span = (uint64_t)hi - lo + 1;
    if (span > 8 * n + (1 << 20))
        return 0;
    if (!(ib->direct = calloc(span, sizeof *ib->direct)))
        return -1;
    advise_huge(ib->direct, span * sizeof *ib->direct);
    ib->direct_min = lo;
    ib->direct_span = span;
    size_t i = 0, j = 0;
    for (uint32_t k = 1; i < nr || j < ib->n_dv; k++) {
        int from_r = j == ib->n_dv || (i < nr && rec[i].geonameid < ib->dv[j].id);
        uint32_t id = from_r ? rec[i++].geonameid : ib->dv[j++].id;
        ib->direct[id - lo] = k;
    }
    return 0;
}

static size_t lower_bound_dv(const derived *d, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t recmap_find(const incmap_index_builder *ib, uint32_t id)
{
    if (ib->direct)
        return id >= ib->direct_min && id - ib->direct_min < ib->direct_span ? ib->direct[id - ib->direct_min] - 1
                                                                            : NONE;
    size_t i = lower_bound_rec(ib, id), j = lower_bound_dv(ib->dv, ib->n_dv, id);
    int found = (i < ib->n_rec && ib->rec[i].geonameid == id) || (j < ib->n_dv && ib->dv[j].id == id);
    return found ? (uint32_t)(i + j) : NONE;
}

static int cmp_late(const void *a, const void *b)
{
    const late_posting *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->p.record != y->p.record)
        return x->p.record < y->p.record ? -1 : 1;
    if (x->p.reserved != y->p.reserved)
        return x->p.reserved < y->p.reserved ? -1 : 1;
    return 0;
}

/* The names of the derived points, as postings to merge into their groups. */
static int late_postings(incmap_index_builder *ib)
{
    size_t cap = 0;
    expansion x[4];
    for (size_t i = 0; i < ib->n_dv; i++) {
        const char *names[2] = {ib->dv[i].name, ib->dv[i].ascii};
        uint32_t first_key = NONE;
        for (int k = 0; k < 2; k++) {
            normalize(names[k], strlen(names[k]), &ib->key);
            if (ib->key.oom)
                return -1;
            if (!ib->key.len)
                continue;
            uint32_t key = strtab_intern(&ib->st, ib->key.s, ib->key.len);
            variants v;
            if (key == NONE || derive_variants(ib, key, &v))
                return -1;
            if (key == first_key)
                continue; /* the ascii name normalises as the name */
            first_key = key;
            int m = expand(&v, key, INCMAP_NAME_MAIN, x);
            for (int e = 0; e < m; e++) {
                if (incmap_grow(&ib->late, &cap, ib->n_late + 1, sizeof *ib->late))
                    return -1;
                ib->late[ib->n_late++] =
                    (late_posting){x[e].group, {ib->dv[i].id, x[e].full, x[e].kind, (uint16_t)(CLASS_NAME + k)}};
            }
        }
    }
    if (ib->n_late) /* (group, id, class) is unique: stability is moot */
        qsort(ib->late, ib->n_late, sizeof *ib->late, cmp_late);
    return 0;
}

/* Walks group g's postings (the names' and the derived points'), mapped to record numbers, each
 * place once with its postings merged. Calls emit for each; returns how many. */
typedef struct {
    incmap_index_builder *ib;
    size_t li; /* cursor in ib->late, advanced group by group */
} walker;

static size_t walk_group(walker *w, size_t g, incmap_gz_posting *out, size_t max)
{
    incmap_index_builder *ib = w->ib;
    size_t i = g < ib->n_groups ? ib->start[g] : 0, end = g < ib->n_groups ? ib->start[g + 1] : 0;
    while (w->li < ib->n_late && ib->late[w->li].group < g)
        w->li++;
    size_t n = 0;
    for (;;) {
        int have_late = w->li < ib->n_late && ib->late[w->li].group == g;
        if (i >= end && !have_late)
            break;
        int from_late = have_late && (i >= end || post_before(&ib->late[w->li].p, &ib->post[i]));
        incmap_gz_posting p = from_late ? ib->late[w->li++].p : ib->post[i++];
        uint32_t rec = recmap_find(ib, p.record);
        if (rec == NONE)
            continue; /* a name for a place no source listed */
        if (n && out[n - 1].record == rec) {
            out[n - 1].kind = merge_kind(out[n - 1].kind, p.kind);
            continue;
        }
        if (n == max)
            return n + 1; /* the caller's buffer is too small: it asks again with more */
        out[n++] = (incmap_gz_posting){rec, p.key_off, p.kind, 0};
    }
    return n;
}

/* Marks the proper word-prefixes of every indexed name, so the tagger knows to read on. */
static int mark_prefixes(incmap_index_builder *ib, const uint32_t *count, size_t n_counted)
{
    strtab *t = &ib->st;
    size_t n = t->n; /* prefixes added now have no postings of their own */
    for (size_t id = 1; id < n; id++) {
        if (2 * id >= n_counted || !count[2 * id])
            continue;
        const char *s = strtab_str(t, (uint32_t)id);
        if (!strchr(s, ' '))
            continue;
        incmap_buf_clear(&ib->tmp); /* a copy: the pool may move as prefixes are added */
        incmap_buf_puts(&ib->tmp, s);
        if (ib->tmp.oom)
            return -1;
        for (size_t i = 0; i < ib->tmp.len; i++) {
            if (ib->tmp.s[i] != ' ')
                continue;
            uint32_t p = strtab_intern(t, ib->tmp.s, i);
            if (p == NONE)
                return -1;
            t->flags[p] |= ST_LONGER;
        }
    }
    return 0;
}

#define KEY_FUZZY 0x80000000u /* in index_key.flags while planned: the fuzzy table's */

/* The records' names, interned with the keys (many are keys too): once, in batches. */
static int intern_record_names(incmap_index_builder *ib)
{
    if (ib->names_interned)
        return 0;
    if (reserve_refs(ib, 1024))
        return -1;
    for (size_t i = 0; i < ib->n_rec;) {
        size_t n = 0, first = i;
        for (; i < ib->n_rec && n < 1024; i++, n++) {
            const char *name = ib->row_names.s + ib->rec[i].name_off;
            size_t len = strlen(name);
            ib->refs[n] = (strref){name, (uint32_t)len, incmap_hash(name, len, 0)};
        }
        if (strtab_intern_batch(&ib->st, ib->refs, n, ib->ids))
            return -1;
        for (size_t k = 0; k < n; k++) {
            ib->rec[first + k].name_off = ib->ids[k];
            ib->st.flags[ib->ids[k]] |= ST_NAME;
        }
    }
    ib->names_interned = 1;
    incmap_buf_free(&ib->row_names);
    return 0;
}

incmap_status incmap_index_plan(incmap_index_builder *ib, const incmap_index_derived *d, incmap_error *err)
{
    strtab *t = &ib->st;
    uint32_t *count = NULL;
    incmap_gz_posting *buf = NULL;
    size_t cap_buf = 1024;
    if (!ib->start)
        return incmap_fail(err, INCMAP_ERR_USAGE, "index: planned before prepared");
    free_plan(ib);
    if (ib->laid_out) { /* planned again: the strings' pool offsets back, and the table */
        strtab_restore(t);
        ib->laid_out = 0;
    }
    if (!t->slots && strtab_rehash(t, slots_for(t->n)))
        goto nomem;
    for (size_t id = 0; id < t->n; id++)
        t->flags[id] &= (uint8_t) ~(ST_LONGER | ST_KEY | ST_GROUPED);
    ib->dv = d ? d->dv : ib->pred;
    ib->n_dv = d ? d->n : ib->n_pred;
    if (intern_record_names(ib) || recmap_init(ib) || late_postings(ib))
        goto nomem;

    /* How many postings each group keeps, and where the records lie: each at the first
     * skeleton that lists it. */
    size_t n_counted = t->n * 2, n_merged = ib->n_rec + ib->n_dv;
    uint32_t placed = 0;
    size_t cap_grouped = 0;
    count = calloc(n_counted ? n_counted : 1, sizeof *count);
    buf = malloc(cap_buf * sizeof *buf);
    ib->place_of = malloc((n_merged ? n_merged : 1) * sizeof *ib->place_of);
    if (!count || !buf || !ib->place_of)
        goto nomem;
    memset(ib->place_of, 0xff, n_merged * sizeof *ib->place_of); /* NONE */
    advise_huge(count, n_counted * sizeof *count);
    walker w = {ib, 0};
    for (size_t g = 0; g < n_counted; g++) {
        size_t li = w.li, n;
        while ((n = walk_group(&w, g, buf, cap_buf)) > cap_buf) {
            w.li = li;
            free(buf);
            if (!(buf = malloc((cap_buf *= 2) * sizeof *buf)))
                goto nomem;
        }
        count[g] = (uint32_t)n;
        if (g % 2) /* a fuzzy posting's full name is written too, by its skeleton's others */
            for (size_t k = 0; k < n; k++) {
                uint32_t sid = buf[k].key_off;
                t->flags[sid] |= ST_KEY;
                if (ib->place_of[buf[k].record] == NONE)
                    ib->place_of[buf[k].record] = placed++;
                if (!sid || (t->flags[sid] & ST_GROUPED) || t->off[sid] == NONE)
                    continue;
                if (grow(&ib->grouped, &cap_grouped, ib->n_grouped + 1, sizeof *ib->grouped))
                    goto nomem;
                ib->grouped[ib->n_grouped++] = t->off[sid];
                t->flags[sid] |= ST_GROUPED;
            }
    }
    /* Records no skeleton lists (names too short for one), at the first name that lists them,
     * then those no name lists. */
    w = (walker){ib, 0};
    for (size_t g = 0; g < n_counted; g += 2) {
        size_t li = w.li, n;
        while ((n = walk_group(&w, g, buf, cap_buf)) > cap_buf) {
            w.li = li;
            free(buf);
            if (!(buf = malloc((cap_buf *= 2) * sizeof *buf)))
                goto nomem;
        }
        for (size_t k = 0; k < n; k++)
            if (ib->place_of[buf[k].record] == NONE)
                ib->place_of[buf[k].record] = placed++;
    }
    for (size_t m = 0; m < n_merged; m++)
        if (ib->place_of[m] == NONE)
            ib->place_of[m] = placed++;
    if (mark_prefixes(ib, count, n_counted))
        goto nomem;
    free(t->slots); /* no more strings: the table's memory is the keys' and buckets' */
    t->slots = NULL;

    /* Keys: a name with postings or longer names after it, and the fuzzy table's skeletons. */
    uint64_t n_keys = 0, n_posts = 0;
    for (size_t id = 1; id < t->n; id++) {
        size_t c0 = 2 * id < n_counted ? count[2 * id] : 0, c1 = 2 * id + 1 < n_counted ? count[2 * id + 1] : 0;
        if (c0 || (t->flags[id] & ST_LONGER))
            n_keys++, t->flags[id] |= ST_KEY;
        if (c1)
            n_keys++, t->flags[id] |= ST_KEY;
        n_posts += c0 + c1;
    }
    /* A load of up to 0.8: a probe for a word that is no name (most of them) reads a dozen buckets
     * in a row, one or two cache lines, while the table's pages are half what a load under 0.67
     * takes, and every page of it is touched at random by a run over many articles. */
    uint64_t n_buckets = 1024;
    while (n_buckets < n_keys + n_keys / 4)
        n_buckets *= 2;
    if (n_keys >= UINT32_MAX || n_posts >= UINT32_MAX) {
        free(count);
        free(buf);
        return incmap_fail(err, INCMAP_ERR_LIMIT, "index: %llu keys and %llu postings: more than the format holds",
                           (unsigned long long)n_keys, (unsigned long long)n_posts);
    }
    ib->keys = calloc(n_keys ? n_keys : 1, sizeof *ib->keys);
    ib->buckets = calloc(n_buckets, sizeof *ib->buckets);
    if (!ib->keys || !ib->buckets)
        goto nomem;
    advise_huge(ib->buckets, n_buckets * sizeof *ib->buckets);
    uint64_t k = 0, post_off = 0;
    for (size_t id = 1; id < t->n; id++) {
        for (int fuzzy = 0; fuzzy < 2; fuzzy++) {
            size_t g = 2 * id + (size_t)fuzzy;
            uint32_t c = g < n_counted ? count[g] : 0;
            int longer = !fuzzy && (t->flags[id] & ST_LONGER);
            if (!c && !longer)
                continue;
            const char *str = strtab_str(t, (uint32_t)id);
            uint64_t h = incmap_hash(str, strlen(str), (uint64_t)fuzzy);
            /* key_off is the string id until the strings are laid out */
            ib->keys[k] = (index_key){(uint32_t)id, (uint32_t)post_off, c,
                                      (longer ? INDEX_KEY_LONGER : 0) | (fuzzy ? KEY_FUZZY : 0)};
            post_off += c;
            uint64_t slot = h & (n_buckets - 1);
            while (ib->buckets[slot].key_plus1)
                slot = (slot + 1) & (n_buckets - 1);
            ib->buckets[slot] = (index_bucket){(uint32_t)(h >> 32), (uint32_t)++k};
        }
    }
    free(count);
    free(buf);
    ib->n_keys = n_keys;
    ib->n_buckets = n_buckets;
    ib->n_final_posts = n_posts;
    return INCMAP_OK;
nomem:
    free(count);
    free(buf);
    return incmap_fail(err, t->oom == 2 ? INCMAP_ERR_LIMIT : INCMAP_ERR_NOMEM, "index: out of memory planning the index");
}

/* ---------------------------------------------------------------- write */

static int pad8(FILE *f)
{
    static const char zeros[8];
    long at = ftell(f);
    size_t pad = at < 0 ? 0 : (8 - (size_t)at % 8) % 8;
    return at < 0 || (pad && fwrite(zeros, 1, pad, f) != pad) ? -1 : 0;
}

/* Where the next section starts. */
static int here(FILE *f, uint64_t *off)
{
    long at = ftell(f);
    *off = at < 0 ? 0 : (uint64_t)at;
    return at < 0 ? -1 : 0;
}

/* Gives every string but id 0 an offset in the index's strings (pool order) from base; returns
 * their total size. */
static uint64_t strtab_layout_all(strtab *t, uint64_t base)
{
    uint64_t out = 0;
    for (size_t p = 8; p < t->len;) {
        uint32_t id = entry_id(t->pool + p);
        size_t n = strlen(t->pool + p + 4);
        t->off[id] = id ? (uint32_t)(base + out) : 0;
        out += id ? n + 1 : 0;
        p += n + 5;
    }
    return out;
}

/* The strings as strtab_layout or strtab_layout_all (flags 0) laid them out. */
static int write_strings(FILE *f, const strtab *t, uint8_t flags, const uint32_t *grouped, size_t n_grouped)
{
    if (flags && fputc(0, f) == EOF) /* id 0 */
        return -1;
    for (size_t i = 0; i < n_grouped; i++) {
        size_t n = strlen(t->pool + grouped[i]);
        if (fwrite(t->pool + grouped[i], 1, n + 1, f) != n + 1)
            return -1;
    }
    for (size_t p = 8; p < t->len;) {
        uint32_t id = entry_id(t->pool + p);
        size_t n = strlen(t->pool + p + 4);
        int write = id != 0 && (!flags || ((t->flags[id] & flags) && !(t->flags[id] & ST_GROUPED)));
        if (write && fwrite(t->pool + p + 4, 1, n + 1, f) != n + 1)
            return -1;
        p += n + 5;
    }
    return 0;
}

incmap_status incmap_index_write_body(incmap_index_builder *ib, const char *path, const char *build_id,
                                      incmap_error *err)
{
    strtab *t = &ib->st;
    incmap_gz_posting *buf = NULL;
    size_t cap_buf = 1024;
    incmap_status rc = INCMAP_OK;
    /* Strings: the keys' and the records' names, then the records' codes (the derived points'
     * own strings come last, with them). */
    uint64_t names_size = strtab_layout(t, ib->grouped, ib->n_grouped),
             codes_size = strtab_layout_all(&ib->codes, names_size);
    ib->laid_out = 1;
    index_header *h = &ib->header;
    memset(h, 0, sizeof *h);
    memcpy(h->magic, INDEX_MAGIC, sizeof h->magic);
    h->version = INCMAP_INDEX_VERSION;
    h->n_keys = ib->n_keys;
    h->n_buckets = ib->n_buckets;
    h->n_postings = ib->n_final_posts;
    h->strings_size = names_size + codes_size;
    snprintf(h->build_id, sizeof h->build_id, "%s", build_id);
    if (h->strings_size > UINT32_MAX)
        return incmap_fail(err, INCMAP_ERR_LIMIT, "%s: more names than the index format holds (4 GB of strings)", path);
    if (ib->out)
        fclose(ib->out);
    FILE *f = ib->out = fopen(path, "wb");
    if (!f)
        return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    if (!(buf = malloc(cap_buf * sizeof *buf)))
        return incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", path);
    if (fwrite(h, sizeof *h, 1, f) != 1 || pad8(f) || here(f, &h->off_postings))
        goto ioerr;

    /* Postings, key by key, as planned. */
    walker w = {ib, 0};
    for (uint64_t k = 0; k < ib->n_keys; k++) {
        index_key *key = &ib->keys[k];
        size_t g = 2 * (size_t)key->key_off + ((key->flags & KEY_FUZZY) ? 1 : 0), li = w.li, n;
        while ((n = walk_group(&w, g, buf, cap_buf)) > cap_buf) {
            w.li = li;
            free(buf);
            if (!(buf = malloc((cap_buf *= 2) * sizeof *buf))) {
                rc = incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", path);
                goto out;
            }
        }
        if (n != key->post_count) {
            rc = incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: internal error: a key planned with %u postings has %zu",
                             path, key->post_count, n);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            buf[i].record = ib->place_of[buf[i].record];
            buf[i].key_off = t->off[buf[i].key_off];
        }
        if (n && fwrite(buf, sizeof *buf, n, f) != n)
            goto ioerr;
        key->key_off = t->off[key->key_off];
        key->flags &= ~KEY_FUZZY;
    }
    if (pad8(f) || here(f, &h->off_keys) || fwrite(ib->keys, sizeof *ib->keys, ib->n_keys, f) != ib->n_keys ||
        pad8(f) || here(f, &h->off_buckets) ||
        fwrite(ib->buckets, sizeof *ib->buckets, ib->n_buckets, f) != ib->n_buckets || pad8(f) ||
        here(f, &h->off_strings) || write_strings(f, t, ST_KEY | ST_NAME, ib->grouped, ib->n_grouped) ||
        write_strings(f, &ib->codes, 0, NULL, 0))
        goto ioerr;
    free(ib->keys); /* written: their memory is better spent elsewhere */
    free(ib->buckets);
    ib->keys = NULL;
    ib->buckets = NULL;
    goto out;
ioerr:
    rc = incmap_fail(err, INCMAP_ERR_IO, "%s: write failed: %s", path, strerror(errno));
out:
    free(buf);
    return rc;
}

incmap_status incmap_index_write_tail(incmap_index_builder *ib, const incmap_index_derived *d, const char *path,
                                      incmap_error *err)
{
    strtab *t = &ib->st;
    index_header *h = &ib->header;
    FILE *f = ib->out;
    incmap_buf tail = {0};
    uint32_t *off = NULL, *source = NULL, *lies = NULL;
    incmap_status rc = INCMAP_OK;
    if (!f)
        return incmap_fail(err, INCMAP_ERR_USAGE, "%s: the index body was not written", path);
    /* The derived points' strings close the strings section. Their admin codes are the places'
     * strings when places use them, and each other code is written once: the reader tells
     * "inside the same area" by comparing code offsets. */
    strtab extra;
    uint32_t *extra_off = NULL;
    size_t cap_extra = 0;
    if (strtab_init(&extra, 1024))
        goto nomem_extra;
    if (d->n && !(off = malloc(3 * d->n * sizeof *off)))
        goto nomem_extra;
    for (size_t i = 0; i < d->n; i++) {
        const uint32_t at[3] = {d->rec[i].name_off, d->rec[i].admin1_off, d->rec[i].admin2_off};
        for (int k = 0; k < 3; k++) {
            const char *s = d->strings.s + at[k];
            size_t len = strlen(s);
            uint32_t here_off = (uint32_t)(h->strings_size + tail.len);
            if (k && !at[k]) {
                off[3 * i + (size_t)k] = 0;
                continue;
            }
            if (k) {
                uint64_t hash = incmap_hash(s, len, 0), slot = 0;
                uint32_t id = strtab_find(&ib->codes, s, len, hash, &slot);
                if (id != NONE) {
                    off[3 * i + (size_t)k] = ib->codes.off[id];
                    continue;
                }
                size_t before = extra.n;
                if ((id = strtab_intern_hashed(&extra, s, len, hash)) == NONE ||
                    grow(&extra_off, &cap_extra, extra.n, sizeof *extra_off))
                    goto nomem_extra;
                if (extra.n == before) { /* written already */
                    off[3 * i + (size_t)k] = extra_off[id];
                    continue;
                }
                extra_off[id] = here_off;
            }
            off[3 * i + (size_t)k] = here_off;
            incmap_buf_append(&tail, s, len + 1);
        }
    }
    strtab_free(&extra);
    free(extra_off);
    if (tail.oom)
        goto nomem;
    h->strings_size += tail.len;
    h->n_records = ib->n_rec + ib->n_dv;
    if (h->strings_size > UINT32_MAX) {
        rc = incmap_fail(err, INCMAP_ERR_LIMIT, "%s: more names than the index format holds (4 GB of strings)", path);
        goto out;
    }
    if ((tail.len && fwrite(tail.s, 1, tail.len, f) != tail.len) || pad8(f) || here(f, &h->off_records))
        goto ioerr;
    /* Records, the derived points merged in, where the plan put them (place_of); then their
     * numbers in geonameid order. source[m]: the m-th record in geonameid order, as an index in
     * ib->rec, or n_rec + an index in ib->dv; lies[p]: the one that lies at p. */
    size_t n_merged = ib->n_rec + ib->n_dv;
    source = malloc((n_merged ? n_merged : 1) * sizeof *source);
    lies = malloc((n_merged ? n_merged : 1) * sizeof *lies);
    if (!source || !lies || !ib->place_of)
        goto nomem;
    for (size_t i = 0, j = 0, m = 0; m < n_merged; m++) {
        int from_r = j == ib->n_dv || (i < ib->n_rec && ib->rec[i].geonameid < ib->dv[j].id);
        source[m] = from_r ? (uint32_t)i++ : (uint32_t)(ib->n_rec + j++);
        lies[ib->place_of[m]] = (uint32_t)m;
    }
    for (size_t p = 0; p < n_merged; p++) {
        size_t i = source[lies[p]];
        incmap_gz_record rec;
        if (i < ib->n_rec) {
            rec = ib->rec[i];
            rec.name_off = t->off[rec.name_off];
            rec.admin1_off = ib->codes.off[rec.admin1_off];
            rec.admin2_off = ib->codes.off[rec.admin2_off];
        } else {
            /* planned from the prediction or from SQLite's list; the values are SQLite's */
            uint32_t id = ib->dv[i - ib->n_rec].id;
            size_t k = lower_bound_dv(d->dv, d->n, id);
            if (k >= d->n || d->dv[k].id != id) {
                rc = incmap_fail(err, INCMAP_ERR_GAZETTEER, "%s: internal error: derived point %u not read", path,
                                 id);
                goto out;
            }
            rec = d->rec[k];
            rec.name_off = off[3 * k];
            rec.admin1_off = off[3 * k + 1];
            rec.admin2_off = off[3 * k + 2];
        }
        if (fwrite(&rec, sizeof rec, 1, f) != 1)
            goto ioerr;
    }
    if (pad8(f) || here(f, &h->off_by_id) ||
        (n_merged && fwrite(ib->place_of, sizeof *ib->place_of, n_merged, f) != n_merged))
        goto ioerr;
    if (pad8(f) || fseek(f, 0, SEEK_SET) || fwrite(h, sizeof *h, 1, f) != 1 || fflush(f) || fsync(fileno(f)))
        goto ioerr;
    goto out;
nomem_extra:
    strtab_free(&extra);
    free(extra_off);
nomem:
    rc = incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", path);
    goto out;
ioerr:
    rc = incmap_fail(err, INCMAP_ERR_IO, "%s: write failed: %s", path, strerror(errno));
out:
    ib->out = NULL;
    if (fclose(f) && rc == INCMAP_OK)
        rc = incmap_fail(err, INCMAP_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    incmap_buf_free(&tail);
    free(off);
    free(source);
    free(lies);
    return rc;
}
