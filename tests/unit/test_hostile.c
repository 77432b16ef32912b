/* test_hostile.c: the inputs the fuzzers (tests/fuzz) found breaking an invariant or tripping a
 * sanitizer, kept as table rows once fixed, and hostile inputs through the whole library. A row
 * says what went wrong before its fix; tests/fuzz/README.md says how the fuzzers run. */
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "incmap.h"
#include "text.h"
#include "testing.h"

/* A byte string literal with its length (it may contain NUL bytes). */
#define B(lit) lit, sizeof(lit) - 1

/* ---------------------------------------------------------------- keys */

typedef struct {
    const char *label;
    const char *in;
    size_t n;
    const char *key;
} key_row;

/* Before the fix, a word that folds to nothing (a lone combining mark) or a compatibility
 * decomposition with a space or brackets in it left stray spaces in the key ("n ", "gao  kidal"),
 * so the name no longer matched the index. */
static const key_row key_rows[] = {
    {"invalid byte, then a lone NKo tone mark (fuzz_text)", B("N\xd1\xdf\xaf"), "n"},
    {"a lone combining acute between two words", B("Gao \xcc\x81 Kidal"), "gao kidal"},
    {"a lone combining acute first", B("\xcc\x81Gao"), "gao"},
    {"a lone combining acute last", B("Gao \xcc\x81"), "gao"},
    {"only combining marks", B("\xcc\x81\xcc\x82 \xcc\x83"), ""},
    {"GREEK YPOGEGRAMMENI decomposes to a space and a mark", B("a\xcd\xba"), "a"},
    {"PARENTHESIZED DIGIT ONE decomposes to (1)", B("Tibi\xe2\x91\xb4"), "tibi 1"},
    {"VULGAR FRACTION ONE HALF decomposes to 1/2", B("\xc2\xbd"), "1 2"},
    {"still: accents and hyphens", B("Ti-n-Zaou\xc3\xa2tene"), "ti n zaouatene"},
    {"still: Manding letters", B("Sirak\xc9\x94r\xc9\x94la"), "sirakorola"},
};

static void test_keys_table(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(key_rows); i++) {
        const key_row *r = &key_rows[i];
        incmap_buf k = {0};
        incmap_normalize(r->in, r->n, &k);
        CHECK_STR(bad, r->label, r->key, k.s ? k.s : "");
        incmap_buf_free(&k);
        /* appended after other bytes: as is, with no space in front */
        incmap_buf_puts(&k, "x");
        incmap_normalize(r->in, r->n, &k);
        char want[64];
        snprintf(want, sizeof want, "x%s", r->key);
        CHECK_STR(bad, r->label, want, k.s);
        incmap_buf_free(&k);
    }
    END_TABLE(bad);
}

/* ---------------------------------------------------------------- tokens without words */

/* Before the fix, text without a single word left the keys' buffer NULL and every
 * incmap_tok_norm() added an offset to NULL (UBSan: "applying zero offset to null pointer",
 * found by fuzz_dates through incmap_number_at on Windows-1252 "©®®...;"). */
static void test_tokens_without_words(void **state)
{
    (void)state;
    static const char *const texts[] = {"---", "\xc2\xa9\xc2\xae\xc2\xae;", "...\n!!!", " \xe2\x80\x94 "};
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(texts); i++) {
        incmap_tokens t = {0};
        CHECK_INT(bad, texts[i], INCMAP_OK, incmap_tokenize(texts[i], strlen(texts[i]), &t));
        CHECK_TRUE(bad, t.n > 0, "%s: no tokens", texts[i]);
        CHECK_TRUE(bad, t.norm.s != NULL, "%s: the keys' buffer is NULL", texts[i]);
        for (size_t k = 0; k < t.n; k++)
            CHECK_TRUE(bad, (t.tok[k].flags & INCMAP_TOK_PUNCT) && t.tok[k].norm_len == 0, "%s: token %zu", texts[i],
                       k);
        incmap_tokens_free(&t);
    }
    END_TABLE(bad);
}

/* ---------------------------------------------------------------- whole articles */

typedef struct {
    const char *label;
    const char *in;
    size_t n;
    incmap_status code; /* INCMAP_OK: a doc is expected */
    const char *place;  /* a place the doc must hold, or NULL */
} article_row;

static const article_row article_rows[] = {
    {"empty", B(""), INCMAP_OK, NULL},
    {"punctuation only", B("--- ... !!!"), INCMAP_OK, NULL},
    {"Windows-1252 symbols only (fuzz_dates)", B("\xa9\xae\xae\xae;"), INCMAP_OK, NULL},
    {"a lone combining mark between place names", B("Une attaque \xc3\xa0 Kati \xcc\x81 et \xc3\xa0 Gao."), INCMAP_OK,
     "Kati"},
    {"only combining marks", B("\xcc\x81 \xcc\x82\xcc\x83"), INCMAP_OK, NULL},
    {"invalid byte and a lone NKo mark (fuzz_text)", B("N\xd1\xdf\xaf"), INCMAP_OK, NULL},
    {"one long capitalised word", B("Kati Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa Gao"),
     INCMAP_OK, NULL},
    /* A protest in an article naming no country had a NULL actor1; merged into the earlier
     * incident it was dereferenced (segmentation fault in every build, fuzz_geocode). */
    {"a protest merged, no country named", B("Deux personnes ont \xc3\xa9t\xc3\xa9 tu\xc3\xa9\x65s hier. La foule "
                                             "manifeste."), INCMAP_OK, NULL},
    {"a protest alone, no country named", B("La foule manifeste contre la vie ch\xc3\xa8re."), INCMAP_OK, NULL},
    /* Ten "cent" multiplied a long past its range (signed overflow, UBSan). */
    {"number words past any count", B("Hier, cent cent cent cent cent cent cent cent cent cent personnes ont "
                                      "\xc3\xa9t\xc3\xa9 tu\xc3\xa9\x65s \xc3\xa0 Kati."), INCMAP_OK, "Kati"},
    {"NUL byte", B("Kati\0Gao"), INCMAP_ERR_ENCODING, NULL},
    {"UTF-16 cut in a surrogate pair", B("\xff\xfe" "K\x00" "\x3d\xd8"), INCMAP_ERR_ENCODING, NULL},
};

