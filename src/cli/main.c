/* main.c: incmap's entry point: dispatches to the subcommands. */
#include <stdarg.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>

#include "cli.h"

static const char *HELP =
    "incmap " INCMAP_VERSION ": find the places and incidents news articles report, and map them.\n"
    "\n"
    "Usage: incmap COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Commands:\n"
    "  geocode [FILE...|-]       places (and incidents) of articles, as text, JSON Lines or GeoJSON\n"
    "  gazetteer build -o FILE SOURCES...\n"
    "                            import GeoNames files into an SQLite gazetteer with a name index\n"
    "  gazetteer lookup NAME     list the gazetteer entries a name matches\n"
    "  update INPUT...           code new and changed articles into the incident store (merging\n"
    "                            reports of the same incident) and rewrite the layers; for cron\n"
    "  export                    rewrite the layers from the store (--since, --bbox, --country)\n"
    "  help [COMMAND]            this text, or a command's help\n"
    "  version                   the version\n"
    "\n"
    "Run 'incmap COMMAND --help' for a command's options.\n"
    "Exit status: 0 success, 1 a runtime error (an input could not be processed), 2 a usage error.\n"
    "Place data: GeoNames (geonames.org), CC BY 4.0.\n";

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("incmap: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("incmap: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'incmap %s --help'.\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

/* An article's working memory (tokens, mentions, candidates: megabytes for a long one) is freed
 * when the next begins. With glibc's defaults, blocks that large are mapped afresh and the top of
 * the heap handed back each time, so every article paid for zeroed pages again: a tenth of the
 * time on 1 MB articles. The memory is kept for the next article instead. */
static void keep_freed_memory(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's ceiling for it on 64-bit */
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

int main(int argc, char **argv)
{
    keep_freed_memory();
    if (argc < 2) {
        fputs(HELP, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "geocode"))
        return cmd_geocode(argc - 1, argv + 1);
    if (!strcmp(cmd, "gazetteer"))
        return cmd_gazetteer(argc - 1, argv + 1);
    if (!strcmp(cmd, "update"))
        return cmd_update(argc - 1, argv + 1);
    if (!strcmp(cmd, "export"))
        return cmd_export(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("incmap %s\n", INCMAP_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        if (argc > 2) {
            char *sub[] = {argv[2], "--help", NULL};
            if (!strcmp(argv[2], "geocode"))
                return cmd_geocode(2, sub);
            if (!strcmp(argv[2], "gazetteer"))
                return cmd_gazetteer(2, sub);
            if (!strcmp(argv[2], "update"))
                return cmd_update(2, sub);
            if (!strcmp(argv[2], "export"))
                return cmd_export(2, sub);
            return cli_usage_error("help", "no command '%s'", argv[2]);
        }
        fputs(HELP, stdout);
        return EXIT_OK;
    }
    cli_error("no command '%s'", cmd);
    fputs("Run 'incmap help' for the list of commands.\n", stderr);
    return EXIT_USAGE;
}

void cli_cell(const char *s, int width)
{
    int n = 0;
    const char *p = s;
    /* count code points: every byte that does not continue a UTF-8 sequence */
    for (; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && n++ == width)
            break;
    }
    if (n > width)
        n = width;
    fwrite(s, 1, (size_t)(p - s), stdout);
    printf("%*s ", width - n, "");
}
