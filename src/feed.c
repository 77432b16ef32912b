/* feed.c: JSON Lines feeds to article entries (see feed.h). Everything a line can hold is checked
 * here, once, so that what reaches the pipeline and the store is what every other input gives:
 * valid UTF-8 without NUL bytes, a date that is a date, a language the lexicons know. */
#include "feed.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "incmap.h"
#include "text.h"

/* The longest line an article under max_body bytes can take: JSON escapes a byte in at most 6
 * ("\u0001"), and the other fields are small. Longer lines are refused before cJSON builds a
 * tree of them. */
static size_t max_line(size_t max_body)
{
    size_t slack = 1u << 16;
    return max_body > (((size_t)-1) - slack) / 6 ? (size_t)-1 : 6 * max_body + slack;
}

/* "2025-07-15" or "2025-07-15T10:00:00Z": a calendar date, perhaps followed by a time. */
static int date_prefix(const char *s)
{
    char d[11];
    if (strlen(s) < 10 || (s[10] && s[10] != 'T' && s[10] != ' '))
        return 0;
    memcpy(d, s, 10);
    d[10] = 0;
    return incmap_valid_date(d);
}

static const char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* At most max bytes of s, cut at a character boundary: a quoted field in a message must stay
 * valid UTF-8 (s is). */
static int quote_len(const char *s, int max)
{
    int n = (int)strnlen(s, (size_t)max + 1);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* The first byte that cannot be in a JSON line: a control byte other than a tab (JSON escapes
 * them in strings, and allows none outside); len when there is none. A carriage return is one
 * too: only "\r\n" ends a line, and the splitter removed that one. */
static size_t first_control(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 && s[i] != '\t')
            return i;
    return len;
}

/* The offset of the first escaped NUL character ("\u0000") in the line, or len. C strings end
 * there, so a field holding one would lose the rest without a word. Escapes come in pairs, so
 * "\\u0000" (a backslash, then "u0000") is not one. */
static size_t first_escaped_nul(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && i + 6 <= len && !memcmp(s + i + 2, "0000", 4))
            return i;
        i++;
    }
    return len;
}

void incmap_feed_entry_free(incmap_feed_entry *e)
{
    if (!e)
        return;
    free(e->id);
    free(e->url);
    free(e->title);
    free(e->published);
    free(e->language);
    free(e->body);
    free(e);
}

