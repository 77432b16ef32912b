/* store_dedup.c: merging the reports of one incident across articles, and what a merged
 * incident says (README, "incmap update", states the same rules for users).
 *
 * Two reports are the same incident when
 *   - their sub-event types are the same (ACLED's, so event types agree too);
 *   - their dates are compatible: each report stands for a window of days (its date for day
 *     precision, +-6 days for week precision, the calendar month for month precision, the week
 *     before publication when the article gives no date), and the windows overlap or touch;
 *   - their sites are close for their precision: both have coordinates and lie within 5 km when
 *     both are precise (geo_precision 1), 50 km when the coarser one is 2, 100 km when it is 3
 *     (geodesic distance, PROJ), and in the same country when both name one;
 *   - they come from different articles: an article's own reports were already told apart by
 *     the incident coder, so two of them are two incidents.
 * A new report joins the closest matching incident (smallest distance relative to the radius,
 * then the smallest gap in days, then the oldest incident); it never joins two incidents together,
 * so ids stay put. */
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "resolver.h"
#include "store.h"

/* ------------------------------------------------------------------ matching */

int incmap_report_window(const char *event_date, int time_precision, const char *published, long *lo, long *hi)
{
    long d = event_date && *event_date ? incmap_days_parse(event_date) : -1;
    if (d >= 0) {
        if (time_precision == 2) {
            /* "la semaine dernière": which side of the date the event fell is unknown. */
            *lo = d - 6;
            *hi = d + 6;
        } else if (time_precision >= 3) {
            int y, m, day;
            incmap_ymd_from_days(d, &y, &m, &day);
            *lo = incmap_days_from_ymd(y, m, 1);
            *hi = (m == 12 ? incmap_days_from_ymd(y + 1, 1, 1) : incmap_days_from_ymd(y, m + 1, 1)) - 1;
        } else {
            *lo = *hi = d;
        }
        return 1;
    }
    long p = published && *published ? incmap_days_parse(published) : -1;
    if (p >= 0) {
        *lo = p - 7;
        *hi = p;
        return 1;
    }
    return 0;
}

static double radius_km(int precision_a, int precision_b)
{
    int p = precision_a > precision_b ? precision_a : precision_b;
    if (precision_a <= 0 || precision_b <= 0)
        p = 3; /* unknown precision: as coarse as it gets */
    return p <= 1 ? 5.0 : p == 2 ? 50.0 : 100.0;
}

/* The rule, with the WGS84 geodesic set up once by the caller. */
void incmap_store_read_match_key(store_stmt *st, store_match_key *k)
{
    memset(k, 0, sizeof *k);
    k->incident_id = store_int64(st, 0);
    snprintf(k->sub_event_type, sizeof k->sub_event_type, "%s", store_text(st, 1));
    k->day_lo = (long)store_int64(st, 2);
    k->day_hi = (long)store_int64(st, 3);
    k->has_coords = store_int(st, 4);
    k->lat = store_double(st, 5);
    k->lon = store_double(st, 6);
    k->geo_precision = store_int(st, 7);
    snprintf(k->country, sizeof k->country, "%s", store_text(st, 8));
}

static int match(const struct geod_geodesic *g, const store_match_key *a, const store_match_key *b, double *score)
{
    if (!a->sub_event_type[0] || strcmp(a->sub_event_type, b->sub_event_type) != 0)
        return 0;
    if (a->day_lo > b->day_hi + 1 || b->day_lo > a->day_hi + 1)
        return 0;
    if (a->country[0] && b->country[0] && strcmp(a->country, b->country) != 0)
        return 0;
    if (!a->has_coords || !b->has_coords)
        return 0;
    double km = incmap_distance_km(g, a->lat, a->lon, b->lat, b->lon);
    double r = radius_km(a->geo_precision, b->geo_precision);
    if (!(km <= r))
        return 0;
    long gap = 0;
    if (a->day_lo > b->day_hi)
        gap = a->day_lo - b->day_hi;
    else if (b->day_lo > a->day_hi)
        gap = b->day_lo - a->day_hi;
    if (score)
        *score = km / r + (double)gap / 7.0;
    return 1;
}

int incmap_reports_match(const store_match_key *a, const store_match_key *b, double *score)
{
    struct geod_geodesic g;
    incmap_wgs84_init(&g);
    return match(&g, a, b, score);
}

/* ------------------------------------------------------------------ neighbourhoods */

