/* tagger.h: finds toponym mentions in tokens: the longest run of words whose normalised form
 * is a name in the gazetteer index, minus people, organisations and common words (all from the
 * lexicon), plus places the gazetteer lacks when a cue announces them ("le village de X"). */
#ifndef INCMAP_TAGGER_H
#define INCMAP_TAGGER_H

#include "gazetteer.h"
#include "lexicon.h"
#include "text.h"

/* What the words before a mention say about it ("la région de" -> an ADM1). */
typedef enum { CUE_NONE = 0, CUE_ADM1, CUE_ADM2, CUE_ADM3, CUE_PPL, CUE_COUNTRY } incmap_cue;

typedef struct {
    size_t tok_first, tok_last;          /* word tokens, inclusive */
    size_t start, end;                   /* byte offsets in the decoded text */
    const incmap_gz_posting *posts;      /* the index entries the name matched (borrowed) */
    size_t n_posts;
    int fuzzy;                           /* matched by spelling variant only */
    int unknown;                         /* not in the gazetteer: 1 announced by a cue ("le village
                                          * de X"), 2 only after a locative word ("à X") */
    incmap_cue cue;
    int lowercase_elsewhere;             /* a one-word name the text also writes in lower case */
    char country_hint[3];                /* "(Mali)" right after the mention: ISO code, or "" */
} incmap_mention;

typedef struct {
    incmap_mention *v;
    size_t n, cap;
} incmap_mentions;

typedef struct {
    const incmap_gazetteer *gz;
    const incmap_lexicon *lex;
    const char *lang;
} incmap_tagger;

/* Appends the mentions of text/tokens to out. */
incmap_status incmap_tagger_scan(const incmap_tagger *tg, const char *text, const incmap_tokens *toks,
                                 incmap_mentions *out);

/* Guesses the language from function words: one of the lexicon's languages, "fr" by default. */
const char *incmap_detect_language(const incmap_lexicon *lex, const incmap_tokens *toks);


#endif