static void test_articles_table(void **state)
{
    incmap_ctx *ctx = *state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(article_rows); i++) {
        const article_row *r = &article_rows[i];
        incmap_article_info info = {"hostile.txt", "fr", "2025-07-15"};
        incmap_error err = {0};
        incmap_doc *d = incmap_geocode(ctx, r->in, r->n, &info, &err);
        CHECK_STR(bad, r->label, incmap_status_name(r->code), incmap_status_name(d ? INCMAP_OK : err.code));
        if (!d) {
            CHECK_TRUE(bad, strstr(err.message, "hostile.txt") != NULL, "%s: \"%s\" does not name the file", r->label,
                       err.message);
            continue;
        }
        int found = !r->place;
        for (size_t k = 0; k < d->n_places; k++) {
            CHECK_TRUE(bad, d->places[k].start < d->places[k].end && d->places[k].end <= r->n, "%s: place %zu at %zu-%zu",
                       r->label, k, d->places[k].start, d->places[k].end);
            found |= r->place && !strcmp(d->places[k].text, r->place);
        }
        CHECK_TRUE(bad, found, "%s: %s not found", r->label, r->place);
        for (size_t k = 0; k < d->n_incidents; k++) {
            const incmap_incident *x = &d->incidents[k];
            CHECK_TRUE(bad, x->actor1 && x->actor2 && x->event_type && x->location, "%s: incident %zu has a NULL string",
                       r->label, k);
            CHECK_TRUE(bad, x->fatalities >= 0 && x->fatalities <= 1000000000, "%s: incident %zu: %d fatalities",
                       r->label, k, x->fatalities);
        }
        char *json = incmap_doc_to_json(d, 0);
        CHECK_TRUE(bad, json != NULL, "%s: no JSON", r->label);
        free(json);
        incmap_doc_destroy(d);
    }
    END_TABLE(bad);
}

/* ---------------------------------------------------------------- gazetteer build */

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char p[512];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

/* Before the fix, sources without a single place (an image, the wrong file) built an empty
 * gazetteer and renamed it over the working one. */
static void test_build_without_places_keeps_gazetteer(void **state)
{
    (void)state;
    char dir[] = "/tmp/incmap-test-hostile-XXXXXX", out[128];
    if (!mkdtemp(dir))
        fail_msg("mkdtemp failed");
    snprintf(out, sizeof out, "%s/g.db", dir);
    const char *good[] = {INCMAP_TEST_DATA "/geonames/ML-2023.txt"};
    const char *image[] = {INCMAP_TEST_DATA "/articles/binary.gif"};
    incmap_import_options quiet = {.quiet = 1};
    incmap_error err = {0};
    incmap_status first = incmap_gazetteer_build(out, good, 1, &quiet, NULL, &err);
    incmap_status second = incmap_gazetteer_build(out, image, 1, &quiet, NULL, &err);
    incmap_options o = incmap_default_options();
    o.gazetteer_path = out;
    incmap_error oerr = {0};
    incmap_ctx *ctx = incmap_ctx_new(&o, &oerr);
    incmap_candidate *c = NULL;
    size_t n = 0;
    if (ctx)
        incmap_gazetteer_lookup(ctx, "Sofara", NULL, &c, &n, &oerr);
    free(c);
    incmap_ctx_destroy(ctx);
    remove_dir(dir);
    assert_int_equal(first, INCMAP_OK);
    assert_int_equal(second, INCMAP_ERR_FORMAT);
    if (!strstr(err.message, out) || !strstr(err.message, "no place imported"))
        fail_msg("the message should name the output and say why: \"%s\"", err.message);
    if (!ctx)
        fail_msg("the earlier gazetteer no longer opens: %s", oerr.message);
    assert_int_equal(n, 1);
}

/* A gazetteer whose only place has no name that gives a key ("--") has an empty name list: the
 * index writer sorted it with qsort(NULL, 0, ...), undefined behaviour (UBSan). */
static void test_build_without_names(void **state)
{
    (void)state;
    char dir[] = "/tmp/incmap-test-hostile-XXXXXX", src[128], out[128];
    if (!mkdtemp(dir))
        fail_msg("mkdtemp failed");
    snprintf(src, sizeof src, "%s/ML-nameless.txt", dir);
    snprintf(out, sizeof out, "%s/g.db", dir);
    FILE *f = fopen(src, "w");
    if (f) {
        fputs("9999001\t--\t--\t\t14.1\t-4.1\tP\tPPL\tML\t\t04\t\t\t\t5\t\t300\tAfrica/Bamako\t2020-01-01\n", f);
        fclose(f);
    }
    const char *srcs[] = {src};
    incmap_import_options quiet = {.quiet = 1};
    incmap_error err = {0};
    incmap_status rc = incmap_gazetteer_build(out, srcs, 1, &quiet, NULL, &err);
    remove_dir(dir);
    if (rc != INCMAP_OK)
        fail_msg("%s", err.message);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_table),
        cmocka_unit_test(test_tokens_without_words),
        cmocka_unit_test_setup_teardown(test_articles_table, ctx_setup, ctx_teardown),
        cmocka_unit_test(test_build_without_places_keeps_gazetteer),
        cmocka_unit_test(test_build_without_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
