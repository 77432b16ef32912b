/* text.c: decoding, normalisation, tokens and sentences. */
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int incmap_utf8_decode(const unsigned char *s, size_t n, int32_t *cp)
{
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)(n > 4 ? 4 : n), &c);
    if (k <= 0)
        return 0;
    *cp = c;
    return (int)k;
}

int incmap_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        int k = p[i] < 0x80 ? 1 : incmap_utf8_decode(p + i, n - i, &cp);
        if (!k)
            return 0;
        i += (size_t)k;
    }
    return 1;
}

/* ---------------------------------------------------------------- decoding */

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the decoding reads eight bytes with the first the lowest");

/* Windows-1252's 0x80-0x9F; the five undefined bytes map to their Latin-1 C1 control. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static int is_binary_byte(unsigned char c)
{
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v';
}

/* Appends cp as UTF-8 and records, for each byte written, the input offset it came from. */
static int put_cp(incmap_text *t, size_t *cap, int32_t cp, size_t in_off)
{
    if (t->len + 5 > *cap) {
        size_t ncap = *cap * 2 + 16;
        char *u = realloc(t->utf8, ncap);
        if (!u)
            return -1;
        t->utf8 = u;
        size_t *m = realloc(t->in_off, ncap * sizeof(size_t));
        if (!m)
            return -1;
        t->in_off = m;
        *cap = ncap;
    }
    utf8proc_ssize_t k = utf8proc_encode_char(cp, (utf8proc_uint8_t *)t->utf8 + t->len);
    for (utf8proc_ssize_t i = 0; i < k; i++)
        t->in_off[t->len + (size_t)i] = in_off;
    t->len += (size_t)k;
    return 0;
}

static incmap_status decode_utf16(const unsigned char *b, size_t n, int big_endian, const char *name,
                                  incmap_text *t, incmap_error *err)
{
    size_t cap = n + 16;
    t->utf8 = malloc(cap);
    t->in_off = malloc(cap * sizeof(size_t));
    if (!t->utf8 || !t->in_off)
        return incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", name);
    t->encoding = big_endian ? "UTF-16BE" : "UTF-16LE";
    for (size_t i = 2; i < n;) {
        if (i + 1 >= n)
            return incmap_fail(err, INCMAP_ERR_ENCODING,
                               "%s: truncated UTF-16 text: odd final byte at offset %zu", name, i);
        uint32_t u = big_endian ? (uint32_t)(b[i] << 8 | b[i + 1]) : (uint32_t)(b[i + 1] << 8 | b[i]);
        size_t at = i;
        i += 2;
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (i + 1 >= n)
                return incmap_fail(err, INCMAP_ERR_ENCODING, "%s: unpaired UTF-16 surrogate at byte offset %zu",
                                   name, at);
            uint32_t lo = big_endian ? (uint32_t)(b[i] << 8 | b[i + 1]) : (uint32_t)(b[i + 1] << 8 | b[i]);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return incmap_fail(err, INCMAP_ERR_ENCODING, "%s: unpaired UTF-16 surrogate at byte offset %zu",
                                   name, at);
            i += 2;
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            return incmap_fail(err, INCMAP_ERR_ENCODING, "%s: unpaired UTF-16 surrogate at byte offset %zu", name,
                               at);
        }
        if (u < 0x80 && is_binary_byte((unsigned char)u))
            return incmap_fail(err, INCMAP_ERR_ENCODING,
                               "%s: control character U+%04X at byte offset %zu: not a text file", name, u, at);
        if (put_cp(t, &cap, (int32_t)u, at))
            return incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", name);
    }
    t->in_off[t->len] = n;
    t->utf8[t->len] = 0;
    return INCMAP_OK;
}

