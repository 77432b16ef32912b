/* test_geojson.c: the GeoJSON of `geocode --format geojson`, which incmap_geojson_stream writes a
 * doc at a time, against what the command printed when it built one cJSON tree of every doc's
 * features (reference_collection below: that code as it was): byte for byte, compact and pretty,
 * places and incidents, on the fixture and evaluation articles, on hand-made docs with awkward
 * values (escapes, NULL strings, NaN, negative zero, numbers cJSON prints with an exponent), and
 * on random numbers, as the writer reproduces cJSON's number printing without cJSON. */
#include <dirent.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "incmap.h"
#include "testing.h"

/* ---------------------------------------------------------------- the reference */

/* A feature of id at lon, lat appended to features, as the old tree was built; returns its
 * properties object. */
static cJSON *reference_feature(cJSON *features, const char *id, double lon, double lat)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "type", "Feature");
    cJSON_AddStringToObject(f, "id", id);
    cJSON *g = cJSON_AddObjectToObject(f, "geometry");
    cJSON_AddStringToObject(g, "type", "Point");
    cJSON *c = cJSON_AddArrayToObject(g, "coordinates");
    cJSON_AddItemToArray(c, cJSON_CreateNumber(round(lon * 1e6) / 1e6));
    cJSON_AddItemToArray(c, cJSON_CreateNumber(round(lat * 1e6) / 1e6));
    cJSON_AddItemToArray(features, f);
    return cJSON_AddObjectToObject(f, "properties");
}

static void reference_incidents(cJSON *features, const incmap_doc *doc)
{
    for (size_t i = 0; i < doc->n_incidents; i++) {
        const incmap_incident *x = &doc->incidents[i];
        if (!x->has_coords)
            continue;
        char id[96];
        snprintf(id, sizeof id, "%zu-%zu-%zu", x->evidence_start, x->evidence_end, i);
        cJSON *props = reference_feature(features, id, x->lon, x->lat);
        cJSON_AddStringToObject(props, "source", doc->source);
        if (x->event_date[0])
            cJSON_AddStringToObject(props, "event_date", x->event_date);
        else
            cJSON_AddNullToObject(props, "event_date");
        cJSON_AddNumberToObject(props, "time_precision", x->time_precision);
        cJSON_AddStringToObject(props, "event_type", x->event_type);
        cJSON_AddStringToObject(props, "sub_event_type", x->sub_event_type);
        cJSON_AddStringToObject(props, "actor1", x->actor1);
        cJSON_AddStringToObject(props, "actor2", x->actor2);
        cJSON_AddNumberToObject(props, "fatalities", x->fatalities);
        cJSON_AddStringToObject(props, "location", x->location);
        cJSON_AddStringToObject(props, "country", x->country);
        cJSON_AddStringToObject(props, "admin1", x->admin1);
        cJSON_AddNumberToObject(props, "geo_precision", x->geo_precision);
        cJSON_AddBoolToObject(props, "background", x->background);
        cJSON_AddNumberToObject(props, "confidence", round(x->confidence * 100) / 100);
        cJSON_AddStringToObject(props, "evidence", x->evidence ? x->evidence : "");
    }
}

static void reference_places(cJSON *features, const incmap_doc *doc)
{
    for (size_t i = 0; i < doc->n_places; i++) {
        const incmap_place *p = &doc->places[i];
        if (!p->has_coords)
            continue;
        char id[64];
        snprintf(id, sizeof id, "%zu-%zu", p->start, p->end);
        cJSON *props = reference_feature(features, id, p->lon, p->lat);
        cJSON_AddStringToObject(props, "source", doc->source);
        cJSON_AddStringToObject(props, "text", p->text);
        cJSON_AddNumberToObject(props, "start", (double)p->start);
        cJSON_AddNumberToObject(props, "end", (double)p->end);
        cJSON_AddBoolToObject(props, "resolved", p->resolved);
        if (p->resolved)
            cJSON_AddNumberToObject(props, "geonameid", (double)p->geonameid);
        else
            cJSON_AddNullToObject(props, "geonameid");
        cJSON_AddStringToObject(props, "name", p->name);
        cJSON_AddStringToObject(props, "feature_code", p->feature_code);
        cJSON_AddStringToObject(props, "country", p->country);
        cJSON_AddStringToObject(props, "admin1", p->admin1);
        cJSON_AddStringToObject(props, "admin2", p->admin2);
        cJSON_AddNumberToObject(props, "geo_precision", p->geo_precision);
        cJSON_AddNumberToObject(props, "score", round(p->score * 100) / 100);
        cJSON_AddStringToObject(props, "why", p->why);
        cJSON_AddStringToObject(props, "section", p->section);
    }
}

