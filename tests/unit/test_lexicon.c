/* test_lexicon.c: the word lists compiled in from gazetteer/lexicon/ (lexicon.h). */
#include <stdlib.h>

#include "lexicon.h"
#include "testing.h"
#include "text.h"

static int setup(void **state)
{
    incmap_error err = {0};
    incmap_lexicon *lex = incmap_lexicon_new(&err);
    if (!lex) {
        print_error("incmap_lexicon_new: %s\n", err.message);
        return -1;
    }
    *state = lex;
    return 0;
}

static int teardown(void **state)
{
    incmap_lexicon_destroy(*state);
    return 0;
}

/* Look-ups written as a reader would write them: they are normalised here, as the tagger does. */
static const struct {
    const char *lang, *list, *phrase, *value; /* value NULL: not in the list */
} lookup_rows[] = {
    {"fr", "cues", "Région de", "ADM1"},
    {"fr", "cues", "la région de", "ADM1"},
    {"fr", "cues", "LA REGION DE", "ADM1"},
    {"fr", "cues", "le village de", "PPL"},
    {"fr", "cues", "cercle de", "ADM2"},
    {"fr", "directions", "nord", "N"},
    {"fr", "directions", "nord-est", "NE"},
    {"fr", "unknown_place_cues", "le village de", ""},
    {"fr", "titles", "général", ""},
    {"fr", "titles", "M", ""},
    {"common", "persons", "Zuma", ""},
    {"common", "persons", "Goïta", ""},
    {"common", "persons", "Bolsonaro", ""},
    {"common", "organisations", "Real Madrid", ""},
    {"common", "organisations", "Royal Air Maroc", ""},
    {"common", "organisations", "Bamako", NULL},
    {"fr", "cues", "Bamako", NULL},
    {"fr", "cues", "région", NULL},
    {"fr", "nonexistent_list", "région de", NULL},
    {"pt", "cues", "região de", NULL},
};

static void test_lookup_table(void **state)
{
    const incmap_lexicon *lex = *state;
    int bad = 0;
    incmap_buf key = {0};
    for (size_t i = 0; i < N_ROWS(lookup_rows); i++) {
        char label[128];
        snprintf(label, sizeof label, "%s/%s: %s", lookup_rows[i].lang, lookup_rows[i].list, lookup_rows[i].phrase);
        const incmap_wordlist *w = incmap_lexicon_list(lex, lookup_rows[i].lang, lookup_rows[i].list);
        CHECK_TRUE(bad, w != NULL, "%s: incmap_lexicon_list returned NULL", label);
        if (!w)
            continue;
        incmap_buf_clear(&key);
        incmap_normalize(lookup_rows[i].phrase, strlen(lookup_rows[i].phrase), &key);
        const char *v = incmap_wordlist_get(w, key.s ? key.s : "", key.len);
        CHECK_STR(bad, label, lookup_rows[i].value ? lookup_rows[i].value : "(not found)", v ? v : "(not found)");
    }
    incmap_buf_free(&key);
    END_TABLE(bad);
}

static void test_get_uses_keylen(void **state)
{
    const incmap_lexicon *lex = *state;
    const incmap_wordlist *w = incmap_lexicon_list(lex, "fr", "cues");
    const char *text = "region de koulikoro";
    const char *v = incmap_wordlist_get(w, text, 9);
    assert_non_null(v);
    assert_string_equal(v, "ADM1");
    assert_null(incmap_wordlist_get(w, text, 6)); /* "region" alone */
    assert_null(incmap_wordlist_get(w, text, strlen(text)));
    assert_null(incmap_wordlist_get(w, "", 0));
}

static void test_missing_list_is_empty(void **state)
{
    const incmap_lexicon *lex = *state;
    const incmap_wordlist *w = incmap_lexicon_list(lex, "xx", "nothing");
    assert_non_null(w);
    assert_int_equal(incmap_wordlist_size(w), 0);
    assert_int_equal(incmap_wordlist_max_words(w), 0);
    assert_null(incmap_wordlist_get(w, "gao", 3));
    w = incmap_lexicon_list(lex, "fr", "nothing");
    assert_non_null(w);
    assert_int_equal(incmap_wordlist_size(w), 0);
}

/* Every key is stored normalised, in file order, with no comment lines; max_words is the most
 * words of any key. Checked over every list of every language. */
