/* test_gazetteer.c: importing GeoNames files (incmap_gazetteer_build), opening the result
 * (incmap_ctx_new) and looking names up (incmap_gazetteer_lookup), on the small invented
 * extracts in tests/fixtures/geonames/. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gazetteer.h"
#include "incmap.h"
#include "testing.h"

#define FIX INCMAP_TEST_DATA "/geonames/"

/* Every fixture, oldest dump first. bad-2020.txt has two malformed lines (2 and 3). */
static const char *ALL[] = {FIX "ML-2014.txt",           FIX "ML-2023.txt",          FIX "bad-2020.txt",
                            FIX "latin1-2021.txt",       FIX "admin1CodesASCII.txt", FIX "countryInfo.txt",
                            FIX "alternateNamesV2.txt", FIX "names-curated.tsv"};

typedef struct {
    char dir[64];
    char path[128];
    incmap_ctx *ctx;
    incmap_import_stats stats;
    char warnings[4096];
    int n_warnings;
} fixture;

static void collect_warning(void *user, const char *message)
{
    fixture *f = user;
    size_t used = strlen(f->warnings);
    snprintf(f->warnings + used, sizeof f->warnings - used, "%s\n", message);
    f->n_warnings++;
}

static void make_dir(fixture *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/incmap-test-gz-XXXXXX");
    if (!mkdtemp(f->dir))
        fail_msg("mkdtemp failed");
}

/* Removes the files of a flat temporary directory, then the directory. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* The names of the files in dir, space-separated, sorted by readdir order (for messages). */
static int list_dir(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    int count = 0;
    out[0] = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s ", e->d_name);
        count++;
    }
    closedir(d);
    return count;
}

static incmap_status build(fixture *f, const char *name, const char *const *src, size_t n, int strict,
                           incmap_error *err)
{
    snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
    incmap_import_options io = {0};
    io.strict = strict;
    io.warn = collect_warning;
    io.warn_user = f;
    f->warnings[0] = 0;
    f->n_warnings = 0;
    return incmap_gazetteer_build(f->path, src, n, &io, &f->stats, err);
}

static incmap_ctx *open_ctx(const char *path, incmap_error *err)
{
    incmap_options o = incmap_default_options();
    o.gazetteer_path = path;
    return incmap_ctx_new(&o, err);
}

static void copy_file(const char *from, const char *to, long limit)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    if (!a || !b)
        fail_msg("copy %s -> %s failed", from, to);
    int c;
    long n = 0;
    while ((limit < 0 || n < limit) && (c = fgetc(a)) != EOF) {
        fputc(c, b);
        n++;
    }
    fclose(a);
    fclose(b);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n)
        fail_msg("cannot write %s", path);
    fclose(f);
}

/* ---------------------------------------------------------------- the main fixture gazetteer */

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    make_dir(f);
    incmap_error err = {0};
    if (build(f, "g.db", ALL, N_ROWS(ALL), 0, &err) != INCMAP_OK) {
        print_error("build failed: %s\n", err.message);
        return -1;
    }
    if (!(f->ctx = open_ctx(f->path, &err))) {
        print_error("open failed: %s\n", err.message);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    incmap_ctx_destroy(f->ctx);
    remove_dir(f->dir);
    free(f);
    return 0;
}

