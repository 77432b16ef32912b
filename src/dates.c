/* dates.c: date expressions to calendar dates (see dates.h). */
#include "dates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phrase.h"

/* Howard Hinnant's civil-from-days algorithms: exact for every Gregorian date. */
long incmap_days_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void incmap_ymd_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : n[m - 1];
}

long incmap_days_parse(const char *s)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 ||
        d > days_in_month(y, m))
        return -1;
    return incmap_days_from_ymd(y, m, d);
}

void incmap_days_format(long days, char out[11])
{
    int y, m, d;
    incmap_ymd_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* "-001-...": as printf writes it */
        char buf[32];
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        memcpy(out, buf, 10);
        out[10] = 0;
        return;
    }
    /* The digits directly: every incident and candidate publication date is formatted, and
     * snprintf's format parsing cost more than the rest of the date arithmetic. */
    const int v[3] = {y, m, d}, width[3] = {4, 2, 2};
    char *p = out;
    for (int k = 0; k < 3; k++) {
        for (int i = width[k], x = v[k]; i-- > 0; x /= 10)
            p[i] = (char)('0' + x % 10);
        p += width[k];
        *p++ = '-';
    }
    out[10] = 0;
}

/* ISO weekday, Monday 1 ... Sunday 7 (1970-01-01 was a Thursday). */
static int weekday(long days)
{
    long r = (days + 3) % 7;
    return (int)(r < 0 ? r + 7 : r) + 1;
}

/* ------------------------------------------------------------------ token readers */

typedef struct {
    const incmap_date_scanner *sc;
    size_t end;
} reader;

static int is_word(const reader *r, size_t i)
{
    return i < r->end && (r->sc->toks->tok[i].flags & INCMAP_TOK_WORD);
}

/* Skips punctuation tokens between date parts ("15 - 07 - 2025", "September 17, 2025"). */
static size_t skip_punct(const reader *r, size_t i, size_t max)
{
    for (size_t k = 0; k < max && i < r->end && (r->sc->toks->tok[i].flags & INCMAP_TOK_PUNCT); k++)
        i++;
    return i;
}

/* A number token of 1..ndig digits, or a day with an ordinal suffix ("1er", "17th"). */
static int read_int(const reader *r, size_t i, int ndig, int ordinal, int *v)
{
    if (!is_word(r, i))
        return 0;
    const char *s = incmap_tok_norm(r->sc->toks, i);
    size_t n = r->sc->toks->tok[i].norm_len, k = 0;
    int x = 0;
    while (k < n && s[k] >= '0' && s[k] <= '9' && (int)k < ndig)
        x = x * 10 + (s[k++] - '0');
    if (!k || (k < n && (!ordinal || n - k > 3 || (s[k] >= '0' && s[k] <= '9'))))
        return 0;
    *v = x;
    return 1;
}

static int read_year(const reader *r, size_t i, int *y)
{
    return read_int(r, i, 4, 0, y) && r->sc->toks->tok[i].norm_len == 4 && *y >= 1900 && *y <= 2100;
}

/* A month name at i (respecting the "cap" flag of the data); sets *next. */
static int read_month(const reader *r, size_t i, int *m, size_t *next)
{
    const incmap_wordlist *w = r->sc->months;
    const char *v = incmap_phrase_at(w, r->sc->text, r->sc->toks, i, r->end, next);
    if (!v)
        return 0;
    if (strstr(v, "cap") && !(r->sc->toks->tok[i].flags & INCMAP_TOK_CAP))
        return 0;
    *m = atoi(v);
    return *m >= 1 && *m <= 12;
}

/* Skips a small connective word such as "de" ("11 de mayo"): any one-or-two-letter word. */
static size_t skip_of(const reader *r, size_t i)
{
    if (is_word(r, i) && r->sc->toks->tok[i].norm_len <= 2 && !(r->sc->toks->tok[i].flags & INCMAP_TOK_NUM))
        return i + 1;
    return i;
}

/* The latest date with this month and day on or before publication. */
static long recent_day(long pub, int m, int d)
{
    int py, pm, pd;
    incmap_ymd_from_days(pub, &py, &pm, &pd);
    if (d > days_in_month(py, m))
        d = days_in_month(py, m);
    long x = incmap_days_from_ymd(py, m, d);
    return x <= pub ? x : incmap_days_from_ymd(py - 1, m, d > days_in_month(py - 1, m) ? 28 : d);
}

/* ACLED codes a month as its 15th, or its 1st when the 15th would be after publication. */
static long month_date(long pub, int y, int m)
{
    long x = incmap_days_from_ymd(y, m, 15);
    return pub >= 0 && x > pub ? incmap_days_from_ymd(y, m, 1) : x;
}

