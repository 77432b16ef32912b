/* gazetteer_index.c: writes the compiled name index from a built SQLite gazetteer.
 *
 * Layout (little-endian, every section 8-aligned):
 *   header | records[n_records] | keys[n_keys] | buckets[n_buckets] | postings | strings
 * A key is a normalised name (or a consonant skeleton, in the fuzzy table); its postings list
 * the records it names. A bucket holds 32 bits of the key's hash and key index + 1 (0: empty). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gazetteer.h"
#include "gazetteer_index.h"
#include "text.h"

typedef struct {
    uint64_t hash;
    uint32_t key_off, record, full_off;
    uint16_t kind, prefix; /* prefix: a proper word-prefix of some name, no record */
} entry;

typedef struct {
    incmap_buf strings;
    uint32_t *slots; /* interned string offsets + 1 */
    size_t n_slots, n;
    entry *e;
    size_t n_e, cap_e;
    incmap_gz_record *rec;
    size_t n_rec, cap_rec;
    int oom;
} index_builder;

/* Interns a string; returns its offset in the string pool. */
static uint32_t intern(index_builder *ib, const char *s, size_t len)
{
    if (ib->n * 2 >= ib->n_slots) {
        size_t n_slots = ib->n_slots ? ib->n_slots * 2 : 1 << 16;
        uint32_t *slots = calloc(n_slots, sizeof *slots);
        if (!slots) {
            ib->oom = 1;
            return 0;
        }
        for (size_t i = 0; i < ib->n_slots; i++) {
            if (!ib->slots[i])
                continue;
            const char *t = ib->strings.s + ib->slots[i] - 1;
            size_t j = incmap_hash(t, strlen(t), 7) & (n_slots - 1);
            while (slots[j])
                j = (j + 1) & (n_slots - 1);
            slots[j] = ib->slots[i];
        }
        free(ib->slots);
        ib->slots = slots;
        ib->n_slots = n_slots;
    }
    size_t j = incmap_hash(s, len, 7) & (ib->n_slots - 1);
    for (; ib->slots[j]; j = (j + 1) & (ib->n_slots - 1)) {
        const char *t = ib->strings.s + ib->slots[j] - 1;
        if (strncmp(t, s, len) == 0 && !t[len])
            return ib->slots[j] - 1;
    }
    uint32_t off = (uint32_t)ib->strings.len;
    incmap_buf_append(&ib->strings, s, len);
    incmap_buf_putc(&ib->strings, 0);
    if (ib->strings.oom || ib->strings.len > UINT32_MAX) {
        ib->oom = 1;
        return 0;
    }
    ib->slots[j] = off + 1;
    ib->n++;
    return off;
}

static void add_entry(index_builder *ib, const char *key, size_t len, int fuzzy, uint32_t record,
                      uint32_t full_off, uint16_t kind, int prefix)
{
    if (incmap_grow(&ib->e, &ib->cap_e, ib->n_e + 1, sizeof *ib->e)) {
        ib->oom = 1;
        return;
    }
    entry *e = &ib->e[ib->n_e++];
    e->hash = incmap_hash(key, len, fuzzy ? 1 : 0);
    e->key_off = intern(ib, key, len);
    e->record = record;
    e->full_off = full_off;
    e->kind = kind;
    e->prefix = (uint16_t)prefix;
}

