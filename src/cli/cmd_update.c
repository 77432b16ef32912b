/* cmd_update.c: incmap update: inputs into the incident store, then the layers. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char *HELP =
    "Usage: incmap update [OPTIONS] INPUT...\n"
    "\n"
    "Brings the incident store up to date with the inputs, then rewrites the layers when the store\n"
    "changed. An INPUT is a file (an article, any name), a directory (searched recursively for\n"
    "*.txt, *.text, *.html, *.htm, *.xhtml and *.jsonl; hidden names skipped) or a JSON Lines feed\n"
    "(*.jsonl: one {\"id\", \"url\", \"title\", \"published\", \"language\", \"text\" or \"html\"} per line).\n"
    "Only new and changed articles are coded (known ones are recognised by their SHA-256); articles\n"
    "gone from a directory or feed INPUT are removed with their records; reports of the same incident\n"
    "in several articles are merged into one incident listing every source (see README, \"incmap\n"
    "update\"). Made to run from cron or a systemd timer: one run at a time on an SQLite store (a\n"
    "lock), several at once on a PostgreSQL one (workers split the inputs, each article coded once);\n"
    "each article recorded in one transaction, layers replaced by renaming complete files.\n"
    "\n"
    "Options:\n"
    "  -s, --store STORE    the store, created when missing: an SQLite FILE (default:\n"
    "                       incmap-store.db) or a PostgreSQL/PostGIS database:\n"
    "                       postgresql://USER:PASSWORD@HOST:PORT/DATABASE or PG:\"dbname=... host=...\"\n"
    "  -o, --out DIR        where the layers go (default: output)\n"
    "  -f, --format LIST    comma-separated: gpkg (default; one file, three layers), geojson, fgb,\n"
    "                       csv, kml (incidents.EXT with mentions.EXT and articles.EXT beside it);\n"
    "                       none: no layers\n"
    "      --keep-missing   keep the records of articles gone from a directory or feed\n"
    "  -w, --wait SECONDS   wait that long for another run to finish (default 0: exit at once;\n"
    "                       -1: as long as it takes); PostgreSQL: for the server to accept us\n"
    "  -g, --gazetteer FILE the gazetteer (default: the bundled one, or $INCMAP_GAZETTEER)\n"
    "  -l, --lang L         fr, en, es or auto (default; a feed entry's \"language\" wins)\n"
    "      --max-bytes N    refuse articles larger than N bytes (default 16 MiB)\n"
    "  -q, --quiet          no summary line (failures are still reported on stderr)\n"
    "  -v, --verbose        a line per article (new, changed, removed; unchanged ones too) and layer\n"
    "  -h, --help           this help\n"
    "\n"
    "On a terminal, a progress bar shows on stderr while articles are processed.\n"
    "The summary line (stdout):\n"
    "  update: articles 3 new, 1 changed, 120 unchanged, 1 removed, 0 failed; incidents 2 added,\n"
    "  1 merged, 1 removed, 230 in store; 1 layer written; 0.84 s\n"
    "\n"
    "Exit status: 0 all inputs processed, 1 some input failed (the others are still recorded) or the\n"
    "store is locked or unusable, 2 a usage error.\n"
    "\n"
    "Examples:\n"
    "  incmap update --store ~/incmap/store.db --out ~/incmap/output articles/ feeds/*.jsonl\n"
    "  incmap update --format gpkg,geojson --wait 300 --quiet articles/\n"
    "  incmap update --store postgresql://incmap@db.example.org/incidents --format none feeds/\n";

typedef struct {
    int quiet, verbose, progress;
    double last_draw;
    int drawn;
} ui;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_bar(ui *u)
{
    if (u->drawn) {
        fputs("\r\033[K", stderr);
        u->drawn = 0;
    }
}

static void draw_bar(ui *u, size_t done, size_t total)
{
    double t = now();
    if (done < total && t - u->last_draw < 0.1)
        return;
    u->last_draw = t;
    enum { WIDTH = 30 };
    int fill = total ? (int)((double)done / (double)total * WIDTH) : WIDTH;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = 0;
    fprintf(stderr, "\rincmap update: [%s] %zu/%zu articles", bar, done, total);
    fflush(stderr);
    u->drawn = 1;
}

static void on_event(void *user, const incmap_update_event *ev)
{
    ui *u = user;
    switch (ev->kind) {
    case INCMAP_UPDATE_PROGRESS:
        if (u->progress)
            draw_bar(u, ev->done, ev->total);
        return;
    case INCMAP_UPDATE_FAILED:
        clear_bar(u);
        /* Messages name the input already, except the odd system error. */
        if (strstr(ev->message, ev->input))
            cli_error("%s", ev->message);
        else
            cli_error("%s: %s", ev->input, ev->message);
        return;
    default: break;
    }
    if (!u->verbose)
        return;
    clear_bar(u);
    switch (ev->kind) {
    case INCMAP_UPDATE_NEW:
    case INCMAP_UPDATE_CHANGED:
        if (*ev->message)
            printf("%-9s %s (%s)\n", ev->kind == INCMAP_UPDATE_NEW ? "new" : "changed", ev->input, ev->message);
        else
            printf("%-9s %s (%zu places, %zu incidents)\n", ev->kind == INCMAP_UPDATE_NEW ? "new" : "changed",
                   ev->input, ev->n_places, ev->n_incidents);
        break;
    case INCMAP_UPDATE_UNCHANGED: printf("%-9s %s\n", "unchanged", ev->input); break;
    case INCMAP_UPDATE_REMOVED: printf("%-9s %s\n", "removed", ev->input); break;
    case INCMAP_UPDATE_LAYERS: printf("%-9s %s\n", "written", ev->input); break;
    default: break;
    }
    fflush(stdout);
}

