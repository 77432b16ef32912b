/* fuzz_feed.c: libFuzzer harness for JSON Lines feeds (feed.h), as incmap update reads them: the
 * input is a whole feed, split into lines, each line parsed into an entry, and an entry's HTML
 * turned into text. The last byte picks the article size limit (none, or a small one that lines
 * reach), so the limit's refusals are explored too.
 *
 * Checked besides the sanitizers: lines come in order, inside the input; an entry has an id and
 * a body, every field valid UTF-8 without NUL bytes (the store and the layers keep them
 * verbatim), a published date that is a calendar date, a language the lexicons know, a body
 * within the limit; a refused line says why in valid UTF-8 (the message goes to a terminal and a
 * log), never "out of memory" for a small input. */
#include <string.h>

#include "feed.h"
#include "fuzz.h"
#include "html.h"
#include "incmap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

typedef struct {
    size_t last_line;
    size_t max_body;
} walk;

static void check_str(const char *s, int may_be_null)
{
    if (!s) {
        REQUIRE(may_be_null);
        return;
    }
    REQUIRE(incmap_utf8_valid(s, strlen(s)));
}

static int on_line(void *user, size_t line_no, const char *line, size_t len)
{
    walk *w = user;
    REQUIRE(line_no > w->last_line);
    w->last_line = line_no;
    REQUIRE(len > 0);
    REQUIRE(!memchr(line, '\n', len));
    char why[INCMAP_FEED_WHY];
    int oom = 0;
    incmap_feed_entry *e = incmap_feed_parse_line(line, len, w->max_body, why, &oom);
    REQUIRE(!oom);
    if (!e) {
        size_t n = strnlen(why, sizeof why);
        REQUIRE(n > 0 && n < sizeof why);
        REQUIRE(incmap_utf8_valid(why, n));
        return 0;
    }
    REQUIRE(e->id && *e->id && e->body && *e->body);
    check_str(e->id, 0);
    check_str(e->body, 0);
    check_str(e->url, 1);
    check_str(e->title, 1);
    if (e->published)
        REQUIRE(strlen(e->published) == 10 && incmap_valid_date(e->published));
    if (e->language)
        REQUIRE(!strcmp(e->language, "fr") || !strcmp(e->language, "en") || !strcmp(e->language, "es"));
    size_t body_len = strlen(e->body);
    REQUIRE(!w->max_body || body_len <= w->max_body);
    if (e->is_html) {
        incmap_buf text = {0}, title = {0};
        REQUIRE(incmap_html_utf8_to_text(e->body, body_len, &text, &title) == INCMAP_OK);
        REQUIRE(!text.len || incmap_utf8_valid(text.s, text.len));
        REQUIRE(!title.len || incmap_utf8_valid(title.s, title.len));
        incmap_buf_free(&text);
        incmap_buf_free(&title);
    }
    incmap_feed_entry_free(e);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* 0: no limit; otherwise a limit of a few dozen bytes, which fuzzed entries cross */
    unsigned limit = fuzz_take_byte(&data, &size);
    walk w = {0, limit & 1 ? 16 + (limit >> 1) : 0};
    incmap_error err = {0};
    int rc = incmap_feed_lines((const char *)data, size, "feed.jsonl", on_line, &w, &err);
    if (rc < 0)
        REQUIRE(err.code == INCMAP_ERR_ENCODING && strstr(err.message, "feed.jsonl"));
    else
        REQUIRE(rc == 0);
    return 0;
}
