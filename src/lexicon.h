/* lexicon.h: language knowledge loaded from data files (gazetteer/lexicon/LANG/NAME.txt),
 * compiled into the binary at build time. Adding a language means adding files, not C.
 *
 * File format: one entry per line, "key" or "key<TAB>value"; '#' starts a comment line.
 * Keys are matched after incmap_normalize(), so "Région de" and "region de" are one key. */
#ifndef INCMAP_LEXICON_H
#define INCMAP_LEXICON_H

#include <stddef.h>

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
