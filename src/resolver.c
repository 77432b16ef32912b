/* resolver.c: candidate scoring in document context.
 *
 * Two passes. The first scores each mention's candidates on what the mention alone says
 * (feature type, population, name quality, a cue such as "la région de", a "(Mali)" after it)
 * plus the countries the article names. Confident first-pass choices become anchors; the
 * second pass adds closeness to the anchors (geodesic distance, PROJ) and the admin regions the
 * article names. Repeated mentions of one name then share the reading with the most support. */
#include "resolver.h"

#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CANDIDATES 400
#define ACCEPT 0.70         /* below this, "no good candidate" */
#define ANCHOR_MARGIN 0.15  /* a first-pass choice this far ahead of the runner-up is an anchor */

void incmap_wgs84_init(struct geod_geodesic *g)
{
    geod_init(g, 6378137.0, 1 / 298.257223563);
}

double incmap_distance_km(const struct geod_geodesic *g, double lat1, double lon1, double lat2, double lon2)
{
    double s12 = 0;
    geod_inverse(g, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12 / 1000.0;
}

/* Whether a record's feature code (8 bytes, zero-padded) is code (a literal of up to 7 letters),
 * by one comparison of words: candidates are classified by the hundred per name. */
static inline int code_is(const char fcode[8], const char *code)
{
    uint64_t a, b = 0;
    memcpy(&a, fcode, 8);
    memcpy(&b, code, strlen(code));
    return a == b;
}

int incmap_is_country_code(const char *fcode)
{
    return (fcode[0] == 'P' && fcode[1] == 'C' && fcode[2] == 'L') || (fcode[0] == 'T' && !strcmp(fcode, "TERR"));
}

static int is_adm(const incmap_gz_record *r, const char *level)
{
    return r->fclass == 'A' && code_is(r->fcode, level);
}

/* What kind of thing a news text most often means by a name, before any context. */
static double feature_prior(const incmap_gz_record *r, int country)
{
    const char *c = r->fcode;
    if (country)
        return 1.0;
    if (r->fclass == 'P') {
        if (code_is(c, "PPLC"))
            return 0.95;
        if (code_is(c, "PPLA"))
            return 0.90;
        if (!memcmp(c, "PPLA", 4))
            return 0.86;
        if (code_is(c, "PPLH") || code_is(c, "PPLQ") || code_is(c, "PPLW"))
            return 0.45;
        return 0.80;
    }
    if (r->fclass == 'A') {
        if (code_is(c, "ADM1"))
            return 0.84;
        if (code_is(c, "ADM2"))
            return 0.74;
        return 0.66;
    }
    if (r->fclass == 'L')
        return 0.55; /* areas and regions: "Azawad", "Liptako" */
    if (r->fclass == 'S')
        return 0.45;
    return 0.35; /* streams, hills, wells, forests */
}

static double name_quality(uint16_t kind)
{
    /* Unlabelled alternate names (the dump's alternatenames column) hold codes, abbreviations
     * and names in every language: weaker evidence than the main name or a tagged name. */
    if (!(kind & (INCMAP_NAME_NUMERAL | INCMAP_NAME_SQUASHED | INCMAP_NAME_FUZZY)))
        return (kind & (INCMAP_NAME_MAIN | INCMAP_NAME_CURATED)) ? 0 : -0.08;
    if (kind & INCMAP_NAME_FUZZY)
        return -0.22;
    if (kind & INCMAP_NAME_SQUASHED)
        return -0.05;
    return -0.03; /* numeral stripped */
}

/* What a place is, as the country weights judge it. */
enum { SIZE_COUNTRY = 1, SIZE_CITY = 2 /* 100,000 people */, SIZE_TOWN = 4 /* 5,000, or 1,000 and a seat */ };

/* A reading of a name as build_candidates makes it: the same in every article, so that the
 * readings cache lends it out rather than copying hundreds of them for each article. */
typedef struct {
    const incmap_gz_record *rec;
    double base;    /* what the name and the place say, alone */
    double score0;  /* what the first choice of a reading (before the countries) goes by */
    /* rec's, at hand (the scoring passes need no other field of it) */
    double cos_lat;     /* of lat: nearest_anchor's bounds */
    uint32_t geonameid; /* pick()'s tie-break */
    float lat, lon;
    uint32_t admin1_off;
    uint16_t kind;
    char cc[2];
    char fclass;
    uint8_t size; /* SIZE_* */
} cand;

/* A reading's scores in one article. */
typedef struct {
    double fixed;   /* its base and the countries the article names: all but the other places */
    double score;
    double near_km; /* to the nearest anchor, -1 if none is near, or UNMEASURED (score_pass) */
} cand_score;

/* What a mention's candidates and their scores depend on besides the other places: mentions
 * alike in all of it (a name repeated with no cue, no "(Mali)" after it) are scored once. */
typedef struct {
    const incmap_gz_posting *posts;
    size_t n_posts;
    uint64_t key_hash;
    incmap_cue cue;
    int acronym;   /* a short word in capitals */
    int lowercase; /* a one-word name the text also writes in lower case */
    char hint[3];
} reading_sig;

typedef struct {
    const cand *c; /* the readings: lent by the readings cache, a twin's, or own (own_c) */
    cand_score *sc; /* their scores: the twin's while shared, else own */
    size_t n;
    size_t best, second;
    int anchor;
    char key[128]; /* the normalised mention, for one sense per discourse */
    uint64_t key_hash;
    reading_sig sig;
    size_t twin;       /* the first mention of the same signature, or (size_t)-1 */
    int shared;        /* c and sc are twin's (the same scores), not this mention's own */
    int own_c;         /* c was made for this mention alone (free it) */
    size_t win_lo, win_hi; /* the anchors it was last scored against */
} mention_state;

/* The countries an article names, and how strongly. Asked about for every reading of every
 * name (thousands at world scale), so the usual codes, two capitals, are found by table. */
#define COUNTRIES_MAX 64
typedef struct {
    struct {
        char cc[3];
        double weight;
    } c[COUNTRIES_MAX];
    size_t n;
    uint8_t at[26 * 26]; /* of a code in capitals: its index in c + 1, 0 for none */
} countries_named;

static int country_slot(const char *cc)
{
    unsigned a = (unsigned char)cc[0] - 'A', b = (unsigned char)cc[1] - 'A';
    return a < 26 && b < 26 ? (int)(a * 26 + b) : -1;
}

static double country_weight(const countries_named *cs, const char *cc)
{
    int slot = country_slot(cc);
    if (slot >= 0)
        return cs->at[slot] ? cs->c[cs->at[slot] - 1].weight : 0;
    for (size_t i = 0; i < cs->n; i++)
        if (!memcmp(cs->c[i].cc, cc, 2))
            return cs->c[i].weight;
    return 0;
}

static void add_country(countries_named *cs, const char *cc, double w)
{
    for (size_t i = 0; i < cs->n; i++)
        if (!memcmp(cs->c[i].cc, cc, 2)) {
            cs->c[i].weight += w;
            return;
        }
    if (cs->n < COUNTRIES_MAX) {
        memcpy(cs->c[cs->n].cc, cc, 2);
        cs->c[cs->n].cc[2] = 0;
        cs->c[cs->n].weight = w;
        int slot = country_slot(cc);
        if (slot >= 0)
            cs->at[slot] = (uint8_t)(cs->n + 1);
        cs->n++;
    }
}

static void pick(mention_state *s)
{
    size_t best = (size_t)-1, second = (size_t)-1;
    double best_score = -INFINITY, second_score = -INFINITY;
    uint32_t best_id = 0;
    for (size_t i = 0; i < s->n; i++) {
        double score = s->sc[i].score;
        if (score < second_score)
            continue; /* most readings: neither best nor second (second_score <= best_score) */
        if (best == (size_t)-1 || score > best_score || (score == best_score && s->c[i].geonameid < best_id)) {
            second = best;
            second_score = best_score;
            best = i;
            best_score = score;
            best_id = s->c[i].geonameid;
        } else if (second == (size_t)-1 || score > second_score) {
            second = i;
            second_score = score;
        }
    }
    s->best = best;
    s->second = second;
}

static const char *direction_before(const incmap_resolver *r, const incmap_mention *m)
{
    /* "le nord du Togo", "northern Togo", "el norte de Malí": a direction word up to 3 words
     * before the area's name. */
    const incmap_wordlist *dirs = incmap_lexicon_list(r->lex, r->lang, "directions");
    const incmap_tokens *t = r->toks;
    int seen = 0;
    for (size_t j = m->tok_first; j-- > 0 && seen < 3;) {
        if (t->tok[j].sentence != t->tok[m->tok_first].sentence)
            break;
        if (!(t->tok[j].flags & INCMAP_TOK_WORD))
            continue;
        seen++;
        const char *v = incmap_wordlist_get_tok(dirs, t, j);
        if (v)
            return v;
    }
    return NULL;
}

/* The ADM1 of country cc lying furthest in direction dir (N, S, E, W, NE, ..., C). */
static const incmap_gz_record *extreme_admin1(const incmap_resolver *r, const incmap_gz_record *country,
                                              const char *dir)
{
    int64_t *ids = NULL;
    size_t n = 0;
    char cc[3] = {country->cc[0], country->cc[1], 0};
    if (incmap_gazetteer_admin1_of(r->gz, cc, &ids, &n, NULL) != INCMAP_OK || !n) {
        free(ids);
        return NULL;
    }
    double dy = strchr(dir, 'N') ? 1 : strchr(dir, 'S') ? -1 : 0;
    double dx = strchr(dir, 'E') ? 1 : strchr(dir, 'W') ? -1 : 0;
    /* the centre of the country's regions, to measure "north" from */
    double clat = 0, clon = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const incmap_gz_record *a = incmap_gazetteer_find(r->gz, ids[i]);
        if (a) {
            clat += a->lat;
            clon += a->lon;
            k++;
        }
    }
    const incmap_gz_record *best = NULL;
    double best_v = -1e9;
    for (size_t i = 0; k && i < n; i++) {
        const incmap_gz_record *a = incmap_gazetteer_find(r->gz, ids[i]);
        if (!a)
            continue;
        double y = a->lat - clat / (double)k, x = a->lon - clon / (double)k;
        double v = (dx == 0 && dy == 0) ? -(x * x + y * y) : dy * y + dx * x;
        if (v > best_v) {
            best_v = v;
            best = a;
        }
    }
    free(ids);
    return best;
}

