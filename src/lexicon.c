/* lexicon.c: word lists parsed from the embedded data files. */
#include "lexicon.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

typedef struct {
    uint64_t hash;
    const char *key, *value; /* value NULL: only a word-prefix of longer keys */
    uint32_t len;            /* of key: a match is checked with memcmp, not strncmp */
    int longer;              /* some key continues this one with more words */
} wl_slot;

struct incmap_wordlist {
    incmap_wordlist_marks marks; /* first: lexicon.h reads it through a cast */
    char lang[16], name[48];
    wl_slot *slots;           /* open addressing, power-of-two size */
    size_t n_slots, n;
    const char **keys, **values; /* file order */
    int max_words;
};

/* A word that is a key or a word-prefix of some list, for incmap_lexicon_mark. The lists it
 * belongs to are word_marks[its index]; lists past MARK_LISTS are not recorded (look-ups in
 * them always probe). */
#define MARK_LISTS (64 * INCMAP_MARK_WORDS)
typedef struct {
    uint64_t hash;
    const char *key;
    size_t len;    /* of key: marking compares every word of an article with it, not strncmp */
    uint64_t head; /* key's first eight bytes as they lie in memory, zeros past its end (key_head) */
} lex_word;

struct incmap_lexicon {
    incmap_arena *arena;
    /* every slot key of every list: words[1..n_words], found through word_slots (open addressing
     * of indices into words, 0 empty), and the lists of each (word_marks[0]: none); NULL when
     * out of memory, which only costs the marks */
    lex_word *words;
    uint32_t *word_slots;
    incmap_word_marks *word_marks;
    size_t n_words, n_word_slots;
    incmap_wordlist *lists;
    size_t n_lists;
    /* "lang/name" -> list index + 1, open addressing: the pipeline asks for lists per token */
    uint32_t *by_name;
    size_t n_by_name;
    incmap_wordlist empty;
    const char *langs[32];
};

/* The slot of key: where it is, or the empty slot where it would go. */
static wl_slot *wl_slot_of(const incmap_wordlist *w, const char *key, size_t len, uint64_t h)
{
    size_t mask = w->n_slots - 1;
    size_t i = h & mask;
    while (w->slots[i].hash &&
           !(w->slots[i].hash == h && w->slots[i].len == len && !memcmp(w->slots[i].key, key, len)))
        i = (i + 1) & mask;
    return &w->slots[i];
}

/* Adds key (arena-owned); 0 when it was there already (the first entry wins). Marks its
 * word-prefixes so that phrase look-ups stop as soon as no key can match. */
static int wl_insert(incmap_lexicon *lex, incmap_wordlist *w, const char *key, const char *value)
{
    size_t len = strlen(key);
    for (size_t i = 0; i < len; i++) {
        if (key[i] != ' ')
            continue;
        uint64_t h = incmap_hash(key, i, 0);
        wl_slot *p = wl_slot_of(w, key, i, h);
        if (!p->hash) {
            char *k = incmap_arena_strndup(lex->arena, key, i);
            if (!k)
                return 0;
            *p = (wl_slot){h, k, NULL, (uint32_t)i, 0};
        }
        p->longer = 1;
    }
    uint64_t h = incmap_hash(key, len, 0);
    wl_slot *slot = wl_slot_of(w, key, len, h);
    if (slot->hash && slot->value)
        return 0;
    if (!slot->hash)
        *slot = (wl_slot){h, key, value, (uint32_t)len, 0};
    slot->value = value;
    return 1;
}

static incmap_status parse_list(incmap_lexicon *lex, incmap_wordlist *w, const incmap_embedded_file *f,
                                incmap_error *err)
{
    size_t lines = 1, spaces = 0;
    for (size_t i = 0; i < f->len; i++) {
        lines += f->data[i] == '\n';
        spaces += f->data[i] == ' ' || f->data[i] == '\'' || f->data[i] == '-';
    }
    w->n_slots = 16;
    while (w->n_slots < (lines + spaces) * 2) /* keys and their word-prefixes */
        w->n_slots *= 2;
    w->slots = incmap_arena_alloc(lex->arena, w->n_slots * sizeof *w->slots);
    w->keys = incmap_arena_alloc(lex->arena, lines * sizeof(char *));
    w->values = incmap_arena_alloc(lex->arena, lines * sizeof(char *));
    if (!w->slots || !w->keys || !w->values)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory loading lexicon %s", f->path);
    incmap_buf key = {0};
    const char *p = f->data, *end = f->data + f->len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *tab = memchr(p, '\t', (size_t)(eol - p));
        const char *kend = tab ? tab : eol;
        if (kend > p && kend[-1] == '\r')
            kend--;
        if (p < kend && *p != '#') {
            incmap_buf_clear(&key);
            incmap_normalize(p, (size_t)(kend - p), &key);
            if (key.len) {
                const char *vs = tab ? tab + 1 : eol, *ve = eol;
                if (ve > vs && ve[-1] == '\r')
                    ve--;
                char *k = incmap_arena_strndup(lex->arena, key.s, key.len);
                char *v = incmap_arena_strndup(lex->arena, vs, (size_t)(ve - vs));
                if (!k || !v) {
                    incmap_buf_free(&key);
                    return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory loading lexicon %s", f->path);
                }
                if (wl_insert(lex, w, k, v)) {
                    w->keys[w->n] = k;
                    w->values[w->n] = v;
                    w->n++;
                    int words = 1;
                    for (const char *c = k; *c; c++)
                        words += *c == ' ';
                    if (words > w->max_words)
                        w->max_words = words;
                }
            }
        }
        p = eol + 1;
    }
    incmap_buf_free(&key);
    return INCMAP_OK;
}