/* Adds key and marks each of its proper word-prefixes, so the tagger knows to read on. */
static void add_key(index_builder *ib, const char *key, size_t len, uint32_t record, uint16_t kind)
{
    uint32_t full = intern(ib, key, len);
    add_entry(ib, key, len, 0, record, full, kind, 0);
    for (size_t i = 0; i < len; i++)
        if (key[i] == ' ')
            add_entry(ib, key, i, 0, UINT32_MAX, 0, 0, 1);
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

static void add_name(index_builder *ib, incmap_buf *key, incmap_buf *tmp, const char *name, uint32_t record,
                     uint16_t kind)
{
    incmap_buf_clear(key);
    incmap_normalize(name, strlen(name), key);
    if (!key->len)
        return;
    add_key(ib, key->s, key->len, record, kind);
    const char *last_space = strrchr(key->s, ' ');
    /* "Tibi I", "Tiby 1", "Kouri 2": villages split in numbered parts are written without the
     * numeral in the press. */
    size_t base_len = key->len;
    if (last_space && is_numeral(last_space + 1, key->len - (size_t)(last_space - key->s) - 1)) {
        base_len = (size_t)(last_space - key->s);
        add_key(ib, key->s, base_len, record, kind | INCMAP_NAME_NUMERAL);
    }
    /* Spacing variants: "Tin Zaouaten" is also written "Tinzaouaten". */
    incmap_buf_clear(tmp);
    for (size_t i = 0; i < base_len; i++)
        if (key->s[i] != ' ')
            incmap_buf_putc(tmp, key->s[i]);
    if (tmp->len != base_len)
        add_entry(ib, tmp->s, tmp->len, 0, record, intern(ib, tmp->s, tmp->len), kind | INCMAP_NAME_SQUASHED, 0);
    /* Spelling variants ("Tin Zaouatine" / "Tinzaouaten"): the consonant skeleton, verified by
     * edit distance at look-up time. */
    uint32_t squashed_off = intern(ib, tmp->s, tmp->len);
    incmap_buf sk = {0};
    incmap_gazetteer_skeleton(tmp->s, tmp->len, &sk);
    if (sk.len >= 4)
        add_entry(ib, sk.s, sk.len, 1, record, squashed_off, kind | INCMAP_NAME_FUZZY, 0);
    incmap_buf_free(&sk);
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    if (x->key_off != y->key_off)
        return x->key_off < y->key_off ? -1 : 1;
    if (x->record != y->record)
        return x->record < y->record ? -1 : 1;
    return 0;
}

static const incmap_gz_record *find_record(const index_builder *ib, int64_t id, uint32_t *idx)
{
    size_t lo = 0, hi = ib->n_rec;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ib->rec[mid].geonameid < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ib->n_rec && ib->rec[lo].geonameid == id) {
        *idx = (uint32_t)lo;
        return &ib->rec[lo];
    }
    return NULL;
}

static int write_section(FILE *f, const void *p, size_t n, uint64_t *off)
{
    static const char zeros[8];
    *off = (uint64_t)ftell(f);
    if (n && fwrite(p, 1, n, f) != n)
        return -1;
    size_t pad = (8 - n % 8) % 8;
    return pad && fwrite(zeros, 1, pad, f) != pad ? -1 : 0;
}

static void copy_field(char *dst, size_t n, const unsigned char *src)
{
    memset(dst, 0, n);
    if (src) /* a fixed-width field, not NUL-terminated when full */
        memcpy(dst, src, strlen((const char *)src) < n ? strlen((const char *)src) : n);
}

