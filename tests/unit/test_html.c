/* test_html.c: web pages to article text (html.h): what is kept, what is dropped, character
 * references, block boundaries as line breaks (so sentences split there), encodings. */
#include <stdlib.h>

#include "html.h"
#include "testing.h"
#include "text.h"

typedef struct {
    const char *html, *text;
} row;

static const row ROWS[] = {
    /* Paragraphs and headings: a blank line between blocks; lines end the text. */
    {"<p>Un.</p><p>Deux.</p>", "Un.\n\nDeux.\n"},
    {"<h1>Attaque à Djibo</h1><p>Le convoi a été visé.</p>", "Attaque à Djibo\n\nLe convoi a été visé.\n"},
    {"<div>a</div><div>b</div>", "a\nb\n"},
    {"<ul><li>Kati</li><li>Kayes</li></ul>", "Kati\nKayes\n"},
    {"a<br>b<br/>c<BR />d", "a\nb\nc\nd\n"},
    {"a</br>b", "a\nb\n"},
    {"<table><tr><td>Date</td><td>Lieu</td></tr><tr><td>9 avril</td><td>Tiby</td></tr></table>",
     "Date\tLieu\n9 avril\tTiby\n"},
    /* Inline markup joins text as written; white space collapses. */
    {"<p>Bandia<b>gara</b>, <a href=\"x\">Mopti</a></p>", "Bandiagara, Mopti\n"},
    {"<p>  Un \n\t deux   trois  </p>", "Un deux trois\n"},
    {"<p>Un <span> </span> deux</p>", "Un deux\n"},
    {"<pre>a\n  b</pre>", "a\n  b\n"},
    /* Dropped: scripts, styles, comments, templates, inline SVG, drop-downs, doctype. */
    {"<!DOCTYPE html><p>A<script>var s = '<p>no</p>';</script>B</p>", "AB\n"},
    {"<p>A<style>p { color: red }</style>B</p>", "AB\n"},
    {"<p>Bandia<!-- pub -->gara</p>", "Bandiagara\n"},
    {"<p>A</p><!-- unterminated comment <p>B</p>", "A\n"},
    {"<p>x<svg viewBox=\"0 0 1 1\"><text>icon</text></svg>y</p>", "xy\n"},
    {"<p>A<noscript>Activez JavaScript</noscript></p><template><p>T</p></template>", "A\n"},
    {"<form>Pays <select><option>Mali</option><option>Niger</option></select></form>", "Pays\n"},
    {"<SCRIPT type=x>if (a < b) {}</SCRIPT ><P>Texte</P>", "Texte\n"},
    {"<script>x = '</scriptx>';</script>apres", "apres\n"},
    {"<p>Tiby<script>never closed", "Tiby\n"},
    /* Markup-like text that is not a tag stays text. */
    {"<p>3 < 4 et 5 > 2</p>", "3 < 4 et 5 > 2\n"},
    {"<p>a <3 b</p>", "a <3 b\n"},
    {"<a title=\"a > b\" href='c>d'>lien</a>", "lien\n"},
    {"<![CDATA[brut <b>]]> suite", "brut <b> suite\n"},
    /* Character references: named, decimal, hex, Windows-1252 range, invalid, unknown. */
    {"<p>S&eacute;gou &amp; Mopti &#233;&#xE9;&#XE9;</p>", "Ségou & Mopti ééé\n"},
    {"<p>&laquo;&nbsp;Non&nbsp;&raquo; &hellip; &mdash; &#8217;</p>", "«\u00a0Non\u00a0» … — ’\n"},
    {"<p>&#150; &#128; &#0; &#x110000; &#xD800;</p>", "– € \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD\n"},
    {"<p>&unknown; &amp &eacute fin &copy2025 &#; &</p>", "&unknown; & é fin &copy2025 &#; &\n"},
    {"<p>&lt;b&gt; reste du texte</p>", "<b> reste du texte\n"},
    /* Nothing to show. */
    {"", ""},
    {"<html><head><meta charset=\"utf-8\"></head><body> </body></html>", ""},
};

static void test_rows(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(ROWS); i++) {
        incmap_buf text = {0};
        assert_int_equal(incmap_html_utf8_to_text(ROWS[i].html, strlen(ROWS[i].html), &text, NULL), INCMAP_OK);
        CHECK_STR(bad, ROWS[i].html, ROWS[i].text, text.s ? text.s : "");
        incmap_buf_free(&text);
    }
    END_TABLE(bad);
}