static int precision_of(const incmap_gz_record *rec)
{
    if (incmap_is_country_code(rec->fcode) || is_adm(rec, "ADM1") || rec->fclass == 'L')
        return 3;
    if (rec->fclass == 'A')
        return 2;
    return 1;
}

/* "Tibi I (ML PPL ML.12)": a candidate in a reason; written piece by piece, as reasons are
 * built for every mention and printf's format parsing dominated their cost. */
static void fmt_place(incmap_buf *b, const incmap_resolver *r, const incmap_gz_record *rec)
{
    incmap_buf_puts(b, incmap_gazetteer_string(r->gz, rec->name_off));
    incmap_buf_append(b, " (", 2);
    incmap_buf_append(b, rec->cc, strnlen(rec->cc, sizeof rec->cc));
    incmap_buf_putc(b, ' ');
    incmap_buf_append(b, rec->fcode, strnlen(rec->fcode, sizeof rec->fcode));
    incmap_buf_putc(b, ' ');
    incmap_buf_puts(b, incmap_gazetteer_string(r->gz, rec->admin1_off));
    incmap_buf_putc(b, ')');
}

/* "Lomé – Douze soldats ...": a name opening its sentence before a dash is the dateline, where
 * the story was filed; it stands in for no place. */
static int dateline(const incmap_resolver *r, const incmap_mention *m)
{
    const incmap_tokens *t = r->toks;
    size_t f = m->tok_first;
    if (f > 0 && t->tok[f - 1].sentence == t->tok[f].sentence)
        return 0;
    for (size_t k = m->tok_last + 1, seen = 0; k < t->n && seen < 6; k++, seen++) {
        const char *x = r->text + t->tok[k].start;
        size_t len = t->tok[k].end - t->tok[k].start;
        if (!(t->tok[k].flags & INCMAP_TOK_PUNCT))
            continue;
        if ((len == 3 && (!memcmp(x, "\xE2\x80\x93", 3) || !memcmp(x, "\xE2\x80\x94", 3))) || (len == 1 && *x == '-'))
            return 1;
        if (!(len == 1 && *x == ','))
            return 0;
    }
    return 0;
}

/* For an unresolved mention: the finest area named in the same sentence. */
static void fallback(const incmap_resolver *r, const incmap_mention *ms, size_t n, const incmap_resolution *out,
                     size_t i, incmap_resolution *res, incmap_buf *why)
{
    const incmap_tokens *t = r->toks;
    int sent = t->tok[ms[i].tok_first].sentence;
    const incmap_gz_record *area = NULL;
    size_t area_m = 0;
    int area_rank = 0; /* 4 town nearby, 3 ADM2, 2 ADM1, 1 country */
    /* mentions are in text order: the sentence's are around i (at most 64 each way, so that a
     * run-on "sentence" of thousands of names stays linear) */
    size_t from = i > 64 ? i - 64 : 0, to = i + 65 < n ? i + 65 : n;
    size_t best_gap = 0;
    for (size_t j = from; j < to; j++) {
        if (j == i || !out[j].rec || t->tok[ms[j].tok_first].sentence != sent || dateline(r, &ms[j]))
            continue;
        const incmap_gz_record *a = out[j].rec;
        int rank = incmap_is_country_code(a->fcode) ? 1 : is_adm(a, "ADM1") ? 2 : a->fclass == 'A' ? 3 : 4;
        /* the finest area; among equals the nearest, those after the name first ("à Kpékpakandi,
         * près de Mandouri") */
        size_t gap = j > i ? 2 * (j - i) : 2 * (i - j) + 1;
        if (rank > area_rank || (rank == area_rank && gap < best_gap)) {
            best_gap = gap;
            area_rank = rank;
            area = a;
            area_m = j;
        }
    }
    if (!area) {
        incmap_buf_puts(why, "; no area named in the sentence to fall back on");
        return;
    }
    const char *dir = direction_before(r, &ms[area_m]);
    if (dir && area_rank == 1) {
        const incmap_gz_record *ext = extreme_admin1(r, area, dir);
        if (ext) {
            res->fallback = ext;
            res->geo_precision = 3;
            incmap_buf_printf(why, "; fallback: the %s region of the country named with it, ", dir);
            fmt_place(why, r, ext);
            return;
        }
    }
    res->fallback = area;
    res->geo_precision = area_rank == 4 ? 2 : area_rank == 3 ? 2 : 3;
    incmap_buf_puts(why, "; fallback: the area named in the same sentence, ");
    fmt_place(why, r, area);
}

/* A first-pass reading that other mentions are measured against; one per distinct place, so an
 * article naming Bamako forty times costs one distance per candidate, not forty. */
typedef struct {
    const incmap_gz_record *rec;
    uint64_t key_hash; /* of the name that chose it: a name does not vouch for itself */
    size_t first;      /* the first mention that chose it */
    double cos_lat;    /* for nearest_anchor's bounds */
    int adm1;          /* an ADM1: readings inside it gain instead */
} anchor;

