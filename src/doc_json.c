/* doc_json.c: a doc as the JSON contract of README.md, and docs as the GeoJSON FeatureCollection
 * that `geocode --format geojson` prints.
 *
 * The contract's one-line form (JSON Lines, what `geocode --format json` prints per article) is
 * written directly; its pretty form is printed by cJSON from a tree. Both give the same members
 * in the same order: the direct writer produces byte for byte what cJSON_PrintUnformatted gives
 * for that tree (test_geocode checks it), and saves building and freeing a node per field, which
 * was a fifth of a geocode run.
 *
 * The GeoJSON is written directly too, in both forms, a doc at a time (a tree of every article's
 * features took memory in proportion to the input and two thirds of the run): byte for byte what
 * cJSON_PrintUnformatted and cJSON_Print gave for the one tree it used to be built as
 * (test_geojson checks it). */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

#include "incmap.h"
#include "util.h"

/* Numbers are formatted here and added raw: cJSON prints every double with up to three
 * printf calls to find the shortest round-trip form, which was a quarter of a geocode run. */
static cJSON *fixed(double v, int decimals)
{
    char b[48];
    if (!isfinite(v))
        return cJSON_CreateNull();
    /* at most `decimals` decimals and no trailing zeros ("14.35005", "1", "0.9") */
    incmap_format_fixed_short(b, v, decimals);
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

/* ------------------------------------------------------------------ the direct writer */

/* Output; whether the object or array being written already has a member (so the next one
 * needs a comma); and for the pretty form, cJSON_Print's layout (an object's members one per line,
 * indented by a tab per level of objects and arrays; an array's elements on one line, ", "
 * between them), how deep the writer is. */
typedef struct {
    incmap_buf b;
    int more;
    int pretty, depth;
} json_out;

/* The bytes a JSON string cannot hold as they are: control characters, quote and backslash. */
static const unsigned char json_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1};

/* How many of the n bytes at s come before the first that json_special marks. Sixteen bytes at
 * a time with SSE2 (or eight in a 64-bit word elsewhere), as the output's strings (the evidence
 * sentences, the reasons) are most of it and seldom hold one; the last block of a string of 16
 * bytes or more overlaps the one before it (whose bytes were clean), shorter ones are looked at
 * byte by byte. */
static size_t clean_run(const char *s, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__) && defined(__GNUC__)
    if (n >= 16) {
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1f);
        for (;; i += 16) {
            if (i + 16 > n)
                i = n - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            /* a byte below 0x20 is one whose unsigned maximum with 0x1f is 0x1f */
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                       _mm_cmpeq_epi8(_mm_max_epu8(x, control), control));
            unsigned mask = (unsigned)_mm_movemask_epi8(hit);
            if (mask)
                return i + (size_t)__builtin_ctz(mask);
            if (i + 16 == n)
                return n;
        }
    }
#else
    /* a word holds such a byte when one of its bytes is below 0x20 or, xored with '"' or '\\',
     * is 0: the bit tricks below flag that exactly */
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, quote, backslash;
        memcpy(&x, s + i, 8);
        quote = x ^ (ones * '"');
        backslash = x ^ (ones * '\\');
        if ((((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) & highs)
            break;
    }
#endif
    while (i < n && !json_special[(unsigned char)s[i]])
        i++;
    return i;
}

/* The n bytes at s (no NUL among them) as a JSON string, as cJSON escapes it: quote, backslash
 * and the named control characters by their short escape, other control characters as \u00XX,
 * every other byte as it is. Written at p, which has room for it (2 + n bytes when the first
 * `clean` bytes hold none to escape, at most 6 per byte after them); returns its end. */
