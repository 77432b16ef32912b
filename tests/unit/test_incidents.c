/* test_incidents.c: incident coding through incmap_geocode with the bundled gazetteer: which
 * sentences make incidents, and each incident's type, site, date and toll. The texts are short
 * articles written for these tests (facts only borrowed from real events). */
#include <stdlib.h>

#include "incmap.h"
#include "testing.h"

/* want: the incidents, in order, as "sub_event_type@location date fatalities" joined by "; ",
 * or "" for none. */
typedef struct {
    const char *text, *published, *want, *why;
} inc_row;

static const inc_row inc_rows[] = {
    {"Des hommes armés ont tué sept civils dimanche à Tibi I, dans le cercle de Ségou.", "2025-01-14",
     "Attack@Tibi I 2025-01-12 7", "one attack on civilians, weekday relative to publication"},
    {"Un drone a frappé le 12 juin un camp militaire à Tibi II. Aucun bilan n'a été communiqué.", "2025-06-20",
     "Air/drone strike@Tibi II 2025-06-12 0", "drone strike, absolute date without year"},
    {"Des jihadistes ont attaqué mardi le poste de Kouri, tuant trois gendarmes. L'attaque a été revendiquée "
     "par le JNIM, alors que le sud du Mali est de plus en plus touché.",
     "2025-11-06", "Armed clash@Kouri 2025-11-04 3", "the attack told again is the same incident"},
    {"Aucune attaque n'a été enregistrée à Kayes depuis janvier.", "2025-08-11", "", "a denied event"},
    {"La région de Tahoua connaît une recrudescence des attaques depuis 2023.", "2025-09-19", "",
     "a trend, not an event"},
    {"La JNIM mène une guerre aérienne au Sahel à l'aide de drones civils.", "2025-07-15", "",
     "talk about the conflict: no date, no toll, no town"},
    {"Cotonou – Le gouvernement a confirmé la mort de 54 soldats dans deux attaques jeudi. La première "
     "attaque a visé une position militaire près de Karimama et a fait 28 morts. Quelques heures plus tard, un "
     "second poste a été attaqué près de Porga : 26 soldats ont été tués.",
     "2025-04-22", "Armed clash@Karimama 2025-04-17 28; Armed clash@Porga 2025-04-17 26",
     "a dateline is no site; a summary of two attacks stands back for its parts"},
    {"Gunmen attacked a police station in Matéri on Saturday, killing six officers. The government has not "
     "commented on the attack.",
     "2025-06-17", "Armed clash@Matéri 2025-06-14 6", "English, anaphoric retelling"},
    {"À Diafarabé, dans le cercle de Ténenkou, des soldats ont tué vingt hommes lundi.",
     "2025-05-14", "Attack@Diafarabé 2025-05-12 20", "the cercle named after the village is not the site"},
    {"Un drone a frappé mardi un camp militaire à Tibi II.", "2025-06-12", "Air/drone strike@Tibi II 2025-06-10 0",
     "a weapon word types the event a strike verb reports"},
    {"Les drones FPV sont devenus l'arme favorite des groupes armés, selon un rapport publié en mai 2025.",
     "2025-07-15", "", "drones named as a weapon, with no event, make no incident"},
    {"Cientos de personas participaron el jueves en una marcha pacífica en Dapaong.", "2025-06-30",
     "Peaceful protest@Dapaong 2025-06-26 0", "Spanish protest"},
    {"Le 23 mai, les FAMa ont tendu une embuscade au JNIM près du village de Djongue Bambara, dans la région de "
     "Sofara. "
     "Cette opération a conduit à la neutralisation de nombreux assaillants.",
     "2025-05-25", "Armed clash@Djongue Bambara 2025-05-23 3",
     "a toll told in the next sentence; 'de nombreux' is ACLED's vague 3"},
    {"Les jihadistes ont attaqué mardi l'aéroport militaire de Bamako, tuant trois soldats. Par ailleurs, "
     "l'aéroport attaqué le 10 septembre passe pour être tout proche du camp de Wagner.",
     "2024-09-19", "Armed clash@Bamako 2024-09-17 3",
     "an event told again with another date is not a new one"},
    {"Le JNIM a mené une offensive à Nioro du Sahel mardi, tuant cinq soldats. Le groupe revendique au moins 17 "
     "attaques de drones depuis 2023 au Mali et au Burkina Faso.",
     "2025-07-03", "Armed clash@Nioro du Sahel 2025-07-01 5", "a count of attacks sums up, it is not an event"},
    {"Des combats ont éclaté jeudi près des frontières avec le Sénégal et la Mauritanie, faisant douze morts "
     "dans l'ouest du Mali.",
     "2025-07-05", "Armed clash@Mali 2025-07-03 12", "the neighbours across a border are not the site"},
    {"Le chroniqueur juge la stratégie de l'armée efficace et son raffinement tactique manifeste depuis mars 2025.",
     "2025-07-15", "", "the adjective 'manifeste' is no protest"},
    {"In March, two Indian workers were killed in an attack on a building site in the Dosso region.", "2025-04-15",
     "Attack@Dosso 2025-03-15 2", "'March' the month is no protest march; 'Indian' is no place"},
    {"Des drones ont frappé dimanche Tinzaouaten, tuant 21 civils. Bamako n'a pas réagi. La localité avait été "
     "le théâtre, le 27 juillet, d'une défaite de l'armée face au Front de libération de l'Azawad.",
     "2024-08-28", "Air/drone strike@Tinzaouaten 2024-08-25 21; Armed clash@Tinzaouaten 2024-07-27 0",
     "the capital speaking is the government; 'la localité' is the town of the story, not Azawad"},
    {"Jeudi, des drones de reconnaissance ont guidé les combattants qui ont pris le contrôle de Dioura.",
     "2025-05-17",
     "Non-state actor overtakes territory@Dioura 2025-05-15 0",
     "'les combattants qui': the article belongs to the subject, the event is not told again"},
    {"En juillet 2022, le JNIM a frappé Kati avec une attaque suicide.", "2024-09-20",
     "Suicide bomb@Kati 2022-07-15 0", "'attaque suicide' names the kind of attack"},
    {"Bamako avait été épargnée depuis les attentats meurtriers du restaurant La Terrasse (avril 2015) et de "
     "l'hôtel Radisson Blu (novembre 2015) à Bamako.",
     "2024-09-20", "Attack@Bamako 2015-04-15 3; Attack@Bamako 2015-11-15 3",
     "events listed with their dates in brackets: one incident each"},
    {"Accueil\u00a0\u00a0\u00a0\u00a0Kidal : trois morts dans une attaque\u00a0\u00a0\u00a0\u00a0Gao : les prix "
     "flambent\u00a0\u00a0\u00a0\u00a0Contact", "2025-07-15", "",
     "a headline list run together with no-break spaces is page furniture"},
};

