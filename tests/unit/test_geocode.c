/* test_geocode.c: whole articles through incmap_geocode with the bundled gazetteer: what is a
 * place, what each place resolves to, byte offsets, and the JSON contract. The texts are short
 * sentences written for these tests. Expected ids were checked with `incmap gazetteer lookup`. */
#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "incmap.h"
#include "testing.h"

/* One line per place: text@start-end -> id | ?(fallback id, CC) */
static void render_places(const incmap_doc *d, char *out, size_t n)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < d->n_places && used < n; i++) {
        const incmap_place *p = &d->places[i];
        if (p->resolved)
            used += (size_t)snprintf(out + used, n - used, "\n              %s@%zu-%zu -> %lld %s (%s %s, %s)",
                                     p->text, p->start, p->end, (long long)p->geonameid, p->name, p->feature_code,
                                     p->country, p->admin1);
        else
            used += (size_t)snprintf(out + used, n - used, "\n              %s@%zu-%zu -> unresolved, fallback %lld %s (%s)",
                                     p->text, p->start, p->end, (long long)p->fallback_geonameid, p->fallback_name,
                                     p->country);
    }
    if (!d->n_places)
        snprintf(out, n, " (no places)");
}

/* The first place whose text is exactly `mention`, else one whose text contains it. */
static const incmap_place *find_place(const incmap_doc *d, const char *mention)
{
    for (size_t i = 0; i < d->n_places; i++)
        if (!strcmp(d->places[i].text, mention))
            return &d->places[i];
    for (size_t i = 0; i < d->n_places; i++)
        if (strstr(d->places[i].text, mention))
            return &d->places[i];
    return NULL;
}

/* want:  "2460596"            resolved to that id, the mention being exactly `mention`
 *        "2449824|6880612"    resolved to one of these
 *        "-"                  no place's text contains `mention`
 *        "?TG"                unresolved, with a fallback in that country */
typedef struct {
    const char *text, *mention, *want, *why;
} geo_row;