static void test_build_summary(void **state)
{
    fixture *f = *state;
    int bad = 0;
    CHECK_INT(bad, "files", N_ROWS(ALL), f->stats.files);
    CHECK_INT(bad, "skipped_malformed", 2, f->stats.skipped_malformed);
    /* 10 + 5 + 2 good in bad-2020.txt + 2 in latin1-2021.txt: every row read, the older
     * duplicates too (they are rows, not distinct places). */
    CHECK_INT(bad, "places", 19, f->stats.places);
    CHECK_INT(bad, "admin_codes", 7, f->stats.admin_codes);
    CHECK_INT(bad, "countries", 2, f->stats.countries);
    CHECK_TRUE(bad, f->stats.names >= 4, "names = %llu", (unsigned long long)f->stats.names);
    /* Each malformed line is reported with FILE:LINE, and the Latin-1 file once. */
    CHECK_TRUE(bad, strstr(f->warnings, "bad-2020.txt:2:") != NULL, "warnings:\n%s", f->warnings);
    CHECK_TRUE(bad, strstr(f->warnings, "bad-2020.txt:3:") != NULL, "warnings:\n%s", f->warnings);
    CHECK_TRUE(bad, strstr(f->warnings, "latitude") != NULL, "warnings:\n%s", f->warnings);
    CHECK_TRUE(bad, strstr(f->warnings, "latin1-2021.txt") != NULL, "warnings:\n%s", f->warnings);
    CHECK_STR(bad, "path", f->path, incmap_ctx_gazetteer_path(f->ctx));
    /* Only the gazetteer and its index are left: no temporary files. */
    char files[512];
    CHECK_INT(bad, files, 2, list_dir(f->dir, files, sizeof files));
    END_TABLE(bad);
}

/* NAME [country] -> the geonameids it must list, in order (most populous first). */
static const struct {
    const char *name, *country, *ids;
} lookup_rows[] = {
    /* case and accents */
    {"Bandiagara", NULL, "2460489"},
    {"BANDIAGARA", NULL, "2460489"},
    {"bándiagara", NULL, "2460489"},
    {"Banjagara", NULL, "2460489"},
    /* Latin-1 dump line imported as UTF-8, and its admin1 name */
    {"Région de Ségou", NULL, "2451477"},
    {"REGION DE SEGOU", NULL, "2451477"},
    {"Ségou", NULL, "2451477 2451478"},
    {"Segou", NULL, "2451477 2451478"},
    {"Markala", NULL, "9999003"},
    /* hyphen, apostrophe and spacing variants */
    {"Ti-n-Zaouâtene", NULL, "9999002"},
    {"ti n zaouatene", NULL, "9999002"},
    {"Tinzaouatene", NULL, "9999002"},
    {"Tin Zaouatene", NULL, "9999002"},
    {"L'Haÿ-les-Roses", NULL, "2998975"},
    {"L’Hay les Roses", NULL, "2998975"},
    {"l hay-les-roses", NULL, "2998975"},
    /* trailing numerals */
    {"Tiby", NULL, "2449824 6880612"},
    {"Tibi", NULL, "2449824 6880612"},
    {"Tiby 1", NULL, "2449824"},
    {"Tibi I", NULL, "2449824"},
    {"Tibi II", NULL, "6880612"},
    /* curated TSV and alternateNamesV2 */
    {"Tombouctou", NULL, "2449067 2449066"},
    {"Côte d'Ivoire", NULL, "2287781"},
    {"Cote d’Ivoire", NULL, "2287781"},
    {"COTE-D'IVOIRE", NULL, "2287781"},
    {"Ivory Coast", NULL, "2287781"},
    {"Dioura-Mopti", NULL, "2458636"},
    {"Bandiagara-Ville", NULL, "2460489"},
    {"Nowhere Curated", NULL, ""}, /* a curated name for an id no dump lists */
    {"Timbuktoo", NULL, ""},       /* historic alternate name */
    /* admin1 names: from the admin1 table, with derived points where no dump lists the area */
    {"Mopti", NULL, "2453347"},
    {"Kayes", NULL, "2455517"},
    {"Koulikoro", NULL, "2454530 2454532"},
    {"Mali", NULL, "2453866"},
    /* country filter */
    {"Dioura", NULL, "2458636 2458637"},
    {"Dioura", "ML", "2458636 2458637"},
    {"Dioura", "ml", "2458636 2458637"},
    {"Dioura", "SN", ""},
    {"Dioura", "", "2458636 2458637"},
    /* malformed lines were skipped, their neighbours kept */
    {"Bamako", NULL, "2460596 2460594"}, /* the city, then ML.01 (derived point) */
    {"Shortville", NULL, ""},
    {"Badlatville", NULL, ""},
    {"Atlantis", NULL, ""},
};