static char *string_at(char *p, const char *s, size_t n, size_t clean)
{
    static const char hex[] = "0123456789abcdef";
    *p++ = '"';
    for (size_t i = 0;;) {
        memcpy(p, s + i, clean);
        p += clean;
        i += clean;
        if (i == n)
            break;
        unsigned char c = (unsigned char)s[i++];
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            memcpy(p, "u00", 3);
            p[3] = hex[c >> 4];
            p[4] = hex[c & 15];
            p += 5;
        }
        clean = clean_run(s + i, n - i);
    }
    *p++ = '"';
    return p;
}

/* A member's key as written, with its length known at compile time: the keys are fixed ASCII
 * words, which JSON writes as they are. The text is followed by JSON_KEY_ROOM NULs, so that member
 * can copy a fixed JSON_KEY_ROOM bytes of it (a few moves, where a copy of a length known only at
 * run time was a call) and keep the first n. */
typedef struct {
    const char *s;
    size_t n;
} json_key;
#define JSON_KEY_ROOM 24
#define K(name)                                                                                        \
    ((json_key){"\"" name "\":" "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",              \
                sizeof("\"" name "\":") - 1})

static void indent(json_out *w)
{
    for (int i = 0; i < w->depth; i++)
        incmap_buf_putc(&w->b, '\t');
}

/* Out of line, so that key stays small enough to be inlined in the one-line writers, where it
 * runs for every member. */
__attribute__((noinline)) static void pretty_key(json_out *w, json_key k)
{
    incmap_buf_append(&w->b, ",\n", w->more ? 2 : 0);
    indent(w);
    w->more = 1;
    incmap_buf_append(&w->b, k.s, k.n);
    incmap_buf_putc(&w->b, '\t');
}

/* The separator and a member's key, and room for n bytes of its value after them: where to write
 * the value (ending with incmap_buf_done), or NULL when out of memory. One check of the room per
 * member rather than one per append. */
static char *member(json_out *w, json_key k, size_t n)
{
    if (w->pretty) {
        pretty_key(w, k);
        return incmap_buf_room(&w->b, n);
    }
    char *p = incmap_buf_room(&w->b, 1 + JSON_KEY_ROOM + k.n + n);
    if (!p)
        return NULL;
    if (w->more)
        *p++ = ',';
    w->more = 1;
    if (k.n <= JSON_KEY_ROOM)
        memcpy(p, k.s, JSON_KEY_ROOM); /* the bytes after the key are written over */
    else
        memcpy(p, k.s, k.n);
    return p + k.n;
}

static void key(json_out *w, json_key k)
{
    char *p = member(w, k, 0);
    if (p)
        incmap_buf_done(&w->b, p);
}

/* Before an array's element: the separator from the one before. */
static void element(json_out *w)
{
    if (w->more)
        incmap_buf_append(&w->b, ", ", w->pretty ? 2 : 1);
    w->more = 1;
}

/* An object or array as a member's value (after key) or an array's element (after element). */
static void open_value(json_out *w, char bracket)
{
    incmap_buf_putc(&w->b, bracket);
    if (w->pretty && bracket == '{')
        incmap_buf_putc(&w->b, '\n');
    w->depth++;
    w->more = 0;
}

static void close_value(json_out *w, char bracket)
{
    w->depth--;
    if (w->pretty && bracket == '}') {
        if (w->more)
            incmap_buf_putc(&w->b, '\n');
        indent(w);
    }
    incmap_buf_putc(&w->b, bracket);
    w->more = 1;
}

static void open_member(json_out *w, json_key k, char bracket)
{
    key(w, k);
    open_value(w, bracket);
}

/* A string member; as with cJSON_AddStringToObject, a NULL string leaves the member out. */
static void put_str(json_out *w, json_key k, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s), clean = clean_run(s, n);
    char *p = member(w, k, 2 + clean + 6 * (n - clean));
    if (p)
        incmap_buf_done(&w->b, string_at(p, s, n, clean));
}

static void put_str_or_null(json_out *w, json_key k, const char *s)
{
    if (s && *s) {
        put_str(w, k, s);
        return;
    }
    char *p = member(w, k, 4);
    if (p) {
        memcpy(p, "null", 4);
        incmap_buf_done(&w->b, p + 4);
    }
}

