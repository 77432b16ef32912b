/* cmd_geocode.c: incmap geocode: articles in, places (and incidents) out. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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
    "                       per line: JSON Lines) or geojson (one RFC 7946 FeatureCollection)\n"
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
    "  incmap geocode --format json --published 2025-07-15 a.txt b.txt > places.jsonl\n"
    "  curl -s URL | incmap geocode --format geojson - > places.geojson\n";

typedef enum { FMT_TEXT, FMT_JSON, FMT_GEOJSON } out_format;

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

static void add_geojson_features(cJSON *features, const incmap_doc *doc)
{
    for (size_t i = 0; i < doc->n_places; i++) {
        const incmap_place *p = &doc->places[i];
        if (!p->has_coords)
            continue;
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "type", "Feature");
        char id[64];
        snprintf(id, sizeof id, "%zu-%zu", p->start, p->end);
        cJSON_AddStringToObject(f, "id", id);
        cJSON *g = cJSON_AddObjectToObject(f, "geometry");
        cJSON_AddStringToObject(g, "type", "Point");
        cJSON *c = cJSON_AddArrayToObject(g, "coordinates");
        cJSON_AddItemToArray(c, cJSON_CreateNumber(round(p->lon * 1e6) / 1e6));
        cJSON_AddItemToArray(c, cJSON_CreateNumber(round(p->lat * 1e6) / 1e6));
        cJSON *props = cJSON_AddObjectToObject(f, "properties");
        cJSON_AddStringToObject(props, "source", doc->source);
        cJSON_AddStringToObject(props, "text", p->text);
        cJSON_AddNumberToObject(props, "start", (double)p->start);
        cJSON_AddNumberToObject(props, "end", (double)p->end);
        cJSON_AddBoolToObject(props, "resolved", p->resolved);
        if (p->resolved)
            cJSON_AddNumberToObject(props, "geonameid", (double)p->geonameid);
        else
            cJSON_AddNullToObject(props, "geonameid");
        cJSON_AddStringToObject(props, "name", p->name);
        cJSON_AddStringToObject(props, "feature_code", p->feature_code);
        cJSON_AddStringToObject(props, "country", p->country);
        cJSON_AddStringToObject(props, "admin1", p->admin1);
        cJSON_AddStringToObject(props, "admin2", p->admin2);
        cJSON_AddNumberToObject(props, "geo_precision", p->geo_precision);
        cJSON_AddNumberToObject(props, "score", round(p->score * 100) / 100);
        cJSON_AddStringToObject(props, "why", p->why);
        cJSON_AddStringToObject(props, "section", p->section);
        cJSON_AddItemToArray(features, f);
    }
}

int cmd_geocode(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                         {"gazetteer", required_argument, 0, 'g'},
                                         {"lang", required_argument, 0, 'l'},
                                         {"published", required_argument, 0, 'p'},
                                         {"pretty", no_argument, 0, 'P'},
                                         {"max-bytes", required_argument, 0, 'M'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    out_format fmt = FMT_TEXT;
    int pretty = 0;
    incmap_options o = incmap_default_options();
    incmap_article_info info = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:g:l:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "text"))
                fmt = FMT_TEXT;
            else if (!strcmp(optarg, "json"))
                fmt = FMT_JSON;
            else if (!strcmp(optarg, "geojson"))
                fmt = FMT_GEOJSON;
            else
                return cli_usage_error("geocode", "unknown format '%s' (text, json or geojson)", optarg);
            break;
        case 'g': o.gazetteer_path = optarg; break;
        case 'l':
            if (strcmp(optarg, "fr") && strcmp(optarg, "en") && strcmp(optarg, "es") && strcmp(optarg, "auto"))
                return cli_usage_error("geocode", "unknown language '%s' (fr, en, es or auto)", optarg);
            info.language = optarg;
            break;
        case 'p': info.published = optarg; break;
        case 'P': pretty = 1; break;
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
    char *stdin_only[] = {"-"};
    char **files = optind < argc ? argv + optind : stdin_only;
    int n_files = optind < argc ? argc - optind : 1;
    int failed = 0;
    cJSON *fc = NULL, *features = NULL;
    if (fmt == FMT_GEOJSON) {
        fc = cJSON_CreateObject();
        cJSON_AddStringToObject(fc, "type", "FeatureCollection");
        features = cJSON_AddArrayToObject(fc, "features");
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
        free(bytes);
        if (!doc) {
            if (err.code == INCMAP_ERR_USAGE) {
                cli_error("%s", err.message);
                incmap_ctx_destroy(ctx);
                cJSON_Delete(fc);
                return EXIT_USAGE;
            }
            cli_error("%s", err.message);
            failed++;
            continue;
        }
        if (fmt == FMT_TEXT) {
            print_text(doc);
        } else if (fmt == FMT_JSON) {
            char *s = incmap_doc_to_json(doc, pretty);
            if (s)
                printf("%s\n", s);
            free(s);
        } else {
            add_geojson_features(features, doc);
        }
        incmap_doc_destroy(doc);
        fflush(stdout);
    }
    if (fc) {
        char *s = pretty ? cJSON_Print(fc) : cJSON_PrintUnformatted(fc);
        if (s)
            printf("%s\n", s);
        free(s);
        cJSON_Delete(fc);
    }
    incmap_ctx_destroy(ctx);
    if (ferror(stdout) || fflush(stdout) != 0) {
        cli_error("cannot write the output (disk full or closed pipe?)");
        return EXIT_RUNTIME;
    }
    return failed ? EXIT_RUNTIME : EXIT_OK;
}
