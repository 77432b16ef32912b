/* fuzz_dates.c: libFuzzer harness for date expressions (dates.h) and numbers (phrase.h), with the
 * real lexicon. The last bytes of the input choose the language and the publication date (none,
 * near today, or anywhere in 0001..9999, the range --published accepts); the rest is the text,
 * scanned as a whole and sentence by sentence, as incidents and sections do. Every date found must
 * format as a calendar date YYYY-MM-DD, and date strings must survive parse -> format. */
#include <string.h>

#include "dates.h"
#include "fuzz.h"
#include "phrase.h"

static incmap_lexicon *lex;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    incmap_error err;
    if (!(lex = incmap_lexicon_new(&err))) {
        fprintf(stderr, "fuzz_dates: %s\n", err.message);
        exit(1);
    }
    return 0;
}

static void check_hits(const incmap_date_scanner *sc, size_t first, size_t end)
{
    incmap_date_hit h[64];
    size_t n = incmap_dates_scan(sc, first, end, h, 64);
    REQUIRE(n <= 64);
    size_t prev = first;
    for (size_t i = 0; i < n; i++) {
        REQUIRE(h[i].tok_first >= prev && h[i].tok_first < h[i].tok_end && h[i].tok_end <= end);
        prev = h[i].tok_end;
        if (h[i].is_context)
            continue;
        REQUIRE(h[i].precision >= 1 && h[i].precision <= 3);
        char out[11];
        incmap_days_format(h[i].days, out);
        if (!incmap_valid_date(out)) {
            fprintf(stderr, "date hit %ld days -> '%s' (published %ld)\n", h[i].days, out, sc->published);
            REQUIRE(incmap_valid_date(out));
        }
    }
}

/* A string that passes incmap_valid_date parses to a date that formats back to the same string. */
static void check_date_string(const char *s, size_t n)
{
    char buf[11];
    if (n < 10)
        return;
    memcpy(buf, s, 10);
    buf[10] = 0;
    long d = incmap_days_parse(buf);
    if (incmap_valid_date(buf)) {
        char out[11];
        REQUIRE(d != -1);
        incmap_days_format(d, out);
        REQUIRE(!strcmp(out, buf));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const langs[] = {"fr", "en", "es", "fr"};
    unsigned mode = fuzz_take_byte(&data, &size);
    unsigned b1 = fuzz_take_byte(&data, &size), b2 = fuzz_take_byte(&data, &size),
             b3 = fuzz_take_byte(&data, &size);
    long published = -1;
    long first_day = incmap_days_from_ymd(1, 1, 1), last_day = incmap_days_from_ymd(9999, 12, 31);
    if (mode & 4) /* within about 90 years of 2025-07-15 */
        published = incmap_days_from_ymd(2025, 7, 15) + (long)(int16_t)(b1 << 8 | b2);
    else if (mode & 8)
        published = first_day + (long)((b1 << 16 | b2 << 8 | b3) % (unsigned)(last_day - first_day + 1));
    check_date_string((const char *)data, size);

    incmap_text t = {0};
    incmap_error err;
    if (incmap_text_decode((const char *)data, size, "fuzz.txt", &t, &err) != INCMAP_OK)
        return 0;
    incmap_tokens tk = {0};
    if (incmap_tokenize(t.utf8, t.len, &tk) != INCMAP_OK) {
        incmap_text_free(&t);
        return 0;
    }
    incmap_date_scanner sc = incmap_date_scanner_make(lex, langs[mode & 3], t.utf8, &tk, published);
    const incmap_wordlist *numbers = incmap_lexicon_list(lex, langs[mode & 3], "numbers");
    check_hits(&sc, 0, tk.n);
    for (size_t s = 0, i = 0; s < tk.n_sent; s++) {
        size_t first = i;
        while (i < tk.n && tk.tok[i].sentence == (int32_t)s)
            i++;
        check_hits(&sc, first, i);
    }
    for (size_t i = 0; i < tk.n; i++) {
        long v;
        size_t next;
        if (incmap_number_at(numbers, t.utf8, &tk, i, tk.n, &v, &next))
            REQUIRE(v >= 0 && next > i && next <= tk.n);
    }
    incmap_tokens_free(&tk);
    incmap_text_free(&t);
    return 0;
}