static void put_num(json_out *w, json_key k, int has, double v, int decimals)
{
    char *p = member(w, k, 48); /* incmap_format_fixed_short's most */
    if (!p)
        return;
    if (has && decimals == 0 && fabs(v) < 1e15 && v == (double)(long long)v) {
        /* a whole number (a geonameid, a precision level): its digits, as the fixed-point
         * text would give them ("0" for -0 too), without its arithmetic */
        p += incmap_format_int(p, (long long)v);
    } else if (has && isfinite(v)) {
        p += incmap_format_fixed_short(p, v, decimals);
    } else {
        memcpy(p, "null", 4);
        p += 4;
    }
    incmap_buf_done(&w->b, p);
}

static void put_int(json_out *w, json_key k, long long v)
{
    char *p = member(w, k, 21);
    if (p)
        incmap_buf_done(&w->b, p + incmap_format_int(p, v));
}

static void put_bool(json_out *w, json_key k, int v)
{
    char *p = member(w, k, 5);
    if (!p)
        return;
    size_t n = v ? 4 : 5;
    memcpy(p, v ? "true" : "false", n);
    incmap_buf_done(&w->b, p + n);
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
        close_value(w, '}');
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
    close_value(w, '}');
}

/* ------------------------------------------------------------------ the one-line form */

