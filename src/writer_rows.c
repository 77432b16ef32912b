/* writer_rows.c: a geocoded doc as the flat rows of the layers (incmap.h, "layers"): stable ids
 * from the article's SHA-256, country names and numeric codes from the gazetteer, a one-line
 * ACLED-style note per incident. No GDAL here: the store builds the same rows without writing. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nettle/sha2.h>

#include "context.h"

#define MAX_INCIDENTS_PER_ARTICLE 9999 /* the index takes the last 4 digits of event_id_cnty */
#define TITLE_MAX_BYTES 200

void incmap_article_id(const char *bytes, size_t len, char id[17], char sha256[65])
{
    static const char hex[] = "0123456789abcdef";
    struct sha256_ctx c;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&c);
    sha256_update(&c, len, (const uint8_t *)bytes);
    sha256_digest(&c, sizeof digest, digest);
    char full[65];
    for (size_t i = 0; i < sizeof digest; i++) {
        full[2 * i] = hex[digest[i] >> 4];
        full[2 * i + 1] = hex[digest[i] & 15];
    }
    full[64] = 0;
    memcpy(id, full, 16);
    id[16] = 0;
    if (sha256)
        memcpy(sha256, full, 65);
}

/* The number part of event_id_cnty (see incmap.h): 48 bits of the article id, then 4 digits of
 * incident index, so ids of one article sort together and never collide with each other. */