/* A mention by its name's hash. */
typedef struct {
    uint64_t key_hash;
    size_t mention;
} name_ref;

/* The mentions grouped by name (key_hash), each group in text order, the groups in the order of
 * their first mentions, into out[n]: chained through a hash table rather than sorted (the sort
 * was a tenth of the resolver), as the groups are reconciled each on its own. -1 when out of
 * memory. */
static int group_by_name(const mention_state *st, size_t n, name_ref *out)
{
    size_t cap = 64;
    while (cap < 2 * n)
        cap *= 2;
    size_t *first = calloc(cap, sizeof *first); /* slot: a group's first mention + 1 */
    size_t *last = malloc(cap * sizeof *last);  /* slot: its last so far */
    size_t *next = malloc((n ? n : 1) * sizeof *next); /* mention: the next of its group, or n */
    if (!first || !last || !next) {
        free(first);
        free(last);
        free(next);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)st[i].key_hash & (cap - 1);
        while (first[h] && st[first[h] - 1].key_hash != st[i].key_hash)
            h = (h + 1) & (cap - 1);
        next[i] = n;
        if (first[h])
            next[last[h]] = i;
        else
            first[h] = i + 1;
        last[h] = i;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)st[i].key_hash & (cap - 1);
        while (st[first[h] - 1].key_hash != st[i].key_hash)
            h = (h + 1) & (cap - 1);
        if (first[h] != i + 1)
            continue; /* not its group's first: placed with it */
        for (size_t j = i; j < n; j = next[j])
            out[k++] = (name_ref){st[j].key_hash, j};
    }
    free(first);
    free(last);
    free(next);
    return 0;
}

/* Proximity counts within a window of the 2 * ANCHOR_WINDOW anchors nearest in the text (all of
 * them in an article with fewer, which is most): an article is about a few areas, and the window
 * keeps an input naming thousands of places linear, not quadratic. The window keeps its size at
 * the article's ends, so that the mentions of a name share one window, and one scoring, as long
 * as they can. */
#define ANCHOR_WINDOW 32
/* How many later mentions of the same name each mention is reconciled with (one sense per
 * discourse). */
#define SENSE_WINDOW 64

static size_t collect_anchors(const mention_state *st, size_t n, anchor *out)
{
    /* distinct records, found through an open-addressing set of anchor indices + 1 */
    size_t cap = 64;
    while (cap < 2 * n)
        cap *= 2;
    size_t *seen = calloc(cap, sizeof *seen);
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        if (!st[j].anchor)
            continue;
        const incmap_gz_record *a = st[j].c[st[j].best].rec;
        if (incmap_is_country_code(a->fcode))
            continue;
        size_t h = (size_t)incmap_hash(&a, sizeof a, 9) & (cap - 1);
        while (seen && seen[h] && out[seen[h] - 1].rec != a)
            h = (h + 1) & (cap - 1);
        if (seen && seen[h])
            continue;
        if (!seen) { /* out of memory: the linear search */
            size_t d = 0;
            while (d < k && out[d].rec != a)
                d++;
            if (d < k)
                continue;
        } else {
            seen[h] = k + 1;
        }
        out[k++] = (anchor){a, st[j].key_hash, j, cos(a->lat * (M_PI / 180)), is_adm(a, "ADM1")};
    }
    free(seen);
    return k;
}

/* The distance in km when two places are more than 300 km apart, by the equirectangular
 * approximation (within 1% at that range), else -1: the exact geodesic then matters only where
 * the proximity bonus is large. The geodesic for every reading of every name dominated the
 * profile when names have hundreds of readings. */
static double far_apart_km(double lat1, double lon1, double lat2, double lon2)
{
    double dlat = fabs(lat1 - lat2);
    double dlon = fabs(lon1 - lon2);
    if (dlon > 180)
        dlon = 360 - dlon;
    double k = cos((lat1 + lat2) * (M_PI / 360));
    double d = 111.2 * sqrt(dlat * dlat + dlon * dlon * k * k);
    return d > 300 ? d : -1;
}

/* The great-circle angle (radians) between the coordinates of two places, which bounds their
 * geodesic distance on both sides: the ellipsoid's radii of curvature lie between a(1 - e^2) =
 * 6335.44 km (the meridian at the equator) and a / sqrt(1 - e^2) = 6399.59 km (the poles), so a
 * path between the two points is at least KM_PER_RADIAN_MIN and the geodesic at most
 * KM_PER_RADIAN_MAX per radian. The margins cover rounding many times over. cos1 and cos2 are the
 * cosines of the latitudes, which the walk through the anchors has at hand. */
#define KM_PER_RADIAN_MIN 6335.0
#define KM_PER_RADIAN_MAX 6400.0
static double central_angle(double lat1, double lon1, double cos1, double lat2, double lon2, double cos2)
{
    double p1 = lat1 * (M_PI / 180), p2 = lat2 * (M_PI / 180);
    double sp = sin((p2 - p1) / 2), sl = sin((lon2 - lon1) * (M_PI / 360));
    double h = sp * sp + cos1 * cos2 * sl * sl;
    return 2 * asin(fmin(1.0, sqrt(h)));
}

/* Are two places closer than km? A degree of latitude is at least 110 km, and the bounds above
 * settle all but the pairs within a fraction of a percent of km without the geodesic. */
static int closer_than(incmap_gazetteer *gz, const incmap_gz_record *x, const incmap_gz_record *y, double km)
{
    if (fabs((double)x->lat - y->lat) * 110 >= km)
        return 0;
    double angle = central_angle(x->lat, x->lon, cos(x->lat * (M_PI / 180)), y->lat, y->lon, cos(y->lat * (M_PI / 180)));
    if (angle * KM_PER_RADIAN_MIN >= km)
        return 0;
    if (angle * KM_PER_RADIAN_MAX < km)
        return 1;
    return incmap_gazetteer_distance_km(gz, x, y) < km;
}

/* Big enough to be named in an article about another country: a city, or, when the name has
 * no reading in the countries named, a town or an administrative seat ("rentré de France ...
 * à Ansongo"). */
static int notable(const cand *c, int in_named)
{
    return (c->size & SIZE_CITY) || (!in_named && (c->size & SIZE_TOWN));
}

/* How far proximity reaches. The bonus, 0.30 exp(-d / 200), is under 2e-4 beyond it, smaller than
 * any difference of evidence the scores weigh, and "3,000 km from another place in the text" is
 * no evidence at all. At world scale most readings of a name lie on other continents than the
 * article's places: with this bound they pass over all anchors after a comparison or two. */
#define NEAR_KM_MAX 1500.0

/* The anchors around a mention, sorted by latitude (see nearest_anchor): anchors[lo, hi), kept
 * as the window slides (lo and hi only grow from one mention to the next). */
typedef struct {
    const anchor *a[2 * ANCHOR_WINDOW];
    /* a[k]'s coordinates and name, side by side for nearest_anchor's walk */
    double lat[2 * ANCHOR_WINDOW], lon[2 * ANCHOR_WINDOW];
    uint64_t key_hash[2 * ANCHOR_WINDOW];
    size_t n, lo, hi;
    uint64_t adm1; /* bit k: a[k] is an ADM1 */
    uint64_t adm1_codes; /* bit adm1_bit(code) set for each ADM1's code: most readings have none */
    double lon_min, lon_max, cos_min; /* of a[0 .. n) */
} anchor_window;

/* A bit for an admin1 code (its string's offset), to rule out most readings' codes at once. */
static uint64_t adm1_bit(uint32_t admin1_off)
{
    return (uint64_t)1 << ((admin1_off * 0x9E3779B1u) >> 26);
}

