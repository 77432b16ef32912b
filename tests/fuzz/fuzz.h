/* fuzz.h: what the libFuzzer harnesses (tests/fuzz/fuzz_*.c) share. Besides the sanitizers, each
 * harness checks the invariants that later stages rely on (offsets inside the input, valid UTF-8,
 * calendar dates): a broken invariant is a wrong answer today and an out-of-bounds read tomorrow,
 * so it aborts like a crash, and libFuzzer saves the input. */
#ifndef INCMAP_FUZZ_H
#define INCMAP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "text.h"

#define REQUIRE(cond)                                                                                         \
    do {                                                                                                      \
        if (!(cond)) {                                                                                        \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);                     \
            abort();                                                                                          \
        }                                                                                                     \
    } while (0)

/* The harness's parameters come from the last bytes of the input (as libFuzzer's
 * FuzzedDataProvider does), so that plain articles from the seed corpus stay readable. */
static inline unsigned fuzz_take_byte(const uint8_t **data, size_t *size)
{
    if (!*size)
        return 0;
    (*size)--;
    return (*data)[*size];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
