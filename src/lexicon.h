/* lexicon.h: language knowledge loaded from data files (gazetteer/lexicon/LANG/NAME.txt),
 * compiled into the binary at build time. Adding a language means adding files, not C.
 *
 * File format: one entry per line, "key" or "key<TAB>value"; '#' starts a comment line.
 * Keys are matched after incmap_normalize(), so "Région de" and "region de" are one key. */
#ifndef INCMAP_LEXICON_H
#define INCMAP_LEXICON_H

#include <stddef.h>

#include "text.h"
#include "util.h"

typedef struct incmap_wordlist incmap_wordlist;
typedef struct incmap_lexicon incmap_lexicon;

incmap_lexicon *incmap_lexicon_new(incmap_error *err);
void incmap_lexicon_destroy(incmap_lexicon *lex);

/* The list LANG/NAME ("common" for language-independent lists). Never NULL: a missing file is an
 * empty list, so a new language may leave out what it does not need. */
const incmap_wordlist *incmap_lexicon_list(const incmap_lexicon *lex, const char *lang, const char *name);

/* The value stored for an already-normalised key ("" for a key without value), or NULL. */
const char *incmap_wordlist_get(const incmap_wordlist *w, const char *key, size_t keylen);
/* The same, and *longer = 1 when some key continues this one with more words: phrase look-ups
 * read on only then. */
const char *incmap_wordlist_find(const incmap_wordlist *w, const char *key, size_t keylen, int *longer);
/* The same with the key's incmap_hash (seed 0) already known, as tokens carry it. */
const char *incmap_wordlist_find_hashed(const incmap_wordlist *w, const char *key, size_t keylen, uint64_t hash,
                                        int *longer);
/* Marks each word token with the lexicon's entry for its key (incmap_token.lex_word), so that
 * the look-ups below skip, without hashing or probing, every list that has no key starting with
 * that word: the pipeline probes a dozen lists at every word of an article, nearly always in
 * vain. Tokens added later (incmap_tokenize) are unmarked again. */
void incmap_lexicon_mark(const incmap_lexicon *lex, incmap_tokens *toks);
/* What incmap_wordlist_may_start reads of a list, public so that the check inlines (it runs a
 * dozen times per word); the list itself stays private to lexicon.c, which starts it with this. */
#define INCMAP_MARK_WORDS 2
/* Per lexicon word (incmap_token.lex_word; 0: none), the lists that hold it, a bit per list. */
typedef struct {
    uint64_t starts[INCMAP_MARK_WORDS]; /* a key is the word, or starts with it and a space */
    uint64_t keys[INCMAP_MARK_WORDS];   /* a key is the word (not only the start of longer ones) */
    uint64_t inner[INCMAP_MARK_WORDS];  /* a key holds the word past its first word */
} incmap_word_marks;
typedef struct {
    const incmap_lexicon *owner;     /* NULL: the empty list */
    const incmap_word_marks *words;  /* NULL: not recorded for this list, always probe */
    int inner;                       /* the inner marks are complete (see may_continue) */
    unsigned word, bit;              /* this list's bit: starts[word] >> bit */
} incmap_wordlist_marks;

/* 1 when the marks of toks record w, so that the checks below answer exactly from them; a word
 * without a lexicon entry (lex_word 0) is then in w in no way. */
static inline int incmap_wordlist_marked(const incmap_wordlist *w, const incmap_tokens *toks)
{
    const incmap_wordlist_marks *m = (const incmap_wordlist_marks *)w;
    return toks->lexicon == m->owner && m->words;
}

/* The marks of token i's word when they record w; NULL when w must be probed. */
static inline const incmap_word_marks *incmap_token_marks(const incmap_wordlist *w, const incmap_tokens *toks,
                                                          size_t i)
{
    const incmap_wordlist_marks *m = (const incmap_wordlist_marks *)w;
    return incmap_wordlist_marked(w, toks) ? &m->words[toks->tok[i].lex_word] : NULL;
}

static inline int incmap_wordlist_bit(const incmap_wordlist *w, const uint64_t *set)
{
    const incmap_wordlist_marks *m = (const incmap_wordlist_marks *)w;
    return (set[m->word] >> m->bit) & 1;
}

/* 0 when no key of w is, or starts with, the word of token i followed by a space, so a phrase
 * look-up at i finds nothing; 1 when it may. Always 1 for tokens another lexicon marked, or none. */
static inline int incmap_wordlist_may_start(const incmap_wordlist *w, const incmap_tokens *toks, size_t i)
{
    const incmap_word_marks *e = incmap_token_marks(w, toks, i);
    return !e || incmap_wordlist_bit(w, e->starts);
}

/* 0 when the key of token i is no whole key of w; 1 when it is, or may be. */
static inline int incmap_wordlist_may_hold(const incmap_wordlist *w, const incmap_tokens *toks, size_t i)
{
    const incmap_word_marks *e = incmap_token_marks(w, toks, i);
    return !e || incmap_wordlist_bit(w, e->keys);
}

/* 0 when no key of w holds the key of token i past its first word, so that a phrase look-up
 * that has read words before i and reaches it can stop there without building and probing the
 * longer key; 1 when some key may. */
static inline int incmap_wordlist_may_continue(const incmap_wordlist *w, const incmap_tokens *toks, size_t i)
{
    const incmap_word_marks *e = incmap_token_marks(w, toks, i);
    return !e || !((const incmap_wordlist_marks *)w)->inner || incmap_wordlist_bit(w, e->inner);
}

/* incmap_wordlist_get for the key of word token i, by a probe of the list. */
const char *incmap_wordlist_probe_tok(const incmap_wordlist *w, const incmap_tokens *toks, size_t i);

/* incmap_wordlist_get for the key of word token i. Inline, as the word's marks answer nearly
 * every call (the pipeline asks a dozen lists at every word) without a probe. */
static inline const char *incmap_wordlist_get_tok(const incmap_wordlist *w, const incmap_tokens *toks, size_t i)
{
    return incmap_wordlist_may_hold(w, toks, i) ? incmap_wordlist_probe_tok(w, toks, i) : NULL;
}

/* incmap_wordlist_get_tok(w, toks, i) != NULL, answered from the marks alone when they record
 * w: language detection asks it of every word, for every language. */
static inline int incmap_wordlist_has_tok(const incmap_wordlist *w, const incmap_tokens *toks, size_t i)
{
    const incmap_word_marks *e = incmap_token_marks(w, toks, i);
    return e ? incmap_wordlist_bit(w, e->keys) : incmap_wordlist_probe_tok(w, toks, i) != NULL;
}

/* The most words any key of the list has (to bound phrase look-ups). */
int incmap_wordlist_max_words(const incmap_wordlist *w);
size_t incmap_wordlist_size(const incmap_wordlist *w);
/* Entry i, in file order (i < size); value may be "". */
void incmap_wordlist_entry(const incmap_wordlist *w, size_t i, const char **key, const char **value);

/* The languages that have a lexicon folder, NULL-terminated ("common" excluded). */
const char *const *incmap_lexicon_languages(const incmap_lexicon *lex);

/* Data compiled in by CMake (lexicon_data.c). */
typedef struct {
    const char *path; /* "fr/stopwords.txt" */
    const char *data;
    size_t len;
} incmap_embedded_file;
extern const incmap_embedded_file incmap_embedded_files[];
extern const size_t incmap_n_embedded_files;

#endif