/* With several writers, placing a report must not race with placing another report it could
 * match: each would miss the other and found its own incident. A report's neighbourhood is a set
 * of lock keys such that two reports that could match always share one; a change locks the
 * neighbourhoods of the reports it adds and removes before it looks for matches (store.c).
 *
 * Space: 1-degree cells. Two matching reports lie within 100 km of each other, so the midpoint
 * of the geodesic between them lies within 50 km of both. Each report locks every cell that the
 * box of latitudes and longitudes within HALF_KM of it touches, so both lock the midpoint's cell.
 * A degree of latitude is at least 110.57 km; a degree of longitude at least 111.32 km * cos of
 * the highest latitude in the box; HALF_KM has a margin over 50 km for the ellipsoid. Rows
 * poleward of 80 degrees are one cell each, so that boxes near a pole stay small; longitudes wrap.
 *
 * Time: buckets of BUCKET_DAYS days. Two matching windows [lo, hi] and [lo', hi'] overlap or
 * touch, so [lo - 1, hi + 1] and [lo' - 1, hi' + 1] share a day; each report locks every bucket
 * its widened window touches.
 *
 * Keys also carry the sub-event type (reports of different types never match). A report needs
 * a date window, coordinates and a sub-event type to match anything; without them it has no
 * neighbourhood. Cells of 1 degree and buckets of 16 days make 4 to 12 keys for a report dated
 * to the day away from the poles (at most 64, for a month-wide window near 80 degrees): fine
 * enough that reports about different towns or weeks rarely wait for each other. */
#define HALF_KM 55.0
#define BUCKET_DAYS 16
#define POLAR_ROW 80

