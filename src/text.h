/* text.h: bytes to clean UTF-8 text, matching keys, tokens and sentences.
 * Pure functions over buffers: no gazetteer, no language data. */
#ifndef INCMAP_TEXT_H
#define INCMAP_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Decoded article text. utf8 is NUL-terminated. in_off maps each byte of utf8 (and the end,
 * in_off[len]) back to its offset in the input bytes; NULL when the two are the same. */
typedef struct {
    char *utf8;
    size_t len;
    size_t *in_off;
    const char *encoding; /* "UTF-8", "UTF-8 (BOM)", "UTF-16LE", "UTF-16BE", "windows-1252" */
} incmap_text;

/* Decodes article bytes: UTF-8 (BOM stripped), UTF-16 with a BOM, or Windows-1252/Latin-1 when
 * the bytes are not UTF-8 but look like 8-bit text. Anything else (binary, NUL bytes) is refused
 * with INCMAP_ERR_ENCODING naming `name` and the first offending byte offset. */
incmap_status incmap_text_decode(const char *bytes, size_t n, const char *name, incmap_text *out,
                                 incmap_error *err);
void incmap_text_free(incmap_text *t);
size_t incmap_text_input_offset(const incmap_text *t, size_t utf8_off);

/* Appends the matching key of s to out: words case-folded, diacritics stripped, ligatures and
 * letters such as ɛ/ɔ folded to ASCII-like letters, joined by single spaces; apostrophes, hyphens
 * and other punctuation separate words. "Ti-n-Zaouâtene" -> "ti n zaouatene". */
void incmap_normalize(const char *s, size_t n, incmap_buf *out);

enum {
    INCMAP_TOK_WORD = 1,   /* letters and digits */
    INCMAP_TOK_CAP = 2,    /* the first letter is upper case */
    INCMAP_TOK_UPPER = 4,  /* every letter is upper case (and there are at least two) */
    INCMAP_TOK_NUM = 8,    /* digits only */
    INCMAP_TOK_PUNCT = 16, /* one punctuation character */
    INCMAP_TOK_SENT_START = 32 /* first word of its sentence */
};

typedef struct {
    uint32_t start, end;       /* byte offsets in the decoded text */
    uint32_t norm_off, norm_len; /* the word's key in incmap_tokens.norm */
    uint32_t flags;
    int32_t sentence;
    uint64_t hash;             /* incmap_hash(key, seed 0) of a word: word lists are probed with it */
    uint32_t lex_word;         /* the lexicon's entry for the key, 0 none (see incmap_lexicon_mark) */
} incmap_token;

typedef struct {
    size_t start, end; /* byte offsets in the decoded text */
    int section;       /* INCMAP_SECTION_* */
} incmap_span;

enum { INCMAP_SECTION_BODY = 0, INCMAP_SECTION_HEADLINE = 1, INCMAP_SECTION_BOILERPLATE = 2 };
const char *incmap_section_name(int section);

struct incmap_lexicon;

typedef struct {
    incmap_token *tok;
    size_t n, cap;
    incmap_buf norm;     /* keys of all words, back to back (not NUL-separated) */
    incmap_span *sent;
    size_t n_sent, cap_sent;
    /* The lexicon that set tok[].lex_word (incmap_lexicon_mark); NULL when unmarked, and again
     * whenever incmap_tokenize adds tokens. */
    const struct incmap_lexicon *lexicon;
} incmap_tokens;

/* Splits text into word and punctuation tokens and sentences. Sentences end at . ! ? followed by
 * a capital, at line breaks, and at runs of 3+ spaces (headline lists run together on one line). */
incmap_status incmap_tokenize(const char *s, size_t n, incmap_tokens *out);
void incmap_tokens_free(incmap_tokens *t);

/* The text between two tokens, e.g. to check that a multi-word name is not split by a comma. */
static inline const char *incmap_tok_norm(const incmap_tokens *t, size_t i)
{
    return t->norm.s + t->tok[i].norm_off;
}

/* Decodes one UTF-8 code point at s (n bytes left); returns its length, or 0 when invalid. */
int incmap_utf8_decode(const unsigned char *s, size_t n, int32_t *cp);
/* 1 when s[0..n) is well-formed UTF-8. */
int incmap_utf8_valid(const char *s, size_t n);

#endif
