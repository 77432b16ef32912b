/* test_text.c: decoding, normalisation, tokens and sentences (text.h), edit distance (tagger.h). */
#include <stdlib.h>

#include "text.h"
#include "testing.h"

/* A byte string literal with its length (it may contain NUL bytes). */
#define B(lit) lit, sizeof(lit) - 1

/* ---------------------------------------------------------------- decode */

typedef struct {
    const char *label;
    const char *bytes;
    size_t n;
    incmap_status code;
    const char *utf8;     /* expected text (OK rows) */
    const char *encoding; /* expected encoding (OK rows) */
    const char *offsets;  /* in_off[0..len] space-separated, "identity" when in_off is NULL */
    const char *message;  /* a substring of the error message (error rows) */
} decode_row;

static const decode_row decode_rows[] = {
    {"plain UTF-8", B("S\xc3\xa9gou"), INCMAP_OK, "S\xc3\xa9gou", "UTF-8", "identity", NULL},
    {"empty input", B(""), INCMAP_OK, "", "UTF-8", "identity", NULL},
    {"CRLF is text", B("Gao\r\nKidal"), INCMAP_OK, "Gao\r\nKidal", "UTF-8", "identity", NULL},
    {"UTF-8 BOM stripped, offsets shifted by 3", B("\xef\xbb\xbfS\xc3\xa9gou"), INCMAP_OK, "S\xc3\xa9gou",
     "UTF-8 (BOM)", "3 4 5 6 7 8 9", NULL},
    {"Windows-1252 e-acute", B("S\xe9gou"), INCMAP_OK, "S\xc3\xa9gou", "windows-1252", "0 1 1 2 3 4 5", NULL},
    {"Windows-1252 euro and right quote", B("\x80 \x92"), INCMAP_OK, "\xe2\x82\xac \xe2\x80\x99", "windows-1252",
     "0 0 0 1 2 2 2 3", NULL},
    {"Windows-1252 OE ligature", B("\x8c"), INCMAP_OK, "\xc5\x92", "windows-1252", "0 0 1", NULL},
    {"UTF-16LE with BOM", B("\xff\xfeS\x00\xe9\x00"), INCMAP_OK, "S\xc3\xa9", "UTF-16LE", "2 4 4 6", NULL},
    {"UTF-16BE with BOM", B("\xfe\xff\x00S\x00\xe9"), INCMAP_OK, "S\xc3\xa9", "UTF-16BE", "2 4 4 6", NULL},
    {"UTF-16LE surrogate pair", B("\xff\xfe\x3d\xd8\x00\xde"), INCMAP_OK, "\xf0\x9f\x98\x80", "UTF-16LE",
     "2 2 2 2 6", NULL},
    {"NUL byte", B("abc\0def"), INCMAP_ERR_ENCODING, NULL, NULL, NULL, "offset 3"},
    {"control byte after Latin-1", B("S\xe9gou\x01"), INCMAP_ERR_ENCODING, NULL, NULL, NULL, "offset 5"},
    {"truncated UTF-16 (odd length)", B("\xff\xfe" "a\x00" "b"), INCMAP_ERR_ENCODING, NULL, NULL, NULL,
     "offset 4"},
    {"unpaired low surrogate", B("\xff\xfe\x00\xdc"), INCMAP_ERR_ENCODING, NULL, NULL, NULL, "offset 2"},
    {"high surrogate at the end", B("\xff\xfe" "a\x00" "\x3d\xd8"), INCMAP_ERR_ENCODING, NULL, NULL, NULL,
     "offset 4"},
    {"NUL in UTF-16", B("\xff\xfe" "a\x00" "\x00\x00"), INCMAP_ERR_ENCODING, NULL, NULL, NULL, "offset 4"},
    {"UTF-8 BOM then invalid bytes", B("\xef\xbb\xbf" "\xe9t\xe9"), INCMAP_ERR_ENCODING, NULL, NULL, NULL,
     "offset 3"},
};

static void render_offsets(const incmap_text *t, char *out, size_t n)
{
    if (!t->in_off) {
        snprintf(out, n, "identity");
        return;
    }
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i <= t->len && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s%zu", i ? " " : "", t->in_off[i]);
}

