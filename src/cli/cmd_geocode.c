/* cmd_geocode.c: incmap geocode: articles in, places (and incidents) out. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

static const char *HELP =
    "Usage: incmap geocode [OPTIONS] [FILE...|-]\n"
    "\n"
    "Finds every place the articles name and resolves each to one gazetteer entry, or marks it\n"
    "unresolved with the finest fallback area the text supports. Reads standard input when no FILE\n"
    "is given or FILE is '-'. Input is UTF-8 text; Windows-1252/Latin-1 and UTF-16 with a BOM are\n"
    "converted; a binary file is refused with its byte offset and the other files still run.\n"
    "\n"
    "Options:\n"
    "  -f, --format F       text (default: a table for people), json (one JSON object per article\n"
    "                       per line: JSON Lines) or geojson (one RFC 7946 FeatureCollection of the\n"
    "                       places); with -o: gpkg, geojson or any OGR vector driver's name\n"
    "                       (FlatGeobuf, CSV, KML, ...)\n"
    "      --layer L        places (default) or incidents: what the text table and the stdout\n"
    "                       GeoJSON show (json always has both)\n"
    "  -o, --output PATH    write GIS layers instead: incidents, mentions (resolved places) and\n"
    "                       articles. gpkg: the three layers in PATH, with QGIS styles; other formats:\n"
    "                       PATH is the incidents file, mentions.EXT and articles.EXT go beside it,\n"
    "                       each with a .qml style. The format comes from PATH's extension when no\n"
    "                       --format is given. Old files are replaced only once all is written.\n"
    "  -g, --gazetteer FILE the gazetteer (default: the bundled one beside the binary,\n"
    "                       or $INCMAP_GAZETTEER)\n"
    "  -l, --lang L         fr, en, es or auto (default: auto, from function words)\n"
    "  -p, --published D    publication date YYYY-MM-DD (default: found in the text, else none)\n"
    "      --pretty         indent JSON output\n"
    "      --max-bytes N    refuse articles larger than N bytes (default 16 MiB)\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: 0 all articles processed, 1 some article failed (the others are still output),\n"
    "2 a usage error.\n"
    "\n"
    "Examples:\n"
    "  incmap geocode article.txt\n"
    "  incmap geocode --layer incidents --published 2025-07-15 article.txt\n"
    "  incmap geocode --format json --published 2025-07-15 a.txt b.txt > places.jsonl\n"
    "  incmap geocode -o output/incidents.gpkg articles/*.txt\n"
    "  incmap geocode --format geojson -o web/incidents.geojson articles/*.txt\n"
    "  curl -s URL | incmap geocode --format geojson - > places.geojson\n";

typedef enum { FMT_TEXT, FMT_JSON, FMT_GEOJSON, FMT_LAYERS } out_format;

/* When the article was processed, for the articles layer: the file's modification time, so that
 * running again on the same files writes the same bytes; now for standard input. */
