/*
 * incmap.h: the public interface of libincmap.
 *
 * One article's path:  bytes -> text -> tagger -> resolver -> incidents -> writers.
 * A caller opens one context (gazetteer + language data) and reuses it for every article:
 *
 *     incmap_options opt = incmap_default_options();
 *     opt.gazetteer_path = "incmap-gazetteer.db";           // NULL: the bundled default
 *     incmap_error err;
 *     incmap_ctx *ctx = incmap_ctx_new(&opt, &err);          // NULL on failure, err says why
 *     incmap_doc *doc = incmap_geocode(ctx, bytes, len, &info, &err);
 *     for (size_t i = 0; i < doc->n_places; i++) ... doc->places[i] ...
 *     incmap_doc_destroy(doc);
 *     incmap_ctx_destroy(ctx);
 *
 * Ownership: everything reachable from an incmap_doc belongs to the doc and lives until
 * incmap_doc_destroy. Input buffers are borrowed for the duration of a call only.
 * A context is not thread-safe; use one per thread.
 */
#ifndef INCMAP_H
#define INCMAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INCMAP_VERSION "0.1.0"

/* Result codes. 0 is success; every failure also fills an incmap_error message. */
typedef enum {
    INCMAP_OK = 0,
    INCMAP_ERR_NOMEM,     /* out of memory */
    INCMAP_ERR_IO,        /* a file could not be read or written */
    INCMAP_ERR_ENCODING,  /* input is not text in a supported encoding */
    INCMAP_ERR_FORMAT,    /* malformed input (a GeoNames line, a JSON document, a date) */
    INCMAP_ERR_GAZETTEER, /* the gazetteer is missing, corrupt or of another version */
    INCMAP_ERR_DB,        /* SQLite reported an error */
    INCMAP_ERR_USAGE,     /* the caller passed an invalid argument */
    INCMAP_ERR_LIMIT      /* a configured resource bound was exceeded */
} incmap_status;

typedef struct {
    incmap_status code;
    char message[512]; /* what failed, where, and what to do */
} incmap_error;

/* A short English name for a status code ("I/O error", ...). Never NULL. */
const char *incmap_status_name(incmap_status code);

/* ------------------------------------------------------------------ context */

typedef struct {
    const char *gazetteer_path; /* NULL: $INCMAP_GAZETTEER, else the bundled one beside the binary */
    size_t max_article_bytes;   /* larger inputs are refused with INCMAP_ERR_LIMIT */
} incmap_options;

incmap_options incmap_default_options(void);

typedef struct incmap_ctx incmap_ctx;

/* Opens the gazetteer and its name index and loads the language data. NULL on failure. */
incmap_ctx *incmap_ctx_new(const incmap_options *options, incmap_error *err);
void incmap_ctx_destroy(incmap_ctx *ctx);

/* The path of the gazetteer the context opened (owned by the context). */
const char *incmap_ctx_gazetteer_path(const incmap_ctx *ctx);

/* ------------------------------------------------------------------ results */

/* One toponym mention, resolved to a gazetteer entry or not. Strings are never NULL
 * except where noted; an absent value is "" for strings and a has_ flag for numbers. */
typedef struct {
    const char *text;      /* as written in the article (UTF-8) */
    size_t start, end;     /* byte offsets of the mention in the input bytes */
    int resolved;          /* 1: one gazetteer entry chosen */
    int64_t geonameid;     /* 0 when unresolved */
    const char *name;      /* the gazetteer's name, "" when unresolved */
    const char *feature_code;
    const char *country;   /* ISO 3166-1 alpha-2, "" when unknown */
    const char *admin1, *admin2; /* names, "" when unknown */
    int has_coords;        /* 0: lat/lon are meaningless (JSON null) */
    double lat, lon;       /* the place, or for an unresolved one its fallback */
    int geo_precision;     /* ACLED: 1 the place, 2 near it / part of a region, 3 a larger region */
    double score;          /* 0..1 */
    const char *why;       /* the rules that decided, and the runner-up */
    const char *section;   /* "body", "headline" or "boilerplate" */
    int sentence;          /* index into the doc's sentences */
    int64_t fallback_geonameid; /* unresolved: the area standing in for the place, else 0 */
    const char *fallback_name;  /* its name, "" when none */
} incmap_place;

