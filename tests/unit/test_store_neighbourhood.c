/* test_store_neighbourhood.c: the neighbourhood locks that keep incident merging right when
 * several workers write one PostgreSQL store (store_dedup.c, incmap_report_lock_keys). The
 * property that matters: two reports that could merge (incmap_reports_match) always share a lock
 * key, so the second to be placed waits for the first. Checked on random pairs of reports up to
 * the largest radius apart (100 km), everywhere on the globe and near the places where a grid
 * is most likely to go wrong (the antimeridian, the poles, the 80-degree rows, cell edges), with
 * every kind of date window; and a report has few keys, so that distant reports rarely wait. */
#include <geodesic.h>
#include <math.h>
#include <stdlib.h>

#include "dates.h"
#include "resolver.h"
#include "store.h"
#include "testing.h"

static store_match_key report(const char *type, double lat, double lon, long day, int time_precision, int geo_precision)
{
    store_match_key k = {0};
    snprintf(k.sub_event_type, sizeof k.sub_event_type, "%s", type);
    int y, m, d;
    incmap_ymd_from_days(day, &y, &m, &d);
    char date[11];
    snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
    incmap_report_window(date, time_precision, NULL, &k.day_lo, &k.day_hi);
    k.has_coords = 1;
    k.lat = lat;
    k.lon = lon;
    k.geo_precision = geo_precision;
    return k;
}

static int share_a_key(const store_match_key *a, const store_match_key *b, size_t *na, size_t *nb)
{
    int64_t *ka = NULL, *kb = NULL;
    size_t ca = 0, cb = 0;
    *na = *nb = 0;
    assert_int_equal(incmap_report_lock_keys(a, &ka, na, &ca), 0);
    assert_int_equal(incmap_report_lock_keys(b, &kb, nb, &cb), 0);
    int shared = 0;
    for (size_t i = 0; i < *na && !shared; i++)
        for (size_t j = 0; j < *nb && !shared; j++)
            shared = ka[i] == kb[j];
    free(ka);
    free(kb);
    return shared;
}

static double uniform(unsigned *seed, double lo, double hi)
{
    return lo + (hi - lo) * ((double)rand_r(seed) / RAND_MAX);
}

static void test_matching_reports_share_a_key(void **state)
{
    (void)state;
    struct geod_geodesic g;
    incmap_wgs84_init(&g);
    unsigned seed = 20261121;
    /* Where a grid goes wrong first: anywhere, the antimeridian, near either pole, the rows
     * around 80 degrees where cells become one per row, and the edges of cells. */
    const double lat_ranges[][2] = {{-89.99, 89.99}, {-5, 5}, {88, 89.99}, {-89.99, -88}, {79, 81.5}, {-81.5, -79}};
    long day0 = incmap_days_from_ymd(2025, 1, 1);
    int bad = 0, pairs = 0;
    size_t most = 0;
    for (int n = 0; n < 30000; n++) {
        const double *lr = lat_ranges[n % 6];
        double lat = uniform(&seed, lr[0], lr[1]);
        double lon = n % 3 == 0 ? uniform(&seed, 179, 180) * (n % 2 ? 1 : -1) : uniform(&seed, -180, 180);
        if (n % 5 == 0) /* on a cell edge */
            lat = floor(lat) + (n % 2 ? 1e-9 : 0), lon = floor(lon) + (n % 4 ? 1e-9 : 0);
        double lat2, lon2, azi2;
        geod_direct(&g, lat, lon, uniform(&seed, 0, 360), uniform(&seed, 0, 100000), &lat2, &lon2, &azi2);
        long day = day0 + (long)uniform(&seed, 0, 700);
        int tp_a = 1 + rand_r(&seed) % 3, tp_b = 1 + rand_r(&seed) % 3;
        store_match_key a = report("Attack", lat, lon, day, tp_a, 3);
        store_match_key b = report("Attack", lat2, lon2, day + (long)uniform(&seed, -40, 40), tp_b, 3);
        if (!incmap_reports_match(&a, &b, NULL))
            continue;
        pairs++;
        size_t na, nb;
        if (!share_a_key(&a, &b, &na, &nb)) {
            if (bad++ < 10)
                print_error("no shared key: (%.6f, %.6f) days %ld-%ld and (%.6f, %.6f) days %ld-%ld\n", a.lat, a.lon,
                            a.day_lo, a.day_hi, b.lat, b.lon, b.day_lo, b.day_hi);
        }
        most = na > most ? na : most;
    }
    CHECK_TRUE(bad, pairs > 10000, "only %d matching pairs drawn", pairs);
    /* A box of 2 rows by at most 8 columns (7 at 81 degrees), times at most 4 buckets of a
     * month-wide window. */
    CHECK_TRUE(bad, most <= 64, "a report locks %zu keys", most);
    END_TABLE(bad);
}

static void test_what_cannot_match_locks_nothing_shared(void **state)
{
    (void)state;
    long day = incmap_days_from_ymd(2025, 2, 16);
    store_match_key a = report("Attack", 14.1, -1.6, day, 1, 1);
    store_match_key b = report("Armed clash", 14.1, -1.6, day, 1, 1);
    size_t na, nb;
    assert_false(share_a_key(&a, &b, &na, &nb)); /* other sub-event types wait for nobody */
    assert_true(na >= 1 && na <= 12);
    store_match_key far = report("Attack", 14.1, 3.0, day, 1, 1); /* 500 km east */
    assert_false(share_a_key(&a, &far, &na, &nb));
    store_match_key later = report("Attack", 14.1, -1.6, day + 60, 1, 1);
    assert_false(share_a_key(&a, &later, &na, &nb));
    store_match_key nowhere = a;
    nowhere.has_coords = 0; /* never merges: no neighbourhood */
    int64_t *keys = NULL;
    size_t n = 0, cap = 0;
    assert_int_equal(incmap_report_lock_keys(&nowhere, &keys, &n, &cap), 0);
    assert_int_equal(n, 0);
    free(keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching_reports_share_a_key),
        cmocka_unit_test(test_what_cannot_match_locks_nothing_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
