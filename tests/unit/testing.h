/* testing.h: what every unit test includes: cmocka, and checks for table-driven tests that
 * report every failing row (input, expected, actual) before failing the test, rather than
 * stopping at the first. Use:
 *
 *     int bad = 0;
 *     for (each row) CHECK_STR(bad, row.input, row.expected, actual);
 *     END_TABLE(bad);
 */
#ifndef INCMAP_TESTING_H
#define INCMAP_TESTING_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define CHECK_STR(bad, input, expected, actual)                                                                \
    do {                                                                                                      \
        const char *exp_ = (expected), *act_ = (actual);                                                      \
        if (!act_ || strcmp(exp_, act_) != 0) {                                                               \
            print_error("%s:%d: input   \"%s\"\n            expected \"%s\"\n            actual   \"%s\"\n",   \
                        __FILE__, __LINE__, (input), exp_, act_ ? act_ : "(null)");                          \
            (bad)++;                                                                                          \
        }                                                                                                     \
    } while (0)

#define CHECK_INT(bad, input, expected, actual)                                                                \
    do {                                                                                                      \
        long long exp_ = (long long)(expected), act_ = (long long)(actual);                                   \
        if (exp_ != act_) {                                                                                   \
            print_error("%s:%d: input   \"%s\"\n            expected %lld\n            actual   %lld\n",       \
                        __FILE__, __LINE__, (input), exp_, act_);                                             \
            (bad)++;                                                                                          \
        }                                                                                                     \
    } while (0)

/* A condition with a free-form explanation. */
#define CHECK_TRUE(bad, cond, ...)                                                                            \
    do {                                                                                                      \
        if (!(cond)) {                                                                                        \
            print_error("%s:%d: failed: %s\n            ", __FILE__, __LINE__, #cond);                       \
            print_error(__VA_ARGS__);                                                                         \
            print_error("\n");                                                                                \
            (bad)++;                                                                                          \
        }                                                                                                     \
    } while (0)

#define END_TABLE(bad)                                                                                        \
    do {                                                                                                      \
        if (bad)                                                                                              \
            fail_msg("%d row(s) failed (see above)", (bad));                                                  \
    } while (0)

#define N_ROWS(a) (sizeof(a) / sizeof *(a))

#include "incmap.h"

/* cmocka group setup/teardown for tests that geocode: a context on the bundled gazetteer of the
 * build (INCMAP_TEST_GAZETTEER) in *state. */
static inline int ctx_setup(void **state)
{
    incmap_options o = incmap_default_options();
    o.gazetteer_path = INCMAP_TEST_GAZETTEER;
    incmap_error err = {0};
    incmap_ctx *ctx = incmap_ctx_new(&o, &err);
    if (!ctx) {
        print_error("cannot open %s: %s\n", INCMAP_TEST_GAZETTEER, err.message);
        return -1;
    }
    *state = ctx;
    return 0;
}

static inline int ctx_teardown(void **state)
{
    incmap_ctx_destroy(*state);
    return 0;
}

#endif
