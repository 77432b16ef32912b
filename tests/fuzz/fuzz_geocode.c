/* fuzz_geocode.c: libFuzzer harness for the whole pipeline (incmap_geocode: text, sections,
 * tagger, resolver, incidents) on the bundled gazetteer, and the JSON contract of its result.
 * The last input byte chooses the language option and the publication date (none, a usual one,
 * or the extremes --published accepts). The doc must hold together: offsets inside the input,
 * indices inside their arrays, scores in [0, 1], dates that are calendar dates, JSON that parses. */
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "incmap.h"

#ifndef INCMAP_FUZZ_GAZETTEER
#error "INCMAP_FUZZ_GAZETTEER (the bundled gazetteer's path) comes from tests/fuzz/fuzz.cmake"
#endif

static incmap_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    incmap_options opt = incmap_default_options();
    opt.gazetteer_path = INCMAP_FUZZ_GAZETTEER;
    incmap_error err;
    if (!(ctx = incmap_ctx_new(&opt, &err))) {
        fprintf(stderr, "fuzz_geocode: %s\n", err.message);
        exit(1);
    }
    return 0;
}

static void check_str(const char *s)
{
    REQUIRE(s && incmap_utf8_valid(s, strlen(s)));
}

static void check_doc(const incmap_doc *d, size_t len)
{
    check_str(d->source);
    check_str(d->language);
    check_str(d->encoding);
    check_str(d->published_from);
    REQUIRE(!d->published[0] || incmap_valid_date(d->published));
    for (size_t i = 0; i < d->n_sentences; i++)
        REQUIRE(d->sentences[i].start <= d->sentences[i].end && d->sentences[i].end <= len);
    for (size_t i = 0; i < d->n_places; i++) {
        const incmap_place *p = &d->places[i];
        REQUIRE(p->start < p->end && p->end <= len);
        REQUIRE(p->sentence >= 0 && (size_t)p->sentence < d->n_sentences);
        REQUIRE(p->score >= 0 && p->score <= 1);
        REQUIRE(p->geo_precision >= 0 && p->geo_precision <= 3);
        REQUIRE(!p->resolved || (p->geonameid > 0 && p->has_coords));
        if (p->has_coords)
            REQUIRE(fabs(p->lat) <= 90 && fabs(p->lon) <= 180);
        check_str(p->text);
        check_str(p->name);
        check_str(p->why);
        check_str(p->section);
        check_str(p->country);
        check_str(p->admin1);
        check_str(p->admin2);
        check_str(p->fallback_name);
    }
    for (size_t i = 0; i < d->n_incidents; i++) {
        const incmap_incident *x = &d->incidents[i];
        if (x->event_date[0] && !incmap_valid_date(x->event_date)) {
            fprintf(stderr, "incident %zu: event_date '%s' (published '%s')\n", i, x->event_date, d->published);
            REQUIRE(incmap_valid_date(x->event_date));
        }
        REQUIRE(x->time_precision >= 0 && x->time_precision <= 3);
        REQUIRE(x->place >= -1 && (x->place < 0 || (size_t)x->place < d->n_places));
        REQUIRE(x->evidence_start <= x->evidence_end && x->evidence_end <= len);
        REQUIRE(x->fatalities >= 0 && x->injured >= -1);
        REQUIRE(x->confidence >= 0 && x->confidence <= 1);
        REQUIRE(x->geo_precision >= 0 && x->geo_precision <= 3);
        if (x->has_coords)
            REQUIRE(fabs(x->lat) <= 90 && fabs(x->lon) <= 180);
        check_str(x->date_text);
        check_str(x->event_type);
        check_str(x->sub_event_type);
        check_str(x->actor1);
        check_str(x->actor2);
        check_str(x->location);
        check_str(x->evidence);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const langs[] = {NULL, "fr", "en", "es"};
    static const char *const dates[] = {NULL, "2025-07-15", "0001-01-01", "9999-12-31"};
    unsigned mode = fuzz_take_byte(&data, &size);
    incmap_article_info info = {"fuzz.txt", langs[mode & 3], dates[(mode >> 2) & 3]};
    incmap_error err = {0};
    incmap_doc *doc = incmap_geocode(ctx, (const char *)data, size, &info, &err);
    if (!doc) {
        REQUIRE(err.code == INCMAP_ERR_ENCODING && strstr(err.message, "fuzz.txt"));
        return 0;
    }
    check_doc(doc, size);
    char *json = incmap_doc_to_json(doc, (mode >> 4) & 1);
    REQUIRE(json);
    cJSON *back = cJSON_Parse(json);
    REQUIRE(back);
    cJSON *places = cJSON_GetObjectItemCaseSensitive(back, "places");
    REQUIRE(cJSON_IsArray(places) && (size_t)cJSON_GetArraySize(places) == doc->n_places);
    cJSON_Delete(back);
    free(json);
    incmap_doc_destroy(doc);
    return 0;
}