static long floor_div(long a, long b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The key of one cell, bucket and type: a hash of their text, so that workers on machines of any
 * word size and byte order compute the same keys. */
static int add_key(int64_t **keys, size_t *n, size_t *cap, const char *type, long row, long col, long bucket)
{
    if (incmap_grow(keys, cap, *n + 1, sizeof **keys))
        return -1;
    char text[128];
    int len = snprintf(text, sizeof text, "%s|%ld|%ld|%ld", type, row, col, bucket);
    uint64_t h = incmap_hash(text, (size_t)(len < 0 ? 0 : len < (int)sizeof text ? len : (int)sizeof text - 1),
                             0x6e656967686264ULL /* "neighbd" */);
    (*keys)[(*n)++] = (int64_t)h;
    return 0;
}

int incmap_report_lock_keys(const store_match_key *k, int64_t **keys, size_t *n, size_t *cap)
{
    if (!k->sub_event_type[0] || !k->has_coords || !isfinite(k->lat) || !isfinite(k->lon))
        return 0;
    double dlat = HALF_KM / 110.0;
    double lat0 = fmax(-90.0, k->lat - dlat), lat1 = fmin(90.0, k->lat + dlat);
    double top = fmin(90.0, fmax(fabs(lat0), fabs(lat1)));
    long row0 = (long)floor(lat0), row1 = (long)floor(lat1);
    long b0 = floor_div(k->day_lo - 1, BUCKET_DAYS), b1 = floor_div(k->day_hi + 1, BUCKET_DAYS);
    for (long row = row0; row <= row1; row++) {
        long col0 = 0, col1 = 0;
        /* Whether a row is one cell depends on the row only, so that two boxes agree on it. A box
         * with a row below 80 degrees reaches 81 at most: at most 3.2 degrees either side. */
        int polar = row >= POLAR_ROW || row < -POLAR_ROW;
        if (!polar) {
            double dlon = HALF_KM / (111.0 * cos(top * M_PI / 180.0));
            col0 = (long)floor(k->lon - dlon);
            col1 = (long)floor(k->lon + dlon);
        }
        for (long col = col0; col <= col1; col++) {
            long c = polar ? 0 : ((col % 360) + 360) % 360;
            for (long b = b0; b <= b1; b++)
                if (add_key(keys, n, cap, k->sub_event_type, row, polar ? -1 : c, b))
                    return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ placing a report */

static int incident_has_article(incmap_store *s, int64_t incident_id, const char *article_id, incmap_error *err)
{
    store_stmt *st = incmap_store_stmt(s, SQ_REPORT_IN_INCIDENT, err);
    if (!st)
        return -1;
    store_bind_int64(st, 1, incident_id);
    store_bind_text(st, 2, article_id);
    int rc = store_step(st);
    store_reset(st);
    if (rc == STORE_ERROR) {
        incmap_store_fail(s, err, "checking an incident's reports");
        return -1;
    }
    return rc == STORE_ROW;
}

typedef struct {
    int64_t id;
    double score;
} candidate;

static int cmp_candidate(const void *x, const void *y)
{
    const candidate *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

incmap_status incmap_store_find_incident(incmap_store *s, const store_match_key *k, const char *article_id,
                                         store_match_key *released, size_t n_released, int64_t *incident_id,
                                         int *merged, incmap_error *err)
{
    *incident_id = 0;
    *merged = 0;
    struct geod_geodesic g;
    incmap_wgs84_init(&g);
    /* The input's previous version first: the same report, edited, keeps its incident. */
    double best = INFINITY;
    size_t best_i = 0;
    for (size_t i = 0; i < n_released; i++) {
        double sc;
        if (released[i].incident_id && match(&g, k, &released[i], &sc) && sc < best) {
            best = sc;
            best_i = i;
        }
    }
    if (best < INFINITY) {
        int has = incident_has_article(s, released[best_i].incident_id, article_id, err);
        if (has < 0)
            return INCMAP_ERR_DB;
        if (!has) {
            *incident_id = released[best_i].incident_id;
            released[best_i].incident_id = 0; /* handed over once */
            return INCMAP_OK;
        }
    }

    store_stmt *st = incmap_store_stmt(s, SQ_REPORT_CANDIDATES, err);
    if (!st)
        return INCMAP_ERR_DB;
    store_bind_text(st, 1, k->sub_event_type);
    store_bind_int64(st, 2, k->day_lo);
    store_bind_int64(st, 3, k->day_hi);
    store_bind_text(st, 4, article_id);
    candidate *c = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = store_step(st)) == STORE_ROW) {
        store_match_key r;
        incmap_store_read_match_key(st, &r);
        double sc;
        if (!match(&g, k, &r, &sc))
            continue;
        /* An incident matched through several of its reports counts with its best one. */
        size_t j = 0;
        while (j < n && c[j].id != r.incident_id)
            j++;
        if (j < n) {
            if (sc < c[j].score)
                c[j].score = sc;
            continue;
        }
        if (incmap_grow(&c, &cap, n + 1, sizeof *c)) {
            store_reset(st);
            free(c);
            return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        }
        c[n].id = r.incident_id;
        c[n].score = sc;
        n++;
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        free(c);
        return incmap_store_fail(s, err, "looking for matching incidents");
    }
    if (n)
        qsort(c, n, sizeof *c, cmp_candidate);
    incmap_status out = INCMAP_OK;
    for (size_t i = 0; i < n; i++) {
        int has = incident_has_article(s, c[i].id, article_id, err);
        if (has < 0) {
            out = INCMAP_ERR_DB;
            break;
        }
        if (!has) {
            *incident_id = c[i].id;
            *merged = 1;
            break;
        }
    }
    free(c);
    return out;
}

/* ------------------------------------------------------------------ what an incident says */

typedef struct {
    const char *article_id, *published, *event_date, *event_type, *sub_event_type, *actor1, *actor2;
    const char *location, *country_code, *iso3, *country, *admin1, *admin2, *evidence, *source, *notes;
    int ord, time_precision, fatalities, fatalities_stated, injured, has_coords, iso, geo_precision, background;
    int64_t geonameid;
    double lat, lon, confidence;
} report;

/* Publication dates compare as text (YYYY-MM-DD); unknown ones sort before every known one. */
static int cmp_published(const char *a, const char *b)
{
    return strcmp(a, b);
}

static int cmp_tail(const report *a, const report *b)
{
    int c = cmp_published(a->published, b->published);
    if (c)
        return *a->published && !*b->published ? -1 : !*a->published && *b->published ? 1 : c;
    c = strcmp(a->article_id, b->article_id);
    return c ? c : a->ord - b->ord;
}

/* The report whose site stands for the incident: coordinates first, then the finest
 * geo_precision, the most confident coding, the earliest publication. */
static int better_place(const report *a, const report *b)
{
    if (a->has_coords != b->has_coords)
        return a->has_coords > b->has_coords;
    int pa = a->geo_precision ? a->geo_precision : 9, pb = b->geo_precision ? b->geo_precision : 9;
    if (pa != pb)
        return pa < pb;
    if (a->confidence != b->confidence)
        return a->confidence > b->confidence;
    return cmp_tail(a, b) < 0;
}

/* The report whose date stands for the incident: a date first, the finest time_precision, then the
 * earliest publication (the first report of an event usually dates it best: "hier"). */
static int better_date(const report *a, const report *b)
{
    int da = *a->event_date != 0, db = *b->event_date != 0;
    if (da != db)
        return da > db;
    int pa = a->time_precision ? a->time_precision : 9, pb = b->time_precision ? b->time_precision : 9;
    if (pa != pb)
        return pa < pb;
    return cmp_tail(a, b) < 0;
}

/* ACLED's rule for a figure reported several times: the latest reports correct the earlier ones;
 * among the reports published on that latest day, the lowest figure. Reports without a figure
 * do not count; an unknown publication date counts as the oldest. Returns the index of the
 * report the figure comes from, or -1 when no report states one. */
static long pick_figure(const report *r, size_t n, int injured)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        int stated = injured ? r[i].injured >= 0 : r[i].fatalities_stated;
        if (!stated)
            continue;
        if (best < 0) {
            best = (long)i;
            continue;
        }
        const report *b = &r[best];
        int c = cmp_published(r[i].published, b->published);
        int vi = injured ? r[i].injured : r[i].fatalities, vb = injured ? b->injured : b->fatalities;
        if (c > 0 || (c == 0 && (vi < vb || (vi == vb && cmp_tail(&r[i], b) < 0))))
            best = (long)i;
    }
    return best;
}

static const char *col_dup(incmap_arena *a, store_stmt *st, int i)
{
    return incmap_arena_strdup(a, store_text(st, i));
}

incmap_status incmap_store_refresh_incident(incmap_store *s, int64_t incident_id, int *deleted, incmap_error *err)
{
    *deleted = 0;
    store_stmt *st = incmap_store_stmt(s, SQ_REPORTS_OF_INCIDENT, err);
    if (!st)
        return INCMAP_ERR_DB;
    store_bind_int64(st, 1, incident_id);
    incmap_arena *a = incmap_arena_new();
    report *r = NULL;
    size_t n = 0, cap = 0;
    int rc = STORE_DONE;
    incmap_status out = INCMAP_OK;
    if (!a)
        out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    while (out == INCMAP_OK && (rc = store_step(st)) == STORE_ROW) {
        if (incmap_grow(&r, &cap, n + 1, sizeof *r)) {
            out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
            break;
        }
        report *x = &r[n++];
        x->article_id = col_dup(a, st, 0);
        x->ord = store_int(st, 1);
        x->published = col_dup(a, st, 2);
        x->event_date = col_dup(a, st, 3);
        x->time_precision = store_int(st, 4);
        x->event_type = col_dup(a, st, 5);
        x->sub_event_type = col_dup(a, st, 6);
        x->actor1 = col_dup(a, st, 7);
        x->actor2 = col_dup(a, st, 8);
        x->fatalities = store_int(st, 9);
        x->fatalities_stated = store_int(st, 10);
        x->injured = store_is_null(st, 11) ? -1 : store_int(st, 11);
        x->location = col_dup(a, st, 12);
        x->geonameid = store_int64(st, 13);
        x->has_coords = store_int(st, 14);
        x->lat = store_double(st, 15);
        x->lon = store_double(st, 16);
        x->country_code = col_dup(a, st, 17);
        x->iso3 = col_dup(a, st, 18);
        x->country = col_dup(a, st, 19);
        x->iso = store_int(st, 20);
        x->admin1 = col_dup(a, st, 21);
        x->admin2 = col_dup(a, st, 22);
        x->geo_precision = store_int(st, 23);
        x->background = store_int(st, 24);
        x->confidence = store_double(st, 25);
        x->evidence = col_dup(a, st, 26);
        x->source = col_dup(a, st, 27);
        x->notes = col_dup(a, st, 28);
        if (!x->notes) /* the arena failed */
            out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    }
    store_reset(st);
    if (out == INCMAP_OK && rc == STORE_ERROR)
        out = incmap_store_fail(s, err, "reading an incident's reports");
    if (out != INCMAP_OK)
        goto done;

    if (n == 0) {
        if (!(st = incmap_store_stmt(s, SQ_INCIDENT_DEL, err))) {
            out = INCMAP_ERR_DB;
            goto done;
        }
        store_bind_int64(st, 1, incident_id);
        if (!store_step_done(st))
            out = incmap_store_fail(s, err, "deleting an incident");
        *deleted = 1;
        goto done;
    }

    size_t place = 0, date = 0, actors = n, all_background = 1;
    double confidence = 0;
    for (size_t i = 0; i < n; i++) {
        if (better_place(&r[i], &r[place]))
            place = i;
        if (better_date(&r[i], &r[date]))
            date = i;
        if (!r[i].background)
            all_background = 0;
        if (r[i].confidence > confidence)
            confidence = r[i].confidence;
    }
    if (*r[place].actor1)
        actors = place;
    for (size_t i = 0; i < n && actors == n; i++)
        if (*r[i].actor1)
            actors = i;
    long fat = pick_figure(r, n, 0), inj = pick_figure(r, n, 1);

    /* Sources: each article once, in order of publication. */
    size_t *order = malloc(n * sizeof *order);
    if (!order) {
        out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort: an incident has a handful of reports */
        for (size_t j = i; j > 0 && cmp_tail(&r[order[j]], &r[order[j - 1]]) < 0; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    incmap_buf sources = {0}, notes = {0};
    for (size_t i = 0; i < n; i++) {
        const report *x = &r[order[i]];
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(r[order[j]].source, x->source);
        if (seen)
            continue;
        if (sources.len)
            incmap_buf_puts(&sources, "; ");
        incmap_buf_puts(&sources, x->source);
    }
    free(order);
    /* The note of the report that gives the site (for a single report, the note `geocode` writes),
     * then how the merge decided. */
    incmap_buf_puts(&notes, *r[place].notes ? r[place].notes : r[place].evidence);
    if (n > 1) {
        incmap_buf_printf(&notes, " Merged from %zu reports", n);
        if (fat >= 0)
            incmap_buf_printf(&notes, "; fatalities %d from article %s%s%s (the lowest figure of the latest reports)",
                              r[fat].fatalities, r[fat].article_id, *r[fat].published ? " published " : "",
                              r[fat].published);
        incmap_buf_puts(&notes, ".");
    }

    const report *p = &r[place], *d = &r[date];
    if (!(st = incmap_store_stmt(s, SQ_INCIDENT_SET, err))) {
        out = INCMAP_ERR_DB;
    } else if (sources.oom || notes.oom) {
        out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    } else {
        store_bind_int64(st, 1, incident_id);
        store_bind_text(st, 2, d->event_date);
        if (*d->event_date)
            store_bind_int(st, 3, atoi(d->event_date));
        if (d->time_precision)
            store_bind_int(st, 4, d->time_precision);
        store_bind_text(st, 5, p->event_type);
        store_bind_text(st, 6, p->sub_event_type);
        if (actors < n) {
            store_bind_text(st, 7, r[actors].actor1);
            store_bind_text(st, 8, r[actors].actor2);
        }
        store_bind_text(st, 9, p->country_code);
        store_bind_text(st, 10, p->iso3);
        store_bind_text(st, 11, p->country);
        if (p->iso)
            store_bind_int(st, 12, p->iso);
        store_bind_text(st, 13, p->admin1);
        store_bind_text(st, 14, p->admin2);
        store_bind_text(st, 15, p->location);
        if (p->geonameid)
            store_bind_int64(st, 16, p->geonameid);
        store_bind_int(st, 17, p->has_coords);
        if (p->has_coords) {
            store_bind_double(st, 18, p->lat);
            store_bind_double(st, 19, p->lon);
        }
        if (p->geo_precision)
            store_bind_int(st, 20, p->geo_precision);
        store_bind_int(st, 21, fat >= 0 ? r[fat].fatalities : 0);
        if (inj >= 0)
            store_bind_int(st, 22, r[inj].injured);
        store_bind_int(st, 23, (int)all_background);
        store_bind_double(st, 24, confidence);
        store_bind_text(st, 25, sources.s);
        store_bind_text(st, 26, notes.s);
        store_bind_text(st, 27, p->evidence);
        store_bind_text(st, 28, p->article_id);
        store_bind_int64(st, 29, (int64_t)n);
        if (!store_step_done(st))
            out = incmap_store_fail(s, err, "updating an incident");
    }
    incmap_buf_free(&sources);
    incmap_buf_free(&notes);
done:
    free(r);
    incmap_arena_destroy(a);
    return out;
}