static void test_lookup_table(void **state)
{
    fixture *f = *state;
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(lookup_rows); i++) {
        incmap_candidate *c = NULL;
        size_t n = 0;
        incmap_error err = {0};
        char label[128], got[600] = "";
        snprintf(label, sizeof label, "lookup %s%s%s", lookup_rows[i].name, lookup_rows[i].country ? " in " : "",
                 lookup_rows[i].country ? lookup_rows[i].country : "");
        incmap_status rc = incmap_gazetteer_lookup(f->ctx, lookup_rows[i].name, lookup_rows[i].country, &c, &n, &err);
        if (rc != INCMAP_OK)
            snprintf(got, sizeof got, "error: %s", err.message);
        for (size_t k = 0; k < n; k++) {
            size_t used = strlen(got);
            snprintf(got + used, sizeof got - used, "%s%lld", k ? " " : "", (long long)c[k].geonameid);
        }
        CHECK_STR(bad, label, lookup_rows[i].ids, got);
        free(c);
    }
    END_TABLE(bad);
}

static void test_lookup_details(void **state)
{
    fixture *f = *state;
    incmap_candidate *c = NULL;
    size_t n = 0;
    incmap_error err;
    int bad = 0;
    assert_int_equal(incmap_gazetteer_lookup(f->ctx, "Dioura", NULL, &c, &n, &err), INCMAP_OK);
    assert_int_equal(n, 2);
    /* Equal population: ordered by id; admin1 is the admin1 table's name. */
    CHECK_INT(bad, "Dioura[0]", 2458636, c[0].geonameid);
    CHECK_STR(bad, "Dioura[0] admin1", "Mopti", c[0].admin1);
    CHECK_STR(bad, "Dioura[1] admin1", "Kayes", c[1].admin1);
    CHECK_STR(bad, "Dioura[0] code", "PPL", c[0].feature_code);
    CHECK_STR(bad, "Dioura[0] class", "P", c[0].feature_class);
    CHECK_STR(bad, "Dioura[0] country", "ML", c[0].country);
    CHECK_TRUE(bad, c[0].lat > 14.82 && c[0].lat < 14.83 && c[0].lon < -5.25 && c[0].lon > -5.26, "%f %f",
               c[0].lat, c[0].lon);
    free(c);
    assert_int_equal(incmap_gazetteer_lookup(f->ctx, "Ségou", NULL, &c, &n, &err), INCMAP_OK);
    assert_true(n >= 1);
    /* The Windows-1252 line became UTF-8. */
    CHECK_STR(bad, "Latin-1 name", "S\xc3\xa9gou Region", c[0].name);
    CHECK_STR(bad, "Latin-1 admin1", "S\xc3\xa9gou", c[0].admin1);
    free(c);
    END_TABLE(bad);
}

/* The resolver tells "inside the same area" by comparing the records' admin code offsets, so
 * equal codes must be one string in the index: the places' codes and those of the areas the
 * importer derives points for (ML.01 Bamako, ML.03 Kayes here) alike. */
static void test_codes_interned_once(void **state)
{
    fixture *f = *state;
    incmap_error err = {0};
    incmap_gazetteer *g = incmap_gazetteer_open(f->path, &err);
    assert_non_null(g);
    int bad = 0, compared = 0;
    size_t n = incmap_gazetteer_n_records(g);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const incmap_gz_record *a = incmap_gazetteer_record(g, (uint32_t)i), *b = incmap_gazetteer_record(g, (uint32_t)j);
            const uint32_t oa[2] = {a->admin1_off, a->admin2_off}, ob[2] = {b->admin1_off, b->admin2_off};
            for (int k = 0; k < 2; k++) {
                if (!oa[k] || !ob[k])
                    continue;
                int same = !strcmp(incmap_gazetteer_string(g, oa[k]), incmap_gazetteer_string(g, ob[k]));
                compared += same;
                CHECK_TRUE(bad, !same || oa[k] == ob[k], "%u and %u: code %s at two offsets", (unsigned)a->geonameid,
                           (unsigned)b->geonameid, incmap_gazetteer_string(g, oa[k]));
            }
        }
    CHECK_TRUE(bad, compared > 0, "no two records share a code");
    incmap_gazetteer_close(g);
    END_TABLE(bad);
}