static void test_title(void **state)
{
    (void)state;
    const char *page = "<html><head>\n<title> Mali :\n attaque &amp; bilan | Journal </title>"
                       "<meta name=x></head><body><h1>Attaque</h1><svg><title>icône</title></svg>"
                       "<p>Texte.</p><title>second</title></body></html>";
    incmap_buf text = {0}, title = {0};
    assert_int_equal(incmap_html_utf8_to_text(page, strlen(page), &text, &title), INCMAP_OK);
    assert_string_equal(title.s, "Mali : attaque & bilan | Journal");
    /* The title is the page's label, not part of the article text. */
    assert_string_equal(text.s, "Attaque\n\nTexte.\n");
    incmap_buf_free(&text);
    incmap_buf_free(&title);
}

static void test_encodings(void **state)
{
    (void)state;
    /* Windows-1252 bytes, a UTF-8 BOM, UTF-16LE with a BOM: decoded before the markup. */
    const char cp1252[] = "<p>S\xE9gou, \x93Tiby\x94</p>";
    incmap_buf text = {0};
    incmap_error err = {0};
    assert_int_equal(incmap_html_to_text(cp1252, sizeof cp1252 - 1, "a.html", &text, NULL, &err), INCMAP_OK);
    assert_string_equal(text.s, "Ségou, “Tiby”\n");
    incmap_buf_free(&text);

    const char bom[] = "\xEF\xBB\xBF<p>Kidal</p>";
    assert_int_equal(incmap_html_to_text(bom, sizeof bom - 1, "b.html", &text, NULL, &err), INCMAP_OK);
    assert_string_equal(text.s, "Kidal\n");
    incmap_buf_free(&text);

    const char u16[] = "\xFF\xFE<\0p\0>\0G\0a\0o\0<\0/\0p\0>\0";
    assert_int_equal(incmap_html_to_text(u16, sizeof u16 - 1, "c.html", &text, NULL, &err), INCMAP_OK);
    assert_string_equal(text.s, "Gao\n");
    incmap_buf_free(&text);

    /* Binary is refused with the name and the byte offset, as geocode refuses it. */
    const char bin[] = "<p>GIF89a\x01\x02\x00</p>";
    assert_int_equal(incmap_html_to_text(bin, sizeof bin - 1, "d.html", &text, NULL, &err), INCMAP_ERR_ENCODING);
    assert_non_null(strstr(err.message, "d.html"));
    assert_non_null(strstr(err.message, "offset 9"));
    incmap_buf_free(&text);
}

/* Block boundaries are where the tokenizer ends sentences, so a heading never runs into the
 * paragraph after it. */
static void test_sentences(void **state)
{
    (void)state;
    const char *page = "<h2>Attaque près de Djibo</h2><p>Des hommes armés ont attaqué un convoi "
                       "<b>dimanche</b>.</p><ul><li>Kongoussi</li><li>Ouagadougou</li></ul>";
    incmap_buf text = {0};
    assert_int_equal(incmap_html_utf8_to_text(page, strlen(page), &text, NULL), INCMAP_OK);
    incmap_tokens toks = {0};
    assert_int_equal(incmap_tokenize(text.s, text.len, &toks), INCMAP_OK);
    assert_int_equal(toks.n_sent, 4);
    const char *want[] = {"Attaque près de Djibo", "Des hommes armés ont attaqué un convoi dimanche.", "Kongoussi",
                          "Ouagadougou"};
    int bad = 0;
    for (size_t i = 0; i < toks.n_sent && i < 4; i++) {
        size_t a = toks.sent[i].start, b = toks.sent[i].end;
        while (b > a && (text.s[b - 1] == '\n' || text.s[b - 1] == ' '))
            b--;
        char got[128];
        snprintf(got, sizeof got, "%.*s", (int)(b - a), text.s + a);
        CHECK_STR(bad, page, want[i], got);
    }
    incmap_tokens_free(&toks);
    incmap_buf_free(&text);
    END_TABLE(bad);
}

static void test_sniff(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int html;
    } rows[] = {
        {"<!DOCTYPE html><html>", 1}, {"  \n<html lang=fr>", 1},       {"\xEF\xBB\xBF<!doctype HTML>", 1},
        {"<p>Texte</p>", 1},          {"<div class=a>", 1},            {"Le 9 avril, <b>", 0},
        {"Bamako (AFP) - ...", 0},    {"", 0},                          {"<pas une balise", 0},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++)
        CHECK_INT(bad, rows[i].s, rows[i].html, incmap_html_sniff(rows[i].s, strlen(rows[i].s)));
    END_TABLE(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),      cmocka_unit_test(test_title), cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_sentences), cmocka_unit_test(test_sniff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
