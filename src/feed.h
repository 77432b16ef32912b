/* feed.h: JSON Lines feeds to article entries, before update.c codes them.
 *
 * A feed is one JSON object per line: {"id", "url", "title", "published", "language", "text"}
 * or "html" instead of "text". Reading it is two steps, both pure functions over a buffer so that
 * a unit test and the libFuzzer harness (tests/fuzz/fuzz_feed.c) drive exactly what incmap update
 * runs: incmap_feed_lines splits the file into lines (after its encoding is settled), and
 * incmap_feed_parse_line turns one line into an entry or says why it is not one. */
#ifndef INCMAP_FEED_H
#define INCMAP_FEED_H

#include <stddef.h>

#include "util.h"

/* One article of a feed. Every string is valid UTF-8 without NUL bytes; id and body are never
 * NULL nor empty (id: the line's "id", else its "url"), the others NULL when the line has none.
 * published is "YYYY-MM-DD" (a calendar date; a time after it is dropped), language "fr", "en"
 * or "es" (other values are left to detection). Owned by the caller: incmap_feed_entry_free. */
typedef struct {
    char *id, *url, *title, *published, *language, *body;
    int is_html; /* body is the line's "html", to be turned into text first */
} incmap_feed_entry;

/* Why a line is refused: room for the longest reason with a quoted field. */
#define INCMAP_FEED_WHY 256

/* Parses one line (without its '\n'; len bytes, not NUL-terminated). Returns the entry, or NULL
 * with why (INCMAP_FEED_WHY bytes) saying what is wrong and where in the line (byte offsets from
 * the line's start); *oom is set when the reason is a failed allocation, so that the caller can
 * stop rather than report a bad line. max_body (0: no limit) refuses an entry whose article is
 * larger, as incmap_read_file refuses a file. A line that is not UTF-8 is read as Windows-1252, as
 * article files are; control bytes (a binary file named .jsonl) and escaped NUL characters are
 * refused. */
incmap_feed_entry *incmap_feed_parse_line(const char *line, size_t len, size_t max_body, char *why, int *oom);
void incmap_feed_entry_free(incmap_feed_entry *e);

/* Calls fn on every line of a feed that is not blank: its number (from 1), its bytes without the
 * '\n' or "\r\n". A UTF-8 byte-order mark is skipped; a feed in UTF-16 with a byte-order mark is
 * converted to UTF-8 first. fn returns non-zero to stop. Returns 0 when every line went to fn,
 * what fn returned when it stopped, or -1 with err filled when the feed cannot be read as text
 * (broken UTF-16: INCMAP_ERR_ENCODING naming name and the byte; INCMAP_ERR_NOMEM). */
typedef int (*incmap_feed_line_fn)(void *user, size_t line_no, const char *line, size_t len);
int incmap_feed_lines(const char *data, size_t len, const char *name, incmap_feed_line_fn fn, void *user,
                      incmap_error *err);

#endif
