/* doc_json.c: a doc as the JSON contract of README.md. The one-line form (JSON Lines, what
 * `geocode --format json` prints per article) is written directly; the pretty form is printed by
 * cJSON from a tree. Both give the same members in the same order: the direct writer produces
 * byte for byte what cJSON_PrintUnformatted gives for that tree (test_geocode checks it), and
 * saves building and freeing a node per field, which was a fifth of a geocode run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "incmap.h"
#include "util.h"

/* A number with at most `decimals` decimals and no trailing zeros ("14.35005", "1", "0.9"), as
 * both forms print it. */
static void fixed_text(char b[48], double v, int decimals)
{
    size_t n = incmap_format_fixed(b, v, decimals);
    if (decimals > 0 && n > 0 && n < 48) {
        while (b[n - 1] == '0')
            b[--n] = 0;
        if (b[n - 1] == '.')
            b[--n] = 0;
    }
    if (!strcmp(b, "-0"))
        strcpy(b, "0");
}

/* Numbers are formatted here and added raw: cJSON prints every double with up to three
 * printf calls to find the shortest round-trip form, which was a quarter of a geocode run. */
static cJSON *fixed(double v, int decimals)
{
    char b[48];
    if (!isfinite(v))
        return cJSON_CreateNull();
    fixed_text(b, v, decimals);
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

/* ------------------------------------------------------------------ the pretty form */

static char *doc_print_pretty(const incmap_doc *doc)
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
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}

/* ------------------------------------------------------------------ the one-line form */

/* Output and whether the object or array being written already has a member (so the next one
 * needs a comma). */
typedef struct {
    incmap_buf b;
    int more;
} json_out;

/* The bytes put_string stops at: control characters (NUL ends the string), quote and
 * backslash. A table, as the loop runs over every byte of the output's text (the evidence
 * sentences are most of it). */
static const unsigned char json_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1};

/* A JSON string as cJSON escapes it: quote, backslash and the named control characters by
 * their short escape, other control characters as \u00XX, every other byte as it is. */
static void put_string(incmap_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    incmap_buf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (;; p++) {
        if (!json_special[*p])
            continue;
        incmap_buf_append(b, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        run = p + 1;
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (*p) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
            n = 6;
        }
        incmap_buf_append(b, esc, n);
    }
    incmap_buf_putc(b, '"');
}

/* A member's key as written, with its length known at compile time: the keys are fixed ASCII
 * words, which JSON writes as they are. */
typedef struct {
    const char *s;
    size_t n;
} json_key;
#define K(name) ((json_key){"\"" name "\":", sizeof("\"" name "\":") - 1})

static void key(json_out *w, json_key k)
{
    if (w->more)
        incmap_buf_putc(&w->b, ',');
    w->more = 1;
    incmap_buf_append(&w->b, k.s, k.n);
}

static void open_member(json_out *w, json_key k, char bracket)
{
    key(w, k);
    incmap_buf_putc(&w->b, bracket);
    w->more = 0;
}

static void close_member(json_out *w, char bracket)
{
    incmap_buf_putc(&w->b, bracket);
    w->more = 1;
}

/* A string member; as with cJSON_AddStringToObject, a NULL string leaves the member out. */
static void put_str(json_out *w, json_key k, const char *s)
{
    if (!s)
        return;
    key(w, k);
    put_string(&w->b, s);
}

static void put_str_or_null(json_out *w, json_key k, const char *s)
{
    key(w, k);
    if (s && *s)
        put_string(&w->b, s);
    else
        incmap_buf_append(&w->b, "null", 4);
}

static void put_num(json_out *w, json_key k, int has, double v, int decimals)
{
    key(w, k);
    if (has && decimals == 0 && fabs(v) < 1e15 && v == (double)(long long)v) {
        /* a whole number (a geonameid, a precision level): its digits, as fixed_text gives
         * them ("0" for -0 too), without the fixed-point arithmetic */
        incmap_buf_put_int(&w->b, (long long)v);
    } else if (has && isfinite(v)) {
        char t[48];
        fixed_text(t, v, decimals);
        incmap_buf_puts(&w->b, t);
    } else {
        incmap_buf_append(&w->b, "null", 4);
    }
}

static void put_int(json_out *w, json_key k, long long v)
{
    key(w, k);
    incmap_buf_put_int(&w->b, v);
}

static void put_bool(json_out *w, json_key k, int v)
{
    key(w, k);
    incmap_buf_puts(&w->b, v ? "true" : "false");
}

