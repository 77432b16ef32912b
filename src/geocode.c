/* geocode.c: one article through the pipeline: text -> tagger -> resolver -> incidents. */
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "incidents.h"
#include "resolver.h"
#include "tagger.h"

void incmap_doc_destroy(incmap_doc *doc)
{
    if (!doc)
        return;
    if (doc->priv) {
        incmap_text_free(&doc->priv->text);
        incmap_tokens_free(&doc->priv->toks);
        incmap_arena_destroy(doc->priv->arena);
        free(doc->priv);
    }
    free(doc);
}

/* The gazetteer details of the entries an article's places name, by geonameid: an article names
 * the same few places again and again, and each look-up copies six strings into the arena,
 * which the places may as well share (the arena owns them all). Open addressing over a power
 * of two slots, at least twice the places; id 0: an empty slot. */
typedef struct {
    int64_t id;
    incmap_gz_details d;
} details_memo;

static incmap_status article_details(incmap_ctx *ctx, details_memo *memo, size_t mask, int64_t id, incmap_arena *a,
                                     incmap_gz_details *out, incmap_error *err)
{
    size_t j = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ULL >> 32) & mask;
    while (memo[j].id && memo[j].id != id)
        j = (j + 1) & mask;
    if (id && memo[j].id == id) {
        *out = memo[j].d;
        return INCMAP_OK;
    }
    incmap_status st = incmap_gazetteer_details(ctx->gz, id, a, out, err);
    if (st == INCMAP_OK && id) {
        memo[j].id = id;
        memo[j].d = *out;
    }
    return st;
}

static void fill_place(incmap_ctx *ctx, incmap_doc *doc, const incmap_mention *m, const incmap_resolution *r,
                       details_memo *memo, size_t mask, incmap_place *p, incmap_error *err)
{
    incmap_arena *a = doc->priv->arena;
    const incmap_text *t = &doc->priv->text;
    p->text = incmap_arena_strndup(a, t->utf8 + m->start, m->end - m->start);
    p->start = incmap_text_input_offset(t, m->start);
    p->end = incmap_text_input_offset(t, m->end);
    p->sentence = doc->priv->toks.tok[m->tok_first].sentence;
    p->section = incmap_section_name(doc->priv->toks.sent[p->sentence].section);
    p->score = r->score;
    p->why = r->why;
    p->geo_precision = r->geo_precision;
    p->name = p->feature_code = p->country = p->admin1 = p->admin2 = p->fallback_name = "";
    const incmap_gz_record *rec = r->rec ? r->rec : r->fallback;
    incmap_gz_details d;
    if (!rec || article_details(ctx, memo, mask, rec->geonameid, a, &d, err) != INCMAP_OK)
        return;
    p->has_coords = 1;
    p->lat = d.lat;
    p->lon = d.lon;
    p->country = d.country;
    p->admin1 = d.admin1;
    p->admin2 = d.admin2;
    if (r->rec) {
        p->resolved = 1;
        p->geonameid = d.geonameid;
        p->name = d.name;
        p->feature_code = d.feature_code;
    } else {
        p->fallback_geonameid = d.geonameid;
        p->fallback_name = d.name;
        if (!strcmp(d.feature_code, "ADM1") || !strncmp(d.feature_code, "PCL", 3))
            p->admin2 = "";
    }
}