static int emit(incmap_date_hit *h, size_t first, size_t end, long days, int prec, int has_year)
{
    memset(h, 0, sizeof *h);
    h->tok_first = first;
    h->tok_end = end;
    h->days = days;
    h->precision = prec;
    h->has_year = has_year;
    return 1;
}

/* "30 mai 2025", "1er juin", "17 de septiembre", "15/07/2025", "15 - 07 - 2025". */
static int read_day_first(const reader *r, size_t i, incmap_date_hit *h)
{
    int d, m, y;
    size_t j, nx;
    if (!read_int(r, i, 2, 1, &d) || d < 1 || d > 31)
        return 0;
    j = skip_of(r, i + 1);
    if (read_month(r, j, &m, &nx)) {
        size_t k = skip_of(r, skip_punct(r, nx, 1));
        if (read_year(r, k, &y) && d <= days_in_month(y, m))
            return emit(h, i, k + 1, incmap_days_from_ymd(y, m, d), 1, 1);
        if (r->sc->published < 0)
            return 0;
        return emit(h, i, nx, recent_day(r->sc->published, m, d), 1, 0);
    }
    j = skip_punct(r, i + 1, 2);
    if (j == i + 1 || !read_int(r, j, 2, 0, &m) || m < 1 || m > 12)
        return 0;
    size_t k = skip_punct(r, j + 1, 2);
    if (k == j + 1 || !read_year(r, k, &y) || d > days_in_month(y, m))
        return 0;
    return emit(h, i, k + 1, incmap_days_from_ymd(y, m, d), 1, 1);
}

/* "2025-07-15", "2025-06" (a month: its first day, as pages write it). */
static int read_iso(const reader *r, size_t i, incmap_date_hit *h)
{
    int y, m, d;
    if (!read_year(r, i, &y))
        return 0;
    size_t j = skip_punct(r, i + 1, 1);
    if (j == i + 1 || !read_int(r, j, 2, 0, &m) || m < 1 || m > 12 || r->sc->toks->tok[j].norm_len != 2)
        return 0;
    size_t k = skip_punct(r, j + 1, 1);
    if (k > j + 1 && read_int(r, k, 2, 0, &d) && d >= 1 && d <= days_in_month(y, m))
        return emit(h, i, k + 1, incmap_days_from_ymd(y, m, d), 1, 1);
    emit(h, i, j + 1, incmap_days_from_ymd(y, m, 1), 3, 1);
    return 1;
}

/* "September 17", "Sept 19", "septembre 2023", "en mai". */
static int read_month_first(const reader *r, size_t i, incmap_date_hit *h)
{
    int m, d, y;
    size_t nx;
    if (!read_month(r, i, &m, &nx))
        return 0;
    long pub = r->sc->published;
    size_t k = skip_of(r, nx);
    if (read_year(r, k, &y))
        return emit(h, i, k + 1, month_date(pub, y, m), 3, 1);
    if (read_int(r, nx, 2, 1, &d) && d >= 1 && d <= 31) {
        size_t yk = skip_punct(r, nx + 1, 1);
        if (read_year(r, yk, &y) && d <= days_in_month(y, m))
            return emit(h, i, yk + 1, incmap_days_from_ymd(y, m, d), 1, 1);
        return pub >= 0 && emit(h, i, nx + 1, recent_day(pub, m, d), 1, 0);
    }
    if (pub < 0)
        return 0;
    int py, pm, pd;
    incmap_ymd_from_days(pub, &py, &pm, &pd);
    return emit(h, i, nx, month_date(pub, m <= pm ? py : py - 1, m), 3, 0);
}

static int has_modifier(const reader *r, size_t i, size_t first)
{
    const incmap_wordlist *w = r->sc->modifiers;
    size_t nx, f;
    return (i < r->end && incmap_phrase_at(w, r->sc->text, r->sc->toks, i, r->end, &nx)) ||
           (first > 0 && incmap_phrase_before(w, r->sc->text, r->sc->toks, first, first > 3 ? first - 3 : 0, &f));
}

/* "mardi", "jeudi dernier", "last Thursday", "el pasado sábado"; "le jeudi 17 avril" is a day. */
static int read_weekday(const reader *r, size_t i, incmap_date_hit *h)
{
    const incmap_wordlist *w = r->sc->weekdays;
    size_t nx;
    const char *v = incmap_phrase_at(w, r->sc->text, r->sc->toks, i, r->end, &nx);
    if (!v)
        return 0;
    if (read_day_first(r, nx, h)) {
        h->tok_first = i;
        return 1;
    }
    long pub = r->sc->published;
    if (pub < 0)
        return 0;
    int past = has_modifier(r, nx, i);
    long back = (weekday(pub) - atoi(v) + 7) % 7;
    if (past && back == 0)
        back = 7;
    return emit(h, i, nx, pub - back, 1, 0);
}

