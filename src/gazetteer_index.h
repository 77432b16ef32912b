/* gazetteer_index.h: the on-disk layout of the compiled name index (FILE.idx), shared by the
 * writer (gazetteer_index.c) and the reader (gazetteer.c). Not part of the public API. */
#ifndef INCMAP_GAZETTEER_INDEX_H
#define INCMAP_GAZETTEER_INDEX_H

#include <stdint.h>

#include <sqlite3.h>

#include "util.h"

#define INDEX_MAGIC "INCMAPNX"
#define INDEX_KEY_LONGER 1 /* some indexed name continues this key with more words */

typedef struct {
    char magic[8];
    uint32_t version, reserved;
    uint64_t n_records, n_keys, n_buckets, n_postings, strings_size;
    uint64_t off_records, off_keys, off_buckets, off_postings, off_strings;
    char build_id[32];
} index_header;

typedef struct {
    uint32_t key_off, post_off, post_count, flags;
} index_key;

typedef struct {
    uint32_t check;     /* the hash's upper 32 bits */
    uint32_t key_plus1; /* key index + 1; 0 marks an empty bucket */
} index_bucket;

incmap_status incmap_index_write(sqlite3 *db, const char *path, const char *build_id, incmap_error *err);

#endif