static char *doc_print_line(const incmap_doc *doc)
{
    json_out w = {{0}, 0, 0, 0};
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
    close_value(&w, ']');
    open_member(&w, K("incidents"), '[');
    for (size_t i = 0; i < doc->n_incidents; i++) {
        if (i)
            incmap_buf_putc(&w.b, ',');
        incmap_buf_putc(&w.b, '{');
        w.more = 0;
        incident_line(&w, &doc->incidents[i]);
        incmap_buf_putc(&w.b, '}');
    }
    close_value(&w, ']');
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

/* ------------------------------------------------------------------ the GeoJSON */

/* The GeoJSON's numbers are what cJSON printed when the features were a cJSON tree, not the
 * JSON contract's fixed decimals (put_num): the two differ on a coordinate below 1e-4 ("1e-05"
 * against "0.00001") and on a halfway case that round(v * 1e6) sends one way and the exact
 * decimal expansion the other. */

/* A number as cJSON 1.7.15's print_number writes it: null for NaN and the infinities; else
 * "%1.15g" when that reads back within DBL_EPSILON of the number (relatively), else "%1.17g"; with
 * the locale's decimal point turned into '.'. (Later cJSONs print an integer within int's range
 * with "%d": the same digits, but "0" for negative zero where 1.7.15 prints "-0"; test_geojson
 * compares with the cJSON of the build.) The integers below 1e15, which "%1.15g" prints in full,
 * are written without printf. */
static void put_number_as_cjson(incmap_buf *b, double d)
{
    if (isnan(d) || isinf(d)) {
        incmap_buf_append(b, "null", 4);
        return;
    }
    if (fabs(d) < 1e15 && d == trunc(d)) {
        if (signbit(d))
            incmap_buf_putc(b, '-'); /* "-0" too */
        incmap_buf_put_uint(b, (uint64_t)fabs(d));
        return;
    }
    char t[32]; /* "%1.17g" takes at most 24 bytes ("-1.2345678901234567e-308") */
    double back = 0;
    snprintf(t, sizeof t, "%1.15g", d);
    if (sscanf(t, "%lg", &back) != 1 || !(fabs(back - d) <= fmax(fabs(back), fabs(d)) * DBL_EPSILON))
        snprintf(t, sizeof t, "%1.17g", d);
    char point = localeconv()->decimal_point[0];
    for (char *c = t; *c; c++)
        if (*c == point)
            *c = '.';
    incmap_buf_puts(b, t);
}

/* round(v * 10^decimals) / 10^decimals (decimals <= 6) as cJSON prints it: how the coordinates
 * (6 decimals) and scores (2) were rounded before they were added to the tree. The quotient is
 * the double nearest k / 10^decimals for the integer k, and "%1.15g" of it gives k's digits with
 * the point put back and trailing zeros dropped (15 significant digits tell apart decimals of up
 * to 15 digits, and they read back exactly): written here without printf. Unless %g turns to
 * an exponent, below 1e-4 or from 1e15: those, NaN and the infinities go to
 * put_number_as_cjson. */
static void put_rounded_as_cjson(incmap_buf *b, double v, int decimals)
{
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    double k = round(v * scale[decimals]), q = k / scale[decimals];
    if (!(fabs(k) < 1e15) || (k != 0 && fabs(q) < 1e-4)) {
        put_number_as_cjson(b, q);
        return;
    }
    uint64_t digits = (uint64_t)fabs(k), unit = (uint64_t)scale[decimals];
    if (signbit(k))
        incmap_buf_putc(b, '-'); /* "-0" too: -0.0000001 rounds to -0 */
    incmap_buf_put_uint(b, digits / unit);
    uint64_t frac = digits % unit;
    if (frac) {
        int n = decimals;
        for (; frac % 10 == 0; frac /= 10)
            n--;
        char t[8] = {'.'};
        for (int i = n; i > 0; i--, frac /= 10)
            t[i] = (char)('0' + frac % 10);
        incmap_buf_append(b, t, (size_t)n + 1);
    }
}

static void put_cjson_num(json_out *w, json_key k, double v)
{
    key(w, k);
    put_number_as_cjson(&w->b, v);
}

static void put_cjson_rounded(json_out *w, json_key k, double v, int decimals)
{
    key(w, k);
    put_rounded_as_cjson(&w->b, v, decimals);
}

static void put_null(json_out *w, json_key k)
{
    key(w, k);
    incmap_buf_append(&w->b, "null", 4);
}

/* A feature's id: its numbers joined by '-' ("120-126"), as a string. */
static void put_id(json_out *w, const size_t *parts, int n)
{
    key(w, K("id"));
    incmap_buf_putc(&w->b, '"');
    for (int i = 0; i < n; i++) {
        if (i)
            incmap_buf_putc(&w->b, '-');
        incmap_buf_put_uint(&w->b, parts[i]);
    }
    incmap_buf_putc(&w->b, '"');
}

/* RFC 7946: lon, lat. */
static void put_point(json_out *w, double lon, double lat)
{
    open_member(w, K("geometry"), '{');
    put_str(w, K("type"), "Point");
    open_member(w, K("coordinates"), '[');
    element(w);
    put_rounded_as_cjson(&w->b, lon, 6);
    element(w);
    put_rounded_as_cjson(&w->b, lat, 6);
    close_value(w, ']');
    close_value(w, '}');
}

/* A place's members, as the contract names them, for the places view. */
static void place_feature(json_out *w, const incmap_doc *doc, const incmap_place *p)
{
    put_str(w, K("type"), "Feature");
    put_id(w, (const size_t[]){p->start, p->end}, 2);
    put_point(w, p->lon, p->lat);
    open_member(w, K("properties"), '{');
    put_str(w, K("source"), doc->source);
    put_str(w, K("text"), p->text);
    put_cjson_num(w, K("start"), (double)p->start);
    put_cjson_num(w, K("end"), (double)p->end);
    put_bool(w, K("resolved"), p->resolved);
    if (p->resolved)
        put_cjson_num(w, K("geonameid"), (double)p->geonameid);
    else
        put_null(w, K("geonameid"));
    put_str(w, K("name"), p->name);
    put_str(w, K("feature_code"), p->feature_code);
    put_str(w, K("country"), p->country);
    put_str(w, K("admin1"), p->admin1);
    put_str(w, K("admin2"), p->admin2);
    put_cjson_num(w, K("geo_precision"), p->geo_precision);
    put_cjson_rounded(w, K("score"), p->score, 2);
    put_str(w, K("why"), p->why);
    put_str(w, K("section"), p->section);
    close_value(w, '}');
}

/* The incidents view: the contract's incident fields. The id holds the incident's index in its
 * doc, as two incidents may come from the same sentence. */
static void incident_feature(json_out *w, const incmap_doc *doc, const incmap_incident *x, size_t index)
{
    put_str(w, K("type"), "Feature");
    put_id(w, (const size_t[]){x->evidence_start, x->evidence_end, index}, 3);
    put_point(w, x->lon, x->lat);
    open_member(w, K("properties"), '{');
    put_str(w, K("source"), doc->source);
    put_str_or_null(w, K("event_date"), x->event_date);
    put_cjson_num(w, K("time_precision"), x->time_precision);
    put_str(w, K("event_type"), x->event_type);
    put_str(w, K("sub_event_type"), x->sub_event_type);
    put_str(w, K("actor1"), x->actor1);
    put_str(w, K("actor2"), x->actor2);
    put_cjson_num(w, K("fatalities"), x->fatalities);
    put_str(w, K("location"), x->location);
    put_str(w, K("country"), x->country);
    put_str(w, K("admin1"), x->admin1);
    put_cjson_num(w, K("geo_precision"), x->geo_precision);
    put_bool(w, K("background"), x->background);
    put_cjson_rounded(w, K("confidence"), x->confidence, 2);
    put_str(w, K("evidence"), x->evidence ? x->evidence : "");
    close_value(w, '}');
}

struct incmap_geojson_stream {
    json_out w;  /* the piece being given out, and where in the collection the writer is */
    int incidents;
    int opened;  /* the collection's opening was given out */
};

incmap_geojson_stream *incmap_geojson_stream_new(int incidents, int pretty)
{
    incmap_geojson_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->incidents = incidents;
    s->w.pretty = pretty;
    return s;
}

void incmap_geojson_stream_destroy(incmap_geojson_stream *s)
{
    if (!s)
        return;
    incmap_buf_free(&s->w.b);
    free(s);
}

/* The collection's opening goes out with the first piece, not at _new: a run that stops before
 * its first article (a usage error) prints nothing, as it did. */
static void start_piece(incmap_geojson_stream *s)
{
    incmap_buf_clear(&s->w.b);
    if (s->opened)
        return;
    s->opened = 1;
    open_value(&s->w, '{');
    put_str(&s->w, K("type"), "FeatureCollection");
    open_member(&s->w, K("features"), '[');
}

static const char *piece(incmap_geojson_stream *s, size_t *len)
{
    if (s->w.b.oom)
        return NULL;
    if (len)
        *len = s->w.b.len;
    return s->w.b.s ? s->w.b.s : "";
}

const char *incmap_geojson_stream_add(incmap_geojson_stream *s, const incmap_doc *doc, size_t *len)
{
    json_out *w = &s->w;
    start_piece(s);
    if (s->incidents) {
        for (size_t i = 0; i < doc->n_incidents; i++) {
            if (!doc->incidents[i].has_coords)
                continue;
            element(w);
            open_value(w, '{');
            incident_feature(w, doc, &doc->incidents[i], i);
            close_value(w, '}');
        }
    } else {
        for (size_t i = 0; i < doc->n_places; i++) {
            if (!doc->places[i].has_coords)
                continue;
            element(w);
            open_value(w, '{');
            place_feature(w, doc, &doc->places[i]);
            close_value(w, '}');
        }
    }
    return piece(s, len);
}

const char *incmap_geojson_stream_finish(incmap_geojson_stream *s, size_t *len)
{
    start_piece(s);
    close_value(&s->w, ']');
    close_value(&s->w, '}');
    return piece(s, len);
}
