/* context.h: the insides of incmap_ctx and incmap_doc, shared by the pipeline modules. */
#ifndef INCMAP_CONTEXT_H
#define INCMAP_CONTEXT_H

#include "gazetteer.h"
#include "incmap.h"
#include "lexicon.h"
#include "resolver.h"
#include "text.h"

struct incmap_ctx {
    incmap_options opt;
    incmap_gazetteer *gz;
    incmap_lexicon *lex;
    incmap_readings_cache *readings; /* NULL: the resolver keeps none */
};

struct incmap_doc_private {
    incmap_arena *arena;
    incmap_text text;
    incmap_tokens toks;
};

/* Finds the bundled gazetteer: $INCMAP_GAZETTEER, else incmap-gazetteer.db beside the running
 * binary, else ../share/incmap/ from it. Writes the path into buf. 0 when found. */
int incmap_default_gazetteer(char *buf, size_t n);

#endif
