/* html.c: web pages to article text (see html.h). One pass, no tree: the page is read left to
 * right, tags only switch what happens to the text that follows them. */
#include "html.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "text.h"

/* ------------------------------------------------------------------ character references */

typedef struct {
    const char *name;
    uint16_t cp;
    uint8_t legacy; /* browsers also decode it without the ';' */
} entity;

/* Latin-1 (all legacy), then the typographic and Latin Extended ones news sites use. Sorted by
 * name (strcmp) for bsearch. An unknown name is kept as written: no text is lost. */
static const entity ENTITIES[] = {
    {"AElig", 0xC6, 1},   {"Aacute", 0xC1, 1}, {"Acirc", 0xC2, 1},  {"Agrave", 0xC0, 1},  {"Aring", 0xC5, 1},
    {"Atilde", 0xC3, 1},  {"Auml", 0xC4, 1},   {"Ccedil", 0xC7, 1}, {"Dagger", 0x2021, 0}, {"ETH", 0xD0, 1},
    {"Eacute", 0xC9, 1},  {"Ecirc", 0xCA, 1},  {"Egrave", 0xC8, 1}, {"Euml", 0xCB, 1},    {"Iacute", 0xCD, 1},
    {"Icirc", 0xCE, 1},   {"Igrave", 0xCC, 1}, {"Iuml", 0xCF, 1},   {"Ntilde", 0xD1, 1},  {"OElig", 0x152, 0},
    {"Oacute", 0xD3, 1},  {"Ocirc", 0xD4, 1},  {"Ograve", 0xD2, 1}, {"Oslash", 0xD8, 1},  {"Otilde", 0xD5, 1},
    {"Ouml", 0xD6, 1},    {"Prime", 0x2033, 0}, {"Scaron", 0x160, 0}, {"THORN", 0xDE, 1}, {"Uacute", 0xDA, 1},
    {"Ucirc", 0xDB, 1},   {"Ugrave", 0xD9, 1}, {"Uuml", 0xDC, 1},   {"Yacute", 0xDD, 1},  {"Yuml", 0x178, 0},
    {"aacute", 0xE1, 1},  {"acirc", 0xE2, 1},  {"acute", 0xB4, 1},  {"aelig", 0xE6, 1},   {"agrave", 0xE0, 1},
    {"amp", '&', 1},      {"apos", '\'', 0},   {"aring", 0xE5, 1},  {"atilde", 0xE3, 1},  {"auml", 0xE4, 1},
    {"bdquo", 0x201E, 0}, {"brvbar", 0xA6, 1}, {"bull", 0x2022, 0}, {"ccedil", 0xE7, 1},  {"cedil", 0xB8, 1},
    {"cent", 0xA2, 1},    {"circ", 0x2C6, 0},  {"copy", 0xA9, 1},   {"curren", 0xA4, 1},  {"dagger", 0x2020, 0},
    {"darr", 0x2193, 0},  {"deg", 0xB0, 1},    {"divide", 0xF7, 1}, {"eacute", 0xE9, 1},  {"ecirc", 0xEA, 1},
    {"egrave", 0xE8, 1},  {"emsp", 0x2003, 0}, {"ensp", 0x2002, 0}, {"eth", 0xF0, 1},     {"euml", 0xEB, 1},
    {"euro", 0x20AC, 0},  {"fnof", 0x192, 0},  {"frac12", 0xBD, 1}, {"frac14", 0xBC, 1},  {"frac34", 0xBE, 1},
    {"gt", '>', 1},       {"hellip", 0x2026, 0}, {"iacute", 0xED, 1}, {"icirc", 0xEE, 1}, {"iexcl", 0xA1, 1},
    {"igrave", 0xEC, 1},  {"iquest", 0xBF, 1}, {"iuml", 0xEF, 1},   {"laquo", 0xAB, 1},   {"larr", 0x2190, 0},
    {"ldquo", 0x201C, 0}, {"lrm", 0x200E, 0},  {"lsaquo", 0x2039, 0}, {"lsquo", 0x2018, 0}, {"lt", '<', 1},
    {"macr", 0xAF, 1},    {"mdash", 0x2014, 0}, {"micro", 0xB5, 1}, {"middot", 0xB7, 1},  {"minus", 0x2212, 0},
    {"nbsp", 0xA0, 1},    {"ndash", 0x2013, 0}, {"not", 0xAC, 1},   {"ntilde", 0xF1, 1},  {"oacute", 0xF3, 1},
    {"ocirc", 0xF4, 1},   {"oelig", 0x153, 0}, {"ograve", 0xF2, 1}, {"oline", 0x203E, 0}, {"ordf", 0xAA, 1},
    {"ordm", 0xBA, 1},    {"oslash", 0xF8, 1}, {"otilde", 0xF5, 1}, {"ouml", 0xF6, 1},    {"para", 0xB6, 1},
    {"permil", 0x2030, 0}, {"plusmn", 0xB1, 1}, {"pound", 0xA3, 1}, {"prime", 0x2032, 0}, {"quot", '"', 1},
    {"raquo", 0xBB, 1},   {"rarr", 0x2192, 0}, {"rdquo", 0x201D, 0}, {"reg", 0xAE, 1},    {"rlm", 0x200F, 0},
    {"rsaquo", 0x203A, 0}, {"rsquo", 0x2019, 0}, {"sbquo", 0x201A, 0}, {"scaron", 0x161, 0}, {"sect", 0xA7, 1},
    {"shy", 0xAD, 1},     {"sup1", 0xB9, 1},   {"sup2", 0xB2, 1},   {"sup3", 0xB3, 1},    {"szlig", 0xDF, 1},
    {"thinsp", 0x2009, 0}, {"thorn", 0xFE, 1}, {"tilde", 0x2DC, 0}, {"times", 0xD7, 1},   {"trade", 0x2122, 0},
    {"uacute", 0xFA, 1},  {"uarr", 0x2191, 0}, {"ucirc", 0xFB, 1},  {"ugrave", 0xF9, 1},  {"uml", 0xA8, 1},
    {"uuml", 0xFC, 1},    {"yacute", 0xFD, 1}, {"yen", 0xA5, 1},    {"yuml", 0xFF, 1},    {"zwj", 0x200D, 0},
    {"zwnj", 0x200C, 0},
};