/* Records lie by name in the index, not by id: every one is still found by its id (through the
 * index's id order), an id no record has is not, and a name's postings list its places in id
 * order. */
static void test_records_found_by_id(void **state)
{
    fixture *f = *state;
    incmap_error err = {0};
    incmap_gazetteer *g = incmap_gazetteer_open(f->path, &err);
    assert_non_null(g);
    int bad = 0, out_of_id_order = 0;
    uint32_t max_id = 0;
    size_t n = incmap_gazetteer_n_records(g);
    CHECK_TRUE(bad, n > 0, "no records");
    for (size_t i = 0; i < n; i++) {
        const incmap_gz_record *r = incmap_gazetteer_record(g, (uint32_t)i);
        CHECK_TRUE(bad, incmap_gazetteer_find(g, r->geonameid) == r, "record %zu (id %u) not found by its id", i,
                   (unsigned)r->geonameid);
        if (i && r->geonameid < incmap_gazetteer_record(g, (uint32_t)i - 1)->geonameid)
            out_of_id_order++;
        if (r->geonameid > max_id)
            max_id = r->geonameid;
    }
    CHECK_TRUE(bad, out_of_id_order > 0, "the records are in id order: not laid out by name");
    CHECK_TRUE(bad, !incmap_gazetteer_find(g, 0) && !incmap_gazetteer_find(g, -1) &&
                        !incmap_gazetteer_find(g, (int64_t)max_id + 1),
               "an id no record has was found");
    /* Dioura: two places of that name (2458636 in Mopti, 2458637 in Kayes) */
    const incmap_gz_posting *p = NULL;
    size_t np = 0;
    int longer = 0;
    CHECK_TRUE(bad, incmap_gazetteer_probe(g, "dioura", 6, 0, &p, &np, &longer) && np == 2, "dioura: %zu places",
               np);
    for (size_t k = 1; k < np; k++)
        CHECK_TRUE(bad,
                   incmap_gazetteer_record(g, p[k - 1].record)->geonameid <
                       incmap_gazetteer_record(g, p[k].record)->geonameid,
                   "dioura's postings out of id order");
    incmap_gazetteer_close(g);
    END_TABLE(bad);
}

/* The same id in two files: the newer modification date wins, whatever the order of the files.
 * ML-2014.txt has Bandiagara from 2014 (pop 20000) and Sofara from 2020 (pop 10000);
 * ML-2023.txt has Bandiagara from 2024 (pop 26460) and Sofara from 2012 (pop 1). */
static void check_newest(fixture *f, const char *order, int *bad)
{
    static const struct {
        const char *name;
        long long pop;
        double lat;
    } rows[] = {{"Bandiagara", 26460, 14.35005}, {"Sofara", 10000, 14.0167}};
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        incmap_candidate *c = NULL;
        size_t n = 0;
        incmap_error err;
        char label[96];
        snprintf(label, sizeof label, "%s, %s", rows[i].name, order);
        if (incmap_gazetteer_lookup(f->ctx, rows[i].name, NULL, &c, &n, &err) != INCMAP_OK || n != 1) {
            CHECK_INT(*bad, label, 1, n);
            free(c);
            continue;
        }
        CHECK_INT(*bad, label, rows[i].pop, c[0].population);
        CHECK_TRUE(*bad, c[0].lat > rows[i].lat - 1e-4 && c[0].lat < rows[i].lat + 1e-4, "%s: lat %f, want %f",
                   label, c[0].lat, rows[i].lat);
        free(c);
    }
}

