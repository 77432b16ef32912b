/* test_store.c: the incident store (store.h): schema and migrations, the lock, the matching rule
 * for reports of the same incident, merging and un-merging as articles come, change and go, the
 * fatalities rule, stable incident ids across an edit, one article under two inputs. */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dates.h"
#include "store.h"
#include "testing.h"

static char dir[] = "/tmp/incmap-test-store.XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static char *path_of(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static sqlite3_int64 query_int(incmap_store *s, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_int64 v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -999;
    sqlite3_finalize(st);
    return v;
}

static const char *query_text(incmap_store *s, const char *sql, char *buf, size_t n)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
    buf[0] = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(buf, n, "%s", incmap_store_col(st, 0));
    sqlite3_finalize(st);
    return buf;
}

/* ------------------------------------------------------------------ opening */

static void test_create_and_reopen(void **state)
{
    (void)state;
    incmap_error err = {0};
    incmap_store *s = incmap_store_open(path_of("a.db"), NULL, &err);
    assert_non_null(s);
    assert_int_equal(query_int(s, "PRAGMA user_version"), INCMAP_STORE_SCHEMA);
    assert_int_equal(query_int(s, "PRAGMA application_id"), 0x494E434D);
    char buf[64];
    assert_string_equal(query_text(s, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    /* SpatiaLite geometry columns, and the R-tree on incidents. */
    assert_int_equal(query_int(s, "SELECT count(*) FROM geometry_columns WHERE f_table_name IN"
                                  " ('incidents','reports','mentions') AND srid = 4326"),
                     3);
    assert_int_equal(query_int(s, "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = 'incidents'"),
                     1);
    assert_int_equal(incmap_store_generation(s, &err), 0);
    incmap_store_close(s);
    /* Reopening migrates nothing and keeps the data. */
    s = incmap_store_open(path_of("a.db"), NULL, &err);
    assert_non_null(s);
    assert_int_equal(query_int(s, "SELECT count(*) FROM meta"), 1);
    incmap_store_close(s);
    /* A store that must exist. */
    incmap_store_options o = incmap_store_default_options();
    o.must_exist = 1;
    assert_null(incmap_store_open(path_of("missing.db"), &o, &err));
    assert_int_equal(err.code, INCMAP_ERR_IO);
    assert_non_null(strstr(err.message, "missing.db"));
    assert_int_equal(access(path_of("missing.db"), F_OK), -1);
}

static void test_refuses_foreign_and_newer(void **state)
{
    (void)state;
    incmap_error err = {0};
    /* Another application's SQLite database: not touched. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path_of("other.db"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_null(incmap_store_open(path_of("other.db"), NULL, &err));
    assert_int_equal(err.code, INCMAP_ERR_DB);
    assert_non_null(strstr(err.message, "not an incmap store"));

    /* A store from a newer incmap. */
    incmap_store *s = incmap_store_open(path_of("newer.db"), NULL, &err);
    assert_non_null(s);
    incmap_store_close(s);
    assert_int_equal(sqlite3_open(path_of("newer.db"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_null(incmap_store_open(path_of("newer.db"), NULL, &err));
    assert_int_equal(err.code, INCMAP_ERR_DB);
    assert_non_null(strstr(err.message, "schema 99"));

    /* Not a database at all. */
    FILE *f = fopen(path_of("text.db"), "w");
    assert_non_null(f);
    fputs("Bandiagara, 15 juillet: ceci n'est pas une base SQLite, mais un texte assez long pour le montrer.\n", f);
    fclose(f);
    assert_null(incmap_store_open(path_of("text.db"), NULL, &err));
    assert_int_equal(err.code, INCMAP_ERR_DB);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_lock(void **state)
{
    (void)state;
    incmap_error err = {0};
    incmap_store *a = incmap_store_open(path_of("lock.db"), NULL, &err);
    assert_non_null(a);
    /* A second opener fails at once by default, with who holds the lock and what to do. */
    assert_null(incmap_store_open(path_of("lock.db"), NULL, &err));
    assert_int_equal(err.code, INCMAP_ERR_LIMIT);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_non_null(strstr(err.message, pid));
    assert_non_null(strstr(err.message, "--wait"));
    /* ... or after waiting. */
    incmap_store_options o = incmap_store_default_options();
    o.wait_seconds = 0.3;
    double t0 = now();
    assert_null(incmap_store_open(path_of("lock.db"), &o, &err));
    double waited = now() - t0;
    assert_true(waited >= 0.29 && waited < 2.0);
    incmap_store_close(a);
    /* Released by close. */
    incmap_store *b = incmap_store_open(path_of("lock.db"), &o, &err);
    assert_non_null(b);
    incmap_store_close(b);
}

/* ------------------------------------------------------------------ matching */

static store_match_key key(const char *type, const char *date, int tprec, double lat, double lon, int gprec,
                           const char *cc)
{
    store_match_key k = {0};
    snprintf(k.sub_event_type, sizeof k.sub_event_type, "%s", type);
    assert_true(incmap_report_window(date, tprec, "2025-03-01", &k.day_lo, &k.day_hi));
    k.has_coords = 1;
    k.lat = lat;
    k.lon = lon;
    k.geo_precision = gprec;
    snprintf(k.country, sizeof k.country, "%s", cc);
    return k;
}

static void test_windows(void **state)
{
    (void)state;
    static const struct {
        const char *date;
        int prec;
        const char *published;
        const char *lo, *hi;
    } rows[] = {
        {"2025-02-16", 1, "2025-02-20", "2025-02-16", "2025-02-16"},
        {"2025-02-16", 2, "2025-02-20", "2025-02-10", "2025-02-22"},
        {"2025-02-16", 3, "", "2025-02-01", "2025-02-28"},
        {"2024-02-10", 3, "", "2024-02-01", "2024-02-29"},
        {"2025-12-01", 3, "", "2025-12-01", "2025-12-31"},
        {"", 0, "2025-02-20", "2025-02-13", "2025-02-20"}, /* no date: the week before publication */
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        long lo, hi;
        CHECK_INT(bad, rows[i].date, 1, incmap_report_window(rows[i].date, rows[i].prec, rows[i].published, &lo, &hi));
        CHECK_INT(bad, rows[i].date, incmap_days_parse(rows[i].lo), lo);
        CHECK_INT(bad, rows[i].date, incmap_days_parse(rows[i].hi), hi);
    }
    long lo, hi;
    CHECK_INT(bad, "no date, no publication", 0, incmap_report_window("", 0, "", &lo, &hi));
    END_TABLE(bad);
}

static void test_match_rule(void **state)
{
    (void)state;
    /* Djibo, and points about 6 km, 40 km and 60 km east of it. */
    const double lat = 14.0994, lon = -1.6255;
    const double km = 1 / 107.9; /* degrees of longitude per km at this latitude, about */
    static const struct {
        const char *what;
        const char *type_b, *date_b;
        int tprec_b;
        double dlon_km;
        int gprec_a, gprec_b;
        const char *cc_b;
        int match;
    } rows[] = {
        {"same everything", "Attack", "2025-02-16", 1, 0, 1, 1, "BF", 1},
        {"another sub-event type", "Armed clash", "2025-02-16", 1, 0, 1, 1, "BF", 0},
        {"the next day", "Attack", "2025-02-17", 1, 0, 1, 1, "BF", 1},
        {"two days later", "Attack", "2025-02-18", 1, 0, 1, 1, "BF", 0},
        {"week precision, 7 days later", "Attack", "2025-02-23", 2, 0, 1, 1, "BF", 1},
        {"week precision, 9 days later", "Attack", "2025-02-25", 2, 0, 1, 1, "BF", 0},
        {"month precision, same month", "Attack", "2025-02-01", 3, 0, 1, 1, "BF", 1},
        {"month precision, next month", "Attack", "2025-03-01", 3, 0, 1, 1, "BF", 0},
        {"6 km apart, both precise", "Attack", "2025-02-16", 1, 6, 1, 1, "BF", 0},
        {"4 km apart, both precise", "Attack", "2025-02-16", 1, 4, 1, 1, "BF", 1},
        {"40 km apart, one near (2)", "Attack", "2025-02-16", 1, 40, 1, 2, "BF", 1},
        {"60 km apart, one near (2)", "Attack", "2025-02-16", 1, 60, 2, 1, "BF", 0},
        {"60 km apart, one a region (3)", "Attack", "2025-02-16", 1, 60, 1, 3, "BF", 1},
        {"another country", "Attack", "2025-02-16", 1, 0, 1, 1, "ML", 0},
        {"no country on one side", "Attack", "2025-02-16", 1, 0, 1, 1, "", 1},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        store_match_key a = key("Attack", "2025-02-16", 1, lat, lon, rows[i].gprec_a, "BF");
        store_match_key b = key(rows[i].type_b, rows[i].date_b, rows[i].tprec_b, lat, lon + rows[i].dlon_km * km,
                                rows[i].gprec_b, rows[i].cc_b);
        double score;
        CHECK_INT(bad, rows[i].what, rows[i].match, incmap_reports_match(&a, &b, &score));
        CHECK_INT(bad, rows[i].what, rows[i].match, incmap_reports_match(&b, &a, &score)); /* symmetric */
    }
    store_match_key a = key("Attack", "2025-02-16", 1, lat, lon, 1, "BF");
    store_match_key b = a;
    b.has_coords = 0;
    CHECK_INT(bad, "no coordinates", 0, incmap_reports_match(&a, &b, NULL));
    /* Closer is better. */
    double near, far;
    b = key("Attack", "2025-02-16", 1, lat, lon + 10 * km, 2, "BF");
    store_match_key c = key("Attack", "2025-02-16", 1, lat, lon + 30 * km, 2, "BF");
    assert_true(incmap_reports_match(&a, &b, &near) && incmap_reports_match(&a, &c, &far));
    CHECK_TRUE(bad, near < far, "10 km scored %g, 30 km %g", near, far);
    END_TABLE(bad);
}

/* ------------------------------------------------------------------ articles in and out */

/* A hand-made doc with one or two incidents, as incmap_geocode would give it. */
typedef struct {
    incmap_doc doc;
    incmap_place places[2];
    incmap_incident inc[2];
} fake;

static void fake_incident(incmap_incident *x, const char *type, const char *date, const char *place, double lat,
                          double lon, int fatalities, int stated)
{
    memset(x, 0, sizeof *x);
    snprintf(x->event_date, sizeof x->event_date, "%s", date);
    x->time_precision = *date ? 1 : 0;
    x->date_text = "dimanche";
    x->event_type = !strcmp(type, "Armed clash") ? "Battles" : "Violence against civilians";
    x->sub_event_type = type;
    x->actor1 = "JNIM";
    x->actor2 = "";
    x->fatalities = fatalities;
    x->fatalities_stated = stated;
    x->injured = -1;
    x->location = place;
    x->place = 0;
    x->has_coords = 1;
    x->lat = lat;
    x->lon = lon;
    x->country = "BF";
    x->admin1 = "Sahel";
    x->geo_precision = 1;
    x->confidence = 0.8;
    x->evidence = "Des hommes armés ont attaqué Djibo.";
}

static fake *new_fake(const char *published, int n_incidents)
{
    fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->doc.source = "test";
    f->doc.language = "fr";
    snprintf(f->doc.published, sizeof f->doc.published, "%s", published);
    f->doc.published_from = *published ? "option" : "none";
    f->doc.encoding = "UTF-8";
    incmap_place *p = &f->places[0];
    p->text = p->name = "Djibo";
    p->start = 10;
    p->end = 15;
    p->resolved = 1;
    p->geonameid = 2360886;
    p->feature_code = "PPLA2";
    p->country = "BF";
    p->admin1 = "Sahel";
    p->admin2 = "Soum";
    p->has_coords = 1;
    p->lat = 14.0994;
    p->lon = -1.6255;
    p->geo_precision = 1;
    p->score = 0.9;
    p->why = "test";
    p->section = "body";
    p->fallback_name = "";
    f->doc.places = f->places;
    f->doc.n_places = 1;
    f->doc.incidents = f->inc;
    f->doc.n_incidents = (size_t)n_incidents;
    for (int i = 0; i < n_incidents; i++)
        fake_incident(&f->inc[i], "Attack", "2025-02-16", "Djibo", 14.0994, -1.6255, 0, 0);
    return f;
}

/* Records content under key with the fake doc (NULL: the content is already stored). */
static void put(incmap_store *s, const char *key, const char *content, const fake *f, store_counts *c)
{
    char id[17], sha[65];
    incmap_article_id(content, strlen(content), id, sha);
    store_article a = {key, id, sha, key, NULL, NULL, "text", "2025-03-01T00:00:00Z", f ? &f->doc : NULL, NULL};
    incmap_error err = {0};
    store_counts local = {0};
    if (incmap_store_put(s, NULL, &a, c ? c : &local, &err) != INCMAP_OK)
        fail_msg("put %s: %s", key, err.message);
}

static void test_merge_and_fatalities(void **state)
{
    (void)state;
    incmap_error err = {0};
    incmap_store *s = incmap_store_open(path_of("merge.db"), NULL, &err);
    assert_non_null(s);
    store_counts c = {0};

    /* A: first report, 20 killed, published the 17th. */
    fake *a = new_fake("2025-02-17", 1);
    a->inc[0].fatalities = 20;
    a->inc[0].fatalities_stated = 1;
    put(s, "/in/a.txt", "article A", a, &c);
    assert_int_equal(c.added, 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents"), 1);
    sqlite3_int64 id = query_int(s, "SELECT incident_id FROM incidents");

    /* B: the same attack, 2 km away (another gazetteer entry), published the 18th: 18 killed. */
    fake *b = new_fake("2025-02-18", 1);
    b->inc[0].lon += 0.018;
    b->inc[0].fatalities = 18;
    b->inc[0].fatalities_stated = 1;
    put(s, "/in/b.txt", "article B", b, &c);
    assert_int_equal(c.merged, 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents"), 1);
    assert_int_equal(query_int(s, "SELECT n_reports FROM incidents"), 2);
    /* The later report corrects the earlier one. */
    assert_int_equal(query_int(s, "SELECT fatalities FROM incidents"), 18);

    /* C: published the same day as B, says 25: the lowest of the latest reports stays. */
    fake *cc = new_fake("2025-02-18", 1);
    cc->inc[0].fatalities = 25;
    cc->inc[0].fatalities_stated = 1;
    put(s, "/in/c.txt", "article C", cc, &c);
    assert_int_equal(query_int(s, "SELECT fatalities FROM incidents"), 18);

    /* D: two days later, a revised toll of 23. */
    fake *d = new_fake("2025-02-20", 1);
    d->inc[0].fatalities = 23;
    d->inc[0].fatalities_stated = 1;
    put(s, "/in/d.txt", "article D", d, &c);
    assert_int_equal(query_int(s, "SELECT fatalities FROM incidents"), 23);

    /* E: a later report without a figure changes nothing. */
    fake *e = new_fake("2025-02-25", 1);
    put(s, "/in/e.txt", "article E", e, &c);
    assert_int_equal(query_int(s, "SELECT fatalities FROM incidents"), 23);
    assert_int_equal(query_int(s, "SELECT n_reports FROM incidents"), 5);
    char buf[512];
    query_text(s, "SELECT source FROM incidents", buf, sizeof buf);
    assert_string_equal(buf, "/in/a.txt; /in/b.txt; /in/c.txt; /in/d.txt; /in/e.txt");
    assert_int_equal(query_int(s, "SELECT count(*) FROM incident_sources"), 5);

    /* Another attack the same day 60 km away: its own incident. */
    fake *f = new_fake("2025-02-17", 1);
    f->inc[0].lat += 0.54;
    put(s, "/in/f.txt", "article F", f, &c);
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents"), 2);

    /* D goes: back to B's figure. E, C, B go: A's. A goes: the incident with it. */
    store_counts r = {0};
    assert_int_equal(incmap_store_remove_input(s, "/in/d.txt", &r, &err), INCMAP_OK);
    assert_int_equal(query_int(s, "SELECT fatalities FROM incidents WHERE incident_id = 1"), 18);
    assert_int_equal(incmap_store_remove_input(s, "/in/e.txt", &r, &err), INCMAP_OK);
    assert_int_equal(incmap_store_remove_input(s, "/in/c.txt", &r, &err), INCMAP_OK);
    assert_int_equal(incmap_store_remove_input(s, "/in/b.txt", &r, &err), INCMAP_OK);
    assert_int_equal(query_int(s, "SELECT fatalities FROM incidents WHERE incident_id = 1"), 20);
    assert_int_equal(r.removed, 0);
    /* The id stayed the same all along. */
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents WHERE incident_id = 1"), 1);
    assert_int_equal(id, 1);
    assert_int_equal(incmap_store_remove_input(s, "/in/a.txt", &r, &err), INCMAP_OK);
    assert_int_equal(r.removed, 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents"), 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM reports"), 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM mentions"), 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM articles"), 1);
    /* Geometry follows the incident. */
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents WHERE geom IS NOT NULL AND abs(ST_Y(geom) - lat) < 1e-9"),
                     1);
    free(a);
    free(b);
    free(cc);
    free(d);
    free(e);
    free(f);
    incmap_store_close(s);
}

static void test_same_article_never_merges_itself(void **state)
{
    (void)state;
    incmap_error err = {0};
    incmap_store *s = incmap_store_open(path_of("self.db"), NULL, &err);
    assert_non_null(s);
    /* Two attacks the coder told apart in one article (two villages 3 km apart, same day). */
    fake *a = new_fake("2025-02-17", 2);
    a->inc[1].lon += 0.027;
    a->inc[1].location = "Djibo II";
    store_counts c = {0};
    put(s, "/in/a.txt", "article A", a, &c);
    assert_int_equal(c.added, 2);
    /* A second article reporting both: each of its reports joins one, not the same one. */
    fake *b = new_fake("2025-02-18", 2);
    b->inc[1].lon += 0.027;
    put(s, "/in/b.txt", "article B", b, &c);
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents"), 2);
    assert_int_equal(query_int(s, "SELECT min(n_reports) FROM incidents"), 2);
    assert_int_equal(query_int(s, "SELECT count(DISTINCT incident_id || article_id) FROM reports"), 4);
    free(a);
    free(b);
    incmap_store_close(s);
}

static void test_edit_keeps_ids(void **state)
{
    (void)state;
    incmap_error err = {0};
    incmap_store *s = incmap_store_open(path_of("edit.db"), NULL, &err);
    assert_non_null(s);
    fake *a = new_fake("2025-02-17", 1);
    a->inc[0].fatalities = 12;
    a->inc[0].fatalities_stated = 1;
    put(s, "/in/a.txt", "version 1", a, NULL);
    char id1[64], id2[64];
    query_text(s, "SELECT event_id_cnty FROM incidents", id1, sizeof id1);
    assert_int_equal(strncmp(id1, "XXX", 3), 0); /* no gazetteer given: country code unknown */
    int64_t gen = incmap_store_generation(s, &err);
    /* The article is edited: its new version replaces the old one and keeps the incident. */
    a->inc[0].fatalities = 14;
    store_counts c = {0};
    put(s, "/in/a.txt", "version 2", a, &c);
    assert_int_equal(c.added, 0);
    assert_int_equal(c.removed, 0);
    assert_int_equal(c.merged, 0);
    query_text(s, "SELECT event_id_cnty FROM incidents", id2, sizeof id2);
    assert_string_equal(id1, id2);
    assert_int_equal(query_int(s, "SELECT fatalities FROM incidents"), 14);
    assert_int_equal(query_int(s, "SELECT count(*) FROM articles"), 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM reports"), 1);
    assert_true(incmap_store_generation(s, &err) > gen);
    free(a);
    incmap_store_close(s);
}

static void test_one_article_two_inputs(void **state)
{
    (void)state;
    incmap_error err = {0};
    incmap_store *s = incmap_store_open(path_of("dup.db"), NULL, &err);
    assert_non_null(s);
    fake *a = new_fake("2025-02-17", 1);
    put(s, "/in/a.txt", "same text", a, NULL);
    int64_t gen = incmap_store_generation(s, &err);
    char id[17], sha[65], got_id[17];
    incmap_article_id("same text", 9, id, sha);
    assert_int_equal(incmap_store_article_by_sha(s, sha, got_id, &err), 1);
    assert_string_equal(got_id, id);
    /* The same content under another name: linked, not coded again, layers unchanged. */
    put(s, "/copy/a.txt", "same text", NULL, NULL);
    assert_int_equal(query_int(s, "SELECT count(*) FROM inputs"), 2);
    assert_int_equal(query_int(s, "SELECT count(*) FROM articles"), 1);
    assert_int_equal(incmap_store_generation(s, &err), gen);
    store_counts r = {0};
    assert_int_equal(incmap_store_remove_input(s, "/in/a.txt", &r, &err), INCMAP_OK);
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents"), 1);
    assert_int_equal(incmap_store_remove_input(s, "/copy/a.txt", &r, &err), INCMAP_OK);
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents"), 0);
    assert_int_equal(query_int(s, "SELECT count(*) FROM articles"), 0);
    assert_int_equal(query_int(s, "SELECT count(*) FROM inputs"), 0);
    /* Key ranges list the inputs of a directory or feed. */
    put(s, "/d/x.txt", "x", a, NULL);
    put(s, "/d/sub/y.txt", "y", a, NULL);
    put(s, "/d0/z.txt", "z", a, NULL);
    put(s, "/d/feed.jsonl#7", "f", a, NULL);
    free(a);
    incmap_store_close(s);
}

static int count_key(void *user, const char *key)
{
    (void)key;
    (*(int *)user)++;
    return 0;
}

static void test_key_ranges(void **state)
{
    (void)state;
    incmap_error err = {0};
    incmap_store *s = incmap_store_open(path_of("dup.db"), NULL, &err);
    assert_non_null(s);
    int n = 0;
    assert_int_equal(incmap_store_keys_between(s, "/d/", "/d0", count_key, &n, &err), INCMAP_OK);
    assert_int_equal(n, 3); /* not /d0/z.txt */
    n = 0;
    assert_int_equal(incmap_store_keys_between(s, "/d/feed.jsonl#", "/d/feed.jsonl$", count_key, &n, &err),
                     INCMAP_OK);
    assert_int_equal(n, 1);
    incmap_store_close(s);
}

/* A failure inside a change leaves the store as it was: the transaction rolls back. */
static void test_failed_change_rolls_back(void **state)
{
    (void)state;
    incmap_error err = {0};
    incmap_store *s = incmap_store_open(path_of("fail.db"), NULL, &err);
    assert_non_null(s);
    fake *a = new_fake("2025-02-17", 1);
    put(s, "/in/a.txt", "A", a, NULL);
    /* Make the next mention insert fail with a trigger, then try to record an edit. */
    assert_int_equal(incmap_store_exec(s, "CREATE TRIGGER boom BEFORE INSERT ON mentions BEGIN"
                                          " SELECT RAISE(ABORT, 'disk full, say'); END;",
                                       &err),
                     INCMAP_OK);
    char id[17], sha[65];
    incmap_article_id("A2", 2, id, sha);
    store_article art = {"/in/a.txt", id, sha, "/in/a.txt", NULL, NULL, "text", "2025-03-01T00:00:00Z", &a->doc, NULL};
    store_counts c = {0};
    assert_int_equal(incmap_store_put(s, NULL, &art, &c, &err), INCMAP_ERR_DB);
    assert_non_null(strstr(err.message, "disk full, say"));
    char old_id[17], old_sha[65], first[17];
    incmap_article_id("A", 1, first, NULL);
    assert_int_equal(incmap_store_input_get(s, "/in/a.txt", old_id, old_sha, &err), INCMAP_OK);
    assert_string_equal(old_id, first);
    assert_int_equal(query_int(s, "SELECT count(*) FROM reports"), 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM mentions"), 1);
    assert_int_equal(query_int(s, "SELECT count(*) FROM incidents"), 1);
    free(a);
    incmap_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_reopen),
        cmocka_unit_test(test_refuses_foreign_and_newer),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_match_rule),
        cmocka_unit_test(test_merge_and_fatalities),
        cmocka_unit_test(test_same_article_never_merges_itself),
        cmocka_unit_test(test_edit_keeps_ids),
        cmocka_unit_test(test_one_article_two_inputs),
        cmocka_unit_test(test_key_ranges),
        cmocka_unit_test(test_failed_change_rolls_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