static const geo_row geo_rows[] = {
    {"Les soldats sont arrivés à Bamako mardi soir.", "Bamako", "2460596", "capital"},
    {"Le Burkina Faso a fermé sa frontière avec le Niger.", "Burkina Faso", "2361809", "two-word country"},
    {"La ville de Nioro du Sahel a été visée dimanche.", "Nioro du Sahel", "2452651", "three-word name"},
    {"Il est rentré d'Afrique du Sud la semaine dernière.", "Afrique du Sud", "953987", "French exonym, 3 words"},
    {"Une patrouille a été prise à partie près de Dioura (Mali). Les renforts sont venus de Ténenkou et de "
     "Mopti.",
     "Dioura", "2458636", "Dioura of the Mopti region, not 2458637 in Kayes"},
    {"Les combats se sont poursuivis dans la région de Koulikoro.", "Koulikoro", "2454532", "ADM1 after a cue"},
    {"Les habitants de Tiby ont fui vers Ségou.", "Tiby", "2449824|6880612", "Tibi I / Tibi II, Ségou region"},
    {"Des tirs ont été entendus à Tin Zaouatine.", "Tin Zaouatine", "2476086", "spelling variant"},
    {"Il vient d'Ansongo, dans la région de Gao.", "Ansongo", "2461003", "elided article"},
    {"Des violences ont éclaté à Murcie, en Espagne.", "Murcie", "2513416", "French exonym of Murcia"},
    {"Gunmen attacked a convoy near Kidal on Monday, the army said.", "Kidal", "2455290", "English"},
    {"Los disturbios en Murcia dejaron varios heridos.", "Murcia", "2513416", "Spanish"},
    {"Des hommes armés ont incendié le village de Djignandjoaga, dans le nord du Togo.", "Djignandjoaga", "?TG",
     "unknown village, northern-Togo fallback"},
    {"Les défenseurs rappellent le précédent de Moura, dans le cercle de Djenné, où 500 personnes sont mortes.",
     "Moura", "?ML", "not in the gazetteer: the cercle named after it, never Moura in Portugal"},
    /* A foreign country named elsewhere in the article must not make a Malian town vanish. */
    {"Le ministre est rentré de France. Les habitants de Bandiagara ont fui.", "Bandiagara", "2460489",
     "another country named"},
    {"Le ministre est rentré de France. Les habitants d'Ansongo ont fui.", "Ansongo", "2461003",
     "another country named"},
    {"Fighters attacked an army post in the Gao region.", "Gao", "2457161", "English cue after the name"},
    {"Los soldados llegaron desde Malí ayer.", "Malí", "2453866", "Spanish country name, not the adjective"},
    {"Gunmen attacked Kidal. Trump said on Monday the talks would go on.", "Kidal", "2455290",
     "another country's leader"},
    /* Not places. */
    {"La Cour suprême a rejeté le recours.", "Cour", "-", "an institution"},
    {"Le Front de libération a revendiqué l'attaque à Kidal.", "Front", "-", "an organisation"},
    {"Sa Majesté le Roi Mohammed VI a reçu le ministre.", "Roi", "-", "a royal title"},
    {"La Guardia Civil detuvo a tres personas en Murcia.", "Guardia", "-", "a place name inside an organisation"},
    {"Cañizares : « Il mérite le trophée »", "Cañizares", "-", "a speaker before a quotation"},
    {"Algérie : « Non à l'oubli »", "Algérie", "2589581", "a country before a quotation stays a place"},
    {"Le rapport, rédigé par Niccola Milnes, décrit les drones.", "Milnes", "-",
     "a surname next to an unknown first name, not a spelling variant of Moulins"},
    {"Merci pour cet article.\nBathurst\nil y a 3 semaines (01:53 AM)\nTrès juste.", "Bathurst", "-",
     "a commenter's name in a comment thread"},
    {"Une tenue inspirée des femmes Hui'an a été présentée à Pékin.", "Hui", "-", "an apostrophe inside a word"},
    {"Il a enseigné à Rennes Aujourd'hui retraité, il écrit.", "Aujourd", "-", "aujourd'hui, capitalised"},
    {"Le Ballon d'or sera remis à Paris.", "Ballon", "-", "a trophy"},
    {"Ten villagers were killed near Kidal on Sunday.", "Ten", "-", "a number word opening a sentence"},
    {"Diez soldados murieron en Djibo el domingo.", "Diez", "-", "a Spanish number word"},
    {"Más de cien personas murieron en Djibo.", "Más", "-", "a Spanish adverb opening a sentence"},
    {"Crash d'Air India : l'enquête avance à Bombay.", "Air", "-", "an airline"},
    {"Le général Oumar Diarra a rencontré les notables.", "Diarra", "-", "a person"},
    {"Le général Oumar Diarra a rencontré les notables.", "Oumar", "-", "a person"},
    {"Le Real Madrid a remporté le match hier soir.", "Madrid", "-", "a club"},
    {"Un avion de Royal Air Maroc a atterri.", "Maroc", "-", "a company"},
    {"Selon Jacob Zuma, la situation est grave.", "Zuma", "-", "a person"},
    {"Zapatero et Bolsonaro ont parlé longuement.", "Zapatero", "-", "a person"},
    {"Zapatero et Bolsonaro ont parlé longuement.", "Bolsonaro", "-", "a person"},
    {"Donald Trump a répondu aux journalistes.", "Trump", "-", "a person"},
};