static char *reference_collection(const incmap_doc *const *docs, size_t n, int incidents, int pretty)
{
    cJSON *fc = cJSON_CreateObject();
    cJSON_AddStringToObject(fc, "type", "FeatureCollection");
    cJSON *features = cJSON_AddArrayToObject(fc, "features");
    for (size_t i = 0; i < n; i++) {
        if (incidents)
            reference_incidents(features, docs[i]);
        else
            reference_places(features, docs[i]);
    }
    char *s = pretty ? cJSON_Print(fc) : cJSON_PrintUnformatted(fc);
    cJSON_Delete(fc);
    return s;
}

/* ---------------------------------------------------------------- the stream */

static void append(char **out, size_t *len, const char *s, size_t n)
{
    *out = realloc(*out, *len + n + 1);
    assert_non_null(*out);
    memcpy(*out + *len, s, n);
    *len += n;
    (*out)[*len] = 0;
}

/* The stream's pieces, joined; NULL when one was NULL. */
static char *stream_collection(const incmap_doc *const *docs, size_t n, int incidents, int pretty)
{
    incmap_geojson_stream *g = incmap_geojson_stream_new(incidents, pretty);
    assert_non_null(g);
    char *out = NULL;
    size_t len = 0, n_piece = 0;
    append(&out, &len, "", 0);
    for (size_t i = 0; i <= n; i++) {
        const char *piece = i < n ? incmap_geojson_stream_add(g, docs[i], &n_piece)
                                  : incmap_geojson_stream_finish(g, &n_piece);
        if (!piece) {
            free(out);
            incmap_geojson_stream_destroy(g);
            return NULL;
        }
        assert_int_equal(strlen(piece), n_piece);
        append(&out, &len, piece, n_piece);
    }
    incmap_geojson_stream_destroy(g);
    return out;
}

/* Both ways, the four forms; a difference is shown around its first byte. */
static void check_collection(const incmap_doc *const *docs, size_t n, const char *label, int *bad)
{
    for (int form = 0; form < 4; form++) {
        int incidents = form & 1, pretty = form >> 1;
        char *got = stream_collection(docs, n, incidents, pretty);
        char *want = reference_collection(docs, n, incidents, pretty);
        assert_non_null(want);
        if (!got || strcmp(got, want)) {
            size_t at = 0;
            while (got && got[at] && got[at] == want[at])
                at++;
            size_t from = at > 120 ? at - 120 : 0;
            CHECK_TRUE(*bad, 0, "%s (%s, %s): differs at byte %zu\nstream   ...%.240s\nreference ...%.240s", label,
                       incidents ? "incidents" : "places", pretty ? "pretty" : "compact", at,
                       got ? got + from : "(NULL)", want + from);
        }
        free(got);
        free(want);
    }
}

/* ---------------------------------------------------------------- articles */

static int is_txt(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && !strcmp(e->d_name + n - 4, ".txt");
}

/* Geocodes the *.txt of dir in name order into docs[*n...]. */
static void geocode_dir(incmap_ctx *ctx, const char *dir, incmap_doc **docs, size_t *n, size_t cap)
{
    struct dirent **names;
    int k = scandir(dir, &names, is_txt, alphasort);
    assert_true(k > 0);
    for (int i = 0; i < k; i++) {
        char path[4096], *bytes = NULL;
        size_t len = 0;
        incmap_error err;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        assert_int_equal(incmap_read_file(path, 0, &bytes, &len, &err), INCMAP_OK);
        incmap_article_info info = {.source = path};
        incmap_doc *d = incmap_geocode(ctx, bytes, len, &info, &err);
        free(bytes);
        if (!d)
            fail_msg("%s: %s", path, err.message);
        assert_true(*n < cap);
        docs[(*n)++] = d;
        free(names[i]);
    }
    free(names);
}

static void test_articles(void **state)
{
    incmap_ctx *ctx = *state;
    incmap_doc *docs[256];
    size_t n = 0, with_places = 0, with_incidents = 0;
    geocode_dir(ctx, INCMAP_TEST_DATA "/articles", docs, &n, N_ROWS(docs));
    geocode_dir(ctx, INCMAP_TEST_DATA "/../eval/articles", docs, &n, N_ROWS(docs));
    for (size_t i = 0; i < n; i++) {
        with_places += docs[i]->n_places > 0;
        with_incidents += docs[i]->n_incidents > 0;
    }
    /* the articles must exercise both views */
    assert_true(n >= 40 && with_places >= 30 && with_incidents >= 20);
    int bad = 0;
    check_collection((const incmap_doc *const *)docs, n, "every article", &bad);
    for (size_t i = 0; i < n; i++)
        check_collection((const incmap_doc *const *)docs + i, 1, docs[i]->source, &bad);
    for (size_t i = 0; i < n; i++)
        incmap_doc_destroy(docs[i]);
    END_TABLE(bad);
}

