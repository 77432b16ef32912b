/* cmd_gazetteer.c: incmap gazetteer build | lookup. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli.h"

static const char *HELP =
    "Usage: incmap gazetteer build -o FILE [--strict] [--quiet] SOURCES...\n"
    "       incmap gazetteer lookup NAME [--country CC] [--gazetteer FILE] [--format text|json]\n"
    "\n"
    "build   Imports GeoNames files into an SQLite gazetteer FILE and its name index FILE.idx.\n"
    "        Each SOURCE may be gzip-compressed (.gz). The kind is told by the file name:\n"
    "          admin1CodesASCII*, admin2Codes*   admin code names\n"
    "          countryInfo*                      countries\n"
    "          alternateNames*                   language-tagged names (alternateNamesV2.txt)\n"
    "          *.tsv                             our curated names: geonameid<TAB>lang<TAB>name\n"
    "          anything else                     19-column geoname dumps (XX.txt, cities500.txt,\n"
    "                                            allCountries.txt)\n"
    "        The same geonameid in several files: the newer modification date wins, then the file\n"
    "        named later. A malformed line is reported as FILE:LINE and skipped (--strict: the build\n"
    "        stops). The build writes temporary files and renames them: a failed build changes nothing.\n"
    "  -o, --output FILE   the gazetteer to write (required)\n"
    "      --strict        stop at the first malformed line (exit 1)\n"
    "  -q, --quiet         no per-line warnings, only the summary\n"
    "\n"
    "lookup  Lists the entries NAME matches after normalisation (case, accents, hyphens, apostrophes,\n"
    "        spacing, trailing numerals), most populous first: id, name, feature code, country,\n"
    "        admin1, lat, lon, population.\n"
    "  -c, --country CC    only entries in this country (ISO 3166-1 alpha-2)\n"
    "  -g, --gazetteer FILE  default: the bundled gazetteer beside the binary, or $INCMAP_GAZETTEER\n"
    "  -f, --format F      text (default) or json\n";

static int build(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"strict", no_argument, 0, 's'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    incmap_import_options io = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 's': io.strict = 1; break;
        case 'q': io.quiet = 1; break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: return cli_usage_error("gazetteer", "bad option");
        }
    }
    if (!out)
        return cli_usage_error("gazetteer", "gazetteer build needs -o FILE");
    if (optind >= argc)
        return cli_usage_error("gazetteer", "gazetteer build needs at least one GeoNames source file");
    /* Checked first: the build would write FILE.idx beside a directory before failing to rename
     * the database over it. */
    struct stat ost;
    if (stat(out, &ost) == 0 && S_ISDIR(ost.st_mode))
        return cli_usage_error("gazetteer", "-o %s is a directory: give a file name, such as %s/incmap-gazetteer.db",
                               out, out);
    incmap_import_stats st;
    incmap_error err = {0};
    incmap_status rc = incmap_gazetteer_build(out, (const char *const *)argv + optind, (size_t)(argc - optind), &io,
                                              &st, &err);
    if (rc != INCMAP_OK) {
        cli_error("%s", err.message);
        return rc == INCMAP_ERR_USAGE ? EXIT_USAGE : EXIT_RUNTIME;
    }
    fprintf(stderr,
            "incmap: built %s from %llu files in %.1f s: %llu place rows, %llu extra names, %llu admin codes, "
            "%llu countries; %llu malformed lines skipped (%.0f rows/s)\n",
            out, (unsigned long long)st.files, st.seconds, (unsigned long long)st.places,
            (unsigned long long)st.names, (unsigned long long)st.admin_codes, (unsigned long long)st.countries,
            (unsigned long long)st.skipped_malformed, st.seconds > 0 ? (double)st.rows_read / st.seconds : 0);
    return EXIT_OK;
}

static int lookup(int argc, char **argv)
{
    static const struct option opts[] = {{"country", required_argument, 0, 'c'},
                                         {"gazetteer", required_argument, 0, 'g'},
                                         {"format", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *country = NULL, *format = "text";
    incmap_options o = incmap_default_options();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:g:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': country = optarg; break;
        case 'g': o.gazetteer_path = optarg; break;
        case 'f': format = optarg; break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: return cli_usage_error("gazetteer", "bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("gazetteer", "gazetteer lookup takes one NAME (quote names with spaces)");
    if (strcmp(format, "text") && strcmp(format, "json"))
        return cli_usage_error("gazetteer", "unknown format '%s' (text or json)", format);
    if (country && strlen(country) != 2)
        return cli_usage_error("gazetteer", "--country takes a two-letter ISO code, not '%s'", country);
    incmap_error err = {0};
    incmap_ctx *ctx = incmap_ctx_new(&o, &err);
    if (!ctx) {
        cli_error("%s", err.message);
        return EXIT_RUNTIME;
    }
    incmap_candidate *cand = NULL;
    size_t n = 0;
    int rc = EXIT_OK;
    if (incmap_gazetteer_lookup(ctx, argv[optind], country, &cand, &n, &err) != INCMAP_OK) {
        cli_error("%s", err.message);
        rc = err.code == INCMAP_ERR_USAGE ? EXIT_USAGE : EXIT_RUNTIME;
    } else if (!strcmp(format, "json")) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "geonameid", (double)cand[i].geonameid);
            cJSON_AddStringToObject(x, "name", cand[i].name);
            cJSON_AddStringToObject(x, "feature_code", cand[i].feature_code);
            cJSON_AddStringToObject(x, "country", cand[i].country);
            cJSON_AddStringToObject(x, "admin1", cand[i].admin1);
            cJSON_AddNumberToObject(x, "lat", cand[i].lat);
            cJSON_AddNumberToObject(x, "lon", cand[i].lon);
            cJSON_AddNumberToObject(x, "population", (double)cand[i].population);
            cJSON_AddItemToArray(arr, x);
        }
        char *s = cJSON_PrintUnformatted(arr);
        printf("%s\n", s ? s : "[]");
        free(s);
        cJSON_Delete(arr);
    } else {
        printf("%-10s %-28s %-6s %-2s %-20s %10s %11s %10s\n", "ID", "NAME", "CODE", "CC", "ADMIN1", "LAT", "LON",
               "POP");
        for (size_t i = 0; i < n; i++)
        {
            printf("%-10lld ", (long long)cand[i].geonameid);
            cli_cell(cand[i].name, 28);
            printf("%-6s %-2s ", cand[i].feature_code, cand[i].country);
            cli_cell(cand[i].admin1, 20);
            printf("%10.5f %11.5f %10lld\n", cand[i].lat, cand[i].lon, (long long)cand[i].population);
        }
        if (!n)
            fprintf(stderr, "incmap: no entry named '%s'%s%s\n", argv[optind], country ? " in " : "",
                    country ? country : "");
    }
    free(cand);
    incmap_ctx_destroy(ctx);
    return rc;
}

int cmd_gazetteer(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("gazetteer", "gazetteer needs a subcommand: build or lookup");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(HELP, stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "build"))
        return build(argc - 1, argv + 1);
    if (!strcmp(argv[1], "lookup"))
        return lookup(argc - 1, argv + 1);
    return cli_usage_error("gazetteer", "no gazetteer subcommand '%s' (build or lookup)", argv[1]);
}