static void window_slide(anchor_window *w, const anchor *anchors, size_t lo, size_t hi)
{
    if (w->n && lo == w->lo && hi == w->hi)
        return;
    size_t kept = 0;
    for (size_t k = 0; k < w->n; k++)
        if ((size_t)(w->a[k] - anchors) >= lo)
            w->a[kept++] = w->a[k];
    w->n = kept;
    for (size_t j = w->hi > lo ? w->hi : lo; j < hi; j++) {
        size_t k = w->n++;
        for (; k > 0 && w->a[k - 1]->rec->lat > anchors[j].rec->lat; k--)
            w->a[k] = w->a[k - 1];
        w->a[k] = &anchors[j];
    }
    w->lo = lo;
    w->hi = hi;
    w->adm1 = 0;
    w->adm1_codes = 0;
    w->lon_min = 180;
    w->lon_max = -180;
    w->cos_min = 1;
    for (size_t k = 0; k < w->n; k++) {
        w->lat[k] = w->a[k]->rec->lat;
        w->lon[k] = w->a[k]->rec->lon;
        w->key_hash[k] = w->a[k]->key_hash;
        w->adm1 |= (uint64_t)(w->a[k]->adm1 != 0) << k;
        if (w->a[k]->adm1)
            w->adm1_codes |= adm1_bit(w->a[k]->rec->admin1_off);
        if (w->lon[k] < w->lon_min)
            w->lon_min = w->lon[k];
        if (w->lon[k] > w->lon_max)
            w->lon_max = w->lon[k];
        if (w->a[k]->cos_lat < w->cos_min)
            w->cos_min = w->a[k]->cos_lat;
    }
}

/* Is the place at lat, lon NEAR_KM_MAX or more from every anchor of the window, by the bounds
 * nearest_anchor passes anchors over with, taken for the window's box at once? Most readings of
 * a name at world scale are, and need no walk through the anchors. */
static int beyond_window(const anchor_window *w, double lat, double lon, double cos_lat)
{
    double dlat = lat < w->lat[0] ? w->lat[0] - lat : lat - w->lat[w->n - 1];
    if (dlat * 110 >= NEAR_KM_MAX)
        return 1;
    /* the least longitude difference to an anchor, either way round the globe */
    double out = lon < w->lon_min ? w->lon_min - lon : lon > w->lon_max ? lon - w->lon_max : 0;
    double west = fabs(lon - w->lon_min), east = fabs(lon - w->lon_max);
    double round = 360 - (west > east ? west : east);
    double dlon = out < round ? out : round;
    return dlon * 111 * (cos_lat < w->cos_min ? cos_lat : w->cos_min) >= NEAR_KM_MAX;
}

/* Is place r inside ADM1 anchor a? Its readings there gain instead of measuring the distance. */
static int inside_anchor(const cand *c, const anchor *a)
{
    return a->adm1 && c->fclass != 'A' && c->admin1_off && c->admin1_off == a->rec->admin1_off &&
           !memcmp(c->cc, a->rec->cc, 2);
}

/* The ADM1 anchors of the window other than c's own name's that hold c (bit k: w->a[k]): each
 * adds to its score instead of counting by distance ("inside a region the article names"). */
static uint64_t anchors_holding(const cand *c, const anchor_window *w, uint64_t key_hash)
{
    uint64_t inside = 0;
    /* what inside_anchor asks of c */
    uint64_t adm1 = c->fclass != 'A' && c->admin1_off && (w->adm1_codes & adm1_bit(c->admin1_off)) ? w->adm1 : 0;
    for (uint64_t m = adm1; m; m &= m - 1) {
        size_t k = (size_t)__builtin_ctzll(m);
        if (w->a[k]->key_hash != key_hash && inside_anchor(c, w->a[k]))
            inside |= (uint64_t)1 << k;
    }
    return inside;
}

/* The least distance from candidate c to the window's anchors other than those its own name
 * chose: the equirectangular approximation beyond 300 km, else the geodesic; -1 when none counts
 * (none is within NEAR_KM_MAX).
 * The ADM1 anchors holding c (inside, from anchors_holding) are passed over: they add to its score
 * instead.
 *
 * A window holds up to 64 anchors and a name up to 400 readings, so not every pair is measured.
 * Every distance is at least 110 km per degree of latitude (a meridian degree is 110.57 km at the
 * least, and the approximation is larger still): the anchors are visited outwards from c's
 * latitude until that bound reaches the ceiling: NEAR_KM_MAX, or less once some anchor is known
 * to be within it.
 * An anchor is also passed over when a lower bound of the approximation (111 km per degree, and
 * the higher latitude's cosine for longitude) is over 300 km, so that the approximation is what
 * counts, and reaches the ceiling. Anchors within 300 km wait with bounds of their geodesic
 * (central_angle), and only those whose lower bound beats the nearest so far are measured. The
 * minimum is the one measuring every anchor gives. */
static double nearest_anchor(const cand *c, uint64_t inside, const anchor_window *w, uint64_t key_hash,
                             incmap_gazetteer *gz)
{
    const incmap_gz_record *r = c->rec;
    double lat = c->lat, lon = c->lon, cos_lat = c->cos_lat;
    if (beyond_window(w, lat, lon, cos_lat))
        return -1;
    double nearest = -1, ceiling = NEAR_KM_MAX;
    const incmap_gz_record *wait[2 * ANCHOR_WINDOW];
    double floor_km[2 * ANCHOR_WINDOW];
    size_t n_wait = 0, up = 0, down;
    for (size_t step = w->n; step; step /= 2)
        while (up + step <= w->n && w->lat[up + step - 1] < lat)
            up += step;
    down = up; /* visited: [down, up); next: up, and down - 1 */
    while (up < w->n || down > 0) {
        double du = up < w->n ? w->lat[up] - lat : INFINITY;
        double dd = down > 0 ? lat - w->lat[down - 1] : INFINITY;
        size_t k = du <= dd ? up++ : --down;
        if ((du <= dd ? du : dd) * 110 >= ceiling)
            break; /* every anchor left is further in latitude alone */
        if (w->key_hash[k] == key_hash || (inside >> k & 1))
            continue; /* a name does not vouch for itself */
        const anchor *a = w->a[k];
        double dlon = fabs(lon - w->lon[k]);
        if (dlon > 180)
            dlon = 360 - dlon;
        /* far_apart_km's cosine, of the mean latitude, is at least the smaller of the two */
        double dlat = w->lat[k] - lat, across = dlon * (cos_lat < a->cos_lat ? cos_lat : a->cos_lat);
        double least = (dlat * dlat + across * across) * (111.0 * 111.0); /* squared, in km */
        if (least > 300.0 * 300.0 && least >= ceiling * ceiling)
            continue;
        /* Surely within 300 km (the approximation with the larger cosine of the latitudes between
         * the two, and a margin for rounding): far_apart_km would say -1, without its cosine. */
        double k_most = (lat < 0) != (w->lat[k] < 0) ? 1 : cos_lat > a->cos_lat ? cos_lat : a->cos_lat;
        double most = (dlat * dlat + dlon * dlon * k_most * k_most) * (111.2 * 111.2);
        double d = most < 299.0 * 299.0 ? -1 : far_apart_km(lat, lon, w->lat[k], w->lon[k]);
        if (d >= 0) {
            if (d < NEAR_KM_MAX && (nearest < 0 || d < nearest))
                nearest = d;
            if (d < ceiling)
                ceiling = d;
        } else {
            double angle = central_angle(lat, lon, cos_lat, w->lat[k], w->lon[k], a->cos_lat);
            floor_km[n_wait] = angle * KM_PER_RADIAN_MIN;
            wait[n_wait++] = a->rec;
            if (angle * KM_PER_RADIAN_MAX < ceiling)
                ceiling = angle * KM_PER_RADIAN_MAX;
        }
    }
    while (n_wait) {
        size_t least = 0; /* the least bound first: it is most likely the nearest */
        for (size_t q = 1; q < n_wait; q++)
            if (floor_km[q] < floor_km[least])
                least = q;
        if (nearest >= 0 && floor_km[least] >= nearest)
            break; /* no anchor left can be nearer */
        double d = incmap_gazetteer_distance_km(gz, r, wait[least]);
        if (nearest < 0 || d < nearest)
            nearest = d;
        wait[least] = wait[--n_wait];
        floor_km[least] = floor_km[n_wait];
    }
    return nearest;
}

