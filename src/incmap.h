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

/* One RFC 7946 FeatureCollection of many docs, given out a doc at a time so that memory does not
 * grow with the input (what `geocode --format geojson` prints): a Point feature (lon/lat, 6
 * decimals) for each place with coordinates, or with `incidents` each incident with
 * coordinates, properties as in the JSON contract; `pretty` indents it as --pretty does.
 *
 *     incmap_geojson_stream *g = incmap_geojson_stream_new(0, 0);    // NULL: out of memory
 *     for each doc:  text = incmap_geojson_stream_add(g, doc, &len);  // write it out
 *     text = incmap_geojson_stream_finish(g, &len);                    // write it out, once
 *     incmap_geojson_stream_destroy(g);
 *
 * The texts in order are the whole collection (the first holds its opening, the last its
 * closing; no newline at the end). Each is owned by the stream and valid until its next call;
 * len (may be NULL) gets its length. NULL when out of memory: the stream is then of no further
 * use. */
typedef struct incmap_geojson_stream incmap_geojson_stream;
incmap_geojson_stream *incmap_geojson_stream_new(int incidents, int pretty);
const char *incmap_geojson_stream_add(incmap_geojson_stream *s, const incmap_doc *doc, size_t *len);
const char *incmap_geojson_stream_finish(incmap_geojson_stream *s, size_t *len);
void incmap_geojson_stream_destroy(incmap_geojson_stream *s);

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

/* Layers for GIS clients, written through GDAL/OGR (writer.c), the same whoever produces the rows:
 * `incmap geocode -o` from docs, the incident store (issue 5) from its tables.
 *
 *   incidents  points, ACLED's field names and types: event_id_cnty, event_date (a Date),
 *              year, time_precision, event_type, sub_event_type, actor1, actor2, country, iso,
 *              admin1, admin2, location, latitude, longitude, geo_precision, source, notes,
 *              fatalities; then ours: confidence, background, evidence, article_id, geonameid
 *   mentions   points, one per resolved place mention: mention_id, article_id, text, name,
 *              feature_code, country, admin1, section, start, end, geonameid, latitude,
 *              longitude, geo_precision, score, why
 *   articles   no geometry: article_id, source, title, published (a Date), language, sha256,
 *              processed_at (a DateTime, UTC)
 *
 * GeoPackage: the three layers in one file, EPSG:4326 with an R-tree, field domains on event_type
 * and geo_precision, and a default QGIS style per layer in `layer_styles` (incidents categorised
 * by event_type, sized by fatalities, time slider on event_date). Any other OGR driver is taken
 * as holding one layer per file: the path names the incidents file and the others go beside it
 * with the same extension ("out/incidents.geojson", "out/mentions.geojson",
 * "out/articles.geojson"), each with a QGIS sidecar style (".qml"). GeoJSON is RFC 7946 (lon/lat,
 * 6 decimals, no crs member) with each feature's `id` its event_id_cnty, mention_id or
 * article_id; the same rows in the same order give byte-identical files. FlatGeobuf cannot
 * hold features without geometry (GDAL 3.6 drops them): there the articles table is written
 * as "articles.csv" and incidents without coordinates are left out, with a warning.
 *
 * Ids, stable across runs and machines:
 *   article_id    the first 16 hex digits of the SHA-256 of the article's bytes (as read, before
 *                 any decoding);
 *   event_id_cnty the incident country's ISO 3166-1 alpha-3 code ("XXX" when unknown) followed
 *                 by a decimal number: the first 12 hex digits of the article_id read as an
 *                 integer, times 10000, plus the incident's index in its doc (0-based; at most
 *                 9999 incidents per article), e.g. "MLI" + "1234567890123450002";
 *   mention_id    article_id + "-" + the mention's start byte offset.
 * Ids must be unique in one output: a repeated id is refused (INCMAP_ERR_USAGE), and a doc whose
 * article_id was already added is skipped whole (the same article under two names).
 *
 * Strings in rows may be NULL for "no value"; rows are copied, not kept.
 *
 *     incmap_layers *out = incmap_layers_open("output/incidents.gpkg", NULL, &err);
 *     incmap_layers_add_doc(out, ctx, doc, bytes, len, processed_at, &err);  // or add_* by row
 *     incmap_layers_commit(out, &err);   // temporary files renamed over the final names
 *     incmap_layers_destroy(out);        // without a commit: temporaries removed, old files kept
 */