static void test_newest_row_wins(void **state)
{
    int bad = 0;
    check_newest(*state, "oldest file first", &bad);
    fixture g = {0};
    make_dir(&g);
    const char *reversed[] = {FIX "ML-2023.txt", FIX "ML-2014.txt", FIX "admin1CodesASCII.txt"};
    incmap_error err = {0};
    if (build(&g, "r.db", reversed, N_ROWS(reversed), 1, &err) != INCMAP_OK)
        fail_msg("build failed: %s", err.message);
    g.ctx = open_ctx(g.path, &err);
    if (!g.ctx)
        fail_msg("open failed: %s", err.message);
    check_newest(&g, "newest file first", &bad);
    incmap_ctx_destroy(g.ctx);
    remove_dir(g.dir);
    END_TABLE(bad);
}

static void test_empty_name_is_usage_error(void **state)
{
    fixture *f = *state;
    incmap_candidate *c = NULL;
    size_t n = 7;
    incmap_error err = {0};
    assert_int_equal(incmap_gazetteer_lookup(f->ctx, " -'. ", NULL, &c, &n, &err), INCMAP_ERR_USAGE);
    assert_int_equal(n, 0);
    free(c);
}

/* ---------------------------------------------------------------- failures */

static void test_strict_fails_and_leaves_nothing(void **state)
{
    (void)state;
    fixture g = {0};
    make_dir(&g);
    incmap_error err = {0};
    incmap_status rc = build(&g, "s.db", ALL, N_ROWS(ALL), 1, &err);
    char files[512];
    int n_files = list_dir(g.dir, files, sizeof files);
    remove_dir(g.dir);
    assert_int_equal(rc, INCMAP_ERR_FORMAT);
    if (!strstr(err.message, "bad-2020.txt:2"))
        fail_msg("strict error should name bad-2020.txt:2, got \"%s\"", err.message);
    if (n_files)
        fail_msg("a failed build left files behind: %s", files);
}

static void test_failed_build_keeps_old_gazetteer(void **state)
{
    (void)state;
    fixture g = {0};
    make_dir(&g);
    incmap_error err = {0};
    const char *good[] = {FIX "ML-2023.txt"};
    assert_int_equal(build(&g, "k.db", good, 1, 0, &err), INCMAP_OK);
    assert_int_equal(build(&g, "k.db", ALL, N_ROWS(ALL), 1, &err), INCMAP_ERR_FORMAT);
    incmap_ctx *ctx = open_ctx(g.path, &err);
    char files[512];
    int n_files = list_dir(g.dir, files, sizeof files);
    if (!ctx) {
        remove_dir(g.dir);
        fail_msg("the earlier gazetteer no longer opens: %s", err.message);
    }
    incmap_ctx_destroy(ctx);
    remove_dir(g.dir);
    if (n_files != 2)
        fail_msg("expected k.db and k.db.idx only, found: %s", files);
}

static void test_missing_source(void **state)
{
    (void)state;
    fixture g = {0};
    make_dir(&g);
    incmap_error err = {0};
    const char *src[] = {FIX "ML-2014.txt", FIX "no-such-file.txt"};
    incmap_status rc = build(&g, "m.db", src, 2, 0, &err);
    char files[512];
    int n_files = list_dir(g.dir, files, sizeof files);
    remove_dir(g.dir);
    assert_int_equal(rc, INCMAP_ERR_IO);
    if (!strstr(err.message, "no-such-file.txt"))
        fail_msg("error should name the missing file, got \"%s\"", err.message);
    if (n_files)
        fail_msg("a failed build left files behind: %s", files);
    assert_int_equal(incmap_gazetteer_build("/tmp/never.db", NULL, 0, NULL, NULL, &err), INCMAP_ERR_USAGE);
}