/* A hash of LANG/NAME for by_name from the lengths and a few letters of each: lists are asked
 * for per sentence and per word, and the few names that collide are told apart by strcmp. */
static uint64_t list_hash(const char *lang, const char *name)
{
    size_t nl = strlen(lang), nn = strlen(name);
    uint64_t h = nl | (uint64_t)nn << 8;
    if (nl)
        h |= (uint64_t)(unsigned char)lang[0] << 16 | (uint64_t)(unsigned char)lang[nl - 1] << 24;
    if (nn)
        h |= (uint64_t)(unsigned char)name[0] << 32 | (uint64_t)(unsigned char)name[nn / 2] << 40 |
             (uint64_t)(unsigned char)name[nn - 1] << 48;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 31);
}

/* The slot of LANG/NAME in by_name: where it is, or the empty slot where it would go. */
static size_t list_slot(const incmap_lexicon *lex, const char *lang, const char *name)
{
    size_t mask = lex->n_by_name - 1;
    size_t j = list_hash(lang, name) & mask;
    for (; lex->by_name[j]; j = (j + 1) & mask) {
        const incmap_wordlist *w = &lex->lists[lex->by_name[j] - 1];
        if (!strcmp(w->lang, lang) && !strcmp(w->name, name))
            break;
    }
    return j;
}

/* The slot of key (hash h) in word_slots: where its entry is, or the empty slot where it would go. */
static size_t word_slot(const incmap_lexicon *lex, const char *key, size_t len, uint64_t h)
{
    size_t mask = lex->n_word_slots - 1, j = h & mask;
    for (; lex->word_slots[j]; j = (j + 1) & mask) {
        const lex_word *e = &lex->words[lex->word_slots[j]];
        if (e->hash == h && e->len == len && !memcmp(e->key, key, len))
            break;
    }
    return j;
}

/* The first eight bytes at key as they lie in memory (little-endian: the first the lowest), zeros
 * past its len bytes: keys of eight bytes or fewer, most words, are equal when these are. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "key_head masks a key's first bytes as the low ones");
static uint64_t key_head(const char *key, size_t len)
{
    unsigned char b[8] = {0};
    memcpy(b, key, len < 8 ? len : 8);
    uint64_t h;
    memcpy(&h, b, 8);
    return h;
}

/* The entry of key (hash h), added with no lists when it is not there; 0 when out of memory. */
static uint32_t word_entry(incmap_lexicon *lex, const char *key, size_t len, uint64_t h)
{
    size_t j = word_slot(lex, key, len, h);
    if (!lex->word_slots[j]) {
        if (key[len] && !(key = incmap_arena_strndup(lex->arena, key, len)))
            return 0;
        lex->word_slots[j] = (uint32_t)++lex->n_words;
        lex->words[lex->n_words] = (lex_word){h, key, len, key_head(key, len)};
    }
    return lex->word_slots[j];
}

/* Records as list's every run of whole words of key that starts past its first word
 * ("forces", "forces armees" and "armees" of "les forces armees"): what a token may be when a
 * phrase look-up reads on into the key. 0 when out of memory. */
static int mark_inner_runs(incmap_lexicon *lex, size_t list, const char *key)
{
    for (const char *a = strchr(key, ' '); a; a = strchr(a, ' ')) {
        a++;
        for (const char *b = a;; b++) {
            if (*b == ' ' || !*b) {
                size_t len = (size_t)(b - a);
                uint32_t e = word_entry(lex, a, len, incmap_hash(a, len, 0));
                if (!e)
                    return 0;
                lex->word_marks[e].inner[list / 64] |= (uint64_t)1 << (list % 64);
            }
            if (!*b)
                break;
        }
    }
    return 1;
}