incmap_doc *incmap_geocode(incmap_ctx *ctx, const char *bytes, size_t len, const incmap_article_info *info,
                           incmap_error *err)
{
    incmap_article_info none = {0};
    if (!info)
        info = &none;
    const char *source = info->source ? info->source : "-";
    if (ctx->opt.max_article_bytes && len > ctx->opt.max_article_bytes) {
        incmap_fail(err, INCMAP_ERR_LIMIT, "%s: %zu bytes, over the %zu-byte article limit", source, len,
                    ctx->opt.max_article_bytes);
        return NULL;
    }
    if (info->published && *info->published && !incmap_valid_date(info->published)) {
        incmap_fail(err, INCMAP_ERR_USAGE, "published date '%s' is not a YYYY-MM-DD calendar date", info->published);
        return NULL;
    }
    incmap_doc *doc = calloc(1, sizeof *doc);
    incmap_mentions ms = {0};
    incmap_resolution *res = NULL;
    if (!doc || !(doc->priv = calloc(1, sizeof *doc->priv)) || !(doc->priv->arena = incmap_arena_new()))
        goto nomem;
    struct incmap_doc_private *pv = doc->priv;
    incmap_arena *a = pv->arena;
    if (incmap_text_decode(bytes, len, source, &pv->text, err) != INCMAP_OK)
        goto fail;
    if (incmap_tokenize(pv->text.utf8, pv->text.len, &pv->toks) != INCMAP_OK)
        goto nomem;
    incmap_lexicon_mark(ctx->lex, &pv->toks);
    doc->source = incmap_arena_strdup(a, source);
    doc->encoding = pv->text.encoding;
    const char *lang = info->language && *info->language && strcmp(info->language, "auto") != 0
                           ? info->language
                           : incmap_detect_language(ctx->lex, &pv->toks);
    doc->language = incmap_arena_strdup(a, lang);
    incmap_sections_classify(ctx->lex, doc->language, pv->text.utf8, &pv->toks);
    if (info->published && *info->published) {
        memcpy(doc->published, info->published, 11);
        doc->published_from = "option";
    } else if (incmap_find_published(ctx->lex, doc->language, pv->text.utf8, &pv->toks, doc->published)) {
        doc->published_from = "text";
    } else {
        doc->published[0] = 0;
        doc->published_from = "none";
    }

    incmap_tagger tg = {ctx->gz, ctx->lex, doc->language};
    if (incmap_tagger_scan(&tg, pv->text.utf8, &pv->toks, &ms) != INCMAP_OK)
        goto nomem;
    res = calloc(ms.n ? ms.n : 1, sizeof *res);
    if (!res)
        goto nomem;
    incmap_resolver rv = {ctx->gz, ctx->readings, ctx->lex, doc->language, pv->text.utf8, &pv->toks, a};
    if (incmap_resolve(&rv, ms.v, ms.n, res, err) != INCMAP_OK)
        goto fail;
    /* A name with no good candidate that nothing announced as a place is most likely not one
     * ("Conseil", an acronym): drop it. Announced ones stay, unresolved, with their fallback. */
    size_t kept = 0;
    for (size_t i = 0; i < ms.n; i++) {
        if (!res[i].rec && !res[i].contained && (!ms.v[i].unknown || (ms.v[i].unknown == 2 && !res[i].fallback)))
            continue;
        ms.v[kept] = ms.v[i];
        res[kept] = res[i];
        kept++;
    }
    ms.n = kept;
    doc->places = incmap_arena_alloc(a, (ms.n ? ms.n : 1) * sizeof *doc->places);
    doc->sentences = incmap_arena_alloc(a, (pv->toks.n_sent ? pv->toks.n_sent : 1) * sizeof *doc->sentences);
    if (!doc->places || !doc->sentences)
        goto nomem;
    size_t slots = 16;
    while (slots < 2 * ms.n)
        slots *= 2;
    details_memo *memo = calloc(slots, sizeof *memo);
    if (!memo)
        goto nomem;
    for (size_t i = 0; i < ms.n; i++) {
        fill_place(ctx, doc, &ms.v[i], &res[i], memo, slots - 1, &doc->places[i], err);
        if (!doc->places[i].text || !doc->places[i].why) {
            free(memo);
            goto nomem;
        }
    }
    free(memo);
    doc->n_places = ms.n;
    for (size_t i = 0; i < pv->toks.n_sent; i++) {
        doc->sentences[i].start = incmap_text_input_offset(&pv->text, pv->toks.sent[i].start);
        doc->sentences[i].end = incmap_text_input_offset(&pv->text, pv->toks.sent[i].end);
        doc->sentences[i].section = incmap_section_name(pv->toks.sent[i].section);
    }
    doc->n_sentences = pv->toks.n_sent;

    incmap_incident_input in = {ctx->gz,  ctx->lex, doc->language, pv->text.utf8,  &pv->text, &pv->toks,
                                ms.v,     res,      doc->places,   doc->n_places,  doc->published, a};
    if (incmap_incidents_code(&in, &doc->incidents, &doc->n_incidents, err) != INCMAP_OK)
        goto fail;
    free(ms.v);
    free(res);
    return doc;
nomem:
    incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", source);
fail:
    free(ms.v);
    free(res);
    incmap_doc_destroy(doc);
    return NULL;
}