static void test_decode_table(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(decode_rows); i++) {
        const decode_row *r = &decode_rows[i];
        incmap_text t = {0};
        incmap_error err = {0};
        incmap_status rc = incmap_text_decode(r->bytes, r->n, "art.txt", &t, &err);
        CHECK_STR(bad, r->label, incmap_status_name(r->code), incmap_status_name(rc));
        if (rc == INCMAP_OK && r->code == INCMAP_OK) {
            char offs[256];
            render_offsets(&t, offs, sizeof offs);
            CHECK_STR(bad, r->label, r->utf8, t.utf8);
            CHECK_INT(bad, r->label, strlen(r->utf8), t.len);
            CHECK_STR(bad, r->label, r->encoding, t.encoding);
            CHECK_STR(bad, r->label, r->offsets, offs);
            incmap_text_free(&t);
        } else if (rc != INCMAP_OK && r->message) {
            CHECK_TRUE(bad, strstr(err.message, r->message) != NULL, "%s: message \"%s\" lacks \"%s\"", r->label,
                       err.message, r->message);
            CHECK_TRUE(bad, strstr(err.message, "art.txt") != NULL, "%s: message \"%s\" does not name the file",
                       r->label, err.message);
            CHECK_INT(bad, r->label, r->code, err.code);
        }
    }
    END_TABLE(bad);
}

static void test_decode_input_offset(void **state)
{
    (void)state;
    incmap_text t;
    incmap_error err;
    /* "à Ségou" in Windows-1252: the mention "Ségou" starts at UTF-8 byte 3, input byte 2. */
    assert_int_equal(incmap_text_decode(B("\xe0 S\xe9gou"), NULL, &t, &err), INCMAP_OK);
    assert_string_equal(t.utf8, "\xc3\xa0 S\xc3\xa9gou");
    int bad = 0;
    const struct {
        size_t utf8_off, input_off;
    } rows[] = {{0, 0}, {2, 1}, {3, 2}, {4, 3}, {6, 4}, {9, 7}, {100, 7}};
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        char label[32];
        snprintf(label, sizeof label, "utf8 offset %zu", rows[i].utf8_off);
        CHECK_INT(bad, label, rows[i].input_off, incmap_text_input_offset(&t, rows[i].utf8_off));
    }
    incmap_text_free(&t);
    /* Plain UTF-8: identity, clamped at the end. */
    assert_int_equal(incmap_text_decode(B("Gao"), "x", &t, &err), INCMAP_OK);
    CHECK_INT(bad, "Gao offset 2", 2, incmap_text_input_offset(&t, 2));
    CHECK_INT(bad, "Gao offset 9", 3, incmap_text_input_offset(&t, 9));
    incmap_text_free(&t);
    END_TABLE(bad);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(incmap_utf8_valid("", 0));
    assert_true(incmap_utf8_valid("Ségou, Tombouctou \xe2\x80\x99", strlen("Ségou, Tombouctou \xe2\x80\x99")));
    assert_false(incmap_utf8_valid("S\xe9gou", 5));         /* Latin-1 é */
    assert_false(incmap_utf8_valid("Kati \xe2\x80", 7));    /* cut inside a character */
    assert_false(incmap_utf8_valid("\xed\xa0\x80", 3));     /* a surrogate */
    assert_true(incmap_utf8_valid("Kati\0Gao", 8));          /* NUL is UTF-8; refusing it is the caller's */
}

static void test_decode_error_names_stdin(void **state)
{
    (void)state;
    incmap_text t;
    incmap_error err = {0};
    assert_int_equal(incmap_text_decode(B("a\0b"), NULL, &t, &err), INCMAP_ERR_ENCODING);
    if (strncmp(err.message, "-:", 2) != 0)
        fail_msg("expected the message to start with \"-:\" for an unnamed input, got \"%s\"", err.message);
}

/* ---------------------------------------------------------------- normalise */