typedef struct {
    const char *article_id;   /* required: see "Ids" above */
    const char *source;       /* path or URL */
    const char *title, *published, *language, *sha256; /* published: YYYY-MM-DD */
    const char *processed_at; /* ISO 8601 UTC ("2025-07-15T10:00:00Z"); pass a stable value for
                                 reproducible output */
} incmap_article_row;

typedef struct {
    const char *event_id_cnty; /* required: ISO3 + stable number, unique in the output */
    const char *event_date;    /* YYYY-MM-DD or NULL */
    int year, time_precision;  /* 0: unknown (written as null) */
    const char *event_type, *sub_event_type, *actor1, *actor2;
    const char *country;       /* country name, as ACLED writes it ("Mali") */
    int iso;                   /* ISO 3166-1 numeric (466), 0 unknown */
    const char *admin1, *admin2, *location;
    int has_coords;            /* 0: a feature without geometry, latitude/longitude null */
    double latitude, longitude;
    int geo_precision;         /* 1..3, 0 unknown */
    int fatalities;
    const char *source, *notes;
    double confidence;
    int background;            /* 1: a past event the article mentions in passing */
    const char *evidence;      /* the sentence the incident was coded from */
    const char *article_id;
    int64_t geonameid;         /* the gazetteer entry whose coordinates it carries, 0 none */
} incmap_incident_row;

typedef struct {
    const char *article_id, *text, *name, *feature_code, *country, *admin1, *why, *section;
    int64_t start, end, geonameid; /* start: with article_id, the mention's id */
    double latitude, longitude, score;
    int geo_precision;
} incmap_mention_row;

typedef struct {
    const char *driver; /* an OGR driver short name ("GPKG", "GeoJSON", "FlatGeobuf", "CSV",
                           "KML", ...), case-insensitive; NULL: from the path's extension */
    void (*warn)(void *user, const char *message); /* rows left out; NULL: stderr */
    void *warn_user;
} incmap_layers_options;

typedef struct incmap_layers incmap_layers;

/* Starts writing the layers to path (see above); everything goes to a temporary directory beside
 * it until incmap_layers_commit. NULL on failure: INCMAP_ERR_USAGE for a driver GDAL does not
 * know or that cannot write vector layers, or a path whose extension names no format;
 * INCMAP_ERR_IO when the directory cannot be written. Nothing is left behind on failure. */
incmap_layers *incmap_layers_open(const char *path, const incmap_layers_options *options, incmap_error *err);
incmap_status incmap_layers_add_article(incmap_layers *l, const incmap_article_row *row, incmap_error *err);
incmap_status incmap_layers_add_incident(incmap_layers *l, const incmap_incident_row *row, incmap_error *err);
incmap_status incmap_layers_add_mention(incmap_layers *l, const incmap_mention_row *row, incmap_error *err);
/* The rows of one geocoded article (incmap_doc_rows_new below), all three kinds. bytes: the input
 * the doc came from, for its SHA-256. processed_at: ISO 8601 UTC, NULL for now. */
incmap_status incmap_layers_add_doc(incmap_layers *l, incmap_ctx *ctx, const incmap_doc *doc, const char *bytes,
                                    size_t len, const char *processed_at, incmap_error *err);
/* Rows written so far (any pointer may be NULL). */
void incmap_layers_counts(const incmap_layers *l, size_t *articles, size_t *incidents, size_t *mentions);
/* The OGR driver in use ("GPKG", "GeoJSON", ...), owned by l. */
const char *incmap_layers_driver(const incmap_layers *l);
/* Closes the dataset(s) and renames the temporary files over the final paths. After a failure
 * the old outputs are left as they were, unless the failure came in the middle of the renames. */
incmap_status incmap_layers_commit(incmap_layers *l, incmap_error *err);
/* Frees l; when it was not committed, removes the temporary files and leaves old outputs alone. */
void incmap_layers_destroy(incmap_layers *l);