/* "hier", "la semaine dernière", "ce mois-ci", "le lendemain" (LANG/reldates.txt). */
static int read_relative(const reader *r, size_t i, incmap_date_hit *h)
{
    const incmap_wordlist *w = r->sc->reldates;
    size_t nx;
    const char *v = incmap_phrase_at(w, r->sc->text, r->sc->toks, i, r->end, &nx);
    char unit[16];
    long n;
    if (!v || sscanf(v, "%15s %ld", unit, &n) != 2)
        return 0;
    long pub = r->sc->published;
    if (!strcmp(unit, "ctx")) {
        emit(h, i, nx, 0, 1, 0);
        h->is_context = 1;
        h->context_offset = n;
        return 1;
    }
    if (pub < 0)
        return 0;
    int y, m, d;
    incmap_ymd_from_days(pub, &y, &m, &d);
    if (!strcmp(unit, "day"))
        return emit(h, i, nx, pub + n, 1, 0);
    if (!strcmp(unit, "week"))
        return emit(h, i, nx, pub - (weekday(pub) - 1) + 7 * n, 2, 0);
    if (!strcmp(unit, "weekend")) {
        long sat = pub - (weekday(pub) - 6 + 7) % 7;
        return emit(h, i, nx, n < 0 && sat >= pub - 1 ? sat - 7 : sat, 2, 0);
    }
    if (!strcmp(unit, "month")) {
        long mm = (long)y * 12 + (m - 1) + n;
        return emit(h, i, nx, month_date(pub, (int)(mm / 12), (int)(mm % 12) + 1), 3, 0);
    }
    if (!strcmp(unit, "year"))
        return emit(h, i, nx, incmap_days_from_ymd(y + (int)n, 7, 1), 3, 0);
    return 0;
}

incmap_date_scanner incmap_date_scanner_make(const incmap_lexicon *lex, const char *lang, const char *text,
                                             const incmap_tokens *toks, long published)
{
    incmap_date_scanner sc = {text, toks, published, incmap_lexicon_list(lex, lang, "months"),
                              incmap_lexicon_list(lex, lang, "date_modifiers"),
                              incmap_lexicon_list(lex, lang, "weekdays"), incmap_lexicon_list(lex, lang, "reldates"),
                              NULL, toks->lexicon, {0}};
    const incmap_wordlist *open[] = {sc.months, sc.weekdays, sc.reldates};
    for (int l = 0; l < 3; l++) {
        const incmap_wordlist_marks *m = (const incmap_wordlist_marks *)open[l];
        if (!incmap_wordlist_marked(open[l], toks) || (sc.open_words && m->words != sc.open_words)) {
            sc.open_words = NULL;
            break;
        }
        sc.open_words = m->words;
        sc.open_bits[m->word] |= 1ULL << m->bit;
    }
    return sc;
}

/* Can a date expression start at word token i? Every one opens with a number or a word of the
 * date lists: the readers are tried only there, not at every word of every sentence. */
static int may_open(const reader *r, size_t i)
{
    const incmap_date_scanner *sc = r->sc;
    const incmap_tokens *t = sc->toks;
    const char *key = incmap_tok_norm(t, i);
    if (t->tok[i].norm_len && key[0] >= '0' && key[0] <= '9')
        return 1;
    if (sc->open_words && t->lexicon == sc->open_lexicon) {
        /* incmap_wordlist_may_start of the three lists at once */
        uint64_t hit = 0;
        for (int j = 0; j < INCMAP_MARK_WORDS; j++)
            hit |= sc->open_words[t->tok[i].lex_word].starts[j] & sc->open_bits[j];
        return hit != 0;
    }
    return incmap_wordlist_may_start(sc->months, t, i) || incmap_wordlist_may_start(sc->weekdays, t, i) ||
           incmap_wordlist_may_start(sc->reldates, t, i);
}

/* Every reader sets has_year only after read_year has read a token. */
int incmap_dates_may_state_year(const incmap_date_scanner *sc, size_t first, size_t end)
{
    reader r = {sc, end};
    int y;
    const incmap_token *tok = sc->toks->tok;
    for (size_t i = first; i < end; i++)
        if (tok[i].norm_len == 4 && read_year(&r, i, &y)) /* the length first: most words fail it */
            return 1;
    return 0;
}

size_t incmap_dates_scan(const incmap_date_scanner *sc, size_t first, size_t end, incmap_date_hit *out,
                         size_t max)
{
    reader r = {sc, end};
    size_t n = 0;
    for (size_t i = first; i < end && n < max;) {
        incmap_date_hit *h = &out[n];
        if (is_word(&r, i) && may_open(&r, i) &&
            (read_iso(&r, i, h) || read_day_first(&r, i, h) || read_weekday(&r, i, h) ||
             read_month_first(&r, i, h) || read_relative(&r, i, h))) {
            i = h->tok_end > i ? h->tok_end : i + 1;
            n++;
        } else {
            i++;
        }
    }
    return n;
}