static const struct {
    const char *in, *key;
} norm_rows[] = {
    {"Ti-n-Zaouâtene", "ti n zaouatene"},
    {"Tin Zaouatine", "tin zaouatine"},
    {"Sirakɔrɔla", "sirakorola"},
    {"Sɛgɔu", "segou"},
    {"L'Haÿ-les-Roses", "l hay les roses"},
    {"Côte d’Ivoire", "cote d ivoire"},
    {"Côte d'Ivoire", "cote d ivoire"},
    {"d'Ansongo", "d ansongo"},
    {"Œuvre", "oeuvre"},
    {"Œ", "oe"},
    {"cœur", "coeur"},
    {"Ægypt", "aegypt"},
    {"ﬁn", "fin"},
    {"Straße", "strasse"},
    {"Région de", "region de"},
    {"ÉTATS-UNIS", "etats unis"},
    {"Se\xcc\x81gou", "segou"}, /* decomposed e + combining acute */
    {"  Bamako  ", "bamako"},
    {"Mopti.", "mopti"},
    {"Kidal—Gao", "kidal gao"},
    {"Kidal, Gao", "kidal gao"},
    {"Tiby 1", "tiby 1"},
    {"Tibi I", "tibi i"},
    {"N’Djamena", "n djamena"},
    {"Nioro  du\tSahel", "nioro du sahel"},
    /* U+00C0..U+00FF, folded from a table: every letter, and the two signs among them */
    {"ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏ", "aaaaaaaeceeeeiiii"},
    {"ÐÑÒÓÔÕÖØÙÚÛÜÝÞß", "dnoooooouuuuythss"},
    {"àáâãäåæçèéêëìíîï", "aaaaaaaeceeeeiiii"},
    {"ðñòóôõöøùúûüýþÿ", "dnoooooouuuuythy"},
    {"2×3÷4", "2 3 4"},
    {"×é", "e"},
    {"Ségou×Mopti", "segou mopti"},
    {"...", ""},
    {"", ""},
};

static void test_normalize_table(void **state)
{
    (void)state;
    int bad = 0;
    incmap_buf b = {0};
    for (size_t i = 0; i < N_ROWS(norm_rows); i++) {
        incmap_buf_clear(&b);
        incmap_normalize(norm_rows[i].in, strlen(norm_rows[i].in), &b);
        CHECK_STR(bad, norm_rows[i].in, norm_rows[i].key, b.s ? b.s : "");
    }
    incmap_buf_free(&b);
    END_TABLE(bad);
}

static void test_normalize_appends(void **state)
{
    (void)state;
    /* It appends to what the buffer holds, with no leading space before its first word. */
    incmap_buf b = {0};
    incmap_buf_puts(&b, "x|");
    incmap_normalize("  Gao", 5, &b);
    assert_string_equal(b.s, "x|gao");
    /* Only n bytes are read. */
    incmap_buf_clear(&b);
    incmap_normalize("Gao Kidal", 3, &b);
    assert_string_equal(b.s, "gao");
    /* Invalid UTF-8 does not crash and does not glue words together. */
    incmap_buf_clear(&b);
    incmap_normalize("Gao\xff" "Kidal", 9, &b);
    assert_string_equal(b.s, "gao kidal");
    incmap_buf_free(&b);
}

/* ---------------------------------------------------------------- tokens */

static void render_tokens(const char *s, const incmap_tokens *t, incmap_buf *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const incmap_token *k = &t->tok[i];
        if (i)
            incmap_buf_putc(out, ' ');
        incmap_buf_append(out, s + k->start, k->end - k->start);
        incmap_buf_putc(out, '[');
        if (k->flags & INCMAP_TOK_WORD)
            incmap_buf_putc(out, 'W');
        if (k->flags & INCMAP_TOK_CAP)
            incmap_buf_putc(out, 'C');
        if (k->flags & INCMAP_TOK_UPPER)
            incmap_buf_putc(out, 'U');
        if (k->flags & INCMAP_TOK_NUM)
            incmap_buf_putc(out, 'N');
        if (k->flags & INCMAP_TOK_PUNCT)
            incmap_buf_putc(out, 'P');
        if (k->flags & INCMAP_TOK_SENT_START)
            incmap_buf_putc(out, 'S');
        incmap_buf_putc(out, ']');
    }
}

static void render_sentences(const char *s, const incmap_tokens *t, incmap_buf *out)
{
    for (size_t i = 0; i < t->n_sent; i++) {
        if (i)
            incmap_buf_puts(out, " | ");
        incmap_buf_append(out, s + t->sent[i].start, t->sent[i].end - t->sent[i].start);
    }
}

/* W word, C capitalised, U upper case, N number, P punctuation, S first word of a sentence. */
static const struct {
    const char *in, *tokens;
} token_rows[] = {
    {"L'ONU à Gao.", "L[WCS] '[P] ONU[WCU] à[W] Gao[WC] .[P]"},
    {"Le 12 mai 2024", "Le[WCS] 12[WN] mai[W] 2024[WN]"},
    {"MINUSMA", "MINUSMA[WCUS]"},
    {"ÉTAT-MAJOR", "ÉTAT[WCUS] -[P] MAJOR[WCU]"},
    {"Ségou", "Ségou[WCS]"},
    {"ségou", "ségou[WS]"},
    {"G5-Sahel", "G5[WCS] -[P] Sahel[WC]"},
    {"Kidal: 3 morts", "Kidal[WCS] :[P] 3[WN] morts[W]"},
    {"Sirakɔrɔla", "Sirakɔrɔla[WCS]"},
};

