/* test_util.c: errors, arena, growable strings, arrays, hashing, dates, file reading (util.h). */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "testing.h"
#include "util.h"

static void test_fail_fills_error(void **state)
{
    (void)state;
    incmap_error err = {0};
    assert_int_equal(incmap_fail(&err, INCMAP_ERR_IO, "%s:%d: gone", "a.txt", 7), INCMAP_ERR_IO);
    assert_int_equal(err.code, INCMAP_ERR_IO);
    assert_string_equal(err.message, "a.txt:7: gone");
    /* A NULL error is allowed. */
    assert_int_equal(incmap_fail(NULL, INCMAP_ERR_FORMAT, "x"), INCMAP_ERR_FORMAT);
    /* Long messages are truncated, not overflowed. */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    incmap_fail(&err, INCMAP_ERR_USAGE, "%s", big);
    assert_int_equal(strlen(err.message), sizeof err.message - 1);
    for (int c = INCMAP_OK; c <= INCMAP_ERR_LIMIT; c++)
        assert_non_null(incmap_status_name((incmap_status)c));
    assert_non_null(incmap_status_name((incmap_status)999));
}

static void test_arena(void **state)
{
    (void)state;
    incmap_arena *a = incmap_arena_new();
    assert_non_null(a);
    /* Many small zeroed, aligned allocations across several blocks. */
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)(i % 37) + 1;
        unsigned char *p = incmap_arena_alloc(a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(p[k], 0);
        memset(p, 0xAB, n);
    }
    /* A large allocation, bigger than a block, and small ones after it. */
    unsigned char *big = incmap_arena_alloc(a, 1 << 20);
    assert_non_null(big);
    assert_int_equal(big[0], 0);
    assert_int_equal(big[(1 << 20) - 1], 0);
    memset(big, 1, 1 << 20);
    char *s = incmap_arena_strdup(a, "Bandiagara");
    assert_string_equal(s, "Bandiagara");
    assert_string_equal(incmap_arena_strdup(a, NULL), "");
    assert_string_equal(incmap_arena_strndup(a, "Kidal, Gao", 5), "Kidal");
    assert_string_equal(incmap_arena_printf(a, "%s %d", "Tibi", 2), "Tibi 2");
    char *empty = incmap_arena_strndup(a, "", 0);
    assert_string_equal(empty, "");
    incmap_arena_destroy(a);
    incmap_arena_destroy(NULL);
}

static void test_buf(void **state)
{
    (void)state;
    incmap_buf b = {0};
    incmap_buf_clear(&b); /* on a zeroed buf */
    assert_int_equal(b.len, 0);
    incmap_buf_puts(&b, "Nioro");
    incmap_buf_putc(&b, ' ');
    incmap_buf_append(&b, "du Sahel!!", 8);
    assert_string_equal(b.s, "Nioro du Sahel");
    assert_int_equal(b.len, 14);
    incmap_buf_printf(&b, " %d km", 42);
    assert_string_equal(b.s, "Nioro du Sahel 42 km");
    incmap_buf_clear(&b);
    assert_string_equal(b.s, "");
    assert_int_equal(b.len, 0);
    /* Growth over many appends keeps the content and the terminator. */
    for (int i = 0; i < 10000; i++)
        incmap_buf_putc(&b, (char)('a' + i % 26));
    assert_int_equal(b.len, 10000);
    assert_int_equal(strlen(b.s), 10000);
    assert_int_equal(b.s[9999], 'a' + 9999 % 26);
    assert_int_equal(b.oom, 0);
    /* Binary bytes are kept. */
    incmap_buf_clear(&b);
    incmap_buf_append(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.s, "a\0b", 4);
    incmap_buf_free(&b);
    assert_null(b.s);
    assert_int_equal(b.len, 0);
}

/* incmap_format_fixed and the buf number writers against printf, on the values the outputs hold
 * (coordinates, scores, distances, ids) and on the hard cases: exact ties (0.125 to 2 decimals
 * rounds to even), carries (0.9999995), negative zero, tiny and huge values, NaN. */
