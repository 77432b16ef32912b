/* phrase.c: phrase look-ups over tokens (see phrase.h). */
#include "phrase.h"

#include <stdlib.h>
#include <string.h>

enum { KEY_MAX = 256 };
#define NUMBER_MAX 1000000000L /* far above any toll; keeps number words from overflowing */

int incmap_tok_is_joiner(const char *text, const incmap_tokens *t, size_t i)
{
    const incmap_token *k = &t->tok[i];
    if (!(k->flags & INCMAP_TOK_PUNCT))
        return 0;
    const char *s = text + k->start;
    size_t n = k->end - k->start;
    return (n == 1 && (*s == '\'' || *s == '-')) || (n == 3 && !memcmp(s, "\xE2\x80\x99", 3)) ||
           (n == 3 && !memcmp(s, "\xE2\x80\x90", 3)) || (n == 3 && !memcmp(s, "\xE2\x80\x91", 3));
}

/* Appends word token i to key; 0 when it does not fit. */
static int key_add(char *key, size_t *len, const incmap_tokens *t, size_t i)
{
    size_t n = t->tok[i].norm_len;
    if (!n || *len + n + 2 > KEY_MAX)
        return 0;
    if (*len)
        key[(*len)++] = ' ';
    memcpy(key + *len, incmap_tok_norm(t, i), n);
    *len += n;
    key[*len] = 0;
    return 1;
}

const char *incmap_phrase_from(const incmap_wordlist *w, const char *text, const incmap_tokens *t, size_t i,
                               size_t end, size_t *next)
{
    int maxw = incmap_wordlist_max_words(w);
    if (i >= end || !(t->tok[i].flags & INCMAP_TOK_WORD) || maxw <= 0)
        return NULL;
    /* The key read so far; a one-word key is the token's own, probed where it lies, and copied
     * here only when a second word follows (most look-ups end at the first). */
    char key[KEY_MAX];
    size_t len = 0;
    /* the hash of key[0..hashed), grown with the key from its second word on: one word's is the
     * token's */
    uint64_t h = incmap_hash_start(0);
    size_t hashed = 0;
    const char *best = NULL;
    /* A normalised token may hold several words ("œ" stays one); count words by key spaces. */
    int words = 0;
    for (size_t j = i; j < end && words < maxw; j++) {
        if (!(t->tok[j].flags & INCMAP_TOK_WORD)) {
            if (incmap_tok_is_joiner(text, t, j))
                continue;
            break;
        }
        if (words > 0 && !incmap_wordlist_may_continue(w, t, j))
            break; /* no key goes on with this word ("les" then "habitants") */
        if (words == 0) {
            size_t n = t->tok[j].norm_len;
            if (!n || n + 2 > KEY_MAX)
                break;
        } else if ((words == 1 && !key_add(key, &len, t, i)) || !key_add(key, &len, t, j)) {
            break;
        }
        words++;
        int longer;
        const char *v;
        if (words == 1 && !incmap_wordlist_may_hold(w, t, j)) {
            /* the marks tell that the word is no key of w, at most the start of longer ones ("la"
             * of "la région de"), as often: no probe */
            v = NULL;
            longer = incmap_wordlist_may_start(w, t, j);
        } else if (words == 1) {
            v = incmap_wordlist_find_hashed(w, incmap_tok_norm(t, j), t->tok[j].norm_len, t->tok[j].hash, &longer);
        } else {
            h = incmap_hash_update(h, key + hashed, len - hashed);
            hashed = len;
            v = incmap_wordlist_find_hashed(w, key, len, incmap_hash_finish(h), &longer);
        }
        if (v) {
            best = v;
            *next = j + 1;
        }
        if (!longer)
            break;
    }
    return best;
}

const char *incmap_phrase_before(const incmap_wordlist *w, const char *text, const incmap_tokens *t, size_t i,
                                 size_t begin, size_t *first)
{
    /* A phrase that ends at i ends with its last word before i (past the joiners that follow an
     * elided word), which must then be a key of w or a word inside one; the marks mostly answer
     * that it is neither, and the starts need not be tried. */
    size_t last = i;
    while (last > begin && !(t->tok[last - 1].flags & INCMAP_TOK_WORD) && incmap_tok_is_joiner(text, t, last - 1))
        last--;
    if (last == begin || !(t->tok[last - 1].flags & INCMAP_TOK_WORD) ||
        !(incmap_wordlist_may_hold(w, t, last - 1) || incmap_wordlist_may_continue(w, t, last - 1)))
        return NULL;
    int maxw = incmap_wordlist_max_words(w);
    size_t j = i, words = 0;
    const char *best = NULL;
    /* Try every start up to maxw words back; keep the longest phrase that ends at i. */
    while (j > begin && (int)words < maxw) {
        j--;
        if (!(t->tok[j].flags & INCMAP_TOK_WORD)) {
            if (incmap_tok_is_joiner(text, t, j))
                continue;
            break;
        }
        words++;
        size_t next;
        const char *v = incmap_phrase_at(w, text, t, j, i, &next);
        while (v && next < i && incmap_tok_is_joiner(text, t, next))
            next++; /* "près d'Inékar": the elided word ends at the apostrophe */
        if (v && next == i) {
            best = v;
            *first = j;
        }
    }
    return best;
}

/* Adds one number word's value to a running total, French/English/Spanish style: "deux cents"
 * multiplies, "mille" closes a group, anything else adds. */
static void number_combine(long *total, long *group, long v)
{
    if (v == 100)
        *group = (*group ? *group : 1) * 100;
    else if (v == 1000) {
        *total += (*group ? *group : 1) * 1000;
        *group = 0;
    } else
        *group += v;
}

static int digits_value(const incmap_tokens *t, size_t i, long *value)
{
    const char *s = incmap_tok_norm(t, i);
    size_t n = t->tok[i].norm_len;
    if (!(t->tok[i].flags & INCMAP_TOK_NUM) || n > 6)
        return 0;
    long v = 0;
    for (size_t k = 0; k < n; k++)
        v = v * 10 + (s[k] - '0');
    *value = v;
    return 1;
}

int incmap_number_at(const incmap_wordlist *numbers, const char *text, const incmap_tokens *t, size_t i,
                     size_t end, long *value, size_t *next)
{
    if (i >= end)
        return 0;
    if (digits_value(t, i, value)) {
        *next = i + 1;
        return 1;
    }
    const incmap_wordlist *w = numbers;
    long total = 0, group = 0;
    size_t j = i, after = i;
    int found = 0;
    for (;;) {
        size_t nx;
        const char *v = incmap_phrase_at(w, text, t, j, end, &nx);
        if (!v)
            break;
        if (*v == '+') {
            if (!found)
                return 0;
            j = nx; /* a connector counts only when another number follows */
            continue;
        }
        number_combine(&total, &group, strtol(v, NULL, 10));
        if (total > NUMBER_MAX || group > NUMBER_MAX)
            return 0; /* "cent cent cent ...": no count, and no overflow */
        found = 1;
        j = after = nx;
        while (j < end && incmap_tok_is_joiner(text, t, j))
            j++;
    }
    if (!found)
        return 0;
    *value = total + group;
    *next = after;
    return 1;
}