typedef struct {
    char event_date[11];   /* YYYY-MM-DD, "" when unknown */
    int time_precision;    /* 1 day, 2 week, 3 month or coarser; 0 when no date */
    const char *date_text; /* the words the date came from, "" when none */
    const char *event_type, *sub_event_type;
    const char *actor1, *actor2; /* "" when none */
    int fatalities;        /* ACLED: 0 when none is reported */
    int fatalities_stated; /* 1 when the text gives a figure (possibly 0) */
    int injured;           /* -1 when not stated */
    const char *location;  /* the site as named, or the fallback area's name */
    int place;             /* index into places[], -1 when none */
    int has_coords;
    double lat, lon;
    const char *country, *admin1;
    int geo_precision;
    int background;        /* a past event mentioned in passing */
    double confidence;     /* 0..1 */
    size_t evidence_start, evidence_end; /* byte offsets of the sentence in the input */
    const char *evidence;  /* that sentence */
} incmap_incident;

typedef struct {
    size_t start, end;     /* byte offsets in the input */
    const char *section;   /* as for places */
} incmap_sentence;

typedef struct {
    const char *source;        /* path, URL or "-" */
    const char *language;      /* "fr", "en", "es" */
    char published[11];        /* YYYY-MM-DD or "" */
    const char *published_from;/* "option", "text" or "none" */
    const char *encoding;      /* "UTF-8", "windows-1252", ... as detected */
    incmap_place *places;       size_t n_places;
    incmap_incident *incidents; size_t n_incidents;
    incmap_sentence *sentences; size_t n_sentences;
    struct incmap_doc_private *priv; /* arena and text; not for callers */
} incmap_doc;

/* What the caller knows about an article besides its bytes. All fields optional. */
typedef struct {
    const char *source;    /* shown in outputs; default "-" */
    const char *language;  /* "fr", "en", "es" or NULL/"auto" to detect */
    const char *published; /* YYYY-MM-DD, or NULL to look for it in the text */
} incmap_article_info;

/* Geocodes one article and codes its incidents. NULL on failure (err says why, with the byte
 * offset for an encoding error). The bytes are borrowed; the doc is the caller's. */
incmap_doc *incmap_geocode(incmap_ctx *ctx, const char *bytes, size_t len,
                           const incmap_article_info *info, incmap_error *err);
void incmap_doc_destroy(incmap_doc *doc);

/* Serialises a doc as the JSON contract documented in README.md (one line, no trailing
 * newline). Returns a malloc'd string the caller frees, or NULL when out of memory. */
char *incmap_doc_to_json(const incmap_doc *doc, int pretty);

/* ------------------------------------------------------------------ gazetteer */

typedef struct {
    int strict;            /* a malformed line aborts the import */
    int quiet;             /* no per-line warnings on stderr */
    void (*warn)(void *user, const char *message); /* NULL: stderr */
    void *warn_user;
} incmap_import_options;

typedef struct {
    uint64_t rows_read, places, names, admin_codes, countries, skipped_malformed, files;
    double seconds;
} incmap_import_stats;

/* Builds an SQLite gazetteer and its name index at out_path from GeoNames files (and our
 * curated-name TSV). Written to a temporary file and renamed: a failed build leaves no file. */
incmap_status incmap_gazetteer_build(const char *out_path, const char *const *sources, size_t n_sources,
                                     const incmap_import_options *opt, incmap_import_stats *stats,
                                     incmap_error *err);

typedef struct {
    int64_t geonameid;
    char name[200];
    char feature_class[2];
    char feature_code[11];
    char country[3];
    char admin1[200];
    double lat, lon;
    int64_t population;
} incmap_candidate;

/* Lists the gazetteer entries a name matches after normalisation (country: "" for any),
 * most populous first. *out is malloc'd; the caller frees it. */
incmap_status incmap_gazetteer_lookup(incmap_ctx *ctx, const char *name, const char *country,
                                      incmap_candidate **out, size_t *n_out, incmap_error *err);