/* How many runs mark_inner_runs records for key: n(n-1)/2 for n words. */
static size_t count_inner_runs(const char *key)
{
    size_t words = 1;
    for (const char *p = key; *p; p++)
        words += *p == ' ';
    return words * (words - 1) / 2;
}

/* Fills the word table from the lists' slots (keys and word-prefixes alike), and the runs of
 * words inside keys. */
static void build_words(incmap_lexicon *lex)
{
    size_t total = 0; /* an upper bound: runs repeat, and are often keys too */
    for (size_t i = 0; i < lex->n_lists && i < MARK_LISTS; i++)
        for (size_t k = 0; k < lex->lists[i].n_slots; k++)
            if (lex->lists[i].slots[k].hash)
                total += 1 + count_inner_runs(lex->lists[i].slots[k].key);
    lex->n_word_slots = 64;
    while (lex->n_word_slots < 2 * total)
        lex->n_word_slots *= 2;
    lex->words = calloc(total + 1, sizeof *lex->words);
    lex->word_slots = calloc(lex->n_word_slots, sizeof *lex->word_slots);
    lex->word_marks = calloc(total + 1, sizeof *lex->word_marks);
    if (!lex->words || !lex->word_slots || !lex->word_marks || total >= UINT32_MAX) {
        free(lex->words);
        free(lex->word_slots);
        free(lex->word_marks);
        lex->words = NULL;
        lex->word_slots = NULL;
        lex->word_marks = NULL;
        return;
    }
    for (size_t i = 0; i < lex->n_lists && i < MARK_LISTS; i++) {
        const incmap_wordlist *w = &lex->lists[i];
        for (size_t k = 0; k < w->n_slots; k++) {
            const wl_slot *sl = &w->slots[k];
            if (!sl->hash)
                continue;
            uint32_t e = word_entry(lex, sl->key, sl->len, sl->hash);
            lex->word_marks[e].starts[i / 64] |= (uint64_t)1 << (i % 64);
            if (sl->value)
                lex->word_marks[e].keys[i / 64] |= (uint64_t)1 << (i % 64);
        }
    }
    int complete = 1; /* every run has its entry: the inner marks may answer no */
    for (size_t i = 0; i < lex->n_lists && i < MARK_LISTS; i++)
        for (size_t k = 0; k < lex->lists[i].n_slots && complete; k++)
            if (lex->lists[i].slots[k].hash)
                complete = mark_inner_runs(lex, i, lex->lists[i].slots[k].key);
    for (size_t i = 0; i < lex->n_lists && i < MARK_LISTS; i++) {
        lex->lists[i].marks.words = lex->word_marks;
        lex->lists[i].marks.inner = complete;
    }
}

incmap_lexicon *incmap_lexicon_new(incmap_error *err)
{
    incmap_lexicon *lex = calloc(1, sizeof *lex);
    if (!lex || !(lex->arena = incmap_arena_new())) {
        free(lex);
        incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory loading the lexicon");
        return NULL;
    }
    lex->lists = calloc(incmap_n_embedded_files + 1, sizeof *lex->lists);
    if (!lex->lists) {
        incmap_lexicon_destroy(lex);
        incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory loading the lexicon");
        return NULL;
    }
    size_t n_langs = 0;
    for (size_t i = 0; i < incmap_n_embedded_files; i++) {
        const incmap_embedded_file *f = &incmap_embedded_files[i];
        const char *slash = strchr(f->path, '/');
        const char *dot = strrchr(f->path, '.');
        if (!slash || !dot || dot < slash || (size_t)(slash - f->path) >= 16 || (size_t)(dot - slash) >= 48)
            continue;
        incmap_wordlist *w = &lex->lists[lex->n_lists];
        w->marks.owner = lex;
        w->marks.word = (unsigned)(lex->n_lists / 64);
        w->marks.bit = (unsigned)(lex->n_lists % 64);
        memcpy(w->lang, f->path, (size_t)(slash - f->path));
        memcpy(w->name, slash + 1, (size_t)(dot - slash - 1));
        if (parse_list(lex, w, f, err) != INCMAP_OK) {
            incmap_lexicon_destroy(lex);
            return NULL;
        }
        lex->n_lists++;
        int known = strcmp(w->lang, "common") == 0;
        for (size_t j = 0; j < n_langs && !known; j++)
            known = strcmp(lex->langs[j], w->lang) == 0;
        if (!known && n_langs + 1 < sizeof lex->langs / sizeof *lex->langs)
            lex->langs[n_langs++] = w->lang;
    }
    lex->n_by_name = 64;
    while (lex->n_by_name < lex->n_lists * 2)
        lex->n_by_name *= 2;
    if (!(lex->by_name = calloc(lex->n_by_name, sizeof *lex->by_name))) {
        incmap_lexicon_destroy(lex);
        incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory loading the lexicon");
        return NULL;
    }
    for (size_t i = 0; i < lex->n_lists; i++) {
        size_t j = list_slot(lex, lex->lists[i].lang, lex->lists[i].name);
        if (!lex->by_name[j]) /* "fr/x.txt" twice: the first file wins */
            lex->by_name[j] = (uint32_t)i + 1;
    }
    build_words(lex);
    return lex;
}

