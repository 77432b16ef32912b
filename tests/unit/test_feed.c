/* test_feed.c: JSON Lines feed lines to entries (feed.h): what a good line gives, and what every
 * kind of broken line is refused with (the reason, and where in the line). The whole-run
 * behaviour (a broken line in the middle, the rest coded) is tests/cli/test_hostile.sh's. */
#include <stdlib.h>

#include "feed.h"
#include "testing.h"

/* A byte string literal with its length (it may contain NUL bytes). */
#define B(lit) lit, sizeof(lit) - 1

typedef struct {
    const char *label;
    const char *in;
    size_t n;
    size_t max_body;
    /* a good line: "id|body|title|published|language|html" with "-" for NULL */
    const char *entry;
    const char *why; /* a refused line: what its reason says */
} line_row;

static const line_row line_rows[] = {
    {"every field", B("{\"id\":\"a1\",\"url\":\"https://x.org/1\",\"title\":\"T\",\"published\":\"2025-07-15T10:00:00Z\","
                      "\"language\":\"fr\",\"text\":\"Kati\"}"),
     0, "a1|Kati|T|2025-07-15|fr|0", NULL},
    {"html instead of text", B("{\"id\":\"a2\",\"html\":\"<p>Gao</p>\"}"), 0, "a2|<p>Gao</p>|-|-|-|1", NULL},
    {"a numeric id", B("{\"id\":17,\"text\":\"x\"}"), 0, "17|x|-|-|-|0", NULL},
    {"the url when there is no id", B("{\"url\":\"u\",\"text\":\"x\"}"), 0, "u|x|-|-|-|0", NULL},
    {"a language in capitals is lower-cased", B("{\"id\":\"a\",\"language\":\"EN\",\"text\":\"x\"}"), 0,
     "a|x|-|-|en|0", NULL},
    {"an unknown language is left to detection", B("{\"id\":\"a\",\"language\":\"pt\",\"text\":\"x\"}"), 0,
     "a|x|-|-|-|0", NULL},
    {"escapes decoded", B("{\"id\":\"a\",\"text\":\"Tomboua \\u00e0 S\\u00e9gou \\ud83d\\ude00\"}"), 0,
     "a|Tomboua \xc3\xa0 S\xc3\xa9gou \xf0\x9f\x98\x80|-|-|-|0", NULL},
    {"an escaped backslash before u0000 is not a NUL", B("{\"id\":\"a\",\"text\":\"x\\\\u0000\"}"), 0,
     "a|x\\u0000|-|-|-|0", NULL},
    {"Windows-1252 bytes are read as such", B("{\"id\":\"a\",\"text\":\"S\xe9gou \x80\"}"), 0,
     "a|S\xc3\xa9gou \xe2\x82\xac|-|-|-|0", NULL},
    {"SQL and a path in the id are kept verbatim", B("{\"id\":\"../../etc/x'; DROP TABLE inputs;--\",\"text\":\"x\"}"),
     0, "../../etc/x'; DROP TABLE inputs;--|x|-|-|-|0", NULL},
    {"a body at the limit", B("{\"id\":\"a\",\"text\":\"12345\"}"), 5, "a|12345|-|-|-|0", NULL},

    {"cut short", B("{\"id\":\"a\",\"text\":\"Une attaque"), 0, NULL, "not JSON (error at byte"},
    {"not an object", B("[1, 2]"), 0, NULL, "not a JSON object"},
    {"two objects on a line", B("{\"id\":\"a\",\"text\":\"x\"} {\"id\":\"b\"}"), 0, NULL,
     "more after the JSON object, at byte 22 of the line"},
    {"no id nor url", B("{\"text\":\"x\"}"), 0, NULL, "no \"id\" (or \"url\")"},
    {"an empty id", B("{\"id\":\"\",\"text\":\"x\"}"), 0, NULL, "no \"id\" (or \"url\")"},
    {"no text", B("{\"id\":\"a\",\"title\":\"x\"}"), 0, NULL, "no \"text\" or \"html\""},
    {"an empty text", B("{\"id\":\"a\",\"text\":\"\"}"), 0, NULL, "(it is empty)"},
    {"text that is not a string", B("{\"id\":\"a\",\"text\":42}"), 0, NULL, "no \"text\" or \"html\""},
    {"a date that is not one", B("{\"id\":\"a\",\"published\":\"2025-02-30\",\"text\":\"x\"}"), 0, NULL,
     "\"published\" is \"2025-02-30\", not a date"},
    {"a NUL escape", B("{\"id\":\"a\",\"text\":\"Kati\\u0000Gao\"}"), 0, NULL, "\\u0000 (a NUL character) at byte 22"},
    {"a raw NUL byte", B("{\"id\":\"a\",\"text\":\"Kati\0Gao\"}"), 0, NULL, "control byte 0x00 at byte 22"},
    {"a raw control byte", B("{\"id\":\"a\",\"text\":\"\x01\"}"), 0, NULL, "control byte 0x01 at byte 18"},
    {"a lone surrogate escape", B("{\"id\":\"a\",\"text\":\"\\udc00\"}"), 0, NULL, "not JSON"},
    {"over the limit", B("{\"id\":\"a\",\"text\":\"123456\"}"), 5, NULL, "6 bytes, larger than the 5-byte limit"},
};