int cli_parse_wait(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || (v < 0 && v != -1))
        return -1;
    *out = v;
    return 0;
}

int cmd_update(int argc, char **argv)
{
    static const struct option opts[] = {{"store", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {"format", required_argument, 0, 'f'},
                                         {"keep-missing", no_argument, 0, 'k'},
                                         {"wait", required_argument, 0, 'w'},
                                         {"gazetteer", required_argument, 0, 'g'},
                                         {"lang", required_argument, 0, 'l'},
                                         {"max-bytes", required_argument, 0, 'M'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"verbose", no_argument, 0, 'v'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *store_path = "incmap-store.db";
    incmap_options o = incmap_default_options();
    incmap_store_options so = incmap_store_default_options();
    incmap_update_options uo = incmap_update_default_options();
    uo.out_dir = "output";
    uo.formats = "gpkg";
    ui u = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:o:f:w:g:l:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 's': store_path = optarg; break;
        case 'o': uo.out_dir = optarg; break;
        case 'f': uo.formats = optarg; break;
        case 'k': uo.keep_missing = 1; break;
        case 'w':
            if (cli_parse_wait(optarg, &so.wait_seconds))
                return cli_usage_error("update", "--wait takes a number of seconds (or -1: no limit), not '%s'",
                                       optarg);
            break;
        case 'g': o.gazetteer_path = optarg; break;
        case 'l':
            if (strcmp(optarg, "fr") && strcmp(optarg, "en") && strcmp(optarg, "es") && strcmp(optarg, "auto"))
                return cli_usage_error("update", "unknown language '%s' (fr, en, es or auto)", optarg);
            uo.language = optarg;
            break;
        case 'M': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || !v)
                return cli_usage_error("update", "--max-bytes takes a positive number of bytes, not '%s'", optarg);
            o.max_article_bytes = (size_t)v;
            break;
        }
        case 'q': u.quiet = 1; break;
        case 'v': u.verbose = 1; break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: return cli_usage_error("update", "bad option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("update", "no INPUT: name the files, directories or feeds to read");
    if (u.quiet && u.verbose)
        return cli_usage_error("update", "--quiet and --verbose contradict each other");
    if (!strcmp(uo.formats, "none"))
        uo.out_dir = NULL;
    incmap_error err = {0};
    if (uo.out_dir && incmap_check_formats(uo.formats, &err) != INCMAP_OK)
        return cli_usage_error("update", "%s", err.message);
    u.progress = !u.quiet && !u.verbose && isatty(STDERR_FILENO);
    /* Reproducible runs (tests, builds): the time stamp comes from SOURCE_DATE_EPOCH when set. */
    char stamp[32];
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        time_t t = (time_t)strtoll(sde, NULL, 10);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        uo.processed_at = stamp;
    }
    uo.on_event = on_event;
    uo.user = &u;

    incmap_store *st = incmap_store_open(store_path, &so, &err);
    if (!st) {
        cli_error("%s", err.message);
        return err.code == INCMAP_ERR_USAGE ? EXIT_USAGE : EXIT_RUNTIME;
    }
    incmap_ctx *ctx = incmap_ctx_new(&o, &err);
    if (!ctx) {
        cli_error("%s", err.message);
        incmap_store_close(st);
        return EXIT_RUNTIME;
    }
    incmap_update_stats stats;
    incmap_status rc = incmap_update(st, ctx, (const char *const *)argv + optind, (size_t)(argc - optind), &uo,
                                     &stats, &err);
    clear_bar(&u);
    incmap_ctx_destroy(ctx);
    incmap_store_close(st);
    if (rc != INCMAP_OK)
        cli_error("%s", err.message);
    if (!u.quiet || rc != INCMAP_OK)
        printf("update: articles %zu new, %zu changed, %zu unchanged, %zu removed, %zu failed; incidents %zu added, "
               "%zu merged, %zu removed, %zu in store; %zu layer%s written; %.2f s%s\n",
               stats.articles_new, stats.articles_changed, stats.articles_unchanged, stats.articles_removed,
               stats.articles_failed, stats.incidents_added, stats.incidents_merged, stats.incidents_removed,
               stats.incidents_total, stats.layers_written, stats.layers_written == 1 ? "" : "s", stats.seconds,
               rc != INCMAP_OK ? " (stopped by the error above)" : "");
    if (fflush(stdout) != 0)
        return EXIT_RUNTIME;
    if (rc == INCMAP_ERR_USAGE)
        return EXIT_USAGE;
    return rc != INCMAP_OK || stats.articles_failed ? EXIT_RUNTIME : EXIT_OK;
}
