/* gazetteer.h: the SQLite gazetteer (source of truth for every detail) and its compiled name
 * index (a memory-mapped hash table of normalised names, so the tagger pays a hash probe per
 * name, not an SQL query, and start-up does not load the world into the heap).
 *
 * The index lives beside the database, in FILE.idx; both carry the same build id. */
#ifndef INCMAP_GAZETTEER_H
#define INCMAP_GAZETTEER_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define INCMAP_GAZETTEER_SCHEMA 1
#define INCMAP_INDEX_VERSION 2

/* One place, as the resolver needs it (40 bytes, stored in the index). */
typedef struct {
    uint32_t geonameid;
    float lat, lon;
    uint32_t population;
    uint32_t name_off;   /* the place's own name, in the index strings */
    uint32_t admin1_off; /* "CC.ADMIN1" code, "" when none */
    uint32_t admin2_off; /* "CC.ADMIN1.ADMIN2" code, "" when none */
    char cc[2];
    char fclass;
    uint8_t reserved;
    char fcode[8];
} incmap_gz_record;

/* How a name reached an entry; several bits may be set. */
enum {
    INCMAP_NAME_MAIN = 1,      /* the GeoNames name or ascii name */
    INCMAP_NAME_ALT = 2,       /* an alternate name */
    INCMAP_NAME_CURATED = 4,   /* language-tagged names (alternateNames, our TSV, admin tables) */
    INCMAP_NAME_NUMERAL = 8,   /* a trailing numeral stripped: "Tibi I" / "Tiby 1" -> "tiby" */
    INCMAP_NAME_FUZZY = 16,    /* consonant-skeleton key: spelling variants */
    INCMAP_NAME_SQUASHED = 32  /* spaces removed: "Tin Zaouaten" -> "tinzaouaten" */
};

typedef struct {
    uint32_t record;  /* index into the records */
    uint32_t key_off; /* the full normalised name this posting came from */
    uint16_t kind;    /* INCMAP_NAME_* */
    uint16_t reserved;
} incmap_gz_posting;

typedef struct incmap_gazetteer incmap_gazetteer;

incmap_gazetteer *incmap_gazetteer_open(const char *path, incmap_error *err);
void incmap_gazetteer_close(incmap_gazetteer *g);
const char *incmap_gazetteer_path(const incmap_gazetteer *g);

/* Probes the index for a normalised key. Returns the postings (n_out of them, possibly 0) and
 * sets *longer when some indexed name extends the key by more words: the tagger keeps reading.
 * Returns 0 when the key is unknown altogether. fuzzy selects the spelling-variant table. */
int incmap_gazetteer_probe(const incmap_gazetteer *g, const char *key, size_t len, int fuzzy,
                           const incmap_gz_posting **out, size_t *n_out, int *longer);

/* The same with the key's hash known: incmap_hash(key, seed 0) for names, as tokens carry it. */
int incmap_gazetteer_probe_hashed(const incmap_gazetteer *g, const char *key, size_t len, uint64_t hash,
                                  const incmap_gz_posting **out, size_t *n_out, int *longer);

const incmap_gz_record *incmap_gazetteer_record(const incmap_gazetteer *g, uint32_t i);
const char *incmap_gazetteer_string(const incmap_gazetteer *g, uint32_t off);
/* The record of a geonameid, or NULL. */
const incmap_gz_record *incmap_gazetteer_find(const incmap_gazetteer *g, int64_t geonameid);
size_t incmap_gazetteer_n_records(const incmap_gazetteer *g);

/* Spelling variants of a name written without spaces ("tinzaouatine"): the postings of its
 * consonant skeleton, when at least one indexed spelling is within a small edit distance
 * (1, or 2 for names of 10 letters or more). Returns 0 when there is none. */
int incmap_gazetteer_probe_spelling(const incmap_gazetteer *g, const char *squashed, size_t len,
                                    const incmap_gz_posting **out, size_t *n_out);

/* The consonant skeleton used for the fuzzy table ("tinzaouatine" -> "tnztn"), written to out
 * (room for len + 1 bytes: it is never longer than the key) with a NUL; returns its length. */
size_t incmap_gazetteer_skeleton(const char *key, size_t len, char *out);

/* The geodesic distance in kilometres between two entries (WGS84, PROJ's geod_inverse, as
 * incmap_distance_km computes it from the records' coordinates). Remembered across articles:
 * the same pairs (a town and its region's capital) recur in article after article, and each
 * costs PROJ thousands of instructions. */
double incmap_gazetteer_distance_km(incmap_gazetteer *g, const incmap_gz_record *x, const incmap_gz_record *y);

/* Full details of one entry, from SQLite. Strings are copied into the arena. */
typedef struct {
    int64_t geonameid;
    const char *name, *feature_class, *feature_code, *country, *admin1, *admin2;
    double lat, lon;
    int64_t population;
} incmap_gz_details;
incmap_status incmap_gazetteer_details(incmap_gazetteer *g, int64_t geonameid, incmap_arena *arena,
                                       incmap_gz_details *out, incmap_error *err);

/* A country's ISO 3166-1 alpha-3 code, English name and numeric code (countryInfo.txt), from its
 * alpha-2 code. found = 0 (strings "", isonum 0) when the gazetteer does not list it. Strings are
 * copied into the arena. */
typedef struct {
    int found;
    const char *iso3, *name;
    int isonum; /* 0 when countryInfo gives none (Kosovo) */
} incmap_gz_country;
incmap_status incmap_gazetteer_country(incmap_gazetteer *g, const char *cc, incmap_arena *arena,
                                       incmap_gz_country *out, incmap_error *err);

/* The ADM1 entries of a country (for fallbacks like "le nord du Togo"). *out malloc'd. */
incmap_status incmap_gazetteer_admin1_of(incmap_gazetteer *g, const char *cc, int64_t **out, size_t *n,
                                         incmap_error *err);

#endif