/* An article's rows, converted from a doc: country names and numeric codes from the gazetteer,
 * the ids above, only resolved mentions (with coordinates). The title is the headline the
 * sections module finds before the body (at most 200 bytes), else NULL. bytes/len: what
 * incmap_geocode read; the title is cut from them and the ids are their hash. Everything is
 * copied and owned by the struct until incmap_doc_rows_destroy (the doc may go first). NULL on
 * failure (more than 9999 incidents, out of memory). */
typedef struct {
    incmap_article_row article;
    incmap_incident_row *incidents; size_t n_incidents;
    incmap_mention_row *mentions;   size_t n_mentions;
    struct incmap_arena *arena;     /* owns the strings; not for callers */
} incmap_doc_rows;
incmap_doc_rows *incmap_doc_rows_new(incmap_ctx *ctx, const incmap_doc *doc, const char *bytes, size_t len,
                                     const char *processed_at, incmap_error *err);
void incmap_doc_rows_destroy(incmap_doc_rows *rows);

/* article_id (16 hex digits + NUL) and, when sha256 is not NULL, the whole SHA-256 (64 + NUL) of an
 * article's bytes: what the store uses to recognise an article it has already seen. */
void incmap_article_id(const char *bytes, size_t len, char id[17], char sha256[65]);

/* ------------------------------------------------------------------ store */

/* The incident store (store*.c) and its periodic update (update.c): one SQLite database with
 * SpatiaLite geometry (or a PostGIS database, the same tables) holding the articles seen (by content hash), their place mentions, each
 * article's incident reports, and the incidents those reports were merged into. A cron job or a
 * systemd timer runs an update every few minutes; each run codes only what is new or changed,
 * removes what disappeared from a directory or feed input, merges reports of the same incident
 * across articles, and rewrites the layers through the layers API above when the store changed.
 *
 *     incmap_store_options so = incmap_store_default_options();
 *     so.wait_seconds = 60;                                       // another run holds the lock
 *     incmap_store *st = incmap_store_open("incmap-store.db", &so, &err); // creates or migrates
 *     incmap_update_options uo = incmap_update_default_options();
 *     uo.out_dir = "output";                                      // output/incidents.gpkg
 *     const char *inputs[] = {"articles/", "feeds/today.jsonl"};
 *     incmap_update_stats stats;
 *     incmap_update(st, ctx, inputs, 2, &uo, &stats, &err);
 *     incmap_store_close(st);                                     // releases the lock
 *
 * An SQLite store is used by one process at a time: incmap_store_open takes an exclusive flock on
 * "PATH.lock" and holds it until incmap_store_close. A PostgreSQL/PostGIS store (a path of the
 * form postgresql://..., postgres://... or PG:...) takes several processes at once: each
 * incmap_update claims an input before coding it, so workers split the inputs (README, "A PostGIS
 * store for a team"). Not thread-safe. The schema version is PRAGMA user_version, or
 * incmap.schema_version in PostgreSQL (INCMAP_STORE_SCHEMA); an older store is migrated when
 * opened, a newer one is refused. */
#define INCMAP_STORE_SCHEMA 1

typedef struct incmap_store incmap_store;

typedef struct {
    double wait_seconds; /* how long to wait for another process's lock: 0 fail at once, < 0 forever */
    int must_exist;      /* refuse to create a new store (INCMAP_ERR_IO): for readers such as export */
} incmap_store_options;

incmap_store_options incmap_store_default_options(void);

/* Opens (creating it when missing) and locks the store. NULL on failure: INCMAP_ERR_LIMIT when
 * another process held the lock for longer than wait_seconds, INCMAP_ERR_DB for a database that
 * is not a store, is corrupt or is newer than this incmap, INCMAP_ERR_USAGE for a PostgreSQL URL
 * libpq cannot read, INCMAP_ERR_IO otherwise (a PostgreSQL server not reached within
 * wait_seconds). */
incmap_store *incmap_store_open(const char *path, const incmap_store_options *opt, incmap_error *err);
void incmap_store_close(incmap_store *store);