/* A shifted column must never be imported: an extra column is malformed too. */
static void test_extra_column_rejected(void **state)
{
    (void)state;
    fixture g = {0};
    make_dir(&g);
    char src[128];
    snprintf(src, sizeof src, "%s/extra.txt", g.dir);
    const char *line = "9999020\tExtraville\tExtraville\t\t14.1\t-4.1\tP\tPPL\tML\t\t04\t\t\t\t5\t\t300\tAfrica/Bamako\t"
                       "2020-01-01\tSURPLUS\n"
                       "9999021\tGoodville\tGoodville\t\t14.1\t-4.1\tP\tPPL\tML\t\t04\t\t\t\t5\t\t300\tAfrica/Bamako\t"
                       "2020-01-01\n";
    write_file(src, line, strlen(line));
    const char *srcs[] = {src};
    incmap_error err = {0};
    incmap_status rc = build(&g, "x.db", srcs, 1, 0, &err);
    incmap_ctx *ctx = rc == INCMAP_OK ? open_ctx(g.path, &err) : NULL;
    incmap_candidate *c = NULL;
    size_t n1 = 0, n2 = 0;
    if (ctx) {
        incmap_gazetteer_lookup(ctx, "Extraville", NULL, &c, &n1, &err);
        free(c);
        incmap_gazetteer_lookup(ctx, "Goodville", NULL, &c, &n2, &err);
        free(c);
    }
    incmap_ctx_destroy(ctx);
    uint64_t skipped = g.stats.skipped_malformed;
    remove_dir(g.dir);
    assert_int_equal(rc, INCMAP_OK);
    assert_int_equal(skipped, 1);
    assert_int_equal(n1, 0);
    assert_int_equal(n2, 1);
}

/* A gzip-compressed dump reads like a plain one. */
static void test_gzip_source(void **state)
{
    (void)state;
    fixture g = {0};
    make_dir(&g);
    char cmd[512], gz[128];
    snprintf(gz, sizeof gz, "%s/ML-2023.txt.gz", g.dir);
    snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", FIX "ML-2023.txt", gz);
    if (system(cmd) != 0) {
        remove_dir(g.dir);
        skip();
    }
    const char *srcs[] = {gz};
    incmap_error err = {0};
    incmap_status rc = build(&g, "z.db", srcs, 1, 1, &err);
    uint64_t places = g.stats.places;
    remove_dir(g.dir);
    if (rc != INCMAP_OK)
        fail_msg("build from .gz failed: %s", err.message);
    assert_int_equal(places, 5);
}

/* ---------------------------------------------------------------- opening a bad gazetteer */

typedef struct {
    const char *label;
    long idx_bytes;      /* copy this many bytes of the good index (-1: all, -2: none at all) */
    const char *garbage; /* or write this instead */
    const char *message; /* a substring of the error */
} open_row;

static void test_open_failures(void **state)
{
    fixture *f = *state;
    static const open_row rows[] = {
        {"empty index", 0, NULL, ".idx"},
        {"index cut inside the header", 10, NULL, ".idx"},
        {"index cut after the header", 300, NULL, ".idx"},
        {"index cut in half", -3, NULL, ".idx"},
        {"garbage index", -1, "this is not an index at all, just some text that goes on for a while .....", ".idx"},
        {"no index", -2, NULL, ".idx"},
    };
    int bad = 0;
    struct stat st;
    char idx[160];
    snprintf(idx, sizeof idx, "%s.idx", f->path);
    assert_int_equal(stat(idx, &st), 0);
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        fixture g = {0};
        make_dir(&g);
        char db[128], gidx[160];
        snprintf(db, sizeof db, "%s/c.db", g.dir);
        snprintf(gidx, sizeof gidx, "%s.idx", db);
        copy_file(f->path, db, -1);
        if (rows[i].garbage)
            write_file(gidx, rows[i].garbage, strlen(rows[i].garbage));
        else if (rows[i].idx_bytes == -3)
            copy_file(idx, gidx, (long)st.st_size / 2);
        else if (rows[i].idx_bytes != -2)
            copy_file(idx, gidx, rows[i].idx_bytes);
        incmap_error err = {0};
        incmap_ctx *ctx = open_ctx(db, &err);
        CHECK_TRUE(bad, ctx == NULL, "%s: opened anyway", rows[i].label);
        if (!ctx) {
            CHECK_STR(bad, rows[i].label, incmap_status_name(INCMAP_ERR_GAZETTEER), incmap_status_name(err.code));
            CHECK_TRUE(bad, strstr(err.message, rows[i].message) != NULL, "%s: message \"%s\" lacks \"%s\"",
                       rows[i].label, err.message, rows[i].message);
            CHECK_TRUE(bad, strstr(err.message, g.dir) != NULL, "%s: message \"%s\" does not name the file",
                       rows[i].label, err.message);
        }
        incmap_ctx_destroy(ctx);
        remove_dir(g.dir);
    }
    END_TABLE(bad);
}

