/* fuzz_html.c: libFuzzer harness for web pages to article text (html.h): sniffing, decoding and
 * the one-pass HTML reader, then the tokenizer on its output, as incmap update does with pages.
 * The text must be valid UTF-8 without NUL bytes (the pipeline relies on both), and bounded by the
 * input: no construct may make the reader write without limit. */
#include <string.h>

#include "fuzz.h"
#include "html.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

static void check_text(const incmap_buf *b, size_t in_len)
{
    REQUIRE(!b->oom);
    if (!b->len)
        return;
    REQUIRE(b->s[b->len] == 0 && strlen(b->s) == b->len);
    REQUIRE(incmap_utf8_valid(b->s, b->len));
    /* the longest expansion is a short character reference to a 4-byte character, or a tag to
     * a blank line; 8 output bytes per input byte is far above either */
    REQUIRE(b->len <= 8 * in_len + 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *bytes = (const char *)data;
    (void)incmap_html_sniff(bytes, size);
    incmap_buf text = {0}, title = {0};
    incmap_error err = {0};
    incmap_status rc = incmap_html_to_text(bytes, size, "page.html", &text, &title, &err);
    if (rc != INCMAP_OK) {
        REQUIRE(rc == INCMAP_ERR_ENCODING && err.code == rc && strstr(err.message, "page.html"));
    } else {
        check_text(&text, size);
        check_text(&title, size);
        incmap_tokens tk = {0};
        REQUIRE(incmap_tokenize(text.s ? text.s : "", text.len, &tk) == INCMAP_OK);
        incmap_tokens_free(&tk);
    }
    incmap_buf_free(&text);
    incmap_buf_free(&title);
    return 0;
}