static void check_fixed(int *bad, double v, int decimals)
{
    char want[512], got[512];
    int n = snprintf(want, sizeof want, "%.*f", decimals, v);
    size_t m = incmap_format_fixed(got, v, decimals);
    if ((size_t)n != m || (n < 48 && strcmp(want, got) != 0)) {
        print_error("%.17g to %d decimals: printf \"%s\" (%d), incmap_format_fixed \"%s\" (%zu)\n", v, decimals,
                    want, n, got, m);
        (*bad)++;
    }
    incmap_buf b = {0};
    incmap_buf_puts(&b, "x");
    incmap_buf_put_fixed(&b, v, decimals);
    if (!b.s || strcmp(b.s + 1, want) != 0 || b.len != (size_t)n + 1) {
        print_error("%.17g to %d decimals: printf \"%s\", incmap_buf_put_fixed \"%s\"\n", v, decimals, want,
                    b.s ? b.s + 1 : "(null)");
        (*bad)++;
    }
    incmap_buf_free(&b);
}

static void test_format_fixed(void **state)
{
    (void)state;
    int bad = 0;
    static const double table[] = {0,       -0.0,     0.5,        1.5,       2.5,       -2.5,      0.125,
                                   0.375,   -0.125,   0.9999995,  9.9999995, 99.995,    0.005,     0.015,
                                   0.025,   1e-7,     -1e-7,      5e-7,      -5e-7,     1e-300,    4.9e-324,
                                   14.35005, -3.61038, 179.999999, -180,      1e11,      999999999999.5,
                                   1e12,    1e15,     1e300,      -1e300,    2460489,   1e-20};
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        for (int d = 0; d <= 8; d++)
            check_fixed(&bad, table[i], d);
    check_fixed(&bad, NAN, 2);
    check_fixed(&bad, -INFINITY, 6);
    check_fixed(&bad, INFINITY, 0);
    /* Random doubles over the ranges that occur, and exact binary fractions, which are where
     * ties to even show. */
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 300000 && bad < 20; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double u = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
        int d = (int)(x % 7);
        switch (i % 5) {
        case 0: check_fixed(&bad, (u - 0.5) * 360, d); break;
        case 1: check_fixed(&bad, u * 2, d); break;
        case 2: check_fixed(&bad, ldexp((double)(x % 100000), -(int)(x >> 59)), d); break;
        case 3: check_fixed(&bad, (u - 0.5) * 2e12, d); break;
        default: check_fixed(&bad, (double)(int64_t)(x % 20000000) / 1000.0 - 10000, d); break;
        }
    }
    assert_int_equal(bad, 0);
    incmap_buf b = {0};
    incmap_buf_put_uint(&b, 0);
    incmap_buf_putc(&b, ' ');
    incmap_buf_put_uint(&b, 18446744073709551615ULL);
    incmap_buf_putc(&b, ' ');
    incmap_buf_put_int(&b, -9223372036854775807LL - 1);
    incmap_buf_putc(&b, ' ');
    incmap_buf_put_int(&b, 2460489);
    assert_string_equal(b.s, "0 18446744073709551615 -9223372036854775808 2460489");
    /* printf into a buffer that must grow in the middle of the text */
    incmap_buf_clear(&b);
    for (int i = 0; i < 2000; i++)
        incmap_buf_printf(&b, "%s %d;", "Nioro du Sahel", i);
    char want[64];
    snprintf(want, sizeof want, "%s %d;", "Nioro du Sahel", 1999);
    assert_int_equal(strlen(b.s), b.len);
    assert_string_equal(b.s + b.len - strlen(want), want);
    incmap_buf_free(&b);
}

static void test_grow(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < 1000; i++) {
        assert_int_equal(incmap_grow(&v, &cap, i + 1, sizeof *v), 0);
        assert_true(cap >= i + 1);
        v[i] = (int)i;
    }
    for (size_t i = 0; i < 1000; i++)
        assert_int_equal(v[i], (int)i);
    size_t before = cap;
    assert_int_equal(incmap_grow(&v, &cap, 10, sizeof *v), 0);
    assert_int_equal(cap, before);
    free(v);
}