static void test_geocode_table(void **state)
{
    incmap_ctx *ctx = *state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(geo_rows); i++) {
        const geo_row *r = &geo_rows[i];
        incmap_error err = {0};
        incmap_doc *d = incmap_geocode(ctx, r->text, strlen(r->text), NULL, &err);
        if (!d) {
            print_error("input \"%s\": geocode failed: %s\n", r->text, err.message);
            bad++;
            continue;
        }
        char places[2048];
        render_places(d, places, sizeof places);
        const incmap_place *p = find_place(d, r->mention);
        char got[128];
        if (!p)
            snprintf(got, sizeof got, "-");
        else if (p->resolved)
            snprintf(got, sizeof got, "%lld", (long long)p->geonameid);
        else
            snprintf(got, sizeof got, "?%s", p->country);
        int ok;
        if (r->want[0] == '-' || r->want[0] == '?') {
            ok = !strcmp(got, r->want);
        } else {
            /* one of several ids, and the mention exactly as written */
            char ids[160];
            snprintf(ids, sizeof ids, "|%s|", r->want);
            char probe[160];
            snprintf(probe, sizeof probe, "|%s|", got);
            ok = strstr(ids, probe) != NULL && p && !strcmp(p->text, r->mention);
        }
        if (!ok) {
            print_error("input    \"%s\"\n  mention  \"%s\" (%s)\n  expected %s\n  actual   %s; all places:%s\n", r->text,
                        r->mention, r->why, r->want, got, places);
            bad++;
        }
        incmap_doc_destroy(d);
    }
    END_TABLE(bad);
}

/* The northern-Togo fallback is coarser than the place and lies in Togo's north. */
static void test_fallback_details(void **state)
{
    incmap_ctx *ctx = *state;
    const char *text = "Des hommes armés ont incendié le village de Djignandjoaga, dans le nord du Togo.";
    incmap_error err;
    incmap_doc *d = incmap_geocode(ctx, text, strlen(text), NULL, &err);
    assert_non_null(d);
    const incmap_place *p = find_place(d, "Djignandjoaga");
    assert_non_null(p);
    int bad = 0;
    CHECK_INT(bad, "resolved", 0, p->resolved);
    CHECK_INT(bad, "geonameid", 0, p->geonameid);
    CHECK_STR(bad, "name", "", p->name);
    CHECK_INT(bad, "has_coords", 1, p->has_coords);
    CHECK_TRUE(bad, p->geo_precision >= 2, "geo_precision %d", p->geo_precision);
    CHECK_TRUE(bad, p->fallback_geonameid != 0, "no fallback id");
    /* Togo spans about 6 to 11 N; its north is above 9 N. */
    CHECK_TRUE(bad, p->lat > 9.0 && p->lat < 11.2 && p->lon > -0.2 && p->lon < 1.8, "fallback %s at %f, %f",
               p->fallback_name, p->lat, p->lon);
    incmap_doc_destroy(d);
    END_TABLE(bad);
}

/* Texts with no place in them at all. */
static void test_no_places(void **state)
{
    incmap_ctx *ctx = *state;
    static const char *texts[] = {
        "Le marché était plein et la police est arrivée vers midi avec le maire.",
        "The police said the market was closed on Monday after the attack.",
        "La policía dijo que el mercado estaba cerrado el lunes.",
        "Le général Oumar Diarra a salué le colonel Traoré.",
        "",
        "...",
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(texts); i++) {
        incmap_error err;
        incmap_doc *d = incmap_geocode(ctx, texts[i], strlen(texts[i]), NULL, &err);
        if (!d) {
            print_error("input \"%s\": %s\n", texts[i], err.message);
            bad++;
            continue;
        }
        char places[1024];
        render_places(d, places, sizeof places);
        CHECK_TRUE(bad, d->n_places == 0, "input \"%s\": expected no places, got:%s", texts[i], places);
        incmap_doc_destroy(d);
    }
    END_TABLE(bad);
}

static void test_language_detection(void **state)
{
    incmap_ctx *ctx = *state;
    static const struct {
        const char *text, *lang;
    } rows[] = {
        {"Les soldats sont arrivés dans la ville de Gao avec les renforts.", "fr"},
        {"The soldiers arrived in the town of Gao with the reinforcements.", "en"},
        {"Los soldados llegaron a la ciudad de Gao con los refuerzos.", "es"},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        incmap_error err;
        incmap_doc *d = incmap_geocode(ctx, rows[i].text, strlen(rows[i].text), NULL, &err);
        assert_non_null(d);
        CHECK_STR(bad, rows[i].text, rows[i].lang, d->language);
        incmap_doc_destroy(d);
    }
    /* An explicit language is kept. */
    incmap_article_info info = {.language = "en"};
    incmap_error err;
    incmap_doc *d = incmap_geocode(ctx, rows[0].text, strlen(rows[0].text), &info, &err);
    assert_non_null(d);
    CHECK_STR(bad, "explicit en", "en", d->language);
    incmap_doc_destroy(d);
    END_TABLE(bad);
}

