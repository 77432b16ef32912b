/* gazetteer_index.h: the on-disk layout of the compiled name index (FILE.idx), shared by the
 * writer (gazetteer_index.c) and the reader (gazetteer.c), and the writer's streaming API used by
 * the importer (gazetteer_build.c). Not part of the public API. */
#ifndef INCMAP_GAZETTEER_INDEX_H
#define INCMAP_GAZETTEER_INDEX_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "gazetteer.h"
#include "util.h"

#define INDEX_MAGIC "INCMAPNX"
#define INDEX_KEY_LONGER 1 /* some indexed name continues this key with more words */

/* Sections may come in any order in the file; each is 8-aligned and found by its offset. */
typedef struct {
    char magic[8];
    uint32_t version, reserved;
    uint64_t n_records, n_keys, n_buckets, n_postings, strings_size;
    uint64_t off_records, off_keys, off_buckets, off_postings, off_strings;
    uint64_t off_by_id; /* n_records record numbers, in geonameid order */
    char build_id[32];
} index_header;

typedef struct {
    uint32_t key_off, post_off, post_count, flags;
} index_key;

typedef struct {
    uint32_t check;     /* the hash's upper 32 bits */
    uint32_t key_plus1; /* key index + 1; 0 marks an empty bucket */
} index_bucket;

/* ---------------------------------------------------------------- the writer
 *
 * The importer feeds the builder the rows and names as it parses the sources, so that
 * normalising and interning millions of names overlaps the SQLite inserts (another thread), and
 * nothing needs reading back from SQLite but the few points it derives. What SQLite decides
 * (which row of a geonameid wins, which admin areas get a derived point) the builder decides the
 * same way, by the same rules:
 *  - a dump row replaces the previous row of its geonameid when its modification date is not
 *    older (string order, empty for none): its names and record are the place's;
 *  - the last row of an admin code or country code is the one in its table;
 *  - names for a geonameid that ends up with no record are dropped;
 *  - the derived points are predicted from the records and the admin tables, then checked
 *    against what SQLite inserted; on a difference the index is planned again from SQLite's.
 * Strings passed in are copied; none is kept. Not thread-safe: one thread feeds a builder. */
typedef struct incmap_index_builder incmap_index_builder;

/* expected_names: a hint (how many names the sources may hold) so that the tables are sized
 * once; 0 if unknown. NULL when out of memory. */
incmap_index_builder *incmap_index_builder_new(uint64_t expected_names);
void incmap_index_builder_free(incmap_index_builder *ib);

/* A geoname dump row as inserted ("" or NULL for an empty column). */
typedef struct {
    uint32_t geonameid;
    const char *name, *asciiname, *alternatenames, *moddate;
    double lat, lon;
    const char *fclass, *fcode, *country, *admin1, *admin2;
    int64_t population;
} incmap_index_row;
/* Rows are numbered in the order given (the winner rule). */
incmap_status incmap_index_add_row(incmap_index_builder *ib, const incmap_index_row *row);
/* A language-tagged name of a place (alternateNames, our TSV) that is not historic. */
incmap_status incmap_index_add_name(incmap_index_builder *ib, uint32_t geonameid, const char *name);

enum { INDEX_ADMIN1, INDEX_ADMIN2, INDEX_COUNTRY };
/* A row of admin1CodesASCII, admin2Codes or countryInfo as inserted: its code (the table's key),
 * place and names (for a country: name and NULL). The index has the names of the admin1 table,
 * the name of the others; a derived point has both names of its row. */
incmap_status incmap_index_add_admin(incmap_index_builder *ib, int table, const char *code, int64_t geonameid,
                                     const char *name, const char *asciiname);

/* Whether a geonameid has been seen in a dump row or an admin table so far: an alternate name
 * for any other id can be skipped once every dump and table has been read. */
int incmap_index_knows(const incmap_index_builder *ib, uint32_t geonameid);

/* Once every source is read: picks the winning rows, derives the names' variants and groups the
 * names by key. The heavy part of the work, done while SQLite builds its indexes. */
incmap_status incmap_index_prepare(incmap_index_builder *ib, incmap_error *err);

/* The derived points the records and admin tables imply, in geonameid order (owned by ib), and
 * how many rows SQLite's statements should insert (some may carry ids no record can). */
incmap_status incmap_index_predict_derived(incmap_index_builder *ib, const uint32_t **ids, size_t *n,
                                           int64_t *inserts, incmap_error *err);

/* SQLite's derived points, read by the writer thread once it has derived them (inserted: the
 * rows its statements inserted): the predicted ones by id, checked; when they differ from the
 * prediction (*matches = 0), all of them, by a scan. */
typedef struct incmap_index_derived incmap_index_derived;
incmap_status incmap_index_read_derived(sqlite3 *db, const uint32_t *predicted, size_t n_predicted,
                                        int64_t predicted_inserts, int64_t inserted, incmap_index_derived **out,
                                        int *matches, incmap_error *err);
void incmap_index_derived_free(incmap_index_derived *d);

/* Plans the index: record numbers, postings per key, keys and buckets, for the predicted derived
 * points (d NULL) or SQLite's (after a difference). */
incmap_status incmap_index_plan(incmap_index_builder *ib, const incmap_index_derived *d, incmap_error *err);
/* Writes FILE.idx as planned: all but the records (which wait for the derived points' values:
 * the body can be written while SQLite still works), then the records from d, and syncs. After
 * a difference, plan and write the body again. */
incmap_status incmap_index_write_body(incmap_index_builder *ib, const char *path, const char *build_id,
                                      incmap_error *err);
incmap_status incmap_index_write_tail(incmap_index_builder *ib, const incmap_index_derived *d, const char *path,
                                      incmap_error *err);

#endif
