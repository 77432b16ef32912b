/* util.h: the small pieces every module uses: errors, an arena, a growable string, arrays. */
#ifndef INCMAP_UTIL_H
#define INCMAP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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
void incmap_buf_append(incmap_buf *b, const char *s, size_t n);
void incmap_buf_puts(incmap_buf *b, const char *s);
void incmap_buf_putc(incmap_buf *b, char c);
void incmap_buf_printf(incmap_buf *b, const char *fmt, ...) INCMAP_PRINTF(2, 3);
void incmap_buf_clear(incmap_buf *b);
void incmap_buf_free(incmap_buf *b);

/* Grows *items (of *cap elements of size elsize) to hold at least need; 0 on success. */
int incmap_grow(void *items, size_t *cap, size_t need, size_t elsize);

/* 64-bit FNV-1a; never returns 0 (0 marks an empty hash slot). */
uint64_t incmap_hash(const void *data, size_t n, uint64_t seed);


/* Levenshtein distance; strings are capped at 255 bytes each. */
int incmap_edit_distance(const char *a, size_t na, const char *b, size_t nb);

#endif