static uint64_t event_number(const char *article_id, size_t index)
{
    uint64_t v = 0;
    for (int i = 0; i < 12 && article_id[i]; i++) {
        char ch = article_id[i];
        v = v * 16 + (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
    }
    return v * 10000 + index;
}

static double round_to(double v, double scale)
{
    return round(v * scale) / scale;
}

/* The article's headline: the first sentence the sections module calls a headline, when it comes
 * before the body (later ones are lists of other articles' headlines). Cut at a character
 * boundary within TITLE_MAX_BYTES; line breaks become spaces. */
static const char *title_of(const incmap_doc *doc, const char *bytes, size_t len, incmap_arena *a)
{
    if (strncmp(doc->encoding, "UTF-8", 5) != 0)
        return NULL; /* the offsets point into Latin-1 or UTF-16 bytes: no title rather than mojibake */
    for (size_t i = 0; i < doc->n_sentences; i++) {
        const incmap_sentence *s = &doc->sentences[i];
        if (!strcmp(s->section, "body"))
            return NULL;
        if (strcmp(s->section, "headline") != 0 || s->end > len || s->start >= s->end)
            continue;
        size_t n = s->end - s->start;
        const char *p = bytes + s->start;
        if (n > TITLE_MAX_BYTES) {
            n = TITLE_MAX_BYTES;
            while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
                n--; /* do not cut a UTF-8 sequence */
        }
        char *t = incmap_arena_strndup(a, p, n);
        if (!t)
            return NULL;
        for (char *c = t; *c; c++)
            if (*c == '\n' || *c == '\r' || *c == '\t')
                *c = ' ';
        return t;
    }
    return NULL;
}

static const char *notes_of(const incmap_incident *x, incmap_arena *a)
{
    incmap_buf b = {0};
    if (x->event_date[0])
        incmap_buf_printf(&b, "On %s", x->event_date);
    else
        incmap_buf_puts(&b, "Undated");
    if (x->date_text && *x->date_text)
        incmap_buf_printf(&b, " (\"%s\")", x->date_text);
    const char *what = x->sub_event_type && *x->sub_event_type ? x->sub_event_type
                       : x->event_type && *x->event_type   ? x->event_type
                                                            : "Incident";
    incmap_buf_printf(&b, ": %s", what);
    if (x->location && *x->location)
        incmap_buf_printf(&b, " at %s", x->location);
    if (x->fatalities_stated)
        incmap_buf_printf(&b, "; %d killed", x->fatalities);
    else
        incmap_buf_puts(&b, "; fatalities not stated");
    if (x->injured >= 0)
        incmap_buf_printf(&b, ", %d injured", x->injured);
    incmap_buf_puts(&b, x->background ? ". Mentioned in passing (background)." : ".");
    const char *s = b.oom ? NULL : incmap_arena_strdup(a, b.s);
    incmap_buf_free(&b);
    return s;
}

/* A copy in the rows' arena, NULL for an absent ("" or NULL) value; sets *oom when out of memory. */
static const char *copy_str(incmap_arena *a, const char *s, int *oom)
{
    if (!s || !*s)
        return NULL;
    const char *d = incmap_arena_strdup(a, s);
    if (!d)
        *oom = 1;
    return d;
}

void incmap_doc_rows_destroy(incmap_doc_rows *r)
{
    if (!r)
        return;
    incmap_arena_destroy(r->arena);
    free(r);
}

incmap_doc_rows *incmap_doc_rows_new(incmap_ctx *ctx, const incmap_doc *doc, const char *bytes, size_t len,
                                     const char *processed_at, incmap_error *err)
{
    if (doc->n_incidents > MAX_INCIDENTS_PER_ARTICLE) {
        incmap_fail(err, INCMAP_ERR_LIMIT,
                    "%s: %zu incidents, more than the %d per article that event ids can number: split the article",
                    doc->source, doc->n_incidents, MAX_INCIDENTS_PER_ARTICLE);
        return NULL;
    }
    incmap_doc_rows *r = calloc(1, sizeof *r);
    if (!r || !(r->arena = incmap_arena_new())) {
        free(r);
        incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", doc->source);
        return NULL;
    }
    incmap_arena *a = r->arena;
    int oom = 0;
    char id[17], sha[65];
    incmap_article_id(bytes, len, id, sha);
    incmap_article_row *art = &r->article;
    art->article_id = incmap_arena_strdup(a, id);
    art->sha256 = incmap_arena_strdup(a, sha);
    art->source = incmap_arena_strdup(a, doc->source);
    art->title = title_of(doc, bytes, len, a);
    art->published = doc->published[0] ? incmap_arena_strdup(a, doc->published) : NULL;
    art->language = incmap_arena_strdup(a, doc->language);
    if (processed_at) {
        art->processed_at = incmap_arena_strdup(a, processed_at);
    } else {
        char now[32];
        time_t t = time(NULL);
        struct tm tm;
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        art->processed_at = incmap_arena_strdup(a, now);
    }
    r->incidents = incmap_arena_alloc(a, (doc->n_incidents ? doc->n_incidents : 1) * sizeof *r->incidents);
    r->mentions = incmap_arena_alloc(a, (doc->n_places ? doc->n_places : 1) * sizeof *r->mentions);
    if (!art->article_id || !art->sha256 || !art->source || !art->language || !art->processed_at || !r->incidents ||
        !r->mentions)
        goto nomem;

    for (size_t i = 0; i < doc->n_incidents; i++) {
        const incmap_incident *x = &doc->incidents[i];
        incmap_incident_row *o = &r->incidents[r->n_incidents++];
        incmap_gz_country c = {0, "", "", 0};
        if (x->country && *x->country &&
            incmap_gazetteer_country(ctx->gz, x->country, a, &c, err) != INCMAP_OK)
            goto fail;
        o->event_id_cnty = incmap_arena_printf(a, "%s%" PRIu64, c.found && *c.iso3 ? c.iso3 : "XXX",
                                               event_number(id, i));
        if (x->event_date[0]) {
            o->event_date = incmap_arena_strdup(a, x->event_date);
            o->year = atoi(x->event_date);
        }
        o->time_precision = x->time_precision;
        o->event_type = copy_str(a, x->event_type, &oom);
        o->sub_event_type = copy_str(a, x->sub_event_type, &oom);
        o->actor1 = copy_str(a, x->actor1, &oom);
        o->actor2 = copy_str(a, x->actor2, &oom);
        o->country = c.found ? copy_str(a, c.name, &oom) : NULL;
        o->iso = c.isonum;
        o->admin1 = copy_str(a, x->admin1, &oom);
        o->location = copy_str(a, x->location, &oom);
        const incmap_place *p = x->place >= 0 && (size_t)x->place < doc->n_places ? &doc->places[x->place] : NULL;
        if (p) {
            o->admin2 = copy_str(a, p->admin2, &oom);
            o->geonameid = p->resolved ? p->geonameid : p->fallback_geonameid;
        }
        o->has_coords = x->has_coords;
        o->latitude = round_to(x->lat, 1e6);
        o->longitude = round_to(x->lon, 1e6);
        o->geo_precision = x->geo_precision;
        o->fatalities = x->fatalities;
        o->source = art->source;
        o->notes = notes_of(x, a);
        o->confidence = round_to(x->confidence, 100);
        o->background = x->background;
        o->evidence = copy_str(a, x->evidence, &oom);
        o->article_id = art->article_id;
        if (oom || !o->event_id_cnty || (x->event_date[0] && !o->event_date) || !o->notes)
            goto nomem;
    }
    for (size_t i = 0; i < doc->n_places; i++) {
        const incmap_place *p = &doc->places[i];
        if (!p->resolved || !p->has_coords)
            continue; /* the layer is of places found; unresolved ones are in the JSON with their fallback */
        incmap_mention_row *m = &r->mentions[r->n_mentions++];
        m->article_id = art->article_id;
        m->text = copy_str(a, p->text, &oom);
        m->name = copy_str(a, p->name, &oom);
        m->feature_code = copy_str(a, p->feature_code, &oom);
        m->country = copy_str(a, p->country, &oom);
        m->admin1 = copy_str(a, p->admin1, &oom);
        m->why = copy_str(a, p->why, &oom);
        m->section = copy_str(a, p->section, &oom);
        m->start = (int64_t)p->start;
        m->end = (int64_t)p->end;
        m->geonameid = p->geonameid;
        m->latitude = round_to(p->lat, 1e6);
        m->longitude = round_to(p->lon, 1e6);
        m->score = round_to(p->score, 100);
        m->geo_precision = p->geo_precision;
        if (oom)
            goto nomem;
    }
    return r;
nomem:
    incmap_fail(err, INCMAP_ERR_NOMEM, "%s: out of memory", doc->source);
fail:
    incmap_doc_rows_destroy(r);
    return NULL;
}