incmap_status incmap_text_decode(const char *bytes, size_t n, const char *name, incmap_text *out,
                                 incmap_error *err)
{
    const unsigned char *b = (const unsigned char *)bytes;
    incmap_text t = {0};
    incmap_status rc = INCMAP_OK;
    name = name ? name : "-";

    if (n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
        rc = decode_utf16(b, n, b[0] == 0xFE, name, &t, err);
        goto done;
    }
    size_t skip = (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) ? 3 : 0;

    /* Pass 1: is it valid UTF-8 text? Remember the first invalid sequence and any binary byte. */
    size_t bad = (size_t)-1;
    for (size_t i = skip; i < n;) {
        /* Printable ASCII, most of any article, eight bytes at a time: no byte has its high bit
         * set, and each (below 0x80) reaches it when 0x60 is added only if it is 0x20 or more.
         * Eight bytes that are not all so are left at the first that is not, not byte by byte:
         * the sums before it carry into no other byte, so its bit is the lowest set. */
        const uint64_t high = 0x8080808080808080ULL;
        for (uint64_t w; i + 8 <= n; i += 8) {
            memcpy(&w, b + i, 8);
            uint64_t other = (w | ~(w + 0x6060606060606060ULL)) & high;
            if (other) {
                i += (size_t)__builtin_ctzll(other) / 8;
                break;
            }
        }
        if (i >= n)
            break;
        if (b[i] >= 0x20 && b[i] < 0x80) {
            i++;
            continue;
        }
        if (b[i] < 0x80) {
            if (is_binary_byte(b[i])) {
                rc = incmap_fail(err, INCMAP_ERR_ENCODING,
                                 "%s: byte 0x%02X at offset %zu: this is a binary file, not text", name, b[i], i);
                goto done;
            }
            i++;
            continue;
        }
        int32_t cp;
        int k = incmap_utf8_decode(b + i, n - i, &cp);
        if (!k) {
            if (bad == (size_t)-1)
                bad = i;
            i++;
        } else {
            i += (size_t)k;
        }
    }
    if (bad == (size_t)-1) {
        t.utf8 = malloc(n - skip + 1);
        if (!t.utf8) {
            rc = incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", name);
            goto done;
        }
        memcpy(t.utf8, b + skip, n - skip);
        t.len = n - skip;
        t.utf8[t.len] = 0;
        t.encoding = skip ? "UTF-8 (BOM)" : "UTF-8";
        if (skip) {
            t.in_off = malloc((t.len + 1) * sizeof(size_t));
            if (!t.in_off) {
                rc = incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", name);
                goto done;
            }
            for (size_t i = 0; i <= t.len; i++)
                t.in_off[i] = i + skip;
        }
        goto done;
    }
    /* Not UTF-8. Text from old Windows or Latin-1 pages is the common case: every byte is a
     * character. A UTF-8 BOM followed by invalid bytes is a broken file, not Windows-1252. */
    if (skip) {
        rc = incmap_fail(err, INCMAP_ERR_ENCODING, "%s: invalid UTF-8 at byte offset %zu (after a UTF-8 BOM)",
                         name, bad);
        goto done;
    }
    size_t cap = n + n / 2 + 16;
    t.utf8 = malloc(cap);
    t.in_off = malloc(cap * sizeof(size_t));
    if (!t.utf8 || !t.in_off) {
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", name);
        goto done;
    }
    t.encoding = "windows-1252";
    for (size_t i = 0; i < n; i++) {
        int32_t cp = b[i] < 0x80 ? b[i] : b[i] < 0xA0 ? cp1252_high[b[i] - 0x80] : b[i];
        if (put_cp(&t, &cap, cp, i)) {
            rc = incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", name);
            goto done;
        }
    }
    t.in_off[t.len] = n;
    t.utf8[t.len] = 0;
done:
    if (rc != INCMAP_OK) {
        incmap_text_free(&t);
        return rc;
    }
    *out = t;
    return INCMAP_OK;
}

void incmap_text_free(incmap_text *t)
{
    free(t->utf8);
    free(t->in_off);
    memset(t, 0, sizeof *t);
}

size_t incmap_text_input_offset(const incmap_text *t, size_t off)
{
    if (off > t->len)
        off = t->len;
    return t->in_off ? t->in_off[off] : off;
}

/* ---------------------------------------------------------------- normalisation */

