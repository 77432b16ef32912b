/* html.h: web pages to article text, before the pipeline sees them.
 *
 * Not a DOM: one forward pass that keeps every piece of text a reader would see, drops what a
 * browser does not show (scripts, styles, comments, templates, inline SVG and MathML, form
 * drop-downs), decodes character references, and turns block boundaries (paragraphs, headings,
 * list items, line breaks, table rows and cells) into line breaks or tabs, which the tokenizer
 * reads as sentence ends. Inline markup (<a>, <b>, <span>) joins its text to its neighbours
 * unchanged, so "Bandia<b>gara</b>" stays one word. */
#ifndef INCMAP_HTML_H
#define INCMAP_HTML_H

#include <stddef.h>

#include "util.h"

/* 1 when the bytes look like an HTML document (a doctype, <html>, <head>, <body>, or a few
 * common block tags before any other text): used for inputs whose name does not say. */
int incmap_html_sniff(const char *bytes, size_t len);

/* Decodes the bytes as incmap_geocode does (UTF-8, UTF-16 with a BOM, Windows-1252), then
 * appends the page's text to *text (UTF-8, block boundaries as '\n', blank lines between
 * paragraphs) and the first <title>'s text to *title when title is not NULL. name is used in
 * error messages. Errors: INCMAP_ERR_ENCODING (with the byte offset), INCMAP_ERR_NOMEM. */
incmap_status incmap_html_to_text(const char *bytes, size_t len, const char *name, incmap_buf *text,
                                  incmap_buf *title, incmap_error *err);

/* The same on text already decoded to UTF-8 (no checks). */
incmap_status incmap_html_utf8_to_text(const char *s, size_t n, incmap_buf *text, incmap_buf *title);

#endif