static void place_line(json_out *w, const incmap_place *p)
{
    put_str(w, K("text"), p->text);
    put_int(w, K("start"), (long long)p->start);
    put_int(w, K("end"), (long long)p->end);
    put_bool(w, K("resolved"), p->resolved);
    put_num(w, K("geonameid"), p->resolved, (double)p->geonameid, 0);
    put_str_or_null(w, K("name"), p->name);
    put_str_or_null(w, K("feature_code"), p->feature_code);
    put_str_or_null(w, K("country"), p->country);
    put_str_or_null(w, K("admin1"), p->admin1);
    put_str_or_null(w, K("admin2"), p->admin2);
    put_num(w, K("lat"), p->has_coords, p->lat, 6);
    put_num(w, K("lon"), p->has_coords, p->lon, 6);
    put_num(w, K("geo_precision"), p->geo_precision > 0, p->geo_precision, 0);
    put_num(w, K("score"), 1, p->score, 2);
    put_str(w, K("why"), p->why);
    put_str(w, K("section"), p->section);
    if (!p->resolved && p->fallback_geonameid) {
        open_member(w, K("fallback"), '{');
        put_int(w, K("geonameid"), (long long)p->fallback_geonameid);
        put_str(w, K("name"), p->fallback_name);
        close_member(w, '}');
    }
}

static void incident_line(json_out *w, const incmap_incident *x)
{
    put_str_or_null(w, K("event_date"), x->event_date);
    put_num(w, K("time_precision"), x->time_precision > 0, x->time_precision, 0);
    put_str_or_null(w, K("date_text"), x->date_text);
    put_str_or_null(w, K("event_type"), x->event_type);
    put_str_or_null(w, K("sub_event_type"), x->sub_event_type);
    put_str_or_null(w, K("actor1"), x->actor1);
    put_str_or_null(w, K("actor2"), x->actor2);
    put_int(w, K("fatalities"), x->fatalities);
    put_bool(w, K("fatalities_stated"), x->fatalities_stated);
    put_num(w, K("injured"), x->injured >= 0, x->injured, 0);
    put_str_or_null(w, K("location"), x->location);
    put_num(w, K("place"), x->place >= 0, x->place, 0);
    put_num(w, K("lat"), x->has_coords, x->lat, 6);
    put_num(w, K("lon"), x->has_coords, x->lon, 6);
    put_str_or_null(w, K("country"), x->country);
    put_str_or_null(w, K("admin1"), x->admin1);
    put_num(w, K("geo_precision"), x->geo_precision > 0, x->geo_precision, 0);
    put_bool(w, K("background"), x->background);
    put_num(w, K("confidence"), 1, x->confidence, 2);
    open_member(w, K("evidence"), '{');
    put_int(w, K("start"), (long long)x->evidence_start);
    put_int(w, K("end"), (long long)x->evidence_end);
    put_str(w, K("text"), x->evidence ? x->evidence : "");
    close_member(w, '}');
}

static char *doc_print_line(const incmap_doc *doc)
{
    json_out w = {{0}, 0};
    /* A place takes some 350 bytes, an incident some 500 and its evidence sentence: room for
     * the line at once, rather than by doubling from empty. */
    size_t size = 512 + 512 * (doc->n_places + doc->n_incidents);
    for (size_t i = 0; i < doc->n_incidents; i++)
        if (doc->incidents[i].evidence_end > doc->incidents[i].evidence_start)
            size += doc->incidents[i].evidence_end - doc->incidents[i].evidence_start;
    incmap_buf_reserve(&w.b, size);
    incmap_buf_putc(&w.b, '{');
    put_str(&w, K("source"), doc->source);
    put_str(&w, K("language"), doc->language);
    put_str_or_null(&w, K("published"), doc->published);
    put_str(&w, K("published_from"), doc->published_from);
    put_str(&w, K("encoding"), doc->encoding);
    open_member(&w, K("places"), '[');
    for (size_t i = 0; i < doc->n_places; i++) {
        if (i)
            incmap_buf_putc(&w.b, ',');
        incmap_buf_putc(&w.b, '{');
        w.more = 0;
        place_line(&w, &doc->places[i]);
        incmap_buf_putc(&w.b, '}');
    }
    close_member(&w, ']');
    open_member(&w, K("incidents"), '[');
    for (size_t i = 0; i < doc->n_incidents; i++) {
        if (i)
            incmap_buf_putc(&w.b, ',');
        incmap_buf_putc(&w.b, '{');
        w.more = 0;
        incident_line(&w, &doc->incidents[i]);
        incmap_buf_putc(&w.b, '}');
    }
    close_member(&w, ']');
    incmap_buf_putc(&w.b, '}');
    if (w.b.oom) {
        incmap_buf_free(&w.b);
        return NULL;
    }
    return w.b.s; /* the caller frees it */
}

char *incmap_doc_to_json(const incmap_doc *doc, int pretty)
{
    return pretty ? doc_print_pretty(doc) : doc_print_line(doc);
}