/* The first pass: each candidate's fixed score (its base and the countries the article names),
 * and each mention's best by that score alone, without the other places. */
static void first_pass(mention_state *st, size_t n, const countries_named *countries)
{
    for (size_t i = 0; i < n; i++) {
        mention_state *s = &st[i];
        if (s->shared) { /* its twin's candidates, scored already */
            s->best = st[s->twin].best;
            s->second = st[s->twin].second;
            continue;
        }
        /* A name with a reading in a country the article names loses its readings elsewhere;
         * a town with none there ("rentré de France ... Bandiagara") is only mildly doubted:
         * articles name the countries of their actors and visitors, not of every town. */
        int in_named = 0;
        for (size_t k = 0; k < s->n && !in_named; k++)
            in_named = country_weight(countries, s->c[k].cc) > 0;
        for (size_t k = 0; k < s->n; k++) {
            const cand *c = &s->c[k];
            cand_score *sc = &s->sc[k];
            sc->fixed = c->base;
            double cw = country_weight(countries, c->cc);
            if (cw > 0)
                sc->fixed += 0.25 * (cw >= 2 ? 1.0 : cw / 2);
            else if (countries->n && !(c->size & SIZE_COUNTRY))
                sc->fixed -= notable(c, in_named) ? 0.10 : 0.30;
            sc->score = sc->fixed;
            sc->near_km = -1;
        }
        pick(s);
    }
}

/* The most the nearest anchor adds to a score: 0.30 exp(-d / 200) at d = 0. */
#define NEAR_BONUS_MAX 0.30
/* cand_score.near_km of a reading that could not come first or second whatever its distances:
 * score_pass leaves them unmeasured (most readings of a name at world scale), its score holds
 * all but the distance's part, and measure_reading completes it when asked. */
#define UNMEASURED (-2.0)

/* A reading's score in a window but for the nearest anchor's part: its fixed score and the ADM1
 * anchors that hold it, which it returns (anchors_holding). */
static uint64_t score_inside(const cand *c, cand_score *sc, const anchor_window *w, uint64_t key_hash)
{
    uint64_t inside = w->n ? anchors_holding(c, w, key_hash) : 0;
    sc->score = sc->fixed;
    for (uint64_t m = inside; m; m &= m - 1)
        sc->score += 0.25;
    return inside;
}

/* Adds the nearest anchor's part to what score_inside left (and returned: inside). */
static void score_near(const cand *c, cand_score *sc, uint64_t inside, const anchor_window *w, uint64_t key_hash,
                       incmap_gazetteer *gz)
{
    sc->near_km = w->n ? nearest_anchor(c, inside, w, key_hash, gz) : -1;
    if (sc->near_km >= 0)
        sc->score += NEAR_BONUS_MAX * exp(-sc->near_km / 200.0);
}

/* The second pass: scores every candidate against the anchors and picks each mention's
 * best. A mention sharing its twin's candidates keeps them while it has the twin's window, and
 * takes a copy of its own to score against another. */
static incmap_status score_pass(mention_state *st, size_t n, const anchor *anchors, size_t n_anchors,
                                incmap_gazetteer *gz)
{
    anchor_window w = {.n = 0};
    for (size_t i = 0; i < n; i++) {
        mention_state *s = &st[i];
        size_t at = 0, lo, hi; /* anchors [lo, hi): the window around this mention */
        for (size_t step = n_anchors; step; step /= 2)
            while (at + step <= n_anchors && anchors[at + step - 1].first < i)
                at += step;
        lo = at > ANCHOR_WINDOW ? at - ANCHOR_WINDOW : 0;
        if (n_anchors >= 2 * ANCHOR_WINDOW && lo > n_anchors - 2 * ANCHOR_WINDOW)
            lo = n_anchors - 2 * ANCHOR_WINDOW;
        hi = lo + 2 * ANCHOR_WINDOW < n_anchors ? lo + 2 * ANCHOR_WINDOW : n_anchors;
        window_slide(&w, anchors, lo, hi);
        s->win_lo = lo;
        s->win_hi = hi;
        const mention_state *t = s->twin != (size_t)-1 ? &st[s->twin] : NULL;
        if (t && t->win_lo == lo && t->win_hi == hi) { /* the same scores against the same anchors */
            if (!s->shared) /* scores of its own, from another window */
                memcpy(s->sc, t->sc, s->n * sizeof *s->sc);
            s->best = t->best;
            s->second = t->second;
            continue;
        }
        if (s->shared) { /* the twin's readings still, but scores of its own */
            cand_score *own = malloc((s->n ? s->n : 1) * sizeof *own);
            if (!own)
                return INCMAP_ERR_NOMEM;
            memcpy(own, t->sc, s->n * sizeof *own);
            s->sc = own;
            s->shared = 0;
        }
        /* What each reading scores whatever the distances, and the second highest of that: a
         * reading that the nearest anchor cannot lift to it is neither first nor second. */
        double top = -INFINITY, runner_up = -INFINITY;
        uint64_t inside[MAX_CANDIDATES];
        for (size_t k = 0; k < s->n; k++) {
            cand_score *sc = &s->sc[k];
            inside[k] = score_inside(&s->c[k], sc, &w, s->key_hash);
            if (sc->score > top) {
                runner_up = top;
                top = sc->score;
            } else if (sc->score > runner_up) {
                runner_up = sc->score;
            }
        }
        for (size_t k = 0; k < s->n; k++) {
            cand_score *sc = &s->sc[k];
            if (w.n && sc->score + NEAR_BONUS_MAX < runner_up - 1e-9)
                sc->near_km = UNMEASURED;
            else
                score_near(&s->c[k], sc, inside[k], &w, s->key_hash, gz);
        }
        pick(s);
    }
    return INCMAP_OK;
}

/* "Moura, dans le cercle de Djenné", "Inékar (région de Ménaka)": the mention right after i,
 * announced by an admin cue behind a comma or a bracket, is the area i lies in. -1 if none. */
static long container_of(const incmap_resolver *r, const incmap_mention *ms, size_t n, size_t i)
{
    const incmap_tokens *t = r->toks;
    if (i + 1 >= n)
        return -1;
    const incmap_mention *a = &ms[i], *b = &ms[i + 1];
    size_t gap = a->tok_last + 1;
    if (b->cue != CUE_ADM1 && b->cue != CUE_ADM2 && b->cue != CUE_ADM3)
        return -1;
    if (gap >= t->n || b->tok_first <= gap || b->tok_first - gap > 8 ||
        t->tok[b->tok_first].sentence != t->tok[a->tok_last].sentence || !(t->tok[gap].flags & INCMAP_TOK_PUNCT))
        return -1;
    char c = r->text[t->tok[gap].start];
    return c == ',' || c == '(' ? (long)i + 1 : -1;
}

/* Is place x inside admin area a (same country and the area's code)? */
static int inside(const incmap_gz_record *x, const incmap_gz_record *a)
{
    if (memcmp(x->cc, a->cc, 2) != 0 || x == a)
        return 0;
    if (is_adm(a, "ADM1"))
        return a->admin1_off && x->admin1_off == a->admin1_off;
    if (a->fclass != 'A')
        return 0;
    if (a->admin2_off && x->admin2_off)
        return x->admin2_off == a->admin2_off;
    /* many villages carry no second-level code: the same region and near the area's centre */
    double d = far_apart_km(x->lat, x->lon, a->lat, a->lon);
    return x->admin1_off == a->admin1_off && d < 0;
}

