/* cli.h: the incmap command line. Thin: parsing, help texts, output formats and exit codes;
 * everything a library user would also need lives in libincmap. */
#ifndef INCMAP_CLI_H
#define INCMAP_CLI_H

#include <stdio.h>

#include "incmap.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

int cmd_geocode(int argc, char **argv);
int cmd_gazetteer(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* --wait SECONDS (update, export): a number of seconds, or -1 for no limit. 0 when valid. */
int cli_parse_wait(const char *s, double *out);

/* "incmap: " + message on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the message, then a pointer to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints s in a table column of width characters (not bytes: "Ségou" is 5), cut or padded,
 * then one space. */
void cli_cell(const char *s, int width);

#endif