static int cmp_entity(const void *key, const void *e)
{
    return strcmp(key, ((const entity *)e)->name);
}

/* Windows-1252's 0x80-0x9F: HTML says &#150; means what the old code page put there. */
static const uint16_t C1_AS_CP1252[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

/* Reads a character reference at s[0] == '&'. Returns the bytes consumed and sets *cp, or 0
 * when it is not one (the '&' is then plain text). */
static size_t read_reference(const char *s, size_t n, int32_t *cp)
{
    size_t i = 1;
    if (i < n && s[i] == '#') {
        i++;
        int hex = i < n && (s[i] == 'x' || s[i] == 'X');
        if (hex)
            i++;
        size_t start = i;
        uint32_t v = 0;
        for (; i < n && (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i])); i++) {
            unsigned d = isdigit((unsigned char)s[i]) ? (unsigned)(s[i] - '0')
                                                      : (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);
            if (v < 0x110000)
                v = v * (hex ? 16 : 10) + d;
        }
        if (i == start)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            v = 0xFFFD;
        else if (v >= 0x80 && v <= 0x9F)
            v = C1_AS_CP1252[v - 0x80];
        *cp = (int32_t)v;
        return i;
    }
    char name[16];
    size_t k = 0;
    for (; i < n && k < sizeof name - 1 && isalnum((unsigned char)s[i]); i++)
        name[k++] = s[i];
    name[k] = 0;
    if (!k)
        return 0;
    const entity *e = bsearch(name, ENTITIES, sizeof ENTITIES / sizeof *ENTITIES, sizeof *ENTITIES, cmp_entity);
    if (!e)
        return 0;
    if (i < n && s[i] == ';')
        i++;
    else if (!e->legacy || (i < n && isalnum((unsigned char)s[i])))
        return 0;
    *cp = e->cp;
    return i;
}

/* ------------------------------------------------------------------ output */