/* Reading k of mention s scored in full, as score_pass scores those that may come first, when a
 * later step makes it s's choice (one sense per discourse) or weighs it (a container). */
static void measure_reading(mention_state *s, size_t k, const anchor *anchors, incmap_gazetteer *gz)
{
    cand_score *sc = &s->sc[k];
    if (sc->near_km != UNMEASURED)
        return;
    anchor_window w = {.n = 0};
    window_slide(&w, anchors, s->win_lo, s->win_hi);
    score_near(&s->c[k], sc, score_inside(&s->c[k], sc, &w, s->key_hash), &w, s->key_hash, gz);
}

/* A mention with a container keeps a reading inside it; with none inside it is unresolved and
 * the container stands in for it (precision 2): never a homonym abroad ("Moura" in Portugal). */
static void apply_container(const incmap_resolver *r, mention_state *s, const anchor *anchors,
                            const incmap_resolution *area, incmap_resolution *res, incmap_buf *why)
{
    if (!area->rec || area->rec->fclass != 'A')
        return;
    if (res->rec && inside(res->rec, area->rec))
        return;
    size_t best = (size_t)-1;
    for (size_t k = 0; k < s->n; k++) {
        if (!inside(s->c[k].rec, area->rec))
            continue;
        measure_reading(s, k, anchors, r->gz);
        if (best == (size_t)-1 || s->sc[k].score > s->sc[best].score)
            best = k;
    }
    incmap_buf_clear(why);
    incmap_buf_puts(why, res->why);
    if (best != (size_t)-1 && s->sc[best].score >= ACCEPT - 0.3) {
        res->rec = s->c[best].rec;
        res->geo_precision = precision_of(res->rec);
        res->score = fmin(1.0, s->sc[best].score / 1.3);
        incmap_buf_puts(why, "; the reading inside the area named after it: ");
        fmt_place(why, r, res->rec);
    } else {
        res->rec = NULL;
        res->fallback = area->rec;
        res->geo_precision = 2;
        res->contained = 1;
        res->score = fmin(res->score, 0.5);
        incmap_buf_puts(why, "; no reading inside the area named after it; fallback: ");
        fmt_place(why, r, area->rec);
    }
    res->why = incmap_arena_strdup(r->arena, why->s ? why->s : "");
}

/* The signature of mention m, whose normalised name hashes to key_hash. */
static reading_sig reading_sig_of(const incmap_resolver *r, const incmap_mention *m, uint64_t key_hash)
{
    const incmap_token *tk = &r->toks->tok[m->tok_first];
    int one_word = m->tok_first == m->tok_last;
    reading_sig g = {.posts = m->posts, .n_posts = m->n_posts, .key_hash = key_hash, .cue = m->cue};
    g.acronym = one_word && (tk->flags & INCMAP_TOK_UPPER) && tk->norm_len <= 5;
    g.lowercase = one_word && m->lowercase_elsewhere;
    memcpy(g.hint, m->country_hint, sizeof g.hint);
    return g;
}

static int same_sig(const reading_sig *a, const reading_sig *b)
{
    return a->posts == b->posts && a->n_posts == b->n_posts && a->key_hash == b->key_hash && a->cue == b->cue &&
           a->acronym == b->acronym && a->lowercase == b->lowercase && !strcmp(a->hint, b->hint);
}

/* For the tables of signatures: mention twins in an article, the readings cache across them. */
static uint64_t sig_hash(const reading_sig *g)
{
    uint64_t flags = (uint64_t)g->cue | (uint64_t)g->acronym << 8 | (uint64_t)g->lowercase << 9 |
                     (uint64_t)(unsigned char)g->hint[0] << 16 | (uint64_t)(unsigned char)g->hint[1] << 24;
    uint64_t h = (g->key_hash ^ (uint64_t)(uintptr_t)g->posts ^ flags << 32) * 0x9E3779B97F4A7C15u;
    return h ^ h >> 32;
}

/* The first mention before i of st[i]'s signature, else (size_t)-1, entering i in the table of
 * mention indices + 1 (open addressing, cap a power of two over twice the mentions). */
static size_t find_twin(size_t *table, size_t cap, const mention_state *st, size_t i)
{
    const reading_sig *g = &st[i].sig;
    size_t h = (size_t)sig_hash(g) & (cap - 1);
    for (; table[h]; h = (h + 1) & (cap - 1))
        if (same_sig(&st[table[h] - 1].sig, g))
            return table[h] - 1;
    table[h] = i + 1;
    return (size_t)-1;
}

#define PREFETCH_AHEAD 8

/* The readings cache (resolver.h): direct-mapped by signature, each slot owning the candidates
 * as build_candidates made them, lent to the mentions of that signature (they never change
 * them). A slot lent in the article being resolved is not given to another signature until
 * the next article. */
#define READINGS_SLOTS 4096
#define READINGS_MAX_BYTES ((size_t)32 << 20)
typedef struct {
    reading_sig sig; /* the key: the mention's signature, but for its name's hash */
    cand *c;         /* NULL: empty */
    size_t n;
    uint64_t lent;   /* the article it was last lent to (incmap_readings_cache.article) */
} readings_slot;

struct incmap_readings_cache {
    readings_slot slot[READINGS_SLOTS];
    size_t bytes;     /* held by the slots */
    uint64_t article; /* counts the articles resolved, from 1 */
};

incmap_readings_cache *incmap_readings_cache_new(void)
{
    return calloc(1, sizeof(incmap_readings_cache));
}

void incmap_readings_cache_destroy(incmap_readings_cache *rc)
{
    if (!rc)
        return;
    for (size_t i = 0; i < READINGS_SLOTS; i++)
        free(rc->slot[i].c);
    free(rc);
}

/* The slot of signature g (its key_hash 0): holding its readings (c set), or to be filled by
 * readings_keep; NULL when the slot holds another signature's readings lent in this article. */
static readings_slot *readings_slot_of(incmap_readings_cache *rc, const reading_sig *g)
{
    readings_slot *sl = &rc->slot[sig_hash(g) % READINGS_SLOTS];
    if (sl->c && !same_sig(&sl->sig, g)) {
        if (sl->lent == rc->article)
            return NULL; /* in use */
        rc->bytes -= sl->n * sizeof *sl->c; /* another name's: replaced */
        free(sl->c);
        sl->c = NULL;
    }
    return sl;
}

/* Gives the slot the readings c (n of them, malloc'd) to own and lend; 0 when the cache is full
 * (c stays the caller's). */
static int readings_keep(incmap_readings_cache *rc, readings_slot *sl, const reading_sig *g, cand *c, size_t n)
{
    size_t bytes = n * sizeof *c;
    if (!n || rc->bytes + bytes > READINGS_MAX_BYTES)
        return 0;
    sl->c = c;
    sl->sig = *g;
    sl->n = n;
    sl->lent = rc->article;
    rc->bytes += bytes;
    return 1;
}

/* Scores for the n readings c, as the first choice reads them. NULL when out of memory. */
static cand_score *first_scores(const cand *c, size_t n)
{
    cand_score *sc = malloc((n ? n : 1) * sizeof *sc); /* fixed and near_km: set by the passes */
    for (size_t k = 0; sc && k < n; k++)
        sc[k].score = c[k].score0;
    return sc;
}

/* The candidates of mention m and their first scores: twin's when there is one, else lent by
 * the readings cache or made. */