/* ---------------------------------------------------------------- offsets */

typedef struct {
    const char *label;
    const char *bytes;
    size_t n;
    const char *encoding;
    const char *expect; /* "text start end; ..." in input bytes */
} offset_row;

#define B(lit) lit, sizeof(lit) - 1

static const offset_row offset_rows[] = {
    {"UTF-8", B("Les habitants de Ségou et de Bamako."), "UTF-8", "Ségou 17 23; Bamako 30 36"},
    {"Windows-1252", B("Les habitants de S\xe9gou et de Bamako."), "windows-1252", "Ségou 17 22; Bamako 29 35"},
    {"UTF-8 with BOM", B("\xef\xbb\xbf" "Bamako et Ségou."), "UTF-8 (BOM)", "Bamako 3 9; Ségou 13 19"},
    {"UTF-16LE", B("\xff\xfe" "G\0a\0o\0 \0e\0t\0 \0K\0i\0d\0a\0l\0"), "UTF-16LE", "Gao 2 8; Kidal 16 26"},
    {"CRLF lines", B("Titre\r\n\r\nArriv\xc3\xa9s \xc3\xa0 Gao.\r\nPuis Kidal."), "UTF-8",
     "Gao 21 24; Kidal 32 37"},
    {"repeated mention", B("Gao. Gao, Gao"), "UTF-8", "Gao 0 3; Gao 5 8; Gao 10 13"},
};

static void test_offsets_table(void **state)
{
    incmap_ctx *ctx = *state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(offset_rows); i++) {
        const offset_row *r = &offset_rows[i];
        incmap_error err;
        incmap_doc *d = incmap_geocode(ctx, r->bytes, r->n, NULL, &err);
        if (!d) {
            print_error("%s: geocode failed: %s\n", r->label, err.message);
            bad++;
            continue;
        }
        char got[512] = "";
        for (size_t k = 0; k < d->n_places; k++) {
            size_t used = strlen(got);
            snprintf(got + used, sizeof got - used, "%s%s %zu %zu", k ? "; " : "", d->places[k].text,
                     d->places[k].start, d->places[k].end);
        }
        CHECK_STR(bad, r->label, r->expect, got);
        CHECK_STR(bad, r->label, r->encoding, d->encoding);
        incmap_doc_destroy(d);
    }
    END_TABLE(bad);
}

/* For UTF-8 input, the bytes at [start, end) are the mention's text, for every place of every
 * table row; sentence spans hold their places. */
static void test_offsets_match_input(void **state)
{
    incmap_ctx *ctx = *state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(geo_rows); i++) {
        const char *t = geo_rows[i].text;
        incmap_error err;
        incmap_doc *d = incmap_geocode(ctx, t, strlen(t), NULL, &err);
        if (!d)
            continue;
        for (size_t k = 0; k < d->n_places; k++) {
            const incmap_place *p = &d->places[k];
            int ok = p->end > p->start && p->end <= strlen(t) && strlen(p->text) == p->end - p->start &&
                     memcmp(t + p->start, p->text, p->end - p->start) == 0;
            CHECK_TRUE(bad, ok, "input \"%s\": place \"%s\" at %zu-%zu", t, p->text, p->start, p->end);
            ok = p->sentence >= 0 && (size_t)p->sentence < d->n_sentences &&
                 d->sentences[p->sentence].start <= p->start && p->end <= d->sentences[p->sentence].end;
            CHECK_TRUE(bad, ok, "input \"%s\": place \"%s\" not inside its sentence %d", t, p->text, p->sentence);
            CHECK_TRUE(bad, p->score >= 0 && p->score <= 1, "input \"%s\": score %f", t, p->score);
            CHECK_TRUE(bad, p->geo_precision >= 1 && p->geo_precision <= 3, "input \"%s\": geo_precision %d", t,
                       p->geo_precision);
            CHECK_TRUE(bad, p->why && *p->why, "input \"%s\": empty why", t);
        }
        incmap_doc_destroy(d);
    }
    END_TABLE(bad);
}