typedef struct {
    incmap_buf *out;
    incmap_buf *title; /* NULL: the title is not wanted */
    int pending_space; /* white space seen since the last text */
    int pre;           /* inside <pre>: white space kept as it is */
    int suppress;      /* inside <svg>, <math>, <select>: nothing is shown */
    int in_title;
    int have_title;
} writer;

static void put_bytes(writer *w, const char *s, size_t n)
{
    incmap_buf *b = w->in_title ? w->title : w->out;
    if (!b)
        return;
    if (w->pending_space && b->len && b->s[b->len - 1] != '\n' && b->s[b->len - 1] != ' ' &&
        b->s[b->len - 1] != '\t')
        incmap_buf_putc(b, ' ');
    w->pending_space = 0;
    incmap_buf_append(b, s, n);
}

static void put_cp(writer *w, int32_t cp)
{
    utf8proc_uint8_t u[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, u);
    put_bytes(w, (const char *)u, (size_t)k);
}

/* A block boundary: lines newlines (1: a line break, 2: a blank line between paragraphs) at
 * the end of the text, without trailing spaces before them, and never at its start. */
static void put_break(writer *w, int lines)
{
    incmap_buf *b = w->out;
    w->pending_space = 0;
    if (w->in_title)
        return;
    while (b->len && (b->s[b->len - 1] == ' ' || b->s[b->len - 1] == '\t'))
        b->s[--b->len] = 0;
    if (!b->len)
        return;
    int have = 0;
    while (have < 2 && (size_t)have < b->len && b->s[b->len - 1 - (size_t)have] == '\n')
        have++;
    for (; have < lines; have++)
        incmap_buf_putc(b, '\n');
}

static void put_tab(writer *w)
{
    incmap_buf *b = w->out;
    w->pending_space = 0;
    if (w->in_title || !b->len || b->s[b->len - 1] == '\n' || b->s[b->len - 1] == '\t')
        return;
    while (b->len && b->s[b->len - 1] == ' ')
        b->s[--b->len] = 0;
    incmap_buf_putc(b, '\t');
}

/* ------------------------------------------------------------------ tags */

enum { T_INLINE, T_LINE, T_PARA, T_CELL, T_BR, T_RAW_DROP, T_TITLE, T_SUPPRESS, T_PRE };

typedef struct {
    const char *name;
    int kind;
} tag_kind;

/* Everything not listed is inline. Sorted by name for bsearch. */
static const tag_kind TAGS[] = {
    {"address", T_LINE},    {"article", T_PARA},  {"aside", T_PARA},     {"blockquote", T_PARA},
    {"body", T_LINE},       {"br", T_BR},         {"caption", T_LINE},   {"center", T_LINE},
    {"dd", T_LINE},         {"details", T_LINE},  {"dialog", T_LINE},    {"div", T_LINE},
    {"dl", T_PARA},         {"dt", T_LINE},       {"fieldset", T_LINE},  {"figcaption", T_LINE},
    {"figure", T_PARA},     {"footer", T_PARA},   {"form", T_LINE},      {"h1", T_PARA},
    {"h2", T_PARA},         {"h3", T_PARA},       {"h4", T_PARA},        {"h5", T_PARA},
    {"h6", T_PARA},         {"head", T_LINE},     {"header", T_PARA},    {"hgroup", T_LINE},
    {"hr", T_PARA},         {"html", T_LINE},     {"iframe", T_RAW_DROP}, {"legend", T_LINE},
    {"li", T_LINE},         {"main", T_PARA},     {"math", T_SUPPRESS},  {"menu", T_LINE},
    {"nav", T_PARA},        {"noembed", T_RAW_DROP}, {"noframes", T_RAW_DROP}, {"noscript", T_RAW_DROP},
    {"ol", T_PARA},         {"option", T_LINE},   {"p", T_PARA},         {"pre", T_PRE},
    {"script", T_RAW_DROP}, {"section", T_PARA},  {"select", T_SUPPRESS}, {"style", T_RAW_DROP},
    {"summary", T_LINE},    {"svg", T_SUPPRESS},  {"table", T_PARA},     {"tbody", T_LINE},
    {"td", T_CELL},         {"template", T_RAW_DROP}, {"textarea", T_RAW_DROP}, {"tfoot", T_LINE},
    {"th", T_CELL},         {"thead", T_LINE},    {"title", T_TITLE},    {"tr", T_LINE},
    {"ul", T_PARA},         {"xmp", T_RAW_DROP},
};

