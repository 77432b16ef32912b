/* test_dates.c: date expressions to calendar dates, relative to a publication date. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dates.h"
#include "lexicon.h"

typedef struct {
    const char *lang, *published, *text;
    const char *date; /* expected YYYY-MM-DD of the first expression, "" when none */
    int precision;
} date_case;

static const date_case cases[] = {
    {"fr", "2025-06-02", "le 30 mai 2025", "2025-05-30", 1},
    {"fr", "2025-07-15", "Le 9 avril dernier, un drone", "2025-04-09", 1},
    {"fr", "2025-07-15", "Publié le 15 - 07 - 2025", "2025-07-15", 1},
    {"fr", "2025-07-15", "le 15/07/2025", "2025-07-15", 1},
    {"fr", "2025-07-15", "en septembre 2023", "2023-09-15", 3},
    {"fr", "2025-07-15", "En mai, des drones", "2025-05-15", 3},
    {"fr", "2025-06-02", "ont lancé vendredi matin", "2025-05-30", 1},
    {"fr", "2024-09-24", "Lundi, des familles", "2024-09-23", 1},
    {"fr", "2025-01-30", "hier aux environs", "2025-01-29", 1},
    {"fr", "2025-08-19", "la semaine dernière", "2025-08-11", 2},
    {"fr", "2025-01-30", "Le week-end dernier", "2025-01-25", 2},
    {"fr", "2025-06-03", "dimanche 1er juin", "2025-06-01", 1},
    {"fr", "2025-04-24", "le jeudi 17 avril", "2025-04-17", 1},
    {"en", "2025-05-13", "last Thursday when", "2025-05-08", 1},
    {"en", "2025-09-19", "on September 17 when", "2025-09-17", 1},
    {"en", "2025-09-19", "they may go", "", 0},
    {"es", "2025-07-15", "el pasado sábado", "2025-07-12", 1},
    {"es", "2025-05-14", "el pasado 11 de mayo", "2025-05-11", 1},
    {"fr", "2025-06-02", "sept personnes", "", 0},
    {"fr", "2025-06-01", "date 2025-06", "2025-06-01", 3},
};

static void test_date_table(void **state)
{
    (void)state;
    incmap_error err;
    incmap_lexicon *lex = incmap_lexicon_new(&err);
    assert_non_null(lex);
    int failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const date_case *k = &cases[i];
        incmap_tokens t = {0};
        assert_int_equal(incmap_tokenize(k->text, strlen(k->text), &t), INCMAP_OK);
        incmap_date_scanner sc = incmap_date_scanner_make(lex, k->lang, k->text, &t, incmap_days_parse(k->published));
        incmap_date_hit h[4];
        size_t n = incmap_dates_scan(&sc, 0, t.n, h, 4);
        char got[11] = "";
        int prec = 0;
        if (n) {
            incmap_days_format(h[0].days, got);
            prec = h[0].precision;
        }
        if (strcmp(got, k->date) || prec != k->precision) {
            fprintf(stderr, "%s [%s, published %s]: want %s/%d, got %s/%d\n", k->text, k->lang, k->published,
                    k->date, k->precision, got, prec);
            failed++;
        }
        incmap_tokens_free(&t);
    }
    incmap_lexicon_destroy(lex);
    assert_int_equal(failed, 0);
}

static void test_calendar_round_trip(void **state)
{
    (void)state;
    char out[11];
    long d = incmap_days_parse("2024-02-29");
    assert_true(d > 0);
    incmap_days_format(d, out);
    assert_string_equal(out, "2024-02-29");
    assert_int_equal(incmap_days_parse("2025-02-29"), -1);
    assert_int_equal(incmap_days_parse("1970-01-01"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_table),
        cmocka_unit_test(test_calendar_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