void incmap_lexicon_destroy(incmap_lexicon *lex)
{
    if (!lex)
        return;
    incmap_arena_destroy(lex->arena);
    free(lex->words);
    free(lex->word_slots);
    free(lex->word_marks);
    free(lex->lists);
    free(lex->by_name);
    free(lex);
}

const incmap_wordlist *incmap_lexicon_list(const incmap_lexicon *lex, const char *lang, const char *name)
{
    uint32_t i = lex->by_name[list_slot(lex, lang, name)];
    return i ? &lex->lists[i - 1] : &lex->empty;
}

const char *incmap_wordlist_find(const incmap_wordlist *w, const char *key, size_t keylen, int *longer)
{
    return incmap_wordlist_find_hashed(w, key, keylen, incmap_hash(key, keylen, 0), longer);
}

const char *incmap_wordlist_find_hashed(const incmap_wordlist *w, const char *key, size_t keylen, uint64_t hash,
                                        int *longer)
{
    *longer = 0;
    if (!w->n_slots)
        return NULL;
    const wl_slot *slot = wl_slot_of(w, key, keylen, hash);
    if (!slot->hash)
        return NULL;
    *longer = slot->longer;
    return slot->value;
}

const char *incmap_wordlist_get(const incmap_wordlist *w, const char *key, size_t keylen)
{
    int longer;
    return incmap_wordlist_find(w, key, keylen, &longer);
}

/* The entry of word token i's key, 0 when it has none: word_slot's answer, with a key of eight
 * bytes or fewer compared by key_head in one test rather than by memcmp. The eight bytes read
 * where the key starts in the keys' buffer lie inside it (tokenize reserves room for the whole
 * text; the last keys may lack them, and go to word_slot); those past the key are masked. */
static uint32_t token_entry(const incmap_lexicon *lex, const incmap_tokens *t, size_t i)
{
    const incmap_token *k = &t->tok[i];
    const char *key = incmap_tok_norm(t, i);
    size_t len = k->norm_len;
    if (len > 8 || k->norm_off + 8 > t->norm.cap)
        return lex->word_slots[word_slot(lex, key, len, k->hash)];
    uint64_t head;
    memcpy(&head, key, 8);
    head &= ~0ULL >> (64 - 8 * len); /* len >= 1 */
    size_t mask = lex->n_word_slots - 1;
    for (size_t j = k->hash & mask; lex->word_slots[j]; j = (j + 1) & mask) {
        const lex_word *e = &lex->words[lex->word_slots[j]];
        if (e->hash == k->hash && e->len == len && e->head == head)
            return lex->word_slots[j];
    }
    return 0;
}

void incmap_lexicon_mark(const incmap_lexicon *lex, incmap_tokens *t)
{
    t->lexicon = NULL;
    if (!lex->word_slots)
        return;
    for (size_t i = 0; i < t->n; i++) {
        incmap_token *k = &t->tok[i];
        k->lex_word = (k->flags & INCMAP_TOK_WORD) && k->norm_len ? token_entry(lex, t, i) : 0;
    }
    t->lexicon = lex;
}

const char *incmap_wordlist_probe_tok(const incmap_wordlist *w, const incmap_tokens *t, size_t i)
{
    const incmap_token *k = &t->tok[i];
    int longer;
    return k->norm_len ? incmap_wordlist_find_hashed(w, incmap_tok_norm(t, i), k->norm_len, k->hash, &longer)
                       : incmap_wordlist_get(w, incmap_tok_norm(t, i), 0);
}

int incmap_wordlist_max_words(const incmap_wordlist *w)
{
    return w->max_words;
}

size_t incmap_wordlist_size(const incmap_wordlist *w)
{
    return w->n;
}

void incmap_wordlist_entry(const incmap_wordlist *w, size_t i, const char **key, const char **value)
{
    *key = w->keys[i];
    *value = w->values[i];
}

const char *const *incmap_lexicon_languages(const incmap_lexicon *lex)
{
    return lex->langs;
}
