/* phrase.h: looks up lexicon phrases and numbers over tokens. A phrase is a run of words that
 * apostrophes and hyphens may join ("l'armée", "avant-hier") but other punctuation breaks. */
#ifndef INCMAP_PHRASE_H
#define INCMAP_PHRASE_H

#include <stddef.h>

#include "lexicon.h"
#include "text.h"

/* incmap_phrase_at once its first word may start a key of w. */
const char *incmap_phrase_from(const incmap_wordlist *w, const char *text, const incmap_tokens *t, size_t i,
                               size_t end, size_t *next);

/* The value of the longest key of w that starts at word token i and ends before token end, or
 * NULL. *next gets the token after the phrase. Inline: the pipeline asks this of a dozen lists
 * at every word, and nearly always the word's mark answers no at once. */
static inline const char *incmap_phrase_at(const incmap_wordlist *w, const char *text, const incmap_tokens *t,
                                           size_t i, size_t end, size_t *next)
{
    if (i >= end || !(t->tok[i].flags & INCMAP_TOK_WORD) || !incmap_wordlist_may_start(w, t, i))
        return NULL;
    return incmap_phrase_from(w, text, t, i, end, next);
}

/* The same, for the longest phrase that ends just before token i and starts at or after begin.
 * *first gets its first token. */
const char *incmap_phrase_before(const incmap_wordlist *w, const char *text, const incmap_tokens *t, size_t i,
                                 size_t begin, size_t *first);

/* 1 when token i is punctuation that joins words inside a phrase (apostrophe, hyphen). */
int incmap_tok_is_joiner(const char *text, const incmap_tokens *t, size_t i);

/* Reads a number at token i: digits ("137"), words ("vingt-huit", "twenty-two") or ACLED's vague
 * words ("une vingtaine" 20, "des dizaines" 12) from numbers, the language's LANG/numbers list.
 * Returns 1 and sets *value and *next when there is one. */
int incmap_number_at(const incmap_wordlist *numbers, const char *text, const incmap_tokens *t, size_t i,
                     size_t end, long *value, size_t *next);

#endif