/* Letters that Unicode decomposition leaves alone but that readers treat as plain letters:
 * ligatures, and the open vowels and nasal of Manding orthographies (Sirakɔrɔla = Sirakorola). */
static const char *fold_special(int32_t cp)
{
    switch (cp) {
    case 0x00E6: return "ae";  /* æ */
    case 0x0153: return "oe";  /* œ */
    case 0x00F8: return "o";   /* ø */
    case 0x0111: return "d";   /* đ */
    case 0x0142: return "l";   /* ł */
    case 0x00F0: return "d";   /* ð */
    case 0x00FE: return "th";  /* þ */
    case 0x0131: return "i";   /* dotless i */
    case 0x025B: return "e";   /* ɛ */
    case 0x0254: return "o";   /* ɔ */
    case 0x014B: return "ng";  /* ŋ */
    case 0x0272: return "ny";  /* ɲ */
    case 0x0257: return "d";   /* ɗ */
    case 0x0253: return "b";   /* ɓ */
    case 0x01B4: return "y";   /* ƴ */
    case 0x0199: return "k";   /* ƙ */
    case 0x00DF: return "ss";  /* ß */
    }
    return NULL;
}

static int ascii_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_word_cp(int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    utf8proc_category_t c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

/* Appends one folded letter, after the space that separates it from the previous word when one
 * is due. The space waits for the letter: a word that folds to nothing (a lone combining accent)
 * must not leave a space behind, or the key would not match the same name written without it. */
static void put_folded(incmap_buf *out, size_t start_len, int *sep, const char *s, size_t n)
{
    if (*sep && out->len > start_len)
        incmap_buf_putc(out, ' ');
    *sep = 0;
    incmap_buf_append(out, s, n);
}

/* Appends the folded form of one word code point. Compatibility decomposition may yield
 * characters that are not letters ("⑴" is "(1)", "ͺ" a space and a mark): they separate words. */
static void fold_cp(int32_t cp, incmap_buf *out, size_t start_len, int *sep)
{
    if (cp < 0x80) {
        char c = (char)cp;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        put_folded(out, start_len, sep, &c, 1);
        return;
    }
    utf8proc_int32_t dec[16];
    int last = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(
        cp, dec, 16, UTF8PROC_CASEFOLD | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK, &last);
    if (k < 0 || k > 16)
        return;
    for (utf8proc_ssize_t i = 0; i < k; i++) {
        const char *special = fold_special(dec[i]);
        utf8proc_category_t c = utf8proc_category(dec[i]);
        if (special) {
            put_folded(out, start_len, sep, special, strlen(special));
        } else if (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME) {
            continue; /* a combining mark that decomposition left */
        } else if (!is_word_cp(dec[i])) {
            *sep = 1;
        } else {
            utf8proc_uint8_t enc[4];
            utf8proc_ssize_t m = utf8proc_encode_char(dec[i], enc);
            put_folded(out, start_len, sep, (const char *)enc, (size_t)m);
        }
    }
}

/* What fold_cp writes for the letters U+00C0..U+00FF (with the accents of French, Spanish and
 * Portuguese words, so most non-ASCII letters of an article), without decomposing each one
 * again; "" for × and ÷, which are not letters. */
static const char latin1_folded[64][3] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", /* À..Ï */
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss", /* Ð..ß */
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", /* à..ï */
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"}; /* ð..ÿ */

void incmap_normalize(const char *s, size_t n, incmap_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start_len = out->len;
    int sep = 0; /* a non-word character since the last letter written */
    for (size_t i = 0; i < n;) {
        int32_t cp;
        int k;
        if (p[i] < 0x80) {
            /* A run of ASCII letters and digits folds to itself in lower case: one append
             * (most words are ASCII, and this runs for every word of every article). */
            size_t j = i;
            while (j < n && ascii_alnum(p[j]))
                j++;
            if (j == i) {
                sep = 1;
                i++;
                continue;
            }
            if (sep && out->len > start_len)
                incmap_buf_putc(out, ' ');
            sep = 0;
            size_t at = out->len;
            incmap_buf_append(out, s + i, j - i);
            for (size_t c = at; c < out->len; c++)
                if (out->s[c] >= 'A' && out->s[c] <= 'Z')
                    out->s[c] = (char)(out->s[c] - 'A' + 'a');
            i = j;
            continue;
        } else if (!(k = incmap_utf8_decode(p + i, n - i, &cp))) {
            cp = 0xFFFD;
            k = 1;
        }
        i += (size_t)k;
        if (cp >= 0xC0 && cp <= 0xFF && latin1_folded[cp - 0xC0][0]) {
            const char *f = latin1_folded[cp - 0xC0];
            put_folded(out, start_len, &sep, f, f[1] ? 2 : 1);
        } else if (is_word_cp(cp)) {
            fold_cp(cp, out, start_len, &sep);
        } else {
            sep = 1;
        }
    }
}

/* ---------------------------------------------------------------- tokens and sentences */

const char *incmap_section_name(int section)
{
    switch (section) {
    case INCMAP_SECTION_HEADLINE: return "headline";
    case INCMAP_SECTION_BOILERPLATE: return "boilerplate";
    }
    return "body";
}

/* Appends the key of a word of ASCII letters and digits only, which is the word in lower case
 * (what incmap_normalize gives), and returns its hash: one pass over the bytes for most words
 * of an article instead of three. */
static uint64_t put_ascii_key(incmap_buf *norm, const char *s, size_t n)
{
    size_t at = norm->len;
    incmap_buf_append(norm, s, n);
    uint64_t h = incmap_hash_start(0);
    for (size_t c = at; c < norm->len; c++) {
        if (norm->s[c] >= 'A' && norm->s[c] <= 'Z')
            norm->s[c] = (char)(norm->s[c] - 'A' + 'a');
        h = incmap_hash_update(h, norm->s + c, 1);
    }
    return incmap_hash_finish(h);
}

/* The same for a word whose other letters are U+00C0..U+00FF (UTF-8 C3 80..C3 BF): the accented
 * words of French, Spanish and Portuguese, a good part of an article, folded by latin1_folded as
 * incmap_normalize does, without its decoding and its second pass to hash the key. Each letter
 * folds to at most its own bytes, so the key is written over room the word's bytes reserve. */
static uint64_t put_latin1_key(incmap_buf *norm, const char *s, size_t n)
{
    size_t at = norm->len;
    incmap_buf_append(norm, s, n);
    if (norm->oom)
        return 0;
    char *key = norm->s + at;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xC3) {
            const char *f = latin1_folded[(unsigned char)s[++i] - 0x80];
            key[len++] = f[0];
            if (f[1])
                key[len++] = f[1];
        } else {
            key[len++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
    }
    norm->len = at + len;
    norm->s[norm->len] = 0;
    return incmap_hash(key, len, 0);
}

/* What read_plain_word needs of a byte: 0 for anything but an ASCII letter or digit, else the
 * byte in lower case and its class. */
enum { AW_DIGIT = 0x100, AW_LOWER = 0x200, AW_UPPER = 0x400 };
#define AW(c)                                                                                          \
    ((c) >= '0' && (c) <= '9'   ? AW_DIGIT | (c)                                                       \
     : (c) >= 'a' && (c) <= 'z' ? AW_LOWER | (c)                                                       \
     : (c) >= 'A' && (c) <= 'Z' ? AW_UPPER | ((c) - 'A' + 'a')                                         \
                                : 0)
#define AW4(c) AW(c), AW((c) + 1), AW((c) + 2), AW((c) + 3)
#define AW16(c) AW4(c), AW4((c) + 4), AW4((c) + 8), AW4((c) + 12)
#define AW64(c) AW16(c), AW16((c) + 16), AW16((c) + 32), AW16((c) + 48)
static const uint16_t ascii_word[256] = {AW64(0), AW64(64)}; /* bytes >= 0x80: 0 */
#undef AW64
#undef AW16
#undef AW4
#undef AW

/* A word's key made as the word is read (read_plain_word): its length and hash. */
typedef struct {
    size_t len;
    uint64_t hash;
} plain_key;

/* Reads the word at p[i..n) when its letters are ASCII or U+00C0..U+00FF (UTF-8 C3 80..C3 BF),
 * as nearly all words of English, French and Spanish articles are: one pass classifies its
 * letters, writes its key (folded as incmap_normalize and latin1_folded do) just past the keys
 * in norm, without taking it in, and hashes it, where the general reading takes three. Each
 * letter folds to at most its own bytes. Returns the end of the word and sets *flags and *key;
 * 0 when the word goes on with another letter ("Łódź") or norm lacks the room, for the general
 * reading to do (the room: tokenize reserves a key's worth of bytes for the whole text). */
static size_t read_plain_word(incmap_buf *norm, const unsigned char *p, size_t i, size_t n, uint32_t *flags,
                              plain_key *key)
{
    if (norm->oom || norm->len + (n - i) >= norm->cap)
        return 0;
    char *out = norm->s + norm->len;
    size_t len = 0;
    uint64_t h = incmap_hash_start(0);
    unsigned seen = 0;
    size_t j = i;
    for (; j < n; j++) {
        unsigned e = ascii_word[p[j]];
        if (e) {
            unsigned char lower = (unsigned char)e;
            seen |= e;
            out[len++] = (char)lower;
            h = incmap_hash_update(h, &lower, 1);
            continue;
        }
        if (p[j] != 0xC3 || j + 1 >= n || p[j + 1] < 0x80 || p[j + 1] > 0xBF)
            break;
        unsigned cp = p[j + 1] + 0x40u; /* C3 80 is U+00C0 */
        if (cp == 0xD7 || cp == 0xF7)
            break; /* × and ÷ are no letters */
        seen |= cp <= 0xDE ? AW_UPPER : AW_LOWER; /* ß and à..ÿ are lower case */
        const char *f = latin1_folded[cp - 0xC0];
        size_t fn = f[1] ? 2 : 1;
        memcpy(out + len, f, fn);
        h = incmap_hash_update(h, out + len, fn);
        len += fn;
        j++;
    }
    int32_t cp;
    int k;
    if (j < n && p[j] >= 0x80 && (k = incmap_utf8_decode(p + j, n - j, &cp)) && is_word_cp(cp))
        return 0;
    uint32_t f = INCMAP_TOK_WORD;
    if (!(seen & (AW_LOWER | AW_UPPER))) {
        f |= INCMAP_TOK_NUM;
    } else {
        size_t a = i;
        while (ascii_word[p[a]] & AW_DIGIT) /* to the first letter ("2nd", "G5") */
            a++;
        if ((ascii_word[p[a]] & AW_UPPER) || (p[a] == 0xC3 && p[a + 1] + 0x40u <= 0xDE))
            f |= INCMAP_TOK_CAP;
        if (!(seen & AW_LOWER)) { /* capitals only: two letters make the word upper case */
            int uppers = 0;
            for (size_t c = a; c < j && uppers < 2; c++)
                uppers += (ascii_word[p[c]] & AW_UPPER) || p[c] == 0xC3;
            if (uppers >= 2)
                f |= INCMAP_TOK_UPPER;
        }
    }
    *flags = f;
    key->len = len;
    key->hash = incmap_hash_finish(h);
    return j;
}

/* How a word token's key is made: by its own folding (ASCII, Latin-1 words) or by
 * incmap_normalize (any other word); KEY_READY: read_plain_word wrote it. */
typedef enum { KEY_NONE, KEY_ASCII, KEY_LATIN1, KEY_NORMALIZE, KEY_READY } key_kind;

/* Reads any word at p[i..n) (p[i] starts one): returns its end, and sets *flags and how its key
 * is to be made. */
static size_t read_word(const unsigned char *p, size_t i, size_t n, uint32_t *flags_out, key_kind *kind)
{
    uint32_t flags = INCMAP_TOK_WORD | INCMAP_TOK_NUM;
    int letters = 0, uppers = 0, first_letter = 1, ascii = 1, latin1 = 1;
    while (i < n) {
        if (p[i] < 0x80) { /* ASCII: letters are Lu or Ll, digits Nd */
            if (!ascii_alnum(p[i]))
                break;
            if (p[i] > '9') {
                int up = p[i] <= 'Z';
                letters++;
                uppers += up;
                if (first_letter && up)
                    flags |= INCMAP_TOK_CAP;
                first_letter = 0;
                flags &= ~(uint32_t)INCMAP_TOK_NUM;
            }
            i++;
            continue;
        }
        int32_t cp;
        int kk = incmap_utf8_decode(p + i, n - i, &cp);
        if (!kk || !is_word_cp(cp))
            break;
        ascii = 0;
        latin1 &= cp >= 0xC0 && cp <= 0xFF;
        utf8proc_category_t c = utf8proc_category(cp);
        if (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) {
            int up = c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
            letters++;
            uppers += up;
            if (first_letter && up)
                flags |= INCMAP_TOK_CAP;
            first_letter = 0;
        }
        if (!(cp >= '0' && cp <= '9'))
            flags &= ~(uint32_t)INCMAP_TOK_NUM;
        i += (size_t)kk;
    }
    if (letters >= 2 && uppers == letters)
        flags |= INCMAP_TOK_UPPER;
    *flags_out = flags;
    *kind = ascii ? KEY_ASCII : latin1 ? KEY_LATIN1 : KEY_NORMALIZE;
    return i;
}

static int push_token(incmap_tokens *t, uint32_t start, uint32_t end, uint32_t flags, key_kind kind, const char *s,
                      const plain_key *ready)
{
    if (t->n == t->cap && incmap_grow(&t->tok, &t->cap, t->n + 1, sizeof *t->tok))
        return -1;
    incmap_token *k = &t->tok[t->n++];
    k->start = start;
    k->end = end;
    k->flags = flags;
    k->sentence = (int32_t)t->n_sent;
    k->norm_off = (uint32_t)t->norm.len;
    k->hash = 0;
    if (kind == KEY_READY) {
        k->hash = ready->hash;
        t->norm.len += ready->len;
        t->norm.s[t->norm.len] = 0;
    } else if (kind == KEY_ASCII) {
        k->hash = put_ascii_key(&t->norm, s + start, end - start);
    } else if (kind == KEY_LATIN1) {
        k->hash = put_latin1_key(&t->norm, s + start, end - start);
    } else if (kind == KEY_NORMALIZE) {
        incmap_normalize(s + start, end - start, &t->norm);
        if (t->norm.len > k->norm_off)
            k->hash = incmap_hash(t->norm.s + k->norm_off, t->norm.len - k->norm_off, 0);
    }
    k->norm_len = (uint32_t)(t->norm.len - k->norm_off);
    if (!k->norm_len)
        k->hash = 0; /* out of memory: no key */
    k->lex_word = 0;
    return t->norm.oom ? -1 : 0;
}

static int close_sentence(incmap_tokens *t, size_t first_tok, size_t end_tok)
{
    if (end_tok <= first_tok)
        return 0;
    if (incmap_grow(&t->sent, &t->cap_sent, t->n_sent + 1, sizeof *t->sent))
        return -1;
    incmap_span *sp = &t->sent[t->n_sent++];
    sp->start = t->tok[first_tok].start;
    sp->end = t->tok[end_tok - 1].end;
    sp->section = INCMAP_SECTION_BODY;
    return 0;
}

/* A period after a single capital ("M.", "J.") or after a number inside a date does not end
 * the sentence. */
static int is_abbreviation(const incmap_tokens *t, size_t word)
{
    const incmap_token *k = &t->tok[word];
    return (k->flags & INCMAP_TOK_CAP) && k->norm_len == 1;
}

incmap_status incmap_tokenize(const char *s, size_t n, incmap_tokens *t)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t sent_first = t->n;
    int hard_break = 0;  /* a line break or a run of spaces since the last token */
    int soft_break = 0;  /* a sentence-final punctuation mark since the last word */
    size_t last_word = (size_t)-1;
    size_t spaces = 0;
    if (n > UINT32_MAX)
        return INCMAP_ERR_LIMIT;
    t->lexicon = NULL; /* new tokens carry no lexicon marks */
    /* Room for the whole text at once rather than by doubling: the keys take about as many
     * bytes as the words, and articles have about one token per five bytes. Only a first
     * size: when it cannot be had, keys and tokens still grow as they come. */
    incmap_buf_reserve(&t->norm, n);
    (void)incmap_grow(&t->tok, &t->cap, t->n + n / 4 + 1, sizeof *t->tok);
    /* The keys' buffer exists even when no token is a word ("---", "©®"): incmap_tok_norm adds
     * offsets to it, and an offset added to NULL is undefined behaviour. */
    incmap_buf_append(&t->norm, "", 0);
    if (t->norm.oom)
        return INCMAP_ERR_NOMEM;

    for (size_t i = 0; i < n;) {
        int32_t cp;
        if (p[i] == ' ') { /* the most common byte, between most words */
            if (++spaces >= 3)
                hard_break = 1;
            i++;
            continue;
        }
        int k = 1;
        int word = ascii_word[p[i]] != 0; /* the next most common: an ASCII letter or digit */
        if (!word) {
            k = p[i] < 0x80 ? (cp = p[i], 1) : incmap_utf8_decode(p + i, n - i, &cp);
            if (!k) {
                cp = 0xFFFD;
                k = 1;
            }
            if (cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0x2028 || cp == 0x2029) {
                hard_break = 1;
                i += (size_t)k;
                continue;
            }
            if (cp == ' ' || cp == '\t' || cp == 0xA0 || cp == 0x202F || cp == 0x2009) {
                if (++spaces >= 3 || cp == '\t')
                    hard_break = 1;
                i += (size_t)k;
                continue;
            }
            word = is_word_cp(cp);
        }
        spaces = 0;
        size_t start = i;
        if (word) {
            uint32_t flags;
            plain_key key = {0, 0};
            key_kind kind = KEY_READY;
            size_t end = read_plain_word(&t->norm, p, i, n, &flags, &key);
            if (!end) {
                if (t->norm.s)
                    t->norm.s[t->norm.len] = 0; /* what read_plain_word wrote past the keys */
                end = read_word(p, i, n, &flags, &kind);
            }
            i = end;
            int boundary = hard_break || (soft_break && (flags & (INCMAP_TOK_CAP | INCMAP_TOK_NUM)) &&
                                          !(last_word != (size_t)-1 && is_abbreviation(t, last_word)));
            if (boundary && t->n > sent_first) {
                if (close_sentence(t, sent_first, t->n))
                    return INCMAP_ERR_NOMEM;
                sent_first = t->n;
            }
            if (t->n == sent_first)
                flags |= INCMAP_TOK_SENT_START;
            if (push_token(t, (uint32_t)start, (uint32_t)i, flags, kind, s, &key))
                return INCMAP_ERR_NOMEM;
            last_word = t->n - 1;
            hard_break = soft_break = 0;
        } else {
            i += (size_t)k;
            if (hard_break && t->n > sent_first) {
                if (close_sentence(t, sent_first, t->n))
                    return INCMAP_ERR_NOMEM;
                sent_first = t->n;
            }
            hard_break = 0;
            /* A sentence ends at a mark followed by white space or the end: not inside "2.5"
             * or "12.05.2024". */
            if ((cp == '.' || cp == '!' || cp == '?' || cp == 0x2026) &&
                (i >= n || p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t' || p[i] == '"' ||
                 p[i] == ')' || p[i] == 0xC2 /* NBSP, » */ || p[i] == 0xE2 /* ” ’ */))
                soft_break = 1;
            if (push_token(t, (uint32_t)start, (uint32_t)i, INCMAP_TOK_PUNCT, KEY_NONE, s, NULL))
                return INCMAP_ERR_NOMEM;
        }
    }
    if (close_sentence(t, sent_first, t->n))
        return INCMAP_ERR_NOMEM;
    return INCMAP_OK;
}

void incmap_tokens_free(incmap_tokens *t)
{
    free(t->tok);
    free(t->sent);
    incmap_buf_free(&t->norm);
    memset(t, 0, sizeof *t);
}