static void processed_at(const char *path, char out[32])
{
    struct stat st;
    time_t t = strcmp(path, "-") != 0 && stat(path, &st) == 0 ? st.st_mtime : time(NULL);
    struct tm tm;
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static void print_text(const incmap_doc *doc)
{
    printf("# %s  language %s  published %s (%s)  encoding %s  %zu places\n", doc->source, doc->language,
           doc->published[0] ? doc->published : "unknown", doc->published_from, doc->encoding, doc->n_places);
    printf("%-24s %8s  %-24s %-6s %-2s %-16s %9s %10s %4s %5s\n", "TEXT", "OFFSET", "RESOLVED TO", "CODE", "CC",
           "ADMIN1", "LAT", "LON", "PREC", "SCORE");
    for (size_t i = 0; i < doc->n_places; i++) {
        const incmap_place *p = &doc->places[i];
        char name[64];
        if (p->resolved)
            snprintf(name, sizeof name, "%s", p->name);
        else if (p->fallback_geonameid)
            snprintf(name, sizeof name, "? (in %s)", p->fallback_name);
        else
            snprintf(name, sizeof name, "? unresolved");
        char lat[16] = "-", lon[16] = "-";
        if (p->has_coords) {
            snprintf(lat, sizeof lat, "%.4f", p->lat);
            snprintf(lon, sizeof lon, "%.4f", p->lon);
        }
        cli_cell(p->text, 24);
        printf("%8zu  ", p->start);
        cli_cell(name, 24);
        printf("%-6s %-2s ", p->feature_code, p->country);
        cli_cell(p->admin1, 16);
        printf("%9s %10s %4d %5.2f%s\n", lat, lon, p->geo_precision, p->score,
               strcmp(p->section, "body") ? "  (page furniture)" : "");
    }
    printf("\n");
}

static void print_incidents_text(const incmap_doc *doc)
{
    printf("# %s  language %s  published %s (%s)  %zu incidents\n", doc->source, doc->language,
           doc->published[0] ? doc->published : "unknown", doc->published_from, doc->n_incidents);
    printf("%-10s %-2s ", "DATE", "TP");
    cli_cell("SUB-EVENT TYPE", 30);
    cli_cell("LOCATION", 20);
    printf("%-2s %4s ", "GP", "DEAD");
    cli_cell("ACTOR 1", 26);
    printf("ACTOR 2\n");
    for (size_t i = 0; i < doc->n_incidents; i++) {
        const incmap_incident *x = &doc->incidents[i];
        printf("%-10s %-2d ", x->event_date[0] ? x->event_date : "-", x->time_precision);
        cli_cell(x->sub_event_type, 30);
        cli_cell(*x->location ? x->location : "-", 20);
        printf("%-2d %4d ", x->geo_precision, x->fatalities);
        cli_cell(x->actor1, 26);
        printf("%s%s\n", x->actor2, x->background ? "  (background)" : "");
    }
    printf("\n");
}

int cmd_geocode(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                         {"gazetteer", required_argument, 0, 'g'},
                                         {"lang", required_argument, 0, 'l'},
                                         {"published", required_argument, 0, 'p'},
                                         {"pretty", no_argument, 0, 'P'},
                                         {"max-bytes", required_argument, 0, 'M'},
                                         {"output", required_argument, 0, 'o'},
                                         {"layer", required_argument, 0, 'L'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    out_format fmt = FMT_TEXT;
    const char *format = NULL, *output = NULL;
    int pretty = 0, incidents_view = 0;
    incmap_options o = incmap_default_options();
    incmap_article_info info = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:g:l:p:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'o': output = optarg; break;
        case 'g': o.gazetteer_path = optarg; break;
        case 'l':
            if (strcmp(optarg, "fr") && strcmp(optarg, "en") && strcmp(optarg, "es") && strcmp(optarg, "auto"))
                return cli_usage_error("geocode", "unknown language '%s' (fr, en, es or auto)", optarg);
            info.language = optarg;
            break;
        case 'p': info.published = optarg; break;
        case 'P': pretty = 1; break;
        case 'L':
            if (strcmp(optarg, "places") && strcmp(optarg, "incidents"))
                return cli_usage_error("geocode", "unknown layer '%s' (places or incidents)", optarg);
            incidents_view = !strcmp(optarg, "incidents");
            break;
        case 'M': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || !v)
                return cli_usage_error("geocode", "--max-bytes takes a positive number of bytes, not '%s'", optarg);
            o.max_article_bytes = (size_t)v;
            break;
        }
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: return cli_usage_error("geocode", "bad option");
        }
    }
    /* The layer format: gpkg and geojson are ours, anything else an OGR driver name that the
     * library checks; without -o the formats are the three of standard output. */
    const char *driver = NULL;
    if (output) {
        if (!*output)
            return cli_usage_error("geocode", "-o takes a file name, such as output/incidents.gpkg");
        if (format && (!strcmp(format, "text") || !strcmp(format, "json")))
            return cli_usage_error("geocode", "-o writes GIS layers: use --format gpkg, geojson or an OGR driver "
                                              "name with it, or drop -o to print %s", format);
        fmt = FMT_LAYERS;
        driver = !format ? NULL : !strcmp(format, "gpkg") ? "GPKG" : !strcmp(format, "geojson") ? "GeoJSON" : format;
    } else if (format) {
        if (!strcmp(format, "text"))
            fmt = FMT_TEXT;
        else if (!strcmp(format, "json"))
            fmt = FMT_JSON;
        else if (!strcmp(format, "geojson"))
            fmt = FMT_GEOJSON;
        else
            return cli_usage_error("geocode", "--format %s without -o: text, json and geojson print to standard "
                                              "output; gpkg, geojson and OGR driver names write files given by -o PATH",
                                   format);
    }
    if (info.published && !*info.published)
        info.published = NULL;
    if (info.published && !incmap_valid_date(info.published))
        return cli_usage_error("geocode", "--published takes a calendar date YYYY-MM-DD, not '%s'", info.published);
    incmap_error err = {0};
    incmap_ctx *ctx = incmap_ctx_new(&o, &err);
    if (!ctx) {
        cli_error("%s", err.message);
        return EXIT_RUNTIME;
    }
    incmap_layers *layers = NULL;
    if (fmt == FMT_LAYERS) {
        incmap_layers_options lo = {.driver = driver};
        if (!(layers = incmap_layers_open(output, &lo, &err))) {
            cli_error("%s", err.message);
            incmap_ctx_destroy(ctx);
            return err.code == INCMAP_ERR_USAGE ? EXIT_USAGE : EXIT_RUNTIME;
        }
    }
    char *stdin_only[] = {"-"};
    char **files = optind < argc ? argv + optind : stdin_only;
    int n_files = optind < argc ? argc - optind : 1;
    int failed = 0;
    /* The GeoJSON goes out article by article, as the JSON Lines do. */
    incmap_geojson_stream *geojson = NULL;
    if (fmt == FMT_GEOJSON && !(geojson = incmap_geojson_stream_new(incidents_view, pretty))) {
        cli_error("out of memory");
        incmap_ctx_destroy(ctx);
        return EXIT_RUNTIME;
    }
    for (int i = 0; i < n_files; i++) {
        char *bytes = NULL;
        size_t len = 0;
        if (incmap_read_file(files[i], o.max_article_bytes, &bytes, &len, &err) != INCMAP_OK) {
            cli_error("%s", err.message);
            failed++;
            continue;
        }
        info.source = files[i];
        incmap_doc *doc = incmap_geocode(ctx, bytes, len, &info, &err);
        if (!doc) {
            free(bytes);
            if (err.code == INCMAP_ERR_USAGE) {
                cli_error("%s", err.message);
                incmap_layers_destroy(layers);
                incmap_geojson_stream_destroy(geojson);
                incmap_ctx_destroy(ctx);
                return EXIT_USAGE;
            }
            cli_error("%s", err.message);
            failed++;
            continue;
        }
        if (fmt == FMT_TEXT) {
            if (incidents_view)
                print_incidents_text(doc);
            else
                print_text(doc);
        } else if (fmt == FMT_JSON) {
            char *s = incmap_doc_to_json(doc, pretty);
            if (s)
                printf("%s\n", s);
            free(s);
        } else if (fmt == FMT_GEOJSON) {
            size_t n;
            const char *s = incmap_geojson_stream_add(geojson, doc, &n);
            if (!s) {
                cli_error("out of memory");
                free(bytes);
                incmap_doc_destroy(doc);
                incmap_geojson_stream_destroy(geojson);
                incmap_ctx_destroy(ctx);
                return EXIT_RUNTIME;
            }
            fwrite(s, 1, n, stdout);
        } else {
            char when[32];
            size_t before, after;
            processed_at(files[i], when);
            incmap_layers_counts(layers, &before, NULL, NULL);
            if (incmap_layers_add_doc(layers, ctx, doc, bytes, len, when, &err) != INCMAP_OK) {
                cli_error("%s", err.message);
                failed++;
                if (err.code == INCMAP_ERR_IO || err.code == INCMAP_ERR_NOMEM) {
                    /* the output is incomplete: stop, and leave the old files as they were */
                    free(bytes);
                    incmap_doc_destroy(doc);
                    incmap_layers_destroy(layers);
                    incmap_ctx_destroy(ctx);
                    return EXIT_RUNTIME;
                }
            } else if (incmap_layers_counts(layers, &after, NULL, NULL), after == before) {
                cli_error("%s: the same bytes as an earlier article: written once", files[i]);
            }
        }
        free(bytes);
        incmap_doc_destroy(doc);
        fflush(stdout);
    }
    if (layers) {
        size_t na, ni, nm;
        incmap_layers_counts(layers, &na, &ni, &nm);
        if (incmap_layers_commit(layers, &err) != INCMAP_OK) {
            cli_error("%s", err.message);
            incmap_layers_destroy(layers);
            incmap_ctx_destroy(ctx);
            return EXIT_RUNTIME;
        }
        fprintf(stderr, "incmap: %s (%s): %zu incidents, %zu mentions, %zu articles\n", output,
                incmap_layers_driver(layers), ni, nm, na);
        incmap_layers_destroy(layers);
    }
    if (geojson) {
        size_t n;
        const char *s = incmap_geojson_stream_finish(geojson, &n);
        if (s) {
            fwrite(s, 1, n, stdout);
            putchar('\n');
        } else {
            cli_error("out of memory");
            failed++;
        }
        incmap_geojson_stream_destroy(geojson);
    }
    incmap_ctx_destroy(ctx);
    if (ferror(stdout) || fflush(stdout) != 0) {
        cli_error("cannot write the output (disk full or closed pipe?)");
        return EXIT_RUNTIME;
    }
    return failed ? EXIT_RUNTIME : EXIT_OK;
}
