/* doc_json.c: a doc as the JSON contract of README.md (cJSON). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "incmap.h"

/* Numbers are formatted here and added raw: cJSON prints every double with up to three
 * printf calls to find the shortest round-trip form, which was a quarter of a geocode run. */
static cJSON *fixed(double v, int decimals)
{
    char b[48];
    if (!isfinite(v))
        return cJSON_CreateNull();
    int n = snprintf(b, sizeof b, "%.*f", decimals, v);
    if (decimals > 0 && n > 0 && (size_t)n < sizeof b) {
        while (b[n - 1] == '0')
            b[--n] = 0;
        if (b[n - 1] == '.')
            b[--n] = 0;
    }
    if (!strcmp(b, "-0"))
        strcpy(b, "0");
    return cJSON_CreateRaw(b);
}

static cJSON *integer(long long v)
{
    char b[24];
    snprintf(b, sizeof b, "%lld", v);
    return cJSON_CreateRaw(b);
}

static cJSON *num_or_null(int has, double v, int decimals)
{
    return has ? fixed(v, decimals) : cJSON_CreateNull();
}

static cJSON *str_or_null(const char *s)
{
    return s && *s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *place_json(const incmap_place *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", p->text);
    cJSON_AddItemToObject(o, "start", integer((long long)p->start));
    cJSON_AddItemToObject(o, "end", integer((long long)p->end));
    cJSON_AddBoolToObject(o, "resolved", p->resolved);
    cJSON_AddItemToObject(o, "geonameid", num_or_null(p->resolved, (double)p->geonameid, 0));
    cJSON_AddItemToObject(o, "name", str_or_null(p->name));
    cJSON_AddItemToObject(o, "feature_code", str_or_null(p->feature_code));
    cJSON_AddItemToObject(o, "country", str_or_null(p->country));
    cJSON_AddItemToObject(o, "admin1", str_or_null(p->admin1));
    cJSON_AddItemToObject(o, "admin2", str_or_null(p->admin2));
    cJSON_AddItemToObject(o, "lat", num_or_null(p->has_coords, p->lat, 6));
    cJSON_AddItemToObject(o, "lon", num_or_null(p->has_coords, p->lon, 6));
    cJSON_AddItemToObject(o, "geo_precision", num_or_null(p->geo_precision > 0, p->geo_precision, 0));
    cJSON_AddItemToObject(o, "score", fixed(p->score, 2));
    cJSON_AddStringToObject(o, "why", p->why);
    cJSON_AddStringToObject(o, "section", p->section);
    if (!p->resolved && p->fallback_geonameid) {
        cJSON *f = cJSON_AddObjectToObject(o, "fallback");
        cJSON_AddItemToObject(f, "geonameid", integer((long long)p->fallback_geonameid));
        cJSON_AddStringToObject(f, "name", p->fallback_name);
    }
    return o;
}

static cJSON *incident_json(const incmap_incident *x)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "event_date", str_or_null(x->event_date));
    cJSON_AddItemToObject(o, "time_precision", num_or_null(x->time_precision > 0, x->time_precision, 0));
    cJSON_AddItemToObject(o, "date_text", str_or_null(x->date_text));
    cJSON_AddItemToObject(o, "event_type", str_or_null(x->event_type));
    cJSON_AddItemToObject(o, "sub_event_type", str_or_null(x->sub_event_type));
    cJSON_AddItemToObject(o, "actor1", str_or_null(x->actor1));
    cJSON_AddItemToObject(o, "actor2", str_or_null(x->actor2));
    cJSON_AddItemToObject(o, "fatalities", integer(x->fatalities));
    cJSON_AddBoolToObject(o, "fatalities_stated", x->fatalities_stated);
    cJSON_AddItemToObject(o, "injured", num_or_null(x->injured >= 0, x->injured, 0));
    cJSON_AddItemToObject(o, "location", str_or_null(x->location));
    cJSON_AddItemToObject(o, "place", num_or_null(x->place >= 0, x->place, 0));
    cJSON_AddItemToObject(o, "lat", num_or_null(x->has_coords, x->lat, 6));
    cJSON_AddItemToObject(o, "lon", num_or_null(x->has_coords, x->lon, 6));
    cJSON_AddItemToObject(o, "country", str_or_null(x->country));
    cJSON_AddItemToObject(o, "admin1", str_or_null(x->admin1));
    cJSON_AddItemToObject(o, "geo_precision", num_or_null(x->geo_precision > 0, x->geo_precision, 0));
    cJSON_AddBoolToObject(o, "background", x->background);
    cJSON_AddItemToObject(o, "confidence", fixed(x->confidence, 2));
    cJSON *ev = cJSON_AddObjectToObject(o, "evidence");
    cJSON_AddItemToObject(ev, "start", integer((long long)x->evidence_start));
    cJSON_AddItemToObject(ev, "end", integer((long long)x->evidence_end));
    cJSON_AddStringToObject(ev, "text", x->evidence ? x->evidence : "");
    return o;
}

char *incmap_doc_to_json(const incmap_doc *doc, int pretty)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "source", doc->source);
    cJSON_AddStringToObject(o, "language", doc->language);
    cJSON_AddItemToObject(o, "published", str_or_null(doc->published));
    cJSON_AddStringToObject(o, "published_from", doc->published_from);
    cJSON_AddStringToObject(o, "encoding", doc->encoding);
    cJSON *places = cJSON_AddArrayToObject(o, "places");
    for (size_t i = 0; i < doc->n_places; i++)
        cJSON_AddItemToArray(places, place_json(&doc->places[i]));
    cJSON *inc = cJSON_AddArrayToObject(o, "incidents");
    for (size_t i = 0; i < doc->n_incidents; i++)
        cJSON_AddItemToArray(inc, incident_json(&doc->incidents[i]));
    char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}
