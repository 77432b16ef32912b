/* lexicon.c: word lists parsed from the embedded data files. */
#include "lexicon.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

typedef struct {
    uint64_t hash;
    const char *key, *value;
} wl_slot;

struct incmap_wordlist {
    char lang[16], name[48];
    wl_slot *slots;           /* open addressing, power-of-two size */
    size_t n_slots, n;
    const char **keys, **values; /* file order */
    int max_words;
};

struct incmap_lexicon {
    incmap_arena *arena;
    incmap_wordlist *lists;
    size_t n_lists;
    incmap_wordlist empty;
    const char *langs[32];
};

static int wl_insert(incmap_wordlist *w, const char *key, const char *value)
{
    uint64_t h = incmap_hash(key, strlen(key), 0);
    size_t mask = w->n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (!w->slots[i].hash) {
            w->slots[i] = (wl_slot){h, key, value};
            return 1;
        }
        if (w->slots[i].hash == h && strcmp(w->slots[i].key, key) == 0)
            return 0; /* first entry wins */
    }
}

static incmap_status parse_list(incmap_lexicon *lex, incmap_wordlist *w, const incmap_embedded_file *f,
                                incmap_error *err)
{
    size_t lines = 1;
    for (size_t i = 0; i < f->len; i++)
        lines += f->data[i] == '\n';
    w->n_slots = 16;
    while (w->n_slots < lines * 2)
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
                if (wl_insert(w, k, v)) {
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
    return lex;
}

void incmap_lexicon_destroy(incmap_lexicon *lex)
{
    if (!lex)
        return;
    incmap_arena_destroy(lex->arena);
    free(lex->lists);
    free(lex);
}

const incmap_wordlist *incmap_lexicon_list(const incmap_lexicon *lex, const char *lang, const char *name)
{
    for (size_t i = 0; i < lex->n_lists; i++)
        if (strcmp(lex->lists[i].lang, lang) == 0 && strcmp(lex->lists[i].name, name) == 0)
            return &lex->lists[i];
    return &lex->empty;
}

const char *incmap_wordlist_get(const incmap_wordlist *w, const char *key, size_t keylen)
{
    if (!w->n_slots)
        return NULL;
    uint64_t h = incmap_hash(key, keylen, 0);
    size_t mask = w->n_slots - 1;
    for (size_t i = h & mask; w->slots[i].hash; i = (i + 1) & mask)
        if (w->slots[i].hash == h && strncmp(w->slots[i].key, key, keylen) == 0 && !w->slots[i].key[keylen])
            return w->slots[i].value;
    return NULL;
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
