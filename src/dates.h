/* dates.h: finds date expressions in a run of tokens and turns them into calendar dates, using
 * the publication date for relative ones ("mardi", "hier", "la semaine dernière") and for
 * dates without a year ("le 9 avril dernier"). Month, weekday and relative-date words are data
 * (LANG/months.txt, weekdays.txt, reldates.txt, date_modifiers.txt). */
#ifndef INCMAP_DATES_H
#define INCMAP_DATES_H

#include <stddef.h>

#include "lexicon.h"
#include "text.h"

typedef struct {
    size_t tok_first, tok_end; /* the tokens of the expression, [first, end) */
    long days;                 /* days since 1970-01-01 (valid unless is_context) */
    int precision;             /* ACLED: 1 day, 2 week, 3 month or coarser */
    int has_year;              /* the text states the year (publication-date candidates) */
    int is_context;            /* relative to the event being narrated ("le lendemain") */
    long context_offset;       /* days after that event */
} incmap_date_hit;

typedef struct {
    const char *text;
    const incmap_tokens *toks;
    long published; /* days since the epoch, or -1 when unknown */
    /* the language's date words, looked up once: an article is scanned sentence by sentence */
    const incmap_wordlist *months, *modifiers, *weekdays, *reldates;
    /* whether a word may open a date by one test of its marks against the bits of months,
     * weekdays and reldates (their marks are one lexicon's): those marks, NULL when the lists
     * must be asked one by one, the lexicon that marked toks, and the bits */
    const incmap_word_marks *open_words;
    const incmap_lexicon *open_lexicon;
    uint64_t open_bits[INCMAP_MARK_WORDS];
} incmap_date_scanner;

/* A scanner of the dates of toks (over text) written in language lang. */
incmap_date_scanner incmap_date_scanner_make(const incmap_lexicon *lex, const char *lang, const char *text,
                                             const incmap_tokens *toks, long published);

/* Fills out (at most max hits) with the date expressions of tokens [first, end), in order. */
size_t incmap_dates_scan(const incmap_date_scanner *sc, size_t first, size_t end, incmap_date_hit *out,
                         size_t max);

/* 0 when no date expression of tokens [first, end) can state its year (has_year): none of them
 * is a year, so a search for dated expressions may pass over them without scanning. */
int incmap_dates_may_state_year(const incmap_date_scanner *sc, size_t first, size_t end);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
long incmap_days_from_ymd(int y, int m, int d);
void incmap_ymd_from_days(long z, int *y, int *m, int *d);
/* Parses "YYYY-MM-DD"; -1 when it is not a date. */
long incmap_days_parse(const char *s);
/* Writes YYYY-MM-DD. */
void incmap_days_format(long days, char out[11]);

#endif