/* ---------------------------------------------------------------- errors */

static void test_errors(void **state)
{
    incmap_ctx *ctx = *state;
    incmap_error err = {0};
    incmap_article_info info = {.source = "binary.bin"};
    assert_null(incmap_geocode(ctx, "Gao\0Kidal", 9, &info, &err));
    assert_int_equal(err.code, INCMAP_ERR_ENCODING);
    if (!strstr(err.message, "binary.bin") || !strstr(err.message, "3"))
        fail_msg("message should name the source and offset 3: \"%s\"", err.message);
    info.published = "2025-02-30";
    assert_null(incmap_geocode(ctx, "Gao", 3, &info, &err));
    assert_int_equal(err.code, INCMAP_ERR_USAGE);

    incmap_options o = incmap_default_options();
    o.gazetteer_path = INCMAP_TEST_GAZETTEER;
    o.max_article_bytes = 10;
    incmap_ctx *small = incmap_ctx_new(&o, &err);
    assert_non_null(small);
    assert_null(incmap_geocode(small, "Bamako et Gao et Kidal", 22, NULL, &err));
    assert_int_equal(err.code, INCMAP_ERR_LIMIT);
    incmap_doc *d = incmap_geocode(small, "Gao", 3, NULL, &err);
    assert_non_null(d);
    incmap_doc_destroy(d);
    incmap_ctx_destroy(small);
    incmap_doc_destroy(NULL);
}

/* ---------------------------------------------------------------- JSON contract */

static int is_string_or_null(const cJSON *x)
{
    return x && (cJSON_IsString(x) || cJSON_IsNull(x));
}

static int is_number_or_null(const cJSON *x)
{
    return x && (cJSON_IsNumber(x) || cJSON_IsNull(x));
}

static void check_contract(const char *json, const char *label, int *bad)
{
    cJSON *o = cJSON_Parse(json);
    CHECK_TRUE(*bad, o != NULL, "%s: not JSON: %.200s", label, json);
    if (!o)
        return;
    CHECK_TRUE(*bad, cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "source")), "%s: source", label);
    CHECK_TRUE(*bad, cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "language")), "%s: language", label);
    CHECK_TRUE(*bad, is_string_or_null(cJSON_GetObjectItemCaseSensitive(o, "published")), "%s: published", label);
    CHECK_TRUE(*bad, cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "incidents")), "%s: incidents", label);
    const cJSON *places = cJSON_GetObjectItemCaseSensitive(o, "places");
    CHECK_TRUE(*bad, cJSON_IsArray(places), "%s: places", label);
    const cJSON *p;
    cJSON_ArrayForEach(p, places)
    {
        const cJSON *resolved = cJSON_GetObjectItemCaseSensitive(p, "resolved");
        CHECK_TRUE(*bad, cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p, "text")), "%s: text", label);
        CHECK_TRUE(*bad, cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "start")), "%s: start", label);
        CHECK_TRUE(*bad, cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "end")), "%s: end", label);
        CHECK_TRUE(*bad, cJSON_IsBool(resolved), "%s: resolved", label);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "geonameid");
        CHECK_TRUE(*bad, cJSON_IsTrue(resolved) ? cJSON_IsNumber(id) : cJSON_IsNull(id), "%s: geonameid", label);
        static const char *strs[] = {"name", "feature_code", "country", "admin1", "admin2"};
        for (size_t k = 0; k < N_ROWS(strs); k++)
            CHECK_TRUE(*bad, is_string_or_null(cJSON_GetObjectItemCaseSensitive(p, strs[k])), "%s: %s", label,
                       strs[k]);
        static const char *nums[] = {"lat", "lon", "geo_precision"};
        for (size_t k = 0; k < N_ROWS(nums); k++)
            CHECK_TRUE(*bad, is_number_or_null(cJSON_GetObjectItemCaseSensitive(p, nums[k])), "%s: %s", label,
                       nums[k]);
        const cJSON *score = cJSON_GetObjectItemCaseSensitive(p, "score");
        CHECK_TRUE(*bad, cJSON_IsNumber(score) && score->valuedouble >= 0 && score->valuedouble <= 1, "%s: score",
                   label);
        CHECK_TRUE(*bad, cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p, "why")), "%s: why", label);
    }
    cJSON_Delete(o);
}