/* ------------------------------------------------------------------ layers */

/* Layers for GIS clients, written through GDAL/OGR (writer.c): "incidents" (points, ACLED's
 * field names), "mentions" (points: every resolved place mention) and "articles" (a table
 * without geometry). Rows are flat and self-contained so that both `geocode` (from docs) and
 * the incident store (from SQLite) can produce them. Strings may be NULL for "no value".
 *
 *     incmap_layers *out = incmap_layers_open("output/incidents.gpkg", NULL, &err);
 *     incmap_layers_add_doc(out, ctx, doc, bytes, len, &err);          // or add_* row by row
 *     incmap_layers_commit(out, &err);   // temp files renamed into place
 *     incmap_layers_destroy(out);        // without a commit: temp files removed, old ones kept
 */
typedef struct {
    const char *article_id;   /* stable: derived from the content's SHA-256 */
    const char *source;       /* path or URL */
    const char *title, *published, *language, *sha256;
    const char *processed_at; /* ISO 8601 UTC; callers pass a stable value for reproducible output */
} incmap_article_row;

typedef struct {
    const char *event_id_cnty; /* ISO3 + stable number, unique in the output */
    const char *event_date;    /* YYYY-MM-DD or NULL */
    int year, time_precision;
    const char *event_type, *sub_event_type, *actor1, *actor2;
    const char *country;       /* country name, as ACLED writes it ("Mali") */
    int iso;                   /* ISO 3166-1 numeric (466), 0 unknown */
    const char *admin1, *admin2, *location;
    int has_coords;
    double latitude, longitude;
    int geo_precision, fatalities;
    const char *source, *notes;
    double confidence;
    int background;
    const char *evidence, *article_id;
    int64_t geonameid;         /* 0 none */
} incmap_incident_row;

typedef struct {
    const char *article_id, *text, *name, *feature_code, *country, *admin1, *why, *section;
    int64_t start, end, geonameid;
    double latitude, longitude, score;
    int geo_precision;
} incmap_mention_row;

typedef struct {
    const char *driver; /* OGR driver name ("GPKG", "GeoJSON", "FlatGeobuf", "CSV", "KML");
                           NULL: chosen from the path's extension */
} incmap_layers_options;

typedef struct incmap_layers incmap_layers;

/* Starts writing the layers to path. A multi-layer format (GeoPackage) holds the three layers
 * in the one file; for a single-layer format path names the incidents file and the other
 * layers go beside it ("out/incidents.geojson", "out/mentions.geojson", "out/articles.geojson").
 * Everything goes to temporary files in the same directory until incmap_layers_commit. */
incmap_layers *incmap_layers_open(const char *path, const incmap_layers_options *options, incmap_error *err);
incmap_status incmap_layers_add_article(incmap_layers *l, const incmap_article_row *row, incmap_error *err);
incmap_status incmap_layers_add_incident(incmap_layers *l, const incmap_incident_row *row, incmap_error *err);
incmap_status incmap_layers_add_mention(incmap_layers *l, const incmap_mention_row *row, incmap_error *err);
/* All three rows kinds of one geocoded article (bytes: the input, for its SHA-256). */
incmap_status incmap_layers_add_doc(incmap_layers *l, incmap_ctx *ctx, const incmap_doc *doc, const char *bytes,
                                    size_t len, incmap_error *err);
/* Closes the dataset(s) and renames the temporary files over the final paths. */
incmap_status incmap_layers_commit(incmap_layers *l, incmap_error *err);
/* Frees l; when it was not committed, removes the temporary files and leaves old outputs alone. */
void incmap_layers_destroy(incmap_layers *l);

/* ------------------------------------------------------------------ helpers */

/* Reads a whole file (or standard input for "-") into a malloc'd buffer with a NUL after the
 * end. max_bytes (0: no limit) refuses larger inputs with INCMAP_ERR_LIMIT. */
incmap_status incmap_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len,
                               incmap_error *err);

/* 1 when s is a real calendar date written YYYY-MM-DD. */
int incmap_valid_date(const char *s);

#ifdef __cplusplus
}
#endif
#endif