/* The entry of a parsed object; NULL with why when a field is missing or wrong. */
static incmap_feed_entry *entry_of(const cJSON *o, size_t max_body, char *why, int *oom)
{
    char num[32];
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const char *ids = json_str(o, "id");
    if (!ids && cJSON_IsNumber(id)) {
        snprintf(num, sizeof num, "%.17g", id->valuedouble);
        ids = num;
    }
    const char *url = json_str(o, "url"), *text = json_str(o, "text"), *html = json_str(o, "html");
    const char *published = json_str(o, "published"), *lang = json_str(o, "language");
    const char *body = text ? text : html;
    if (!ids || !*ids)
        ids = url;
    if (!ids || !*ids) {
        snprintf(why, INCMAP_FEED_WHY, "no \"id\" (or \"url\") to recognise the article by on the next run");
        return NULL;
    }
    if (!body || !*body) {
        snprintf(why, INCMAP_FEED_WHY, "no \"text\" or \"html\" field with the article%s",
                 body ? " (it is empty)" : "");
        return NULL;
    }
    if (published && *published && !date_prefix(published)) {
        snprintf(why, INCMAP_FEED_WHY,
                 "\"published\" is \"%.*s\", not a date (YYYY-MM-DD, optionally followed by a time)",
                 quote_len(published, 40), published);
        return NULL;
    }
    size_t body_len = strlen(body);
    if (max_body && body_len > max_body) {
        snprintf(why, INCMAP_FEED_WHY, "its \"%s\" is %zu bytes, larger than the %zu-byte limit (--max-bytes)",
                 text ? "text" : "html", body_len, max_body);
        return NULL;
    }
    incmap_feed_entry *e = calloc(1, sizeof *e);
    if (!e)
        goto nomem;
    e->id = strdup(ids);
    e->url = url ? strdup(url) : NULL;
    const char *title = json_str(o, "title");
    e->title = title ? strdup(title) : NULL;
    e->published = published && *published ? strndup(published, 10) : NULL;
    /* Only the languages the lexicons know are forced; anything else is detected. */
    if (lang && (!strcasecmp(lang, "fr") || !strcasecmp(lang, "en") || !strcasecmp(lang, "es"))) {
        if ((e->language = strndup(lang, 2)))
            for (char *c = e->language; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        else
            goto nomem;
    }
    e->is_html = !text;
    e->body = strdup(body);
    if (!e->id || !e->body || (url && !e->url) || (title && !e->title) || (published && *published && !e->published))
        goto nomem;
    return e;
nomem:
    incmap_feed_entry_free(e);
    snprintf(why, INCMAP_FEED_WHY, "out of memory");
    *oom = 1;
    return NULL;
}

incmap_feed_entry *incmap_feed_parse_line(const char *line, size_t len, size_t max_body, char *why, int *oom)
{
    *oom = 0;
    why[0] = 0;
    if (max_body && len > max_line(max_body)) {
        snprintf(why, INCMAP_FEED_WHY,
                 "the line is %zu bytes, too long for an article under the %zu-byte limit (--max-bytes)", len,
                 max_body);
        return NULL;
    }
    size_t bad = first_control((const unsigned char *)line, len);
    if (bad < len) {
        snprintf(why, INCMAP_FEED_WHY,
                 "control byte 0x%02X at byte %zu of the line: JSON escapes them (is this a binary file?)",
                 (unsigned char)line[bad], bad);
        return NULL;
    }
    if ((bad = first_escaped_nul(line, len)) < len) {
        snprintf(why, INCMAP_FEED_WHY, "\\u0000 (a NUL character) at byte %zu of the line: article text has none",
                 bad);
        return NULL;
    }
    /* Not UTF-8: Windows-1252, as for article files (an export from an old system). Offsets in
     * messages stay those of the line's bytes. */
    incmap_text t = {0};
    const char *s = line;
    size_t n = len;
    if (!incmap_utf8_valid(line, len)) {
        incmap_error e = {0};
        if (incmap_text_decode(line, len, "the line", &t, &e) != INCMAP_OK) {
            *oom = e.code == INCMAP_ERR_NOMEM;
            snprintf(why, INCMAP_FEED_WHY, "%.200s", e.message);
            return NULL;
        }
        s = t.utf8;
        n = t.len;
    }
    const char *end = NULL;
#define LINE_OFFSET(off) (t.utf8 ? incmap_text_input_offset(&t, (off)) : (off))
    cJSON *o = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    size_t at = end && end >= s && end <= s + n ? (size_t)(end - s) : n;
    incmap_feed_entry *entry = NULL;
    if (!o) {
        snprintf(why, INCMAP_FEED_WHY, "not JSON (error at byte %zu of the line%s)", LINE_OFFSET(at),
                 at >= n ? ": cut short?" : "");
    } else if (!cJSON_IsObject(o)) {
        snprintf(why, INCMAP_FEED_WHY, "not a JSON object (an entry is {\"id\": ..., \"text\": ...})");
    } else {
        while (at < n && isspace((unsigned char)s[at]))
            at++;
        if (at < n)
            snprintf(why, INCMAP_FEED_WHY,
                     "more after the JSON object, at byte %zu of the line (one entry per line)",
                     LINE_OFFSET(at));
        else
            entry = entry_of(o, max_body, why, oom);
    }
#undef LINE_OFFSET
    cJSON_Delete(o);
    incmap_text_free(&t);
    return entry;
}

int incmap_feed_lines(const char *data, size_t len, const char *name, incmap_feed_line_fn fn, void *user,
                      incmap_error *err)
{
    const unsigned char *b = (const unsigned char *)data;
    incmap_text t = {0};
    /* UTF-16 with a byte-order mark, as some Windows tools export: converted whole, since its
     * line breaks are two bytes. The other encodings are settled line by line. */
    if (len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
        if (incmap_text_decode(data, len, name, &t, err) != INCMAP_OK)
            return -1;
        data = t.utf8;
        len = t.len;
    } else if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    int rc = 0;
    size_t line_no = 0;
    for (size_t i = 0; i < len && !rc;) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t j = nl ? (size_t)(nl - data) : len;
        size_t end = j;
        if (end > i && data[end - 1] == '\r')
            end--;
        line_no++;
        size_t k = i;
        while (k < end && (data[k] == ' ' || data[k] == '\t'))
            k++;
        if (k < end)
            rc = fn(user, line_no, data + i, end - i);
        i = j + 1;
    }
    incmap_text_free(&t);
    return rc;
}
