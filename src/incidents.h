/* incidents.h: codes the incidents an article reports, ACLED-style: what happened (event type
 * and sub-type from per-language trigger lexicons), where (the attack site among the places of
 * the sentence, or the finest area the text supports), when (dates relative to publication),
 * who (actor aliases) and how many were killed. */
#ifndef INCMAP_INCIDENTS_H
#define INCMAP_INCIDENTS_H

#include "gazetteer.h"
#include "incmap.h"
#include "lexicon.h"
#include "resolver.h"
#include "tagger.h"
#include "text.h"

typedef struct {
    incmap_gazetteer *gz;
    const incmap_lexicon *lex;
    const char *lang;
    const char *text;             /* decoded UTF-8 text */
    const incmap_text *decoded;   /* for input offsets (incmap_text_input_offset) */
    const incmap_tokens *toks;    /* toks->sent[i].section is set */
    const incmap_mention *mentions; /* mentions[i] is places[i]: decoded offsets and tokens */
    const incmap_resolution *res;
    const incmap_place *places;
    size_t n_places;
    const char *published;        /* YYYY-MM-DD or "" */
    incmap_arena *arena;          /* every string of the incidents goes here */
} incmap_incident_input;

/* Fills *out (arena-allocated) with the incidents the article reports. */
incmap_status incmap_incidents_code(const incmap_incident_input *in, incmap_incident **out, size_t *n,
                                    incmap_error *err);

/* Labels each sentence body / headline / boilerplate (headline lists, navigation, bylines,
 * comment threads), so page furniture produces no incidents. */
void incmap_sections_classify(const incmap_lexicon *lex, const char *lang, const char *text, incmap_tokens *toks);

/* Looks for the publication date in the page text ("Publié le 15/07/2025", "date 2025-06").
 * Writes YYYY-MM-DD into out (a month-only date gets day 01) and returns 1 when found. */
int incmap_find_published(const incmap_lexicon *lex, const char *lang, const char *text, const incmap_tokens *toks,
                          char out[11]);

#endif