static void test_hash(void **state)
{
    (void)state;
    /* Never 0 (0 marks an empty slot): try many short keys and seeds. */
    char key[16];
    for (uint64_t seed = 0; seed < 4; seed++)
        for (int i = 0; i < 200000; i++) {
            int n = snprintf(key, sizeof key, "%d", i);
            if (incmap_hash(key, (size_t)n, seed) == 0)
                fail_msg("incmap_hash(\"%s\", seed %llu) == 0", key, (unsigned long long)seed);
        }
    assert_int_not_equal(incmap_hash("", 0, 0), 0);
    assert_int_not_equal(incmap_hash(NULL, 0, 0), 0);
    /* Deterministic, seed-dependent, content-dependent. */
    assert_int_equal(incmap_hash("gao", 3, 0), incmap_hash("gao", 3, 0));
    assert_int_not_equal(incmap_hash("gao", 3, 0), incmap_hash("gao", 3, 1));
    assert_int_not_equal(incmap_hash("gao", 3, 0), incmap_hash("goa", 3, 0));
    assert_int_equal(incmap_hash("gao kidal", 3, 0), incmap_hash("gao", 3, 0));
}

static void test_valid_date_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int ok;
    } rows[] = {
        {"2025-07-15", 1}, {"2024-02-29", 1}, {"2000-02-29", 1}, {"1900-02-29", 0}, {"2023-02-29", 0},
        {"2100-02-29", 0}, {"2025-02-28", 1}, {"2025-04-31", 0}, {"2025-12-31", 1}, {"2025-13-01", 0},
        {"2025-00-10", 0}, {"2025-01-00", 0}, {"2025-1-15", 0},  {"2025/07/15", 0}, {"15-07-2025", 0},
        {"2025-07-15x", 0}, {"2025-07-1x", 0}, {"", 0},         {"0000-01-01", 0}, {"abcd-ef-gh", 0},
        {"2025-07-+1", 0}, {" 2025-07-1", 0}, {"2025- 7-15", 0},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++)
        CHECK_INT(bad, rows[i].s, rows[i].ok, incmap_valid_date(rows[i].s));
    CHECK_INT(bad, "(NULL)", 0, incmap_valid_date(NULL));
    END_TABLE(bad);
}

static void test_read_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/incmap-test-util-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/a.txt", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    /* Bigger than the first read buffer, with a NUL inside. */
    for (int i = 0; i < 100000; i++)
        fputc(i == 5 ? 0 : 'a' + i % 26, f);
    fclose(f);
    char *s = NULL;
    size_t n = 0;
    incmap_error err = {0};
    assert_int_equal(incmap_read_file(path, 0, &s, &n, &err), INCMAP_OK);
    assert_int_equal(n, 100000);
    assert_int_equal(s[5], 0);
    assert_int_equal(s[n], 0);
    assert_int_equal(s[99999], 'a' + 99999 % 26);
    free(s);
    assert_int_equal(incmap_read_file(path, 1000, &s, &n, &err), INCMAP_ERR_LIMIT);
    assert_non_null(strstr(err.message, path));
    unlink(path);
    assert_int_equal(incmap_read_file(path, 0, &s, &n, &err), INCMAP_ERR_IO);
    if (!strstr(err.message, path))
        fail_msg("error \"%s\" does not name %s", err.message, path);
    rmdir(dir);
}

static void test_edit_distance_table(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int d;
    } rows[] = {
        {"kitten", "sitting", 3}, {"", "abc", 3},         {"abc", "", 3},
        {"abc", "abc", 0},        {"flaw", "lawn", 2},    {"tinzaouaten", "tinzaouatine", 2},
        {"tiby", "tibi", 1},      {"segou", "sego", 1},   {"", "", 0},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        char label[80];
        snprintf(label, sizeof label, "%s / %s", rows[i].a, rows[i].b);
        CHECK_INT(bad, label, rows[i].d, incmap_edit_distance(rows[i].a, strlen(rows[i].a), rows[i].b, strlen(rows[i].b)));
        CHECK_INT(bad, label, rows[i].d, incmap_edit_distance(rows[i].b, strlen(rows[i].b), rows[i].a, strlen(rows[i].a)));
    }
    /* Long strings are capped at 255 bytes each, not overflowed. */
    char x[400], y[400];
    memset(x, 'a', sizeof x);
    memset(y, 'b', sizeof y);
    CHECK_INT(bad, "400 a / 400 b", 255, incmap_edit_distance(x, sizeof x, y, sizeof y));
    END_TABLE(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_fills_error), cmocka_unit_test(test_arena),
        cmocka_unit_test(test_buf),              cmocka_unit_test(test_grow),
        cmocka_unit_test(test_hash),             cmocka_unit_test(test_valid_date_table),
        cmocka_unit_test(test_read_file), cmocka_unit_test(test_edit_distance_table),
        cmocka_unit_test(test_format_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
