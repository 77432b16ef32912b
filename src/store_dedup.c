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

static int incident_has_article(incmap_store *s, int64_t incident_id, const char *article_id, incmap_error *err)
{
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_REPORT_IN_INCIDENT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, incident_id);
    sqlite3_bind_text(st, 2, article_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        incmap_store_fail(s, err, "checking an incident's reports");
        return -1;
    }
    return rc == SQLITE_ROW;
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

    sqlite3_stmt *st = incmap_store_stmt(s, SQ_REPORT_CANDIDATES, err);
    if (!st)
        return INCMAP_ERR_DB;
    sqlite3_bind_text(st, 1, k->sub_event_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, k->day_lo);
    sqlite3_bind_int64(st, 3, k->day_hi);
    sqlite3_bind_text(st, 4, article_id, -1, SQLITE_STATIC);
    candidate *c = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_match_key r = {0};
        r.incident_id = sqlite3_column_int64(st, 0);
        snprintf(r.sub_event_type, sizeof r.sub_event_type, "%s", incmap_store_col(st, 1));
        r.day_lo = sqlite3_column_int(st, 2);
        r.day_hi = sqlite3_column_int(st, 3);
        r.has_coords = sqlite3_column_int(st, 4);
        r.lat = sqlite3_column_double(st, 5);
        r.lon = sqlite3_column_double(st, 6);
        r.geo_precision = sqlite3_column_int(st, 7);
        snprintf(r.country, sizeof r.country, "%s", incmap_store_col(st, 8));
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
            sqlite3_reset(st);
            free(c);
            return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        }
        c[n].id = r.incident_id;
        c[n].score = sc;
        n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
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

static const char *col_dup(incmap_arena *a, sqlite3_stmt *st, int i)
{
    return incmap_arena_strdup(a, incmap_store_col(st, i));
}

incmap_status incmap_store_refresh_incident(incmap_store *s, int64_t incident_id, int *deleted, incmap_error *err)
{
    *deleted = 0;
    sqlite3_stmt *st = incmap_store_stmt(s, SQ_REPORTS_OF_INCIDENT, err);
    if (!st)
        return INCMAP_ERR_DB;
    sqlite3_bind_int64(st, 1, incident_id);
    incmap_arena *a = incmap_arena_new();
    report *r = NULL;
    size_t n = 0, cap = 0;
    int rc;
    incmap_status out = INCMAP_OK;
    if (!a)
        out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    while (out == INCMAP_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (incmap_grow(&r, &cap, n + 1, sizeof *r)) {
            out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
            break;
        }
        report *x = &r[n++];
        x->article_id = col_dup(a, st, 0);
        x->ord = sqlite3_column_int(st, 1);
        x->published = col_dup(a, st, 2);
        x->event_date = col_dup(a, st, 3);
        x->time_precision = sqlite3_column_int(st, 4);
        x->event_type = col_dup(a, st, 5);
        x->sub_event_type = col_dup(a, st, 6);
        x->actor1 = col_dup(a, st, 7);
        x->actor2 = col_dup(a, st, 8);
        x->fatalities = sqlite3_column_int(st, 9);
        x->fatalities_stated = sqlite3_column_int(st, 10);
        x->injured = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 11);
        x->location = col_dup(a, st, 12);
        x->geonameid = sqlite3_column_int64(st, 13);
        x->has_coords = sqlite3_column_int(st, 14);
        x->lat = sqlite3_column_double(st, 15);
        x->lon = sqlite3_column_double(st, 16);
        x->country_code = col_dup(a, st, 17);
        x->iso3 = col_dup(a, st, 18);
        x->country = col_dup(a, st, 19);
        x->iso = sqlite3_column_int(st, 20);
        x->admin1 = col_dup(a, st, 21);
        x->admin2 = col_dup(a, st, 22);
        x->geo_precision = sqlite3_column_int(st, 23);
        x->background = sqlite3_column_int(st, 24);
        x->confidence = sqlite3_column_double(st, 25);
        x->evidence = col_dup(a, st, 26);
        x->source = col_dup(a, st, 27);
        x->notes = col_dup(a, st, 28);
        if (!x->notes) /* the arena failed */
            out = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    }
    sqlite3_reset(st);
    if (out == INCMAP_OK && rc != SQLITE_DONE)
        out = incmap_store_fail(s, err, "reading an incident's reports");
    if (out != INCMAP_OK)
        goto done;

    if (n == 0) {
        if (!(st = incmap_store_stmt(s, SQ_INCIDENT_DEL, err))) {
            out = INCMAP_ERR_DB;
            goto done;
        }
        sqlite3_bind_int64(st, 1, incident_id);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
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
        sqlite3_bind_int64(st, 1, incident_id);
        incmap_store_bind_text(st, 2, d->event_date);
        if (*d->event_date)
            sqlite3_bind_int(st, 3, atoi(d->event_date));
        if (d->time_precision)
            sqlite3_bind_int(st, 4, d->time_precision);
        incmap_store_bind_text(st, 5, p->event_type);
        incmap_store_bind_text(st, 6, p->sub_event_type);
        if (actors < n) {
            incmap_store_bind_text(st, 7, r[actors].actor1);
            incmap_store_bind_text(st, 8, r[actors].actor2);
        }
        incmap_store_bind_text(st, 9, p->country_code);
        incmap_store_bind_text(st, 10, p->iso3);
        incmap_store_bind_text(st, 11, p->country);
        if (p->iso)
            sqlite3_bind_int(st, 12, p->iso);
        incmap_store_bind_text(st, 13, p->admin1);
        incmap_store_bind_text(st, 14, p->admin2);
        incmap_store_bind_text(st, 15, p->location);
        if (p->geonameid)
            sqlite3_bind_int64(st, 16, p->geonameid);
        sqlite3_bind_int(st, 17, p->has_coords);
        if (p->has_coords) {
            sqlite3_bind_double(st, 18, p->lat);
            sqlite3_bind_double(st, 19, p->lon);
        }
        if (p->geo_precision)
            sqlite3_bind_int(st, 20, p->geo_precision);
        sqlite3_bind_int(st, 21, fat >= 0 ? r[fat].fatalities : 0);
        if (inj >= 0)
            sqlite3_bind_int(st, 22, r[inj].injured);
        sqlite3_bind_int(st, 23, (int)all_background);
        sqlite3_bind_double(st, 24, confidence);
        incmap_store_bind_text(st, 25, sources.s);
        incmap_store_bind_text(st, 26, notes.s);
        incmap_store_bind_text(st, 27, p->evidence);
        sqlite3_bind_text(st, 28, p->article_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 29, (int64_t)n);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            out = incmap_store_fail(s, err, "updating an incident");
    }
    incmap_buf_free(&sources);
    incmap_buf_free(&notes);
done:
    free(r);
    incmap_arena_destroy(a);
    return out;
}