static void render(const incmap_doc *d, char *out, size_t n)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < d->n_incidents && used < n; i++) {
        const incmap_incident *x = &d->incidents[i];
        used += (size_t)snprintf(out + used, n - used, "%s%s@%s %s %d", i ? "; " : "", x->sub_event_type,
                                 x->location, x->event_date, x->fatalities);
    }
}

static void test_incident_table(void **state)
{
    incmap_ctx *ctx = *state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(inc_rows); i++) {
        const inc_row *r = &inc_rows[i];
        incmap_article_info info = {.source = "test", .published = r->published};
        incmap_error err = {0};
        incmap_doc *d = incmap_geocode(ctx, r->text, strlen(r->text), &info, &err);
        if (!d) {
            print_error("input \"%s\": geocode failed: %s\n", r->text, err.message);
            bad++;
            continue;
        }
        char got[1024];
        render(d, got, sizeof got);
        char label[256];
        snprintf(label, sizeof label, "%.160s (%s)", r->text, r->why);
        CHECK_STR(bad, label, r->want, got);
        incmap_doc_destroy(d);
    }
    END_TABLE(bad);
}

/* Page furniture makes no incident, even when it reads like one. */
static void test_boilerplate_makes_no_incident(void **state)
{
    incmap_ctx *ctx = *state;
    const char *text = "Accueil | Politique | Sécurité | Sport\n"
                       "Lire aussi : Attaque meurtrière à Kati, 12 morts\n\n"
                       "Des pluies torrentielles ont inondé plusieurs quartiers de Bamako mardi.\n";
    incmap_article_info info = {.source = "test", .published = "2025-07-15"};
    incmap_error err = {0};
    incmap_doc *d = incmap_geocode(ctx, text, strlen(text), &info, &err);
    assert_non_null(d);
    char got[512];
    render(d, got, sizeof got);
    assert_string_equal(got, "");
    int kati_is_furniture = 0;
    for (size_t i = 0; i < d->n_places; i++)
        if (!strcmp(d->places[i].text, "Kati"))
            kati_is_furniture = strcmp(d->places[i].section, "body") != 0;
    assert_true(kati_is_furniture);
    incmap_doc_destroy(d);
}

/* The one armed group an article names is the author of the incidents it tells without naming
 * anyone; "des hommes armés" stays unidentified, as the text says. */
static void test_article_group_is_the_author(void **state)
{
    incmap_ctx *ctx = *state;
    static const struct {
        const char *text, *actor1;
    } rows[] = {
        {"Le JNIM multiplie les opérations dans la région de Kayes. Mardi, un poste militaire a été attaqué à "
         "Diboli, tuant trois soldats.",
         "JNIM"},
        {"Le JNIM multiplie les opérations dans la région de Kayes. Mardi, des hommes armés ont attaqué un poste "
         "militaire à Diboli, tuant trois soldats.",
         "Unidentified Armed Group"},
        {"Le JNIM et l'EIGS se disputent la région de Ménaka. Mardi, un poste militaire a été attaqué à "
         "Anderamboukane, tuant trois soldats.",
         "Unidentified Armed Group"},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        incmap_article_info info = {.source = "test", .published = "2025-07-03"};
        incmap_error err = {0};
        incmap_doc *d = incmap_geocode(ctx, rows[i].text, strlen(rows[i].text), &info, &err);
        assert_non_null(d);
        CHECK_TRUE(bad, d->n_incidents == 1, "%s: %zu incidents", rows[i].text, d->n_incidents);
        if (d->n_incidents == 1)
            CHECK_STR(bad, rows[i].text, rows[i].actor1, d->incidents[0].actor1);
        incmap_doc_destroy(d);
    }
    END_TABLE(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incident_table),
        cmocka_unit_test(test_boilerplate_makes_no_incident),
        cmocka_unit_test(test_article_group_is_the_author),
    };
    return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
