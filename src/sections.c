/* sections.c: which sentences are the article and which are page furniture (navigation bars,
 * headline lists, bylines, comment threads), and the page's own publication date. Cue words are
 * data: LANG/boilerplate.txt and LANG/published_cues.txt. */
#include <string.h>

#include "dates.h"
#include "incidents.h"
#include "phrase.h"

/* Token range [*first, *end) of sentence s, from the tokens' sentence numbers (which never
 * decrease), looking from token from on: the sentences are read in order, each from the end of
 * the one before, not searched for in a long article's whole token array. */
static void sentence_tokens(const incmap_tokens *t, size_t s, size_t from, size_t *first, size_t *end)
{
    size_t i = from;
    while (i < t->n && t->tok[i].sentence < (int32_t)s)
        i++;
    *first = i;
    while (i < t->n && t->tok[i].sentence == (int32_t)s)
        i++;
    *end = i;
}

/* What tells furniture in sentence s, from token from on: its token range (as sentence_tokens
 * finds it), its words and its '|' marks (navigation bars), in one pass over its tokens. */
typedef struct {
    size_t first, end, words, bars;
} sentence_shape;

static sentence_shape read_sentence(const char *text, const incmap_tokens *t, size_t s, size_t from)
{
    sentence_shape sh = {0, 0, 0, 0};
    size_t i = from;
    while (i < t->n && t->tok[i].sentence < (int32_t)s)
        i++;
    sh.first = i;
    for (; i < t->n && t->tok[i].sentence == (int32_t)s; i++) {
        const incmap_token *k = &t->tok[i];
        sh.words += (k->flags & INCMAP_TOK_WORD) != 0;
        sh.bars += (k->flags & INCMAP_TOK_PUNCT) && text[k->start] == '|';
    }
    sh.end = i;
    return sh;
}

/* The boilerplate cue of w ("thread" or "line") among the first two words of the sentence, or
 * NULL. */
static const char *furniture_cue(const incmap_wordlist *w, const char *text, const incmap_tokens *t, size_t first,
                                 size_t end)
{
    size_t words = 0, nx;
    for (size_t i = first; i < end && words < 2; i++) {
        if (!(t->tok[i].flags & INCMAP_TOK_WORD))
            continue;
        words++;
        const char *v = incmap_phrase_at(w, text, t, i, end, &nx);
        if (v)
            return v;
    }
    return NULL;
}

/* Does a line break separate byte offsets a < b? */
static int newline_between(const char *text, size_t a, size_t b)
{
    return memchr(text + a, '\n', b > a ? b - a : 0) != NULL;
}

/* How many runs of three or more spaces lie in [start, end): ASCII spaces, tabs or the
 * no-break spaces (U+00A0) web pages pad their lists with. */
static size_t space_runs(const char *text, size_t start, size_t end)
{
    size_t n = 0, run = 0;
    for (size_t i = start; i < end; i++) {
        if (text[i] == ' ' || text[i] == '\t') {
            n += ++run == 3;
        } else if ((unsigned char)text[i] == 0xC2 && i + 1 < end && (unsigned char)text[i + 1] == 0xA0) {
            n += ++run == 3;
            i++;
        } else {
            run = 0;
        }
    }
    return n;
}

/* Headline lists run several titles together on one line, separated by runs of spaces (the
 * tokenizer ends a sentence there, stop or no stop). */
static void mark_headline_lists(const char *text, incmap_tokens *t)
{
    for (size_t s = 1; s < t->n_sent; s++) {
        incmap_span *a = &t->sent[s - 1], *b = &t->sent[s];
        if (!newline_between(text, a->end, b->start) && space_runs(text, a->end, b->start) >= 1) {
            if (a->section == INCMAP_SECTION_BODY)
                a->section = INCMAP_SECTION_HEADLINE;
            b->section = INCMAP_SECTION_HEADLINE;
        }
    }
}

/* The article's title: its first non-furniture line when that line is one sentence without a
 * final full stop. */
static void mark_title(const char *text, incmap_tokens *t)
{
    for (size_t s = 0; s < t->n_sent; s++) {
        incmap_span *sp = &t->sent[s];
        if (sp->section != INCMAP_SECTION_BODY)
            continue;
        size_t e = sp->end;
        while (e > sp->start && (text[e - 1] == ' ' || text[e - 1] == '\r'))
            e--;
        int alone = (s + 1 >= t->n_sent || newline_between(text, sp->end, t->sent[s + 1].start)) &&
                    (s == 0 || newline_between(text, t->sent[s - 1].end, sp->start));
        if (alone && e > sp->start && !strchr(".!?", text[e - 1]))
            sp->section = INCMAP_SECTION_HEADLINE;
        return;
    }
}

void incmap_sections_classify(const incmap_lexicon *lex, const char *lang, const char *text, incmap_tokens *toks)
{
    const incmap_wordlist *boilerplate = incmap_lexicon_list(lex, lang, "boilerplate");
    int thread = 0;
    size_t end = 0;
    for (size_t s = 0; s < toks->n_sent; s++) {
        sentence_shape sh = read_sentence(text, toks, s, end);
        end = sh.end;
        const char *cue = furniture_cue(boilerplate, text, toks, sh.first, sh.end);
        if (cue && !strcmp(cue, "thread") && sh.words <= 4)
            thread = 1;
        int furniture = thread || sh.bars >= 1 || (cue && sh.words <= 8);
        toks->sent[s].section = furniture ? INCMAP_SECTION_BOILERPLATE : INCMAP_SECTION_BODY;
    }
    mark_headline_lists(text, toks);
    mark_title(text, toks);
}

/* Is the date at token i announced by a publication cue of w ("Publié le", "date")? */
static int published_cue(const incmap_wordlist *w, const char *text, const incmap_tokens *t, size_t i,
                         size_t first)
{
    size_t f;
    return incmap_phrase_before(w, text, t, i, first, &f) != NULL;
}

int incmap_find_published(const incmap_lexicon *lex, const char *lang, const char *text, const incmap_tokens *toks,
                          char out[11])
{
    incmap_date_scanner sc = incmap_date_scanner_make(lex, lang, text, toks, -1);
    const incmap_wordlist *cues = incmap_lexicon_list(lex, lang, "published_cues");
    long dateline = -1;
    size_t first, end = 0;
    for (size_t s = 0; s < toks->n_sent; s++) {
        sentence_tokens(toks, s, end, &first, &end);
        if (!incmap_dates_may_state_year(&sc, first, end))
            continue; /* only a date that states its year counts below: most sentences have none */
        incmap_date_hit h[8];
        size_t n = incmap_dates_scan(&sc, first, end, h, 8);
        for (size_t k = 0; k < n; k++) {
            if (!h[k].has_year)
                continue;
            if (published_cue(cues, text, toks, h[k].tok_first, first)) {
                int y, m, d;
                incmap_ymd_from_days(h[k].days, &y, &m, &d);
                incmap_days_format(h[k].precision == 3 ? incmap_days_from_ymd(y, m, 1) : h[k].days, out);
                return 1;
            }
            /* A dateline ("Bamako, 2 juin 2025 –") near the top dates the article too. */
            if (dateline < 0 && s < 4 && h[k].precision == 1)
                dateline = h[k].days;
        }
    }
    if (dateline < 0) {
        out[0] = 0;
        return 0;
    }
    incmap_days_format(dateline, out);
    return 1;
}