/* ---------------------------------------------------------------- no features */

static void test_empty(void **state)
{
    (void)state;
    static const char *want = "{\"type\":\"FeatureCollection\",\"features\":[]}";
    static const char *want_pretty = "{\n\t\"type\":\t\"FeatureCollection\",\n\t\"features\":\t[]\n}";
    char *got = stream_collection(NULL, 0, 0, 0);
    assert_string_equal(got, want);
    free(got);
    got = stream_collection(NULL, 0, 1, 1);
    assert_string_equal(got, want_pretty);
    free(got);

    /* docs whose places and incidents have no coordinates give no feature either */
    incmap_place place = {.text = "Nowhere", .start = 0, .end = 7, .name = "", .feature_code = "", .country = "",
                          .admin1 = "", .admin2 = "", .why = "", .section = "body"};
    incmap_incident incident = {.event_type = "Battles", .place = -1, .injured = -1};
    incmap_doc d = {.source = "a.txt", .places = &place, .n_places = 1, .incidents = &incident, .n_incidents = 1};
    const incmap_doc *docs[] = {&d, &d};
    int bad = 0;
    check_collection(docs, 2, "no coordinates", &bad);
    got = stream_collection(docs, 2, 0, 0);
    CHECK_STR(bad, "no coordinates", want, got);
    free(got);
    END_TABLE(bad);
}

/* ---------------------------------------------------------------- awkward values */

static void test_awkward_values(void **state)
{
    (void)state;
    incmap_place places[] = {
        {.text = "x\n\r\"y\"\\\x01\x1f\x7f", .start = 1, .end = 5, .resolved = 1, .geonameid = 2460489,
         .name = "Bandiagara", .feature_code = "PPL", .country = "ML", .admin1 = "Mopti", .admin2 = "",
         .has_coords = 1, .lat = -0.0000001, .lon = 0.0000005, .geo_precision = 1, .score = 0.125, .why = "é\x02",
         .section = "body"},
        /* NULL strings are left out, as cJSON_AddStringToObject leaves them */
        {.text = NULL, .resolved = 0, .name = NULL, .feature_code = NULL, .country = NULL, .admin1 = NULL,
         .admin2 = NULL, .has_coords = 1, .lat = NAN, .lon = INFINITY, .geo_precision = 0, .score = -0.0,
         .why = NULL, .section = NULL},
        /* cJSON prints these with an exponent, or with 17 digits */
        {.text = "tiny", .start = (size_t)INT_MAX + 1, .end = (size_t)1e15 + 3, .resolved = 1,
         .geonameid = (int64_t)9007199254740993LL, .has_coords = 1, .lat = 0.00001, .lon = -0.000099,
         .geo_precision = INT_MIN, .score = 0.00001},
        {.text = "huge", .start = SIZE_MAX, .end = SIZE_MAX - 1, .resolved = 1, .geonameid = INT64_MIN,
         .has_coords = 1, .lat = 1e300, .lon = -1e15, .geo_precision = INT_MAX, .score = 1e13},
        {.text = "halfway", .resolved = 1, .geonameid = 0, .has_coords = 1, .lat = 179.9999995, .lon = -2.5e-7,
         .score = 0.005},
        {.text = "more halfway", .resolved = 0, .has_coords = 1, .lat = 12.3456785, .lon = -0.0000015, .score = 0.015},
        {.text = "no coordinates", .has_coords = 0, .lat = 1, .lon = 2},
        {.text = "limits", .has_coords = 1, .lat = 1e-4, .lon = -1e-4, .score = 99999999999.995},
        {.text = "below", .has_coords = 1, .lat = 0.0000995, .lon = 0.00009949, .score = -1e-300},
        {.text = "subnormal", .has_coords = 1, .lat = 4.9e-324, .lon = -DBL_MIN, .score = DBL_MAX},
        {.text = "ints", .has_coords = 1, .lat = 90, .lon = -180, .score = 1},
        {.text = "big decimals", .has_coords = 1, .lat = 999999999.999999, .lon = 1e9 - 0.0000005, .score = 1e13 - 0.5},
    };
    incmap_incident incidents[] = {
        {.event_date = "2025-03-12", .time_precision = 1, .date_text = "le 12", .event_type = "Battles",
         .sub_event_type = "Armed clash", .actor1 = "JNIM", .actor2 = "", .fatalities = -3, .fatalities_stated = 1,
         .injured = 0, .location = "Tiby", .place = 0, .has_coords = 1, .lat = 13.61277, .lon = -5.783965,
         .country = "ML", .admin1 = "Ségou", .geo_precision = 2, .background = 1, .confidence = 0.995,
         .evidence_start = 0, .evidence_end = 10, .evidence = "a \"b\" \\ c\td"},
        {.event_date = "", .time_precision = INT_MIN, .event_type = NULL, .fatalities = INT_MAX, .injured = -1,
         .place = -1, .has_coords = 1, .lat = -0.0, .lon = 0.00000049, .confidence = NAN, .evidence = NULL},
        {.event_date = "2025", .has_coords = 0, .confidence = 0.5, .evidence = "not shown"},
        {.event_date = "x", .has_coords = 1, .lat = 45.0000005, .lon = -45.0000005, .confidence = 0.125,
         .evidence_start = SIZE_MAX, .evidence_end = 3, .evidence = ""},
    };
    incmap_doc d = {.source = "tab\there\x01\"q\".txt", .language = "fr", .published = "", .published_from = "none",
                    .encoding = "UTF-8", .places = places, .n_places = N_ROWS(places), .incidents = incidents,
                    .n_incidents = N_ROWS(incidents)};
    incmap_doc no_source = d;
    no_source.source = NULL;
    const incmap_doc *docs[] = {&d, &no_source, &d};
    int bad = 0;
    check_collection(docs, 1, "hand-made doc", &bad);
    check_collection(docs, N_ROWS(docs), "hand-made docs", &bad);
    END_TABLE(bad);
}