incmap_status incmap_index_write(sqlite3 *db, const char *path, const char *build_id, incmap_error *err)
{
    index_builder ib = {0};
    incmap_buf key = {0}, tmp = {0};
    incmap_status rc = INCMAP_OK;
    sqlite3_stmt *st = NULL;
    FILE *f = NULL;
    void *keys = NULL, *buckets = NULL, *posts = NULL;
    intern(&ib, "", 0); /* offset 0 is the empty string */

    /* Records, in geonameid order so they can be found by binary search. */
    if (sqlite3_prepare_v2(db,
                           "SELECT geonameid, name, lat, lon, fclass, fcode, country, admin1, admin2, population"
                           " FROM place ORDER BY geonameid",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = incmap_fail(err, INCMAP_ERR_DB, "index: %s", sqlite3_errmsg(db));
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW && !ib.oom) {
        if (incmap_grow(&ib.rec, &ib.cap_rec, ib.n_rec + 1, sizeof *ib.rec)) {
            ib.oom = 1;
            break;
        }
        incmap_gz_record *r = &ib.rec[ib.n_rec++];
        memset(r, 0, sizeof *r);
        r->geonameid = (uint32_t)sqlite3_column_int64(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        r->name_off = intern(&ib, name ? name : "", name ? strlen(name) : 0);
        r->lat = (float)sqlite3_column_double(st, 2);
        r->lon = (float)sqlite3_column_double(st, 3);
        const unsigned char *fc = sqlite3_column_text(st, 4);
        r->fclass = fc && *fc ? (char)fc[0] : ' ';
        copy_field(r->fcode, sizeof r->fcode, sqlite3_column_text(st, 5));
        const unsigned char *cc = sqlite3_column_text(st, 6);
        if (cc && strlen((const char *)cc) == 2)
            memcpy(r->cc, cc, 2);
        const char *a1 = (const char *)sqlite3_column_text(st, 7);
        const char *a2 = (const char *)sqlite3_column_text(st, 8);
        if (cc && a1 && *a1) {
            incmap_buf_clear(&tmp);
            incmap_buf_printf(&tmp, "%s.%s", (const char *)cc, a1);
            r->admin1_off = intern(&ib, tmp.s, tmp.len);
            if (a2 && *a2) {
                incmap_buf_printf(&tmp, ".%s", a2);
                r->admin2_off = intern(&ib, tmp.s, tmp.len);
            }
        }
        long long pop = sqlite3_column_int64(st, 9);
        r->population = pop > UINT32_MAX ? UINT32_MAX : pop < 0 ? 0 : (uint32_t)pop;
    }
    sqlite3_finalize(st);
    st = NULL;

    /* Names: the main and ascii names, the alternate names of the dump line, then the language-
     * tagged names and the admin tables. */
    const char *queries[] = {
        "SELECT geonameid, name, 1 FROM place UNION ALL SELECT geonameid, asciiname, 1 FROM place"
        " UNION ALL SELECT geonameid, alternatenames, 2 FROM place WHERE alternatenames IS NOT NULL",
        "SELECT geonameid, name, 4 FROM altname WHERE flags = 0"
        " UNION ALL SELECT geonameid, name, 4 FROM admin1 UNION ALL SELECT geonameid, asciiname, 4 FROM admin1"
        " UNION ALL SELECT geonameid, name, 4 FROM admin2 UNION ALL SELECT geonameid, name, 4 FROM country"};
    for (size_t q = 0; q < 2 && !ib.oom; q++) {
        if (sqlite3_prepare_v2(db, queries[q], -1, &st, NULL) != SQLITE_OK) {
            rc = incmap_fail(err, INCMAP_ERR_DB, "index: %s", sqlite3_errmsg(db));
            goto out;
        }
        while (sqlite3_step(st) == SQLITE_ROW && !ib.oom) {
            uint32_t idx;
            if (!find_record(&ib, sqlite3_column_int64(st, 0), &idx))
                continue; /* a name for a place no source listed */
            const char *names = (const char *)sqlite3_column_text(st, 1);
            uint16_t kind = (uint16_t)sqlite3_column_int(st, 2);
            if (!names)
                continue;
            if (kind != INCMAP_NAME_ALT) {
                add_name(&ib, &key, &tmp, names, idx, kind);
                continue;
            }
            /* The dump's alternatenames column is comma-separated. */
            for (const char *p = names; *p;) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);
                char one[512];
                if (n && n < sizeof one) {
                    memcpy(one, p, n);
                    one[n] = 0;
                    add_name(&ib, &key, &tmp, one, idx, kind);
                }
                p += n + (comma ? 1 : 0);
            }
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (ib.oom) {
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "index: out of memory");
        goto out;
    }

    if (ib.n_e) /* no names at all: nothing to sort, and ib.e is NULL */
        qsort(ib.e, ib.n_e, sizeof *ib.e, cmp_entry);

    /* Group entries into keys and postings. */
    size_t n_keys = 0, n_posts = 0;
    for (size_t i = 0; i < ib.n_e; i++)
        if (!i || ib.e[i].hash != ib.e[i - 1].hash || ib.e[i].key_off != ib.e[i - 1].key_off)
            n_keys++;
    index_key *k = keys = calloc(n_keys ? n_keys : 1, sizeof *k);
    incmap_gz_posting *p = posts = calloc(ib.n_e ? ib.n_e : 1, sizeof *p);
    size_t n_buckets = 1024;
    while (n_buckets < n_keys + n_keys / 2)
        n_buckets *= 2;
    index_bucket *bk = buckets = calloc(n_buckets, sizeof *bk);
    if (!k || !p || !bk) {
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "index: out of memory for %zu keys", n_keys);
        goto out;
    }
    size_t ki = (size_t)-1;
    for (size_t i = 0; i < ib.n_e; i++) {
        const entry *e = &ib.e[i];
        if (!i || e->hash != ib.e[i - 1].hash || e->key_off != ib.e[i - 1].key_off) {
            ki++;
            k[ki].key_off = e->key_off;
            k[ki].post_off = (uint32_t)n_posts;
            size_t slot = e->hash & (n_buckets - 1);
            while (bk[slot].key_plus1)
                slot = (slot + 1) & (n_buckets - 1);
            bk[slot].check = (uint32_t)(e->hash >> 32);
            bk[slot].key_plus1 = (uint32_t)ki + 1;
        }
        if (e->prefix) {
            k[ki].flags |= INDEX_KEY_LONGER;
            continue;
        }
        incmap_gz_posting *last = k[ki].post_count ? &p[n_posts - 1] : NULL;
        if (last && last->record == e->record) {
            /* One clean spelling of the name is enough for the posting to count as clean. */
            const uint16_t variant = INCMAP_NAME_NUMERAL | INCMAP_NAME_SQUASHED | INCMAP_NAME_FUZZY;
            int clean = !(last->kind & variant) || !(e->kind & variant);
            last->kind = (uint16_t)((last->kind | e->kind) & (clean ? ~variant : 0xFFFF));
            continue;
        }
        p[n_posts].record = e->record;
        p[n_posts].key_off = e->full_off;
        p[n_posts].kind = e->kind;
        n_posts++;
        k[ki].post_count++;
    }

    f = fopen(path, "wb");
    if (!f) {
        rc = incmap_fail(err, INCMAP_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        goto out;
    }
    index_header h = {0};
    memcpy(h.magic, INDEX_MAGIC, sizeof h.magic);
    h.version = INCMAP_INDEX_VERSION;
    h.n_records = ib.n_rec;
    h.n_keys = n_keys;
    h.n_buckets = n_buckets;
    h.n_postings = n_posts;
    h.strings_size = ib.strings.len;
    snprintf(h.build_id, sizeof h.build_id, "%s", build_id);
    uint64_t dummy;
    if (write_section(f, &h, sizeof h, &dummy) || write_section(f, ib.rec, ib.n_rec * sizeof *ib.rec, &h.off_records) ||
        write_section(f, k, n_keys * sizeof *k, &h.off_keys) ||
        write_section(f, bk, n_buckets * sizeof *bk, &h.off_buckets) ||
        write_section(f, p, n_posts * sizeof *p, &h.off_postings) ||
        write_section(f, ib.strings.s, ib.strings.len, &h.off_strings) || fseek(f, 0, SEEK_SET) ||
        fwrite(&h, sizeof h, 1, f) != 1 || fflush(f) || fsync(fileno(f))) {
        rc = incmap_fail(err, INCMAP_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        goto out;
    }

out:
    if (f && fclose(f) && rc == INCMAP_OK)
        rc = incmap_fail(err, INCMAP_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    sqlite3_finalize(st);
    free(keys);
    free(buckets);
    free(posts);
    free(ib.e);
    free(ib.rec);
    free(ib.slots);
    incmap_buf_free(&ib.strings);
    incmap_buf_free(&key);
    incmap_buf_free(&tmp);
    return rc;
}