static incmap_status build_candidates(const incmap_resolver *r, const incmap_mention *m, mention_state *s,
                                      const mention_state *twin)
{
    if (twin) { /* the same postings, scored alike: shared until a window tells them apart */
        s->c = twin->c;
        s->sc = twin->sc;
        s->n = twin->n;
        s->shared = 1;
        return INCMAP_OK;
    }
    size_t np = m->n_posts < MAX_CANDIDATES ? m->n_posts : MAX_CANDIDATES;
    /* A signature reads the same in any article (all but the name's hash, which only groups the
     * mentions of one article): its readings are kept for the next. */
    reading_sig g = s->sig;
    g.key_hash = 0;
    readings_slot *kept = np && r->readings ? readings_slot_of(r->readings, &g) : NULL;
    if (kept && kept->c) {
        kept->lent = r->readings->article;
        s->c = kept->c;
        s->n = kept->n;
        return (s->sc = first_scores(s->c, s->n)) ? INCMAP_OK : INCMAP_ERR_NOMEM;
    }
    cand *own = malloc((np ? np : 1) * sizeof *own); /* every field is set below */
    if (!own)
        return INCMAP_ERR_NOMEM;
    s->c = own;
    s->own_c = 1;
    for (size_t k2 = 0; k2 < np; k2++) {
        /* The records of a name lie anywhere in the index: asked for ahead, their cache misses
         * overlap instead of coming one after another. */
        if (k2 + PREFETCH_AHEAD < np)
            __builtin_prefetch(incmap_gazetteer_record(r->gz, m->posts[k2 + PREFETCH_AHEAD].record));
        const incmap_gz_record *rec = incmap_gazetteer_record(r->gz, m->posts[k2].record);
        if (!rec)
            continue;
        cand *c = &own[s->n++];
        c->rec = rec;
        c->geonameid = rec->geonameid;
        c->lat = rec->lat;
        c->lon = rec->lon;
        c->cos_lat = cos(rec->lat * (M_PI / 180));
        c->admin1_off = rec->admin1_off;
        memcpy(c->cc, rec->cc, 2);
        c->fclass = rec->fclass;
        int country = incmap_is_country_code(rec->fcode);
        c->size = (country ? SIZE_COUNTRY : 0) | (rec->population >= 100000 ? SIZE_CITY : 0) |
                  (rec->population >= 5000 || (rec->population >= 1000 && !memcmp(rec->fcode, "PPLA", 4)) ? SIZE_TOWN
                                                                                                          : 0);
        c->kind = m->posts[k2].kind;
        c->base = feature_prior(rec, country) + name_quality(c->kind);
        /* A country's name means the country: "Togo" is not the village of Togo. */
        if (country && !(c->kind & INCMAP_NAME_FUZZY))
            c->base += 0.5;
        if (rec->population) /* log10(1) adds nothing: most places carry no population */
            c->base += 0.12 * fmin(1.0, log10((double)rec->population + 1) / 7.0);
        if (m->country_hint[0])
            c->base += memcmp(m->country_hint, rec->cc, 2) == 0 ? 0.6 : -0.6;
        if ((m->cue == CUE_ADM1 && is_adm(rec, "ADM1")) || (m->cue == CUE_ADM2 && is_adm(rec, "ADM2")) ||
            (m->cue == CUE_ADM3 && rec->fclass == 'A' && !is_adm(rec, "ADM1")) ||
            (m->cue == CUE_COUNTRY && country))
            c->base += 0.5;
        else if (m->cue == CUE_PPL && rec->fclass == 'P')
            c->base += 0.15;
        c->score0 = c->base;
        /* Acronyms in capitals ("RNI", "ONU", "CAN") are organisations far more often than
         * places; only a place's own main name counts. */
        if (s->sig.acronym && !country &&
            (!(c->kind & INCMAP_NAME_MAIN) || rec->population < 1000))
            c->base -= 1.0;
        /* A word the article also writes in lower case is a common word ("Grâce", "Conseil"). */
        if (s->sig.lowercase && !country)
            c->base -= 0.3;
    }
    /* "Ségou" alone is the town, not the region or cercle named after it: an admin area
     * loses to a town of the same name near it unless a cue asked for the area. */
    uint16_t towns[MAX_CANDIDATES]; /* the readings that are towns by their own name */
    size_t n_towns = 0;
    for (size_t p = 0; p < s->n && m->cue != CUE_ADM1 && m->cue != CUE_ADM2 && m->cue != CUE_ADM3; p++)
        if (s->c[p].fclass == 'P' && (s->c[p].kind & (INCMAP_NAME_MAIN | INCMAP_NAME_CURATED)))
            towns[n_towns++] = (uint16_t)p;
    for (size_t a = 0; a < s->n && n_towns; a++) {
        cand *c = &own[a];
        if (c->fclass != 'A' || (c->size & SIZE_COUNTRY))
            continue;
        for (size_t t = 0; t < n_towns; t++) {
            const cand *p = &s->c[towns[t]];
            if (!memcmp(p->cc, c->cc, 2) && closer_than(r->gz, p->rec, c->rec, 150)) {
                c->base -= 0.3;
                c->score0 = c->base;
                break;
            }
        }
    }
    if (kept && readings_keep(r->readings, kept, &g, own, s->n))
        s->own_c = 0; /* the cache's now, lent to this mention */
    return (s->sc = first_scores(s->c, s->n)) ? INCMAP_OK : INCMAP_ERR_NOMEM;
}