static int cmp_tag(const void *key, const void *t)
{
    return strcmp(key, ((const tag_kind *)t)->name);
}

static int tag_kind_of(const char *name)
{
    const tag_kind *t = bsearch(name, TAGS, sizeof TAGS / sizeof *TAGS, sizeof *TAGS, cmp_tag);
    return t ? t->kind : T_INLINE;
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == ':' || c == '_';
}

/* The end of a tag that starts at s[i] == '<': the index after its '>', skipping quoted
 * attribute values (which may hold '>'); n when the tag never closes. *self_closing is set for
 * "<br/>" style tags. */
static size_t tag_end(const char *s, size_t n, size_t i, int *self_closing)
{
    char quote = 0;
    char prev = 0;
    for (i++; i < n; i++) {
        char c = s[i];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            /* A quote opens a value only after '=' (with optional spaces), as in HTML. */
            if (prev == '=')
                quote = c;
        } else if (c == '>') {
            *self_closing = prev == '/';
            return i + 1;
        }
        if (!isspace((unsigned char)c))
            prev = c;
    }
    *self_closing = 0;
    return n;
}

/* Finds "</name" (any case) followed by white space, '/' or '>' from s[i]: the start of the
 * element's end tag, or n when there is none (the content then runs to the end, as in browsers). */
static size_t find_end_tag(const char *s, size_t n, size_t i, const char *name)
{
    size_t k = strlen(name);
    for (; i + 2 + k <= n; i++) {
        if (s[i] != '<' || s[i + 1] != '/' || strncasecmp(s + i + 2, name, k) != 0)
            continue;
        size_t j = i + 2 + k;
        if (j == n || isspace((unsigned char)s[j]) || s[j] == '/' || s[j] == '>')
            return i;
    }
    return n;
}

static void block(writer *w, int kind)
{
    if (kind == T_PARA || kind == T_PRE)
        put_break(w, 2);
    else if (kind == T_LINE || kind == T_BR)
        put_break(w, 1);
    else if (kind == T_CELL)
        put_tab(w);
}

/* Text between tags: white space collapsed (outside <pre>), references decoded. */
static void text_run(writer *w, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            if (w->pre && !w->in_title) {
                if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
                    i++;
                    continue;
                }
                put_bytes(w, c == '\r' || c == '\f' ? "\n" : (const char *)&s[i], 1);
            } else {
                w->pending_space = 1;
            }
            i++;
            continue;
        }
        if (c == '&') {
            int32_t cp;
            size_t k = read_reference(s + i, n - i, &cp);
            if (k) {
                put_cp(w, cp);
                i += k;
                continue;
            }
        }
        size_t j = i + 1;
        while (j < n && s[j] != '&' && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' &&
               s[j] != '\f')
            j++;
        put_bytes(w, s + i, j - i);
        i = j;
    }
}