static void test_json_contract(void **state)
{
    incmap_ctx *ctx = *state;
    int bad = 0;
    const char *text = "Une patrouille a été prise à partie près de Dioura (Mali). Des hommes armés ont incendié "
                       "le village de Djignandjoaga, dans le nord du Togo. \"Citation\" et \\ barre.";
    incmap_article_info info = {.source = "dir/article \"1\".txt", .published = "2025-07-15"};
    incmap_error err;
    incmap_doc *d = incmap_geocode(ctx, text, strlen(text), &info, &err);
    assert_non_null(d);
    for (int pretty = 0; pretty <= 1; pretty++) {
        char *json = incmap_doc_to_json(d, pretty);
        assert_non_null(json);
        check_contract(json, pretty ? "pretty" : "compact", &bad);
        if (!pretty)
            CHECK_TRUE(bad, strchr(json, '\n') == NULL, "compact JSON has a newline (breaks JSON Lines)");
        cJSON *o = cJSON_Parse(json);
        if (o) {
            CHECK_STR(bad, "source", info.source, cJSON_GetStringValue(cJSON_GetObjectItem(o, "source")));
            CHECK_STR(bad, "published", "2025-07-15", cJSON_GetStringValue(cJSON_GetObjectItem(o, "published")));
            CHECK_STR(bad, "language", "fr", cJSON_GetStringValue(cJSON_GetObjectItem(o, "language")));
            /* The same places, in the same order, as the doc. */
            const cJSON *places = cJSON_GetObjectItem(o, "places");
            CHECK_INT(bad, "n places", d->n_places, cJSON_GetArraySize(places));
            for (size_t k = 0; k < d->n_places && (int)k < cJSON_GetArraySize(places); k++) {
                const cJSON *p = cJSON_GetArrayItem(places, (int)k);
                CHECK_STR(bad, "place text", d->places[k].text, cJSON_GetStringValue(cJSON_GetObjectItem(p, "text")));
                CHECK_INT(bad, d->places[k].text, d->places[k].start,
                          cJSON_GetNumberValue(cJSON_GetObjectItem(p, "start")));
                if (!d->places[k].resolved && d->places[k].has_coords)
                    CHECK_TRUE(bad, cJSON_IsNumber(cJSON_GetObjectItem(p, "lat")),
                               "%s: an unresolved place with a fallback has its lat", d->places[k].text);
            }
        }
        cJSON_Delete(o);
        free(json);
    }
    incmap_doc_destroy(d);

    /* Defaults: source "-", published null when neither given nor in the text. */
    d = incmap_geocode(ctx, "Gao", 3, NULL, &err);
    assert_non_null(d);
    char *json = incmap_doc_to_json(d, 0);
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    CHECK_STR(bad, "default source", "-", cJSON_GetStringValue(cJSON_GetObjectItem(o, "source")));
    CHECK_TRUE(bad, cJSON_IsNull(cJSON_GetObjectItem(o, "published")), "published should be null: %s", json);
    cJSON_Delete(o);
    free(json);
    incmap_doc_destroy(d);
    END_TABLE(bad);
}

/* The compact form is written without cJSON, for speed: it must be byte for byte what cJSON
 * prints on one line for the pretty form's tree, on real articles and on awkward values
 * (escapes, control characters, NULL strings, NaN, negative zero, rounding). */
static void check_forms_agree(const incmap_doc *d, const char *label, int *bad)
{
    char *compact = incmap_doc_to_json(d, 0), *pretty = incmap_doc_to_json(d, 1);
    cJSON *o = pretty ? cJSON_Parse(pretty) : NULL;
    char *want = o ? cJSON_PrintUnformatted(o) : NULL;
    CHECK_TRUE(*bad, compact && want && !strcmp(compact, want), "%s: compact\n%s\ncJSON\n%s", label,
               compact ? compact : "(null)", want ? want : "(null)");
    cJSON_Delete(o);
    free(compact);
    free(pretty);
    free(want);
}