static void test_index_of_another_build(void **state)
{
    fixture *f = *state;
    fixture g = {0};
    make_dir(&g);
    incmap_error err = {0};
    const char *src[] = {FIX "ML-2014.txt"};
    assert_int_equal(build(&g, "o.db", src, 1, 0, &err), INCMAP_OK);
    char idx[160];
    snprintf(idx, sizeof idx, "%s.idx", f->path);
    char gidx[160];
    snprintf(gidx, sizeof gidx, "%s.idx", g.path);
    copy_file(idx, gidx, -1);
    incmap_ctx *ctx = open_ctx(g.path, &err);
    incmap_ctx_destroy(ctx);
    remove_dir(g.dir);
    assert_null(ctx);
    assert_int_equal(err.code, INCMAP_ERR_GAZETTEER);
    if (!strstr(err.message, "rebuild"))
        fail_msg("expected advice to rebuild, got \"%s\"", err.message);
}

static void test_not_a_gazetteer(void **state)
{
    (void)state;
    static const struct {
        const char *label, *content;
    } rows[] = {
        {"a text file", "Bamako est la capitale du Mali.\n"},
        {"an empty file", ""},
    };
    int bad = 0;
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        fixture g = {0};
        make_dir(&g);
        char db[128];
        snprintf(db, sizeof db, "%s/n.db", g.dir);
        write_file(db, rows[i].content, strlen(rows[i].content));
        incmap_error err = {0};
        incmap_ctx *ctx = open_ctx(db, &err);
        CHECK_TRUE(bad, ctx == NULL, "%s: opened as a gazetteer", rows[i].label);
        if (!ctx) {
            CHECK_STR(bad, rows[i].label, incmap_status_name(INCMAP_ERR_GAZETTEER), incmap_status_name(err.code));
            CHECK_TRUE(bad, strstr(err.message, db) != NULL, "%s: message \"%s\" does not name %s", rows[i].label,
                       err.message, db);
        }
        incmap_ctx_destroy(ctx);
        remove_dir(g.dir);
    }
    END_TABLE(bad);
}

static void test_missing_gazetteer(void **state)
{
    (void)state;
    incmap_error err = {0};
    const char *path = "/nonexistent-dir/incmap-missing.db";
    incmap_ctx *ctx = open_ctx(path, &err);
    assert_null(ctx);
    assert_int_equal(err.code, INCMAP_ERR_GAZETTEER);
    if (!strstr(err.message, path))
        fail_msg("message \"%s\" does not name %s", err.message, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_summary),
        cmocka_unit_test(test_lookup_table),
        cmocka_unit_test(test_lookup_details),
        cmocka_unit_test(test_codes_interned_once),
        cmocka_unit_test(test_records_found_by_id),
        cmocka_unit_test(test_newest_row_wins),
        cmocka_unit_test(test_empty_name_is_usage_error),
        cmocka_unit_test(test_strict_fails_and_leaves_nothing),
        cmocka_unit_test(test_failed_build_keeps_old_gazetteer),
        cmocka_unit_test(test_missing_source),
        cmocka_unit_test(test_extra_column_rejected),
        cmocka_unit_test(test_gzip_source),
        cmocka_unit_test(test_open_failures),
        cmocka_unit_test(test_index_of_another_build),
        cmocka_unit_test(test_not_a_gazetteer),
        cmocka_unit_test(test_missing_gazetteer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