incmap_status incmap_html_utf8_to_text(const char *s, size_t n, incmap_buf *text, incmap_buf *title)
{
    writer w = {0};
    w.out = text;
    w.title = title;
    size_t i = 0;
    while (i < n) {
        /* The text up to the next thing that can start markup. */
        size_t j = i;
        while (j < n && s[j] != '<')
            j++;
        if (j > i && !w.suppress)
            text_run(&w, s + i, j - i);
        i = j;
        if (i >= n)
            break;
        if (n - i >= 4 && !memcmp(s + i, "<!--", 4)) {
            const char *e = NULL;
            for (size_t k = i + 4; k + 3 <= n; k++)
                if (!memcmp(s + k, "-->", 3)) {
                    e = s + k + 3;
                    break;
                }
            /* Like a browser: "Bandia<!-- -->gara" is one word. */
            i = e ? (size_t)(e - s) : n;
            continue;
        }
        if (n - i >= 9 && !memcmp(s + i, "<![CDATA[", 9)) {
            size_t k = i + 9;
            while (k + 3 <= n && memcmp(s + k, "]]>", 3))
                k++;
            size_t end = k + 3 <= n ? k : n;
            if (!w.suppress)
                put_bytes(&w, s + i + 9, end - (i + 9));
            i = end + 3 <= n ? end + 3 : n;
            continue;
        }
        int closing = i + 1 < n && s[i + 1] == '/';
        size_t name_at = i + 1 + (size_t)closing;
        if (i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '?')) {
            /* A doctype, a processing instruction or a bogus comment: no text. */
            int sc;
            i = tag_end(s, n, i, &sc);
            continue;
        }
        if (name_at >= n || !isalpha((unsigned char)s[name_at])) {
            /* "a < b", "<3": a plain character. */
            if (!w.suppress)
                put_bytes(&w, "<", 1);
            i++;
            continue;
        }
        char name[16];
        size_t k = 0, p = name_at;
        for (; p < n && is_name_char(s[p]); p++)
            if (k < sizeof name - 1)
                name[k++] = (char)tolower((unsigned char)s[p]);
        name[k] = 0;
        int self_closing;
        size_t after = tag_end(s, n, i, &self_closing);
        int kind = tag_kind_of(name);
        i = after;
        if (kind == T_SUPPRESS) {
            if (closing) {
                if (w.suppress)
                    w.suppress--;
            } else if (!self_closing) {
                w.suppress++;
            }
            continue;
        }
        if (w.suppress)
            continue;
        if (closing) {
            if (kind == T_PRE && w.pre)
                w.pre--;
            /* A stray </script> or </title> shows nothing; </br> is a <br>, as in browsers. */
            if (kind != T_RAW_DROP && kind != T_TITLE)
                block(&w, kind);
            continue;
        }
        if (kind == T_RAW_DROP || kind == T_TITLE) {
            if (self_closing)
                continue;
            size_t end = find_end_tag(s, n, i, name);
            if (kind == T_TITLE && !w.have_title && w.title) {
                int pending = w.pending_space;
                w.pending_space = 0;
                w.in_title = 1;
                text_run(&w, s + i, end - i);
                w.in_title = 0;
                w.have_title = 1;
                w.pending_space = pending;
            }
            i = end < n ? tag_end(s, n, end, &self_closing) : n;
            continue;
        }
        block(&w, kind);
        if (kind == T_PRE && !self_closing)
            w.pre++;
    }
    /* No trailing white space, one final line end. */
    while (text->len && (text->s[text->len - 1] == '\n' || text->s[text->len - 1] == ' ' ||
                         text->s[text->len - 1] == '\t'))
        text->s[--text->len] = 0;
    if (text->len)
        incmap_buf_putc(text, '\n');
    if (title)
        while (title->len && title->s[title->len - 1] == ' ')
            title->s[--title->len] = 0;
    return text->oom || (title && title->oom) ? INCMAP_ERR_NOMEM : INCMAP_OK;
}

incmap_status incmap_html_to_text(const char *bytes, size_t len, const char *name, incmap_buf *text,
                                  incmap_buf *title, incmap_error *err)
{
    incmap_text t = {0};
    incmap_status rc = incmap_text_decode(bytes, len, name, &t, err);
    if (rc != INCMAP_OK)
        return rc;
    rc = incmap_html_utf8_to_text(t.utf8, t.len, text, title);
    incmap_text_free(&t);
    if (rc != INCMAP_OK)
        return incmap_fail(err, rc, "%s: out of memory converting HTML to text", name ? name : "-");
    return INCMAP_OK;
}

int incmap_html_sniff(const char *bytes, size_t len)
{
    static const char *const STARTS[] = {"<!doctype html", "<html", "<head", "<body", "<meta", "<title",
                                         "<!--",           "<div",  "<p>",   "<p ",   "<article", "<h1"};
    size_t i = 0;
    if (len >= 3 && !memcmp(bytes, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < len && isspace((unsigned char)bytes[i]))
        i++;
    for (size_t k = 0; k < sizeof STARTS / sizeof *STARTS; k++) {
        size_t m = strlen(STARTS[k]);
        if (len - i >= m && !strncasecmp(bytes + i, STARTS[k], m))
            return 1;
    }
    return 0;
}
