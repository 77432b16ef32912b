/* fuzz_gazetteer.c: libFuzzer harness for the GeoNames import (incmap_gazetteer_build): the input
 * is written to a file whose name tells the importer its kind (a geoname dump, admin1/admin2
 * codes, countryInfo, alternateNames or our curated TSV; the last input byte chooses), built into
 * a gazetteer and its name index, which is then opened and searched for the input's own fields.
 * Gzip input goes through zlib as real dumps do. Files live in $TMPDIR (run.sh points it to
 * /dev/shm), else /dev/shm, else /tmp: SQLite's writes to a disk would make this harness slower. */
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "fuzz.h"
#include "gazetteer.h"

static char dir[256], base_dump[300];

static void remove_dir(void)
{
    unlink(base_dump);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/incmap-fuzz-gz.XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("fuzz_gazetteer: mkdtemp");
        exit(1);
    }
    atexit(remove_dir);
    /* A valid dump read before the fuzzed file, as real builds read many: a fuzzed line with the
     * same geonameid goes through the replace-by-date path, and since a build without any place is
     * refused, the index writer and the look-ups run for every input. */
    snprintf(base_dump, sizeof base_dump, "%s/ML-2000.txt", dir);
    FILE *f = fopen(base_dump, "wb");
    if (!f || fputs("2460596\tBamako\tBamako\tBamakko,Bamakou\t12.65\t-8.0\tP\tPPLC\tML\t\t08\t\t\t\t1297281"
                    "\t\t350\tAfrica/Bamako\t2000-01-01\n", f) < 0 || fclose(f) != 0) {
        perror("fuzz_gazetteer: writing the base dump");
        exit(1);
    }
    return 0;
}

/* The files in our directory (the two sources alone after a failed build). */
static int files_in_dir(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    REQUIRE(d);
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

typedef struct {
    const char *path;
    unsigned long messages;
} warn_check;

/* Every skipped line is reported with the file name and its line number. */
static void on_warn(void *user, const char *message)
{
    warn_check *w = user;
    size_t n = strlen(w->path);
    REQUIRE(!strncmp(message, w->path, n) && message[n] == ':' && message[n + 1] >= '1' && message[n + 1] <= '9');
    w->messages++;
}

/* Looks up the input's first fields (names the gazetteer may now hold) through the public look-up. */
static void lookup_fields(incmap_gazetteer *gz, const char *s, size_t n)
{
    struct incmap_ctx ctx = {.gz = gz};
    char name[256];
    size_t start = 0;
    int fields = 0;
    for (size_t i = 0; i <= n && fields < 12; i++) {
        if (i < n && s[i] != '\t' && s[i] != '\n' && s[i] != 0)
            continue;
        size_t len = i - start < sizeof name - 1 ? i - start : sizeof name - 1;
        memcpy(name, s + start, len);
        name[len] = 0;
        start = i + 1;
        fields++;
        incmap_candidate *c = NULL;
        size_t nc = 0;
        incmap_error err;
        incmap_status rc = incmap_gazetteer_lookup(&ctx, name, "", &c, &nc, &err);
        REQUIRE(rc == INCMAP_OK || rc == INCMAP_ERR_USAGE);
        for (size_t k = 0; k < nc; k++)
            REQUIRE(c[k].lat >= -90 && c[k].lat <= 90 && c[k].lon >= -180 && c[k].lon <= 180);
        free(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"XX-2020.txt", "admin1CodesASCII.txt", "admin2Codes.txt", "countryInfo.txt",
                                        "alternateNamesV2.txt", "names-curated.tsv", "cities500.txt",
                                        "XX-2020.txt"};
    unsigned mode = fuzz_take_byte(&data, &size);
    char src[300], out[300];
    snprintf(src, sizeof src, "%s/%s", dir, names[mode & 7]);
    snprintf(out, sizeof out, "%s/gz.db", dir);
    FILE *f = fopen(src, "wb");
    REQUIRE(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);

    warn_check w = {src, 0};
    incmap_import_options opt = {.strict = (mode & 8) != 0, .warn = on_warn, .warn_user = &w};
    incmap_import_stats st;
    incmap_error err = {0};
    const char *sources[] = {base_dump, src};
    incmap_status rc = incmap_gazetteer_build(out, sources, 2, &opt, &st, &err);
    if (rc != INCMAP_OK) {
        /* a failed build says where, and leaves nothing behind */
        REQUIRE(err.code == rc && strstr(err.message, dir));
        REQUIRE(files_in_dir() == 2);
    } else {
        REQUIRE(st.skipped_malformed <= st.rows_read && w.messages <= st.rows_read);
        REQUIRE(st.places <= st.rows_read && st.files == 2);
        incmap_gazetteer *gz = incmap_gazetteer_open(out, &err);
        if (!gz) {
            fprintf(stderr, "cannot open the gazetteer just built: %s\n", err.message);
            REQUIRE(gz);
        }
        REQUIRE(incmap_gazetteer_n_records(gz) <= st.places + st.admin_codes + st.countries);
        lookup_fields(gz, (const char *)data, size);
        incmap_gazetteer_close(gz);
    }
    unlink(src);
    unlink(out);
    snprintf(out, sizeof out, "%s/gz.db.idx", dir);
    unlink(out);
    return 0;
}
