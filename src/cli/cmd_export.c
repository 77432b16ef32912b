/* cmd_export.c: incmap export: the layers from the store, without reprocessing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *HELP =
    "Usage: incmap export [OPTIONS]\n"
    "\n"
    "Rewrites the layers (incidents, mentions, articles) from the incident store, without coding\n"
    "anything again: after changing --format, to make a filtered extract, or to restore deleted\n"
    "files. Files are written under temporary names and renamed over the old ones when complete.\n"
    "With filters, the incidents are those that pass every filter, the articles those that report\n"
    "them, and the mentions those of these articles (inside --bbox and --country when given).\n"
    "\n"
    "Options:\n"
    "  -s, --store STORE    the store, which must exist: an SQLite FILE (default: incmap-store.db)\n"
    "                       or a PostgreSQL database (postgresql://... or PG:\"...\")\n"
    "  -o, --out DIR        where the layers go (default: output; created when missing)\n"
    "  -f, --format LIST    comma-separated: gpkg (default), geojson, fgb, csv, kml\n"
    "      --since DATE     incidents on or after DATE (YYYY-MM-DD)\n"
    "      --bbox W,S,E,N   incidents inside the box (WGS 84 degrees: west, south, east, north;\n"
    "                       west > east crosses the antimeridian)\n"
    "      --country LIST   incidents in these countries (ISO 3166-1 alpha-2 or alpha-3: ML,BFA)\n"
    "  -w, --wait SECONDS   wait that long for a running update (default 0; -1: no limit);\n"
    "                       PostgreSQL: for the server to accept us (updates do not block export)\n"
    "  -q, --quiet          no summary line\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: 0 written, 1 a runtime error (nothing replaced), 2 a usage error.\n"
    "\n"
    "Examples:\n"
    "  incmap export --store store.db --out web --format geojson --since 2025-01-01 --country ML,BF\n"
    "  incmap export --bbox -6,10,4,16 --out sahel\n"
    "  incmap export --store postgresql://incmap@db.example.org/incidents --out web --format geojson\n";

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {{"store", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {"format", required_argument, 0, 'f'},
                                         {"since", required_argument, 0, 'S'},
                                         {"bbox", required_argument, 0, 'b'},
                                         {"country", required_argument, 0, 'c'},
                                         {"wait", required_argument, 0, 'w'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *store_path = "incmap-store.db", *out = "output";
    incmap_store_options so = incmap_store_default_options();
    so.must_exist = 1;
    incmap_export_options eo = incmap_export_default_options();
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:o:f:w:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's': store_path = optarg; break;
        case 'o': out = optarg; break;
        case 'f': eo.formats = optarg; break;
        case 'S':
            if (!incmap_valid_date(optarg))
                return cli_usage_error("export", "--since takes a calendar date YYYY-MM-DD, not '%s'", optarg);
            eo.since = optarg;
            break;
        case 'b': {
            char extra;
            if (sscanf(optarg, "%lf,%lf,%lf,%lf%c", &eo.west, &eo.south, &eo.east, &eo.north, &extra) != 4)
                return cli_usage_error("export", "--bbox takes WEST,SOUTH,EAST,NORTH in degrees, not '%s'", optarg);
            eo.has_bbox = 1;
            break;
        }
        case 'c': eo.countries = optarg; break;
        case 'w':
            if (cli_parse_wait(optarg, &so.wait_seconds))
                return cli_usage_error("export", "--wait takes a number of seconds (or -1: no limit), not '%s'",
                                       optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: return cli_usage_error("export", "bad option");
        }
    }
    if (optind < argc)
        return cli_usage_error("export", "unexpected argument '%s' (export reads only the store)", argv[optind]);
    incmap_error err = {0};
    if (incmap_check_formats(eo.formats ? eo.formats : "gpkg", &err) != INCMAP_OK)
        return cli_usage_error("export", "%s", err.message);
    incmap_store *st = incmap_store_open(store_path, &so, &err);
    if (!st) {
        cli_error("%s", err.message);
        return err.code == INCMAP_ERR_USAGE ? EXIT_USAGE : EXIT_RUNTIME;
    }
    incmap_export_stats stats;
    incmap_status rc = incmap_export(st, out, &eo, &stats, &err);
    incmap_store_close(st);
    if (rc != INCMAP_OK) {
        cli_error("%s", err.message);
        return rc == INCMAP_ERR_USAGE ? EXIT_USAGE : EXIT_RUNTIME;
    }
    if (!quiet)
        printf("export: %zu incidents, %zu mentions, %zu articles; %zu layer%s written to %s\n", stats.incidents,
               stats.mentions, stats.articles, stats.layers_written, stats.layers_written == 1 ? "" : "s", out);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}