typedef enum {
    INCMAP_UPDATE_NEW,       /* an input not seen before (coded, or the same content as another) */
    INCMAP_UPDATE_CHANGED,   /* an input whose content changed: re-coded, old records replaced */
    INCMAP_UPDATE_UNCHANGED, /* skipped: same content hash as last time */
    INCMAP_UPDATE_REMOVED,   /* gone from its directory or feed: its records removed */
    INCMAP_UPDATE_FAILED,    /* could not be read or coded; message says why; the rest goes on */
    INCMAP_UPDATE_PROGRESS,  /* done of total inputs looked at (sent after each input) */
    INCMAP_UPDATE_LAYERS     /* an output written: input is its path */
} incmap_update_event_kind;

typedef struct {
    incmap_update_event_kind kind;
    const char *input;   /* the input's key: an absolute path, or FEED_PATH#ID for a feed entry */
    const char *message; /* FAILED: what went wrong, where, and what to do; else "" or a detail */
    size_t done, total;  /* inputs looked at so far, out of total */
    size_t n_places, n_incidents; /* NEW and CHANGED: what the article gave ("" when re-used) */
} incmap_update_event;

typedef struct {
    const char *out_dir;      /* where the layers go; NULL: no layers */
    const char *formats;      /* comma-separated: gpkg, geojson, fgb, csv, kml; NULL: "gpkg" */
    int keep_missing;         /* keep the records of inputs gone from a directory or feed */
    const char *language;     /* "fr", "en", "es"; NULL or "auto": detected (a feed's "language" wins) */
    const char *processed_at; /* ISO 8601 UTC stamped on records made now; NULL: the clock */
    void (*on_event)(void *user, const incmap_update_event *ev); /* NULL: no events */
    void *user;
} incmap_update_options;

incmap_update_options incmap_update_default_options(void);

/* Checks a comma-separated list of output formats; INCMAP_ERR_USAGE naming the first unknown. */
incmap_status incmap_check_formats(const char *formats, incmap_error *err);

typedef struct {
    size_t articles_new, articles_changed, articles_unchanged, articles_removed, articles_failed;
    size_t incidents_added;   /* incidents created */
    size_t incidents_merged;  /* reports that joined an incident another article reported */
    size_t incidents_removed; /* incidents deleted: none of their reports is left */
    size_t incidents_total;   /* in the store after the run */
    size_t layers_written;    /* output files (or file sets) rewritten */
    double seconds;
} incmap_update_stats;

/* Brings the store up to date with the inputs: files (any name), directories (searched
 * recursively for *.txt, *.text, *.htm, *.html, *.xhtml and *.jsonl, hidden names skipped) and
 * JSON Lines feeds (*.jsonl: one {"id", "url", "title", "published", "language", "text" or
 * "html"} object per line). Then, when the store changed since the layers in out_dir were
 * written (or they are missing), rewrites them. An input that fails is reported through
 * on_event and counted in stats->articles_failed, and keeps its previous records; the run goes
 * on and returns INCMAP_OK. Other failures (the database, the layers) return an error; what was
 * committed before stays consistent and the previous layers stay in place. */
incmap_status incmap_update(incmap_store *store, incmap_ctx *ctx, const char *const *inputs, size_t n_inputs,
                            const incmap_update_options *opt, incmap_update_stats *stats, incmap_error *err);

typedef struct {
    const char *formats;   /* as for incmap_update; NULL: "gpkg" */
    const char *since;     /* YYYY-MM-DD: incidents on or after that date; NULL: all */
    int has_bbox;
    double west, south, east, north; /* WGS 84 degrees: incidents inside the box */
    const char *countries; /* comma-separated ISO 3166-1 alpha-2 or alpha-3 codes; NULL: all */
} incmap_export_options;

incmap_export_options incmap_export_default_options(void);

typedef struct {
    size_t incidents, mentions, articles, layers_written;
} incmap_export_stats;

/* Writes the layers of out_dir from the store, without reprocessing anything. With filters, the
 * incidents are those that pass every filter, the articles those that report one of them, and
 * the mentions those of these articles (inside the box and countries, when given). */
incmap_status incmap_export(incmap_store *store, const char *out_dir, const incmap_export_options *opt,
                            incmap_export_stats *stats, incmap_error *err);

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