static void test_json_forms_agree(void **state)
{
    incmap_ctx *ctx = *state;
    int bad = 0;
    static const char *texts[] = {
        "Une patrouille a été prise à partie près de Dioura (Mali). Des hommes armés ont incendié le village de "
        "Djignandjoaga, dans le nord du Togo. \"Citation\" et \\ barre.",
        "Le 12 mars 2025, six soldats ont été tués à Bandiagara et trois blessés à Tiby, dans la région de Ségou.",
        "Gao\tKidal\fMénaka\vTombouctou Bamako \xc3\xa9 Niamey",
        "",
    };
    for (size_t i = 0; i < N_ROWS(texts); i++) {
        incmap_error err;
        incmap_article_info info = {.source = i == 2 ? "tab\there\x01\x1f\x7f\"q\"\\.txt" : "a.txt"};
        incmap_doc *d = incmap_geocode(ctx, texts[i], strlen(texts[i]), &info, &err);
        if (!d) {
            CHECK_TRUE(bad, 0, "text %zu: %s", i, err.message);
            continue;
        }
        check_forms_agree(d, texts[i], &bad);
        incmap_doc_destroy(d);
    }
    incmap_place places[3] = {
        {.text = "x\n\r\"y\"", .start = 1, .end = 5, .resolved = 1, .geonameid = 2460489, .name = "Bandiagara",
         .feature_code = "PPL", .country = "ML", .admin1 = "Mopti", .admin2 = "", .has_coords = 1, .lat = -0.0000001,
         .lon = 0.0000005, .geo_precision = 1, .score = 0.125, .why = "é\x02", .section = "body"},
        {.text = "", .resolved = 0, .name = "", .feature_code = NULL, .country = "", .admin1 = NULL, .admin2 = "",
         .has_coords = 1, .lat = NAN, .lon = 179.9999995, .geo_precision = 0, .score = -0.0, .why = NULL,
         .section = "headline", .fallback_geonameid = 2364205, .fallback_name = "Savanes"},
        {.text = NULL, .resolved = 0, .has_coords = 0, .score = 1, .why = "", .section = "boilerplate",
         .fallback_geonameid = 7, .fallback_name = NULL},
    };
    incmap_incident incidents[2] = {
        {.event_date = "2025-03-12", .time_precision = 1, .date_text = "le 12", .event_type = "Battles",
         .sub_event_type = "Armed clash", .actor1 = "JNIM", .actor2 = "", .fatalities = -3, .fatalities_stated = 1,
         .injured = 0, .location = "Tiby", .place = 0, .has_coords = 1, .lat = 13.61277, .lon = -5.783965,
         .country = "ML", .admin1 = "Ségou", .geo_precision = 2, .confidence = 0.995, .evidence_start = 0,
         .evidence_end = 10, .evidence = "a \"b\" \\ c"},
        {.event_date = "", .date_text = NULL, .injured = -1, .place = -1, .confidence = NAN, .evidence = NULL},
    };
    incmap_doc d = {.source = "s", .language = NULL, .published = "", .published_from = "none", .encoding = "UTF-8",
                    .places = places, .n_places = 3, .incidents = incidents, .n_incidents = 2};
    check_forms_agree(&d, "hand-made doc", &bad);
    d.n_places = d.n_incidents = 0;
    check_forms_agree(&d, "empty doc", &bad);
    END_TABLE(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geocode_table),    cmocka_unit_test(test_fallback_details),
        cmocka_unit_test(test_no_places),        cmocka_unit_test(test_language_detection),
        cmocka_unit_test(test_offsets_table),    cmocka_unit_test(test_offsets_match_input),
        cmocka_unit_test(test_errors),           cmocka_unit_test(test_json_contract),
        cmocka_unit_test(test_json_forms_agree),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