incmap_status incmap_resolve(const incmap_resolver *r, const incmap_mention *ms, size_t n, incmap_resolution *out,
                             incmap_error *err)
{
    mention_state *st = calloc(n ? n : 1, sizeof *st);
    if (r->readings)
        r->readings->article++; /* what it lends from now on is in use until the next article */
    countries_named countries = {.n = 0};
    anchor *anchors = calloc(n ? n : 1, sizeof *anchors);
    size_t twins_cap = 64;
    while (twins_cap < 2 * n)
        twins_cap *= 2;
    size_t *twins = calloc(twins_cap, sizeof *twins); /* NULL: every mention scored on its own */
    incmap_buf why = {0};
    incmap_status rc = INCMAP_OK;
    if (!st || !anchors) {
        free(st);
        free(anchors);
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    }

    /* Candidates and their context-free scores. */
    for (size_t i = 0; i < n; i++) {
        const incmap_mention *m = &ms[i];
        mention_state *s = &st[i];
        incmap_buf_clear(&why); /* free until the reasons are written: the key's buffer */
        incmap_normalize(r->text + m->start, m->end - m->start, &why);
        size_t klen = why.s ? strnlen(why.s, sizeof s->key - 1) : 0; /* cut as snprintf would */
        memcpy(s->key, why.s ? why.s : "", klen);
        s->key[klen] = 0;
        s->key_hash = incmap_hash(s->key, klen, 0);
        s->sig = reading_sig_of(r, m, s->key_hash);
        s->twin = twins ? find_twin(twins, twins_cap, st, i) : (size_t)-1;
        if (build_candidates(r, m, s, s->twin != (size_t)-1 ? &st[s->twin] : NULL) != INCMAP_OK) {
            rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
            goto out;
        }
        pick(s);
        if (s->best != (size_t)-1 && !m->fuzzy && incmap_is_country_code(s->c[s->best].rec->fcode))
            add_country(&countries, s->c[s->best].rec->cc, 1.0);
    }
    /* Demonyms ("malien", "burkinabè") name a country too, with less weight. */
    const incmap_wordlist *dem = incmap_lexicon_list(r->lex, r->lang, "demonyms");
    for (size_t i = 0; i < r->toks->n; i++) {
        const char *cc = incmap_wordlist_get_tok(dem, r->toks, i);
        if (cc && strlen(cc) == 2)
            add_country(&countries, cc, 0.5);
    }

    first_pass(st, n, &countries);
    for (size_t i = 0; i < n; i++) {
        mention_state *s = &st[i];
        s->anchor = s->best != (size_t)-1 && s->sc[s->best].score >= ACCEPT && !ms[i].fuzzy;
        if (s->shared && ms[s->twin].fuzzy == ms[i].fuzzy) { /* the same first-pass scores: the same verdict */
            s->anchor = s->anchor && st[s->twin].anchor;
            continue;
        }
        /* An anchor is a mention whose reading is clear: far ahead of its runner-up, or with all
         * close contenders within 50 km of each other (Tibi I and Tibi II). */
        for (size_t k = 0; s->anchor && k < s->n; k++) {
            const cand *b = &s->c[s->best], *c = &s->c[k];
            if (k != s->best && s->sc[s->best].score - s->sc[k].score < ANCHOR_MARGIN &&
                !closer_than(r->gz, b->rec, c->rec, 50))
                s->anchor = 0;
        }
    }
    if (score_pass(st, n, anchors, collect_anchors(st, n, anchors), r->gz) != INCMAP_OK) {
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        goto out;
    }

    /* One sense per discourse: mentions of the same name take the candidate with the most summed
     * support, unless a mention's own evidence ("(Mali)", a cue) disagrees. */
    name_ref *by_name = malloc((n ? n : 1) * sizeof *by_name); /* mentions grouped by name */
    if (!by_name || group_by_name(st, n, by_name) != 0) {
        free(by_name);
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t gi = 0; gi < n; gi++) {
        size_t i = by_name[gi].mention;
        if (st[i].best == (size_t)-1)
            continue;
        /* against the next SENSE_WINDOW mentions of the name (text order): every pair in an
         * article, where a name comes back a few dozen times at most; linear for an input that
         * repeats one name a million times */
        for (size_t h = gi + 1; h < n && h <= gi + SENSE_WINDOW && by_name[h].key_hash == st[i].key_hash; h++) {
            size_t j = by_name[h].mention;
            if (st[j].best == (size_t)-1 || strcmp(st[i].key, st[j].key) ||
                st[i].c[st[i].best].rec == st[j].c[st[j].best].rec)
                continue;
            size_t weaker = st[i].sc[st[i].best].score >= st[j].sc[st[j].best].score ? j : i;
            size_t stronger = weaker == j ? i : j;
            /* a cue or a "(Mali)" is local evidence: it neither spreads nor gets overruled */
            if (ms[weaker].country_hint[0] || ms[weaker].cue || ms[stronger].cue)
                continue;
            const incmap_gz_record *want = st[stronger].c[st[stronger].best].rec;
            for (size_t k = 0; k < st[weaker].n; k++)
                if (st[weaker].c[k].rec == want) {
                    measure_reading(&st[weaker], k, anchors, r->gz);
                    st[weaker].second = st[weaker].best;
                    st[weaker].best = k;
                }
        }
    }
    free(by_name);

    for (size_t i = 0; i < n; i++) {
        mention_state *s = &st[i];
        incmap_resolution *res = &out[i];
        size_t t = s->twin;
        if (s->shared && st[t].best == s->best && st[t].second == s->second && ms[t].fuzzy == ms[i].fuzzy &&
            ms[t].unknown == ms[i].unknown) {
            *res = out[t]; /* the same candidates, choice and evidence: the same words */
            continue;
        }
        memset(res, 0, sizeof *res);
        incmap_buf_clear(&why);
        const cand *b = s->best != (size_t)-1 ? &s->c[s->best] : NULL;
        const cand *r2 = s->second != (size_t)-1 ? &s->c[s->second] : NULL;
        const cand_score *bs = b ? &s->sc[s->best] : NULL, *r2s = r2 ? &s->sc[s->second] : NULL;
        int ok = b && bs->score >= ACCEPT;
        if (ok && ms[i].fuzzy && !(country_weight(&countries, b->rec->cc) > 0 ||
                                   (bs->near_km >= 0 && bs->near_km < 300)))
            ok = 0; /* a spelling variant needs the article's context to back it */
        if (ms[i].unknown) {
            incmap_buf_puts(&why, "announced as a place by the words before it; not in the gazetteer");
        } else if (!b) {
            incmap_buf_puts(&why, "no candidate");
        } else {
            if (!ok)
                incmap_buf_puts(&why, "no good candidate: best ");
            incmap_buf_append(&why, b->rec->fcode, strnlen(b->rec->fcode, sizeof b->rec->fcode));
            incmap_buf_puts(&why, (b->kind & INCMAP_NAME_FUZZY)      ? " spelling variant"
                                  : (b->kind & INCMAP_NAME_NUMERAL)  ? " name without its numeral"
                                  : (b->kind & INCMAP_NAME_SQUASHED) ? " name without spaces"
                                                                     : " exact name");
            if (b->rec->population) {
                incmap_buf_puts(&why, ", pop ");
                incmap_buf_put_uint(&why, b->rec->population);
            }
            double cw = country_weight(&countries, b->rec->cc);
            if (cw > 0) {
                incmap_buf_puts(&why, ", country ");
                incmap_buf_append(&why, b->rec->cc, strnlen(b->rec->cc, sizeof b->rec->cc));
                incmap_buf_puts(&why, " named in the text");
            }
            if (ms[i].country_hint[0]) {
                incmap_buf_puts(&why, ", (");
                incmap_buf_puts(&why, ms[i].country_hint);
                incmap_buf_puts(&why, ") after the name");
            }
            if (ms[i].cue)
                incmap_buf_puts(&why, ", cue word before it");
            if (bs->near_km >= 0) {
                incmap_buf_puts(&why, ", ");
                incmap_buf_put_fixed(&why, bs->near_km, 0);
                incmap_buf_puts(&why, " km from another place in the text");
            }
            incmap_buf_puts(&why, ", score ");
            incmap_buf_put_fixed(&why, bs->score, 2);
            if (r2) {
                incmap_buf_puts(&why, "; runner-up ");
                fmt_place(&why, r, r2->rec);
                incmap_buf_putc(&why, ' ');
                incmap_buf_put_fixed(&why, r2s->score, 2);
            }
        }
        if (ok) {
            res->rec = b->rec;
            double margin = r2 ? bs->score - r2s->score : 0.5;
            res->score = fmin(1.0, fmax(0.0, 0.5 * fmin(1.0, bs->score / 1.3) + fmin(0.5, margin)));
            res->geo_precision = precision_of(b->rec);
        } else {
            res->score = b ? fmin(0.5, fmax(0.0, bs->score / 2)) : 0;
            res->geo_precision = 0;
        }
        res->why = incmap_arena_strdup(r->arena, why.s ? why.s : "");
    }
    for (size_t i = 0; i < n; i++) {
        long j = ms[i].unknown ? -1 : container_of(r, ms, n, i);
        if (j >= 0)
            apply_container(r, &st[i], anchors, &out[j], &out[i], &why);
    }
    /* Fallbacks need every resolved area, so they come last. */
    for (size_t i = 0; i < n; i++) {
        if (out[i].rec || out[i].fallback)
            continue;
        incmap_buf_clear(&why);
        incmap_buf_puts(&why, out[i].why);
        fallback(r, ms, n, out, i, &out[i], &why);
        out[i].why = incmap_arena_strdup(r->arena, why.s ? why.s : "");
    }
    if (why.oom)
        rc = incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
out:
    for (size_t i = 0; i < n; i++) {
        if (!st[i].shared)
            free(st[i].sc);
        if (st[i].own_c)
            free((void *)st[i].c);
    }
    free(st);
    free(anchors);
    free(twins);
    incmap_buf_free(&why);
    return rc;
}
