/* util.h: the small pieces every module uses: errors, an arena, a growable string, arrays. */
#ifndef INCMAP_UTIL_H
#define INCMAP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "incmap.h"

#if defined(__GNUC__)
#define INCMAP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define INCMAP_PRINTF(a, b)
#endif

/* Fills err (which may be NULL) and returns code, so callers can `return incmap_fail(...)`. */
incmap_status incmap_fail(incmap_error *err, incmap_status code, const char *fmt, ...) INCMAP_PRINTF(3, 4);

/* An arena: many small allocations freed at once. Used for everything a doc owns. */
typedef struct incmap_arena incmap_arena;
incmap_arena *incmap_arena_new(void);
void incmap_arena_destroy(incmap_arena *a);
void *incmap_arena_alloc(incmap_arena *a, size_t n); /* zeroed, 8-aligned; NULL when out of memory */
char *incmap_arena_strndup(incmap_arena *a, const char *s, size_t n);
char *incmap_arena_strdup(incmap_arena *a, const char *s);
char *incmap_arena_printf(incmap_arena *a, const char *fmt, ...) INCMAP_PRINTF(2, 3);

/* A growable NUL-terminated byte string. A zeroed struct is an empty string. */
typedef struct {
    char *s;
    size_t len, cap;
    int oom; /* set once an append failed; later appends are ignored */
} incmap_buf;
/* Appends when out of room (growing the buffer); the inline functions below handle the rest,
 * as appends run per character in normalisation and output. */
void incmap_buf_append_grow(incmap_buf *b, const char *s, size_t n);
static inline void incmap_buf_append(incmap_buf *b, const char *s, size_t n)
{
    if (b->len + n < b->cap && !b->oom) {
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = 0;
    } else {
        incmap_buf_append_grow(b, s, n);
    }
}
static inline void incmap_buf_puts(incmap_buf *b, const char *s)
{
    incmap_buf_append(b, s, strlen(s));
}
static inline void incmap_buf_putc(incmap_buf *b, char c)
{
    if (b->len + 1 < b->cap && !b->oom) {
        b->s[b->len++] = c;
        b->s[b->len] = 0;
    } else {
        incmap_buf_append_grow(b, &c, 1);
    }
}
/* Room for n more bytes and the NUL at the end of the string: where to write them, or NULL when
 * out of memory. A writer that knows a bound on what it appends (the JSON output, a member at a
 * time) then writes there without a check per byte, and ends with incmap_buf_done. */
char *incmap_buf_room_grow(incmap_buf *b, size_t n);
static inline char *incmap_buf_room(incmap_buf *b, size_t n)
{
    return b->len + n < b->cap && !b->oom ? b->s + b->len : incmap_buf_room_grow(b, n);
}
/* The string now ends at end (within the room given). */
static inline void incmap_buf_done(incmap_buf *b, char *end)
{
    b->len = (size_t)(end - b->s);
    *end = 0;
}
/* Makes room for n more bytes in one step, for a writer that knows about how much it will
 * append: growing by doubling from empty reallocates and copies the text again at each step.
 * Only a hint: when the room cannot be had, appends still grow the buffer as they need. */
void incmap_buf_reserve(incmap_buf *b, size_t n);
void incmap_buf_printf(incmap_buf *b, const char *fmt, ...) INCMAP_PRINTF(2, 3);
/* The same as incmap_buf_printf(b, "%.*f", decimals, v) and "%llu" / "%lld", without printf's
 * format parsing: the resolver's reasons and the JSON output print numbers per mention. */
void incmap_buf_put_fixed(incmap_buf *b, double v, int decimals);
void incmap_buf_put_uint(incmap_buf *b, unsigned long long v);
void incmap_buf_put_int(incmap_buf *b, long long v);
void incmap_buf_clear(incmap_buf *b);
void incmap_buf_free(incmap_buf *b);

/* Grows *items (of *cap elements of size elsize) to hold at least need; 0 on success. */
int incmap_grow(void *items, size_t *cap, size_t need, size_t elsize);

/* snprintf(out, 48, "%.*f", decimals, v) (out holds at least 48 bytes), returning the same
 * length: the same digits, correctly rounded (ties to even, as glibc), computed in integers for
 * the common case (|v| < 1e12, decimals <= 6) and by snprintf otherwise. */
size_t incmap_format_fixed(char *out, double v, int decimals);

/* incmap_format_fixed's text with the trailing zeros of the decimals dropped, and the point when
 * none is left ("14.35005", "1", "0.9"), and "0" for "-0": how the JSON output prints its numbers.
 * The same length returned. */
size_t incmap_format_fixed_short(char *out, double v, int decimals);

/* "%llu" and "%lld" into out (at least 21 bytes), returning the length; not NUL-terminated. */
size_t incmap_format_uint(char *out, unsigned long long v);
size_t incmap_format_int(char *out, long long v);

/* 64-bit FNV-1a; never returns 0 (0 marks an empty hash slot). */
uint64_t incmap_hash(const void *data, size_t n, uint64_t seed);

/* incmap_hash in steps, for keys that grow word by word (phrase and name look-ups probe "a",
 * "a b", "a b c"): incmap_hash(s, n, seed) is
 * incmap_hash_finish(incmap_hash_update(incmap_hash_start(seed), s, n)), and updates chain. */
static inline uint64_t incmap_hash_start(uint64_t seed)
{
    return 1469598103934665603ULL ^ seed;
}

static inline uint64_t incmap_hash_update(uint64_t state, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        state ^= p[i];
        state *= 1099511628211ULL;
    }
    return state;
}

static inline uint64_t incmap_hash_finish(uint64_t h)
{
    /* FNV's low bits are weak for power-of-two tables: finish with a murmur mix. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}

/* Levenshtein distance; strings are capped at 255 bytes each. */
int incmap_edit_distance(const char *a, size_t na, const char *b, size_t nb);

#endif