/* "id|body|title|published|language|html" of an entry. */
static void describe(const incmap_feed_entry *e, char *out, size_t n)
{
#define F(s) ((s) ? (s) : "-")
    snprintf(out, n, "%s|%s|%s|%s|%s|%d", e->id, e->body, F(e->title), F(e->published), F(e->language), e->is_html);
#undef F
}

static void test_lines_table(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(line_rows); i++) {
        const line_row *r = &line_rows[i];
        char why[INCMAP_FEED_WHY], got[512];
        int oom = 0;
        incmap_feed_entry *e = incmap_feed_parse_line(r->in, r->n, r->max_body, why, &oom);
        CHECK_TRUE(bad, !oom, "%s: out of memory", r->label);
        if (r->entry) {
            if (e)
                describe(e, got, sizeof got);
            else
                snprintf(got, sizeof got, "refused: %s", why);
            CHECK_STR(bad, r->label, r->entry, got);
        } else {
            CHECK_TRUE(bad, !e && strstr(why, r->why), "%s: expected a refusal with \"%s\", got %s", r->label, r->why,
                       e ? "an entry" : why);
        }
        incmap_feed_entry_free(e);
    }
    END_TABLE(bad);
}

/* A line longer than any article under the limit could make is refused before it is parsed. */
static void test_long_line(void **state)
{
    (void)state;
    size_t n = (1u << 20) + 100;
    char *line = malloc(n);
    assert_non_null(line);
    memset(line, ' ', n);
    memcpy(line, "{\"id\":\"a\",\"text\":\"", 18);
    line[n - 2] = '"';
    line[n - 1] = '}';
    char why[INCMAP_FEED_WHY];
    int oom = 0;
    incmap_feed_entry *e = incmap_feed_parse_line(line, n, 1000, why, &oom);
    assert_null(e);
    assert_non_null(strstr(why, "too long for an article under the 1000-byte limit"));
    /* without a limit it is an entry (a megabyte of spaces) */
    e = incmap_feed_parse_line(line, n, 0, why, &oom);
    assert_non_null(e);
    incmap_feed_entry_free(e);
    free(line);
}

typedef struct {
    char got[512];
} lines_seen;

static int collect(void *user, size_t line_no, const char *line, size_t len)
{
    lines_seen *s = user;
    size_t k = strlen(s->got);
    snprintf(s->got + k, sizeof s->got - k, "%zu:%.*s;", line_no, (int)len, line);
    return 0;
}

typedef struct {
    const char *label;
    const char *in;
    size_t n;
    const char *lines; /* "LINE:TEXT;" per line given, or NULL: refused */
} split_row;

static const split_row split_rows[] = {
    {"LF, blank lines skipped, numbers kept", B("a\n\n  \nb\n"), "1:a;4:b;"},
    {"CRLF and no final newline", B("a\r\nb"), "1:a;2:b;"},
    {"a UTF-8 byte-order mark", B("\xef\xbb\xbf{}\n{}"), "1:{};2:{};"},
    {"UTF-16LE with a byte-order mark", B("\xff\xfe{\0}\0\r\0\n\0x\0"), "1:{};2:x;"},
    {"UTF-16BE with a byte-order mark", B("\xfe\xff\0{\0}\0\n\0x"), "1:{};2:x;"},
    {"UTF-16 with an odd number of bytes", B("\xff\xfe{\0}"), NULL},
    {"empty", B(""), ""},
};

static void test_split_table(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(split_rows); i++) {
        const split_row *r = &split_rows[i];
        lines_seen s = {{0}};
        incmap_error err = {0};
        int rc = incmap_feed_lines(r->in, r->n, "f.jsonl", collect, &s, &err);
        if (r->lines) {
            CHECK_INT(bad, r->label, 0, rc);
            CHECK_STR(bad, r->label, r->lines, s.got);
        } else {
            CHECK_TRUE(bad, rc < 0 && err.code == INCMAP_ERR_ENCODING && strstr(err.message, "f.jsonl"),
                       "%s: expected a refusal naming the file, got %d \"%s\"", r->label, rc, err.message);
        }
    }
    END_TABLE(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_table),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_split_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