/* ---------------------------------------------------------------- random numbers */

static uint64_t next_random(uint64_t *s)
{
    /* xorshift64*: the same numbers on every machine */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* In [0, 1). */
static double uniform(uint64_t *s)
{
    return (double)(next_random(s) >> 11) / 9007199254740992.0;
}

/* A double of one of the kinds the numbers' paths tell apart. */
static double random_number(uint64_t *s)
{
    double sign = next_random(s) & 1 ? -1 : 1;
    switch (next_random(s) % 7) {
    case 0: return sign * uniform(s) * 180; /* a coordinate */
    case 1: return sign * pow(10, -12 + uniform(s) * 15); /* small: an exponent below 1e-4 */
    case 2: return sign * pow(10, 3 + uniform(s) * 17); /* large, past 1e15 */
    case 3: {
        /* a decimal of 6 or 7 places, just on or beside a halfway point */
        double k = floor(uniform(s) * 2e8);
        return sign * (k + 0.5 * (double)(next_random(s) % 3)) / 1e7;
    }
    case 4: return sign * floor(uniform(s) * 1e4) / 100 + sign * 0.005; /* a score's halfway point */
    case 5: {
        uint64_t bits = next_random(s); /* any double: subnormals, NaN, infinities */
        double v;
        memcpy(&v, &bits, sizeof v);
        return v;
    }
    default: return sign * uniform(s); /* a score */
    }
}

static void test_random_numbers(void **state)
{
    (void)state;
    enum { N = 20000 };
    incmap_place *places = calloc(N, sizeof *places);
    incmap_incident *incidents = calloc(N, sizeof *incidents);
    assert_true(places && incidents);
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < N; i++) {
        places[i] = (incmap_place){.text = "t", .start = (size_t)next_random(&seed) >> (next_random(&seed) % 64),
                                   .end = i, .resolved = (int)(i & 1),
                                   .geonameid = (int64_t)(next_random(&seed) >> (next_random(&seed) % 64)),
                                   .has_coords = 1, .lat = random_number(&seed), .lon = random_number(&seed),
                                   .geo_precision = (int)next_random(&seed), .score = random_number(&seed)};
        incidents[i] = (incmap_incident){.event_date = "2025-01-01", .time_precision = (int)next_random(&seed),
                                         .fatalities = (int)next_random(&seed), .has_coords = 1,
                                         .lat = random_number(&seed), .lon = random_number(&seed),
                                         .geo_precision = (int)(next_random(&seed) % 4),
                                         .confidence = random_number(&seed), .evidence_start = i, .evidence_end = i};
    }
    incmap_doc d = {.source = "random", .places = places, .n_places = N, .incidents = incidents, .n_incidents = N};
    const incmap_doc *docs[] = {&d};
    int bad = 0;
    check_collection(docs, 1, "random numbers", &bad);
    free(places);
    free(incidents);
    END_TABLE(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_articles),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_awkward_values),
        cmocka_unit_test(test_random_numbers),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
