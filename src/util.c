/* util.c: errors, arena, growable strings and file reading. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

incmap_status incmap_fail(incmap_error *err, incmap_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *incmap_status_name(incmap_status code)
{
    switch (code) {
    case INCMAP_OK: return "ok";
    case INCMAP_ERR_NOMEM: return "out of memory";
    case INCMAP_ERR_IO: return "I/O error";
    case INCMAP_ERR_ENCODING: return "encoding error";
    case INCMAP_ERR_FORMAT: return "format error";
    case INCMAP_ERR_GAZETTEER: return "gazetteer error";
    case INCMAP_ERR_DB: return "database error";
    case INCMAP_ERR_USAGE: return "usage error";
    case INCMAP_ERR_LIMIT: return "limit exceeded";
    }
    return "unknown error";
}

/* ---------------------------------------------------------------- arena */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
} arena_block;

struct incmap_arena {
    arena_block *head;
};

incmap_arena *incmap_arena_new(void)
{
    return calloc(1, sizeof(incmap_arena));
}

void incmap_arena_destroy(incmap_arena *a)
{
    if (!a)
        return;
    for (arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

/* n bytes of the arena, not zeroed. */
static void *arena_take(incmap_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > 65536 ? n : 65536;
        b = malloc(sizeof(arena_block) + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        /* A large allocation gets its own block behind the current one, so the current
         * block's free space is not wasted. */
        if (a->head && n > 65536) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void *incmap_arena_alloc(incmap_arena *a, size_t n)
{
    void *p = arena_take(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *incmap_arena_strndup(incmap_arena *a, const char *s, size_t n)
{
    char *p = arena_take(a, n + 1); /* every byte written below */
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

char *incmap_arena_strdup(incmap_arena *a, const char *s)
{
    return incmap_arena_strndup(a, s ? s : "", s ? strlen(s) : 0);
}

char *incmap_arena_printf(incmap_arena *a, const char *fmt, ...)
{
    /* One pass into a local buffer for the usual short text; measuring first doubled the cost. */
    char local[256];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(local, sizeof local, fmt, ap);
    va_end(ap);
    char *p = n >= 0 ? incmap_arena_alloc(a, (size_t)n + 1) : NULL;
    if (p && (size_t)n < sizeof local)
        memcpy(p, local, (size_t)n + 1);
    else if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

/* ---------------------------------------------------------------- buf */

static int buf_reserve(incmap_buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

void incmap_buf_reserve(incmap_buf *b, size_t n)
{
    if (b->oom || b->len + n + 1 <= b->cap || n > SIZE_MAX / 2)
        return;
    char *s = realloc(b->s, b->len + n + 1);
    if (!s)
        return; /* nothing lost: appends grow the buffer as they need */
    b->s = s;
    b->cap = b->len + n + 1;
}

char *incmap_buf_room_grow(incmap_buf *b, size_t n)
{
    return buf_reserve(b, n) ? NULL : b->s + b->len;
}

void incmap_buf_append_grow(incmap_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

void incmap_buf_printf(incmap_buf *b, const char *fmt, ...)
{
    /* One pass when the text fits in the room left (nearly always), a second one after growing
     * the buffer otherwise: measuring first doubled the cost of every call. */
    if (buf_reserve(b, 0))
        return;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->s + b->len, room, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= room &&
        (buf_reserve(b, (size_t)n) || vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2) != n))
        n = -1;
    va_end(ap2);
    if (n < 0)
        b->s[b->len] = 0; /* nothing appended: drop what a failed attempt wrote */
    else
        b->len += (size_t)n;
}

/* The last width decimal digits of v into out[0..width), zero-padded, written from the last
 * two at a time: JSON output prints a few numbers per place and per sentence, and a division
 * per digit cost more than the rest of the formatting. */
static void put_digits_width(char *out, unsigned long long v, size_t width)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char *p = out + width;
    for (; width >= 2; width -= 2, v /= 100) {
        p -= 2;
        memcpy(p, pairs + 2 * (v % 100), 2);
    }
    if (width)
        *--p = (char)('0' + v % 10);
}

/* Decimal digits of v into out (at least 20 bytes); returns their count. */
static size_t put_digits(char *out, unsigned long long v)
{
    size_t n = 1;
    for (unsigned long long x = v; x >= 10; x /= 10)
        n++;
    put_digits_width(out, v, n);
    return n;
}

#ifdef __SIZEOF_INT128__
static const uint64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
#endif

/* |v| * 10^decimals rounded to an integer as printf's "%.*f" rounds it (ties to even), into *q:
 * 1 when done, 0 outside the common case (|v| < 1e12, decimals <= 6) that it handles. */
static int fixed_digits(double v, int decimals, uint64_t *q)
{
#ifdef __SIZEOF_INT128__
    double a = fabs(v);
    if (isfinite(v) && a < 1e12 && decimals >= 0 && decimals <= 6) {
        /* a = mant / 2^shift exactly, so a * 10^decimals is num / 2^shift: its integer part and
         * the remainder decide the rounding exactly as printf's multi-precision digits do. */
        __extension__ typedef unsigned __int128 u128;
        uint64_t bits;
        memcpy(&bits, &a, sizeof bits);
        int biased = (int)(bits >> 52); /* a >= 0: no sign bit */
        uint64_t mant = bits & ((1ULL << 52) - 1);
        if (biased)
            mant |= 1ULL << 52;
        int shift = biased ? 1075 - biased : 1074; /* >= 12, as a < 2^40 */
        u128 num = (u128)mant * pow10[decimals];
        *q = 0; /* shift >= 128: a < 2^-74, which rounds to 0 */
        if (shift < 128) {
            *q = (uint64_t)(num >> shift);
            u128 rem = num - ((u128)*q << shift), half = (u128)1 << (shift - 1);
            if (rem > half || (rem == half && (*q & 1)))
                (*q)++;
        }
        return 1;
    }
#endif
    (void)v, (void)decimals, (void)q;
    return 0;
}

size_t incmap_format_fixed(char *out, double v, int decimals)
{
#ifdef __SIZEOF_INT128__
    uint64_t q;
    if (fixed_digits(v, decimals, &q)) {
        char *p = out;
        if (signbit(v))
            *p++ = '-'; /* as printf: "-0.00" for -0.001 */
        p += put_digits(p, q / pow10[decimals]);
        if (decimals) {
            *p++ = '.';
            put_digits_width(p, q % pow10[decimals], (size_t)decimals);
            p += decimals;
        }
        *p = 0;
        return (size_t)(p - out);
    }
#endif
    int n = snprintf(out, 48, "%.*f", decimals, v);
    return n < 0 ? 0 : (size_t)n;
}

size_t incmap_format_fixed_short(char *out, double v, int decimals)
{
#ifdef __SIZEOF_INT128__
    uint64_t q;
    if (fixed_digits(v, decimals, &q)) {
        /* the digits as incmap_format_fixed gives them, less the zeros at the end of the
         * decimals, without writing them first: the sign unless every digit is 0 ("-0") */
        uint64_t frac = q % pow10[decimals];
        char *p = out;
        if (signbit(v) && q)
            *p++ = '-';
        p += put_digits(p, q / pow10[decimals]);
        if (frac) {
            size_t n = (size_t)decimals;
            for (; frac % 10 == 0; frac /= 10)
                n--;
            *p++ = '.';
            put_digits_width(p, frac, n);
            p += n;
        }
        *p = 0;
        return (size_t)(p - out);
    }
#endif
    size_t n = incmap_format_fixed(out, v, decimals);
    if (decimals > 0 && n > 0 && n < 48) {
        while (out[n - 1] == '0')
            out[--n] = 0;
        if (out[n - 1] == '.')
            out[--n] = 0;
    }
    if (!strcmp(out, "-0"))
        strcpy(out, "0");
    return strlen(out); /* not n: snprintf's "%.*f" of 1e300 was cut at 47 bytes */
}

size_t incmap_format_uint(char *out, unsigned long long v)
{
    return put_digits(out, v);
}

size_t incmap_format_int(char *out, long long v)
{
    if (v >= 0)
        return put_digits(out, (unsigned long long)v);
    *out = '-';
    return 1 + put_digits(out + 1, 0ULL - (unsigned long long)v);
}

void incmap_buf_put_fixed(incmap_buf *b, double v, int decimals)
{
    if (buf_reserve(b, 48))
        return;
    size_t n = incmap_format_fixed(b->s + b->len, v, decimals);
    if (n < 48)
        b->len += n;
    else
        incmap_buf_printf(b, "%.*f", decimals, v); /* 1e300 has 301 digits */
}

void incmap_buf_put_uint(incmap_buf *b, unsigned long long v)
{
    if (buf_reserve(b, 20))
        return;
    b->len += put_digits(b->s + b->len, v);
    b->s[b->len] = 0;
}

void incmap_buf_put_int(incmap_buf *b, long long v)
{
    if (v < 0)
        incmap_buf_putc(b, '-');
    incmap_buf_put_uint(b, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
}

void incmap_buf_clear(incmap_buf *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = 0;
}

void incmap_buf_free(incmap_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

int incmap_grow(void *items, size_t *cap, size_t need, size_t elsize)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*(void **)items, n * elsize);
    if (!p)
        return -1;
    *(void **)items = p;
    *cap = n;
    return 0;
}

uint64_t incmap_hash(const void *data, size_t n, uint64_t seed)
{
    return incmap_hash_finish(incmap_hash_update(incmap_hash_start(seed), data, n));
}

incmap_status incmap_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len,
                               incmap_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return incmap_fail(err, INCMAP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 65536, len = 0;
    char *s = malloc(cap);
    incmap_status rc = INCMAP_OK;
    if (!s)
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", path);
    while (rc == INCMAP_OK) {
        if (len + 1 >= cap) {
            char *t = realloc(s, cap * 2);
            if (!t) {
                rc = incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory after %zu bytes", path, len);
                break;
            }
            s = t;
            cap *= 2;
        }
        size_t n = fread(s + len, 1, cap - len - 1, f);
        len += n;
        if (max_bytes && len > max_bytes) {
            rc = incmap_fail(err, INCMAP_ERR_LIMIT,
                             "%s: larger than the %zu-byte limit (raise it with --max-bytes)", path,
                             max_bytes);
            break;
        }
        if (n == 0) {
            if (ferror(f))
                rc = incmap_fail(err, INCMAP_ERR_IO, "%s: read error after %zu bytes: %s", path, len,
                                 strerror(errno));
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (rc != INCMAP_OK) {
        free(s);
        return rc;
    }
    s[len] = 0;
    *out = s;
    *out_len = len;
    return INCMAP_OK;
}

int incmap_valid_date(const char *s)
{
    if (!s || strlen(s) != 10)
        return 0;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

int incmap_edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 255)
        na = 255;
    if (nb > 255)
        nb = 255;
    int row[256];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}
