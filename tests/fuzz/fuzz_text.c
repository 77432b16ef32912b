/* fuzz_text.c: libFuzzer harness for text.h. Any bytes go through decoding (encoding detection,
 * UTF-16, Windows-1252, the offset map); the raw bytes through normalisation (gazetteer look-ups
 * get command-line names unchecked); the decoded text through normalisation and tokenisation. */
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

/* A key: lower-case words of valid UTF-8 joined by single spaces. */
static void check_key(const incmap_buf *k)
{
    REQUIRE(!k->oom);
    if (!k->len)
        return;
    REQUIRE(k->s[k->len] == 0 && strlen(k->s) == k->len);
    REQUIRE(incmap_utf8_valid(k->s, k->len));
    REQUIRE(k->s[0] != ' ' && k->s[k->len - 1] != ' ' && !strstr(k->s, "  "));
    for (size_t i = 0; i < k->len; i++)
        REQUIRE(!(k->s[i] >= 'A' && k->s[i] <= 'Z'));
}

static void check_decoded(const incmap_text *t, size_t n)
{
    REQUIRE(t->utf8 && t->encoding);
    REQUIRE(t->utf8[t->len] == 0 && strlen(t->utf8) == t->len); /* NUL bytes are refused */
    REQUIRE(incmap_utf8_valid(t->utf8, t->len));
    REQUIRE(incmap_text_input_offset(t, t->len) == n);
    if (!t->in_off) {
        REQUIRE(t->len == n);
        return;
    }
    for (size_t i = 0; i < t->len; i++) {
        REQUIRE(t->in_off[i] < n);
        REQUIRE(t->in_off[i] <= t->in_off[i + 1]);
    }
}

static void check_tokens(const incmap_tokens *tk, size_t n)
{
    size_t prev_end = 0;
    int32_t prev_sent = 0;
    for (size_t i = 0; i < tk->n; i++) {
        const incmap_token *k = &tk->tok[i];
        REQUIRE(k->start < k->end && k->end <= n && k->start >= prev_end);
        REQUIRE((size_t)k->norm_off + k->norm_len <= tk->norm.len);
        REQUIRE(k->sentence >= prev_sent && (size_t)k->sentence < tk->n_sent);
        REQUIRE(!(k->flags & INCMAP_TOK_PUNCT) == !!(k->flags & INCMAP_TOK_WORD));
        if (k->flags & INCMAP_TOK_PUNCT)
            REQUIRE(k->norm_len == 0);
        if (k->norm_len)
            REQUIRE(k->hash == incmap_hash(incmap_tok_norm(tk, i), k->norm_len, 0));
        prev_end = k->end;
        prev_sent = k->sentence;
    }
    for (size_t i = 0; i < tk->n; i++) {
        const incmap_span *sp = &tk->sent[tk->tok[i].sentence];
        REQUIRE(sp->start <= tk->tok[i].start && tk->tok[i].end <= sp->end);
    }
    size_t prev = 0;
    for (size_t i = 0; i < tk->n_sent; i++) {
        const incmap_span *sp = &tk->sent[i];
        REQUIRE(sp->start < sp->end && sp->end <= n && sp->start >= prev);
        prev = sp->end;
    }
    REQUIRE(!tk->n == !tk->n_sent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *bytes = (const char *)data;

    incmap_buf key = {0};
    incmap_normalize(bytes, size, &key);
    check_key(&key);
    incmap_buf_free(&key);

    incmap_text t = {0};
    incmap_error err = {0};
    incmap_status rc = incmap_text_decode(bytes, size, "fuzz.txt", &t, &err);
    if (rc != INCMAP_OK) {
        /* a refusal names the file and where */
        REQUIRE(rc == INCMAP_ERR_ENCODING && err.code == rc);
        REQUIRE(strstr(err.message, "fuzz.txt") && strstr(err.message, "offset"));
        REQUIRE(t.utf8 == NULL);
        return 0;
    }
    check_decoded(&t, size);

    incmap_normalize(t.utf8, t.len, &key);
    check_key(&key);
    incmap_buf_free(&key);

    incmap_tokens tk = {0};
    REQUIRE(incmap_tokenize(t.utf8, t.len, &tk) == INCMAP_OK);
    check_tokens(&tk, t.len);
    incmap_tokens_free(&tk);
    incmap_text_free(&t);
    return 0;
}
