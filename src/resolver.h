/* resolver.h: picks one gazetteer entry per mention, in the context of the whole article, or
 * says "no good candidate" and gives the finest fallback area the text supports. Deterministic;
 * every decision comes with a reason string. */
#ifndef INCMAP_RESOLVER_H
#define INCMAP_RESOLVER_H

#include "gazetteer.h"
#include "lexicon.h"
#include "tagger.h"

typedef struct {
    const incmap_gz_record *rec;      /* the chosen entry, NULL when unresolved */
    const incmap_gz_record *fallback; /* for an unresolved mention: the area standing in for it */
    double score;                     /* 0..1 */
    int geo_precision;                /* ACLED's 1..3 */
    int contained;                    /* unresolved, but an admin area named after it holds it */
    const char *why;                  /* in the arena */
} incmap_resolution;

/* The readings of names already met, kept from one article to the next (a context owns one):
 * news names the same places article after article, and making a name's readings reads one
 * gazetteer record per reading, a cache miss each in a world gazetteer. Holds at most 32 MB. */
typedef struct incmap_readings_cache incmap_readings_cache;
incmap_readings_cache *incmap_readings_cache_new(void); /* NULL when out of memory */
void incmap_readings_cache_destroy(incmap_readings_cache *rc);

typedef struct {
    incmap_gazetteer *gz;
    incmap_readings_cache *readings; /* NULL: none kept */
    const incmap_lexicon *lex;
    const char *lang;
    const char *text;
    const incmap_tokens *toks;
    incmap_arena *arena; /* for the reason strings */
} incmap_resolver;

/* Fills out[i] for each of the n mentions. */
incmap_status incmap_resolve(const incmap_resolver *r, const incmap_mention *m, size_t n, incmap_resolution *out,
                             incmap_error *err);

/* Geodesic distance in kilometres on WGS84 (PROJ's geod_inverse); g from incmap_wgs84_init,
 * set up once per use rather than per distance. */
struct geod_geodesic;
void incmap_wgs84_init(struct geod_geodesic *g);
double incmap_distance_km(const struct geod_geodesic *g, double lat1, double lon1, double lat2, double lon2);

/* Is this feature code a country (PCLI, PCLD, ...)? */
int incmap_is_country_code(const char *fcode);

#endif
