/* incidents.c: incident coding. Placeholder until the incident-coding issue lands: no incidents
 * yet, and only the simplest section rules. */
#include "incidents.h"

#include <string.h>

incmap_status incmap_incidents_code(const incmap_incident_input *in, incmap_incident **out, size_t *n,
                                    incmap_error *err)
{
    (void)in;
    (void)err;
    *out = NULL;
    *n = 0;
    return INCMAP_OK;
}

void incmap_sections_classify(const incmap_lexicon *lex, const char *lang, const char *text, incmap_tokens *toks)
{
    (void)lex;
    (void)lang;
    (void)text;
    (void)toks;
}

int incmap_find_published(const incmap_lexicon *lex, const char *lang, const char *text, const incmap_tokens *toks,
                          char out[11])
{
    (void)lex;
    (void)lang;
    (void)text;
    (void)toks;
    out[0] = 0;
    return 0;
}