static void test_every_list_normalised(void **state)
{
    const incmap_lexicon *lex = *state;
    static const char *names[] = {"cues", "directions", "function_words", "stopwords", "titles",
                                  "unknown_place_cues", "demonyms", "persons", "organisations", "given_names"};
    const char *langs[8] = {"common"};
    size_t n_langs = 1;
    for (const char *const *l = incmap_lexicon_languages(lex); *l && n_langs < 8; l++)
        langs[n_langs++] = *l;
    int bad = 0, lists = 0;
    incmap_buf key = {0};
    for (size_t li = 0; li < n_langs; li++)
        for (size_t ni = 0; ni < N_ROWS(names); ni++) {
            const incmap_wordlist *w = incmap_lexicon_list(lex, langs[li], names[ni]);
            size_t n = incmap_wordlist_size(w);
            if (!n)
                continue;
            lists++;
            int max_words = 0;
            for (size_t i = 0; i < n; i++) {
                const char *k, *v;
                incmap_wordlist_entry(w, i, &k, &v);
                char label[160];
                snprintf(label, sizeof label, "%s/%s entry %zu", langs[li], names[ni], i);
                incmap_buf_clear(&key);
                incmap_normalize(k, strlen(k), &key);
                CHECK_STR(bad, label, key.s ? key.s : "", k);
                CHECK_TRUE(bad, v != NULL, "%s: NULL value", label);
                CHECK_TRUE(bad, k[0] != '#', "%s: a comment line was loaded: \"%s\"", label, k);
                const char *got = incmap_wordlist_get(w, k, strlen(k));
                CHECK_TRUE(bad, got == v, "%s: get(\"%s\") does not return the entry's value", label, k);
                int words = 1;
                for (const char *c = k; *c; c++)
                    words += *c == ' ';
                if (words > max_words)
                    max_words = words;
            }
            char label[128];
            snprintf(label, sizeof label, "%s/%s max_words", langs[li], names[ni]);
            CHECK_INT(bad, label, max_words, incmap_wordlist_max_words(w));
        }
    incmap_buf_free(&key);
    CHECK_TRUE(bad, lists >= 10, "only %d non-empty lists found", lists);
    END_TABLE(bad);
}

static void test_max_words_known(void **state)
{
    const incmap_lexicon *lex = *state;
    /* "policy center for the new south" */
    assert_true(incmap_wordlist_max_words(incmap_lexicon_list(lex, "common", "organisations")) >= 6);
    /* "commune rurale de", "la région de" */
    assert_true(incmap_wordlist_max_words(incmap_lexicon_list(lex, "fr", "cues")) >= 3);
    assert_int_equal(incmap_wordlist_max_words(incmap_lexicon_list(lex, "fr", "titles")) >= 1, 1);
}

static void test_duplicates_first_wins(void **state)
{
    const incmap_lexicon *lex = *state;
    /* persons.txt lists "goïta" and "goita": one key after normalisation. */
    const incmap_wordlist *w = incmap_lexicon_list(lex, "common", "persons");
    size_t n = incmap_wordlist_size(w), seen = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k, *v;
        incmap_wordlist_entry(w, i, &k, &v);
        seen += strcmp(k, "goita") == 0;
    }
    assert_int_equal(seen, 1);
}

static void test_languages(void **state)
{
    const incmap_lexicon *lex = *state;
    int fr = 0, en = 0, es = 0, common = 0;
    for (const char *const *l = incmap_lexicon_languages(lex); *l; l++) {
        fr += !strcmp(*l, "fr");
        en += !strcmp(*l, "en");
        es += !strcmp(*l, "es");
        common += !strcmp(*l, "common");
    }
    assert_int_equal(fr, 1);
    assert_int_equal(en, 1);
    assert_int_equal(es, 1);
    assert_int_equal(common, 0);
    assert_true(incmap_n_embedded_files > 0);
}

static void test_two_lexicons_independent(void **state)
{
    (void)state;
    incmap_error err;
    incmap_lexicon *a = incmap_lexicon_new(&err), *b = incmap_lexicon_new(&err);
    assert_non_null(a);
    assert_non_null(b);
    incmap_lexicon_destroy(a);
    assert_non_null(incmap_wordlist_get(incmap_lexicon_list(b, "fr", "cues"), "region de", 9));
    incmap_lexicon_destroy(b);
    incmap_lexicon_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_table),
        cmocka_unit_test(test_get_uses_keylen),
        cmocka_unit_test(test_missing_list_is_empty),
        cmocka_unit_test(test_every_list_normalised),
        cmocka_unit_test(test_max_words_known),
        cmocka_unit_test(test_duplicates_first_wins),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_two_lexicons_independent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