static const struct {
    const char *in, *sentences;
} sentence_rows[] = {
    {"Il est parti. Le soir, rien.", "Il est parti. | Le soir, rien."},
    {"M. Diallo est arrivé. Il parle.", "M. Diallo est arrivé. | Il parle."},
    {"Il a vu J. Traoré hier.", "Il a vu J. Traoré hier."},
    {"Il a vu 3 hommes. il rit.", "Il a vu 3 hommes. il rit."},
    {"Quoi ? Rien ! Fin.", "Quoi ? | Rien ! | Fin."},
    {"Bilan : 12 morts. 5 blessés.", "Bilan : 12 morts. | 5 blessés."},
    {"Il dit : « Non. » Puis rien.", "Il dit : « Non. » | Puis rien."},
    {"Ligne un\nLigne deux", "Ligne un | Ligne deux"},
    {"Ligne un\r\n\r\nligne deux", "Ligne un | ligne deux"},
    {"Titre un   Titre deux", "Titre un | Titre deux"},
    {"Titre un  Titre deux", "Titre un  Titre deux"},
    {"Attaque à Gao   Élections à Kidal   Météo", "Attaque à Gao | Élections à Kidal | Météo"},
    {"", ""},
    /* Numbers with a point inside are not sentence ends (text.c says so for dates). */
    {"Le 12.05.2024 à Gao, rien.", "Le 12.05.2024 à Gao, rien."},
    {"A 2.5 km radius around Gao.", "A 2.5 km radius around Gao."},
};

static void test_tokens_table(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(token_rows); i++) {
        incmap_tokens t = {0};
        incmap_buf r = {0};
        const char *s = token_rows[i].in;
        assert_int_equal(incmap_tokenize(s, strlen(s), &t), INCMAP_OK);
        render_tokens(s, &t, &r);
        CHECK_STR(bad, s, token_rows[i].tokens, r.s ? r.s : "");
        incmap_buf_free(&r);
        incmap_tokens_free(&t);
    }
    END_TABLE(bad);
}

static void test_sentences_table(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(sentence_rows); i++) {
        incmap_tokens t = {0};
        incmap_buf r = {0};
        const char *s = sentence_rows[i].in;
        assert_int_equal(incmap_tokenize(s, strlen(s), &t), INCMAP_OK);
        render_sentences(s, &t, &r);
        CHECK_STR(bad, s, sentence_rows[i].sentences, r.s ? r.s : "");
        /* Every word's sentence index points at a sentence that contains it, and the first word
         * of each sentence carries SENT_START. */
        for (size_t k = 0; k < t.n; k++) {
            const incmap_token *tk = &t.tok[k];
            CHECK_TRUE(bad, tk->sentence >= 0 && (size_t)tk->sentence < t.n_sent, "%s: token %zu sentence %d", s, k,
                       tk->sentence);
            if (tk->sentence < 0 || (size_t)tk->sentence >= t.n_sent)
                continue;
            const incmap_span *sp = &t.sent[tk->sentence];
            CHECK_TRUE(bad, tk->start >= sp->start && tk->end <= sp->end, "%s: token %zu outside its sentence", s, k);
        }
        incmap_buf_free(&r);
        incmap_tokens_free(&t);
    }
    END_TABLE(bad);
}

static void test_token_keys(void **state)
{
    (void)state;
    const char *s = "Côte d’Ivoire, Ti-n-Zaouâtene";
    incmap_tokens t = {0};
    assert_int_equal(incmap_tokenize(s, strlen(s), &t), INCMAP_OK);
    const char *want[] = {"cote", "d", "", "ivoire", "", "ti", "", "n", "", "zaouatene"};
    int bad = 0;
    CHECK_INT(bad, s, N_ROWS(want), t.n);
    for (size_t i = 0; i < t.n && i < N_ROWS(want); i++) {
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)t.tok[i].norm_len, incmap_tok_norm(&t, i));
        CHECK_STR(bad, s, want[i], key);
    }
    incmap_tokens_free(&t);
    END_TABLE(bad);
}

/* ---------------------------------------------------------------- edit distance */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_table),
        cmocka_unit_test(test_decode_input_offset),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_decode_error_names_stdin),
        cmocka_unit_test(test_normalize_table),
        cmocka_unit_test(test_normalize_appends),
        cmocka_unit_test(test_tokens_table),
        cmocka_unit_test(test_sentences_table),
        cmocka_unit_test(test_token_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
