/* context.c: the context (gazetteer + lexicon), and the gazetteer look-up of the public API. */
#include "context.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

incmap_options incmap_default_options(void)
{
    incmap_options o = {0};
    o.max_article_bytes = 16u << 20; /* far above any article; stops a runaway input early */
    return o;
}

int incmap_default_gazetteer(char *buf, size_t n)
{
    const char *env = getenv("INCMAP_GAZETTEER");
    if (env && *env) {
        snprintf(buf, n, "%s", env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0)
        return -1;
    exe[k] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = 0;
    const char *candidates[] = {"%s/incmap-gazetteer.db", "%s/../share/incmap/incmap-gazetteer.db"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(buf, n, candidates[i], exe);
        if (access(buf, R_OK) == 0)
            return 0;
    }
    snprintf(buf, n, candidates[0], exe);
    return -1;
}

incmap_ctx *incmap_ctx_new(const incmap_options *options, incmap_error *err)
{
    incmap_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    ctx->opt = options ? *options : incmap_default_options();
    char path[PATH_MAX + 64];
    const char *gz_path = ctx->opt.gazetteer_path;
    if (!gz_path) {
        if (incmap_default_gazetteer(path, sizeof path) != 0) {
            incmap_fail(err, INCMAP_ERR_GAZETTEER,
                        "no bundled gazetteer found (looked for %s and ../share/incmap/ beside the binary): "
                        "pass --gazetteer FILE or set INCMAP_GAZETTEER",
                        path);
            incmap_ctx_destroy(ctx);
            return NULL;
        }
        gz_path = path;
    }
    ctx->opt.gazetteer_path = NULL; /* the caller's string is not ours to keep */
    /* SQLite opens a directory and fails only at the first read, with "disk I/O error". */
    struct stat st;
    if (stat(gz_path, &st) == 0 && S_ISDIR(st.st_mode)) {
        incmap_fail(err, INCMAP_ERR_GAZETTEER,
                    "%s is a directory, not a gazetteer file: pass the .db file, such as %s/incmap-gazetteer.db "
                    "(incmap gazetteer build -o FILE makes one)",
                    gz_path, gz_path);
        incmap_ctx_destroy(ctx);
        return NULL;
    }
    if (!(ctx->gz = incmap_gazetteer_open(gz_path, err)) || !(ctx->lex = incmap_lexicon_new(err))) {
        incmap_ctx_destroy(ctx);
        return NULL;
    }
    ctx->readings = incmap_readings_cache_new(); /* NULL: run without */
    return ctx;
}

void incmap_ctx_destroy(incmap_ctx *ctx)
{
    if (!ctx)
        return;
    incmap_gazetteer_close(ctx->gz);
    incmap_lexicon_destroy(ctx->lex);
    incmap_readings_cache_destroy(ctx->readings);
    free(ctx);
}

const char *incmap_ctx_gazetteer_path(const incmap_ctx *ctx)
{
    return incmap_gazetteer_path(ctx->gz);
}

static int cmp_candidate(const void *a, const void *b)
{
    const incmap_candidate *x = a, *y = b;
    if (x->population != y->population)
        return x->population > y->population ? -1 : 1;
    return x->geonameid < y->geonameid ? -1 : x->geonameid > y->geonameid;
}

incmap_status incmap_gazetteer_lookup(incmap_ctx *ctx, const char *name, const char *country,
                                      incmap_candidate **out, size_t *n_out, incmap_error *err)
{
    incmap_buf key = {0};
    incmap_normalize(name, strlen(name), &key);
    *out = NULL;
    *n_out = 0;
    if (!key.len) {
        incmap_buf_free(&key);
        return incmap_fail(err, INCMAP_ERR_USAGE, "'%s' has no letters or digits to look up", name);
    }
    const incmap_gz_posting *p;
    size_t n = 0;
    int longer;
    /* The exact name, else the name without spaces ("Tin Zaouatene" / "Ti-n-Zaouâtene"), else a
     * spelling variant: the same fall-backs the tagger uses on article text. */
    if (!incmap_gazetteer_probe(ctx->gz, key.s, key.len, 0, &p, &n, &longer) || !n) {
        incmap_buf sq = {0};
        for (size_t i = 0; i < key.len; i++)
            if (key.s[i] != ' ')
                incmap_buf_putc(&sq, key.s[i]);
        if ((!incmap_gazetteer_probe(ctx->gz, sq.s, sq.len, 0, &p, &n, &longer) || !n) && sq.len)
            incmap_gazetteer_probe_spelling(ctx->gz, sq.s, sq.len, &p, &n);
        incmap_buf_free(&sq);
    }
    incmap_buf_free(&key);
    incmap_candidate *c = calloc(n ? n : 1, sizeof *c);
    incmap_arena *a = incmap_arena_new();
    if (!c || !a) {
        free(c);
        incmap_arena_destroy(a);
        return incmap_fail(err, INCMAP_ERR_NOMEM, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const incmap_gz_record *r = incmap_gazetteer_record(ctx->gz, p[i].record);
        if (!r || (country && *country && strncasecmp(country, r->cc, 2) != 0))
            continue;
        incmap_gz_details d;
        if (incmap_gazetteer_details(ctx->gz, r->geonameid, a, &d, err) != INCMAP_OK) {
            free(c);
            incmap_arena_destroy(a);
            return err ? err->code : INCMAP_ERR_GAZETTEER;
        }
        incmap_candidate *o = &c[k++];
        o->geonameid = d.geonameid;
        snprintf(o->name, sizeof o->name, "%s", d.name);
        snprintf(o->feature_class, sizeof o->feature_class, "%s", d.feature_class);
        snprintf(o->feature_code, sizeof o->feature_code, "%s", d.feature_code);
        snprintf(o->country, sizeof o->country, "%s", d.country);
        snprintf(o->admin1, sizeof o->admin1, "%s", d.admin1);
        o->lat = d.lat;
        o->lon = d.lon;
        o->population = d.population;
    }
    incmap_arena_destroy(a);
    qsort(c, k, sizeof *c, cmp_candidate);
    *out = c;
    *n_out = k;
    return INCMAP_OK;
}
