/* incidents.c: one pass over the body sentences. Each sentence with a trigger phrase gives one
 * draft per site (what, where, when, who, how many); drafts about the same site and event are
 * merged into incidents. Language knowledge is in LANG/triggers.txt, actors.txt, casualties.txt,
 * site_cues.txt, not_site_cues.txt, claims.txt and the date lists (see dates.h). */
#include "incidents.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "phrase.h"

enum { MAX_ACTORS = 16, MAX_SITES = 8, MAX_FIGS = 16, MAX_DATES = 8, BACKGROUND_DAYS = 20 };
enum { K_GROUP, K_UAG, K_STATE, K_POLICE, K_CIV, K_PROT, K_RIOT };
enum { SITE_CUE_UNREAD = INT_MIN }; /* no cue is this low: site_cue has not read the place's yet */
/* The lists the sentence loops ask at every word, a bit each in coder.may. */
enum { MAY_COMMON_ACTOR = 1, MAY_ACTOR = 2, MAY_TRIGGER = 4, MAY_CASUALTY = 8, MAY_NUMBER = 16, MAY_CLAIM = 32 };

typedef struct {
    const char *name; /* canonical, with {C} still in it */
    int kind;
    size_t pos, end;  /* tokens */
    char cc[3];       /* country from a demonym next to it, "" when none */
    int agent;        /* after "par"/"by": the perpetrator of a passive sentence */
} actor;

typedef struct {
    int place;         /* index into places, -1 */
    int geo_precision;
    size_t tok_last;
    int inherited;     /* not named in the sentence: the place the paragraph is about */
} site;

typedef struct {
    long dead_v, dead_a; /* victims and attackers killed, -1 when not stated */
    long injured;
    int zero, vague;
} toll;

typedef struct {
    int place, inherited, geo_precision;
    int prio, generic;
    const char *etype, *stype;
    long days;
    int prec, own_date;
    const char *date_text;
    const char *actor1, *actor2;
    int unnamed; /* no perpetrator in the sentences, not even "des hommes armés" */
    toll t;
    int background;
    size_t sent;
    double confidence;
} draft;

typedef struct {
    const incmap_incident_input *in;
    incmap_date_scanner ds;
    size_t *sent_first, *sent_end;
    int *paragraph;
    /* the words of body sentence s where a phrase of some MAY_ list (or, MAY_NUMBER, a number)
     * may start, cand[cand_first[s] .. cand_first[s + 1]) in text order, and those lists,
     * cand_may[]: the words' marks read once for all the lists, and the sentence loops visit
     * only these, not every token (most words start nothing) */
    size_t *cand, *cand_first;
    unsigned char *cand_may;
    /* the places of sentence s: place_idx[place_first[s] .. place_first[s + 1]), in text order,
     * so that a sentence looks at its own places, not at every place of the article */
    size_t *place_first, *place_idx;
    /* the site cue of each place (site_cue), SITE_CUE_UNREAD until asked: find_sites and note_places
     * both need it, and it looks back over the words before the place in two lists */
    int *cue;
    draft *inc;
    size_t n_inc, cap_inc;
    long ctx_days;   /* the date of the event being narrated, -1 before the first one */
    int ctx_prec;
    int last_place;  /* the last site-like place of the body */
    int last_para;
    long last_inc;   /* the incident last created or merged into, -1 */
    draft *summary;  /* "deux attaques": drafts that count only if nothing more precise does */
    size_t n_summary, cap_summary;
    /* the one armed group the article's body names (NULL: none yet; "" several): the author of
     * the incidents it tells without naming one again ("le groupe", "the militants") */
    const char *sole_group;
    /* the word lists of the article's language, looked up once per article, not per token */
    struct {
        const incmap_wordlist
        *actors,
        *common_actors,
        *countries,
        *agent_markers,
        *article_before_one,
        *casualties,
        *claims,
        *demonyms,
        *nationalities,
        *not_site_cues,
        *numbers,
        *site_cues,
        *site_joiners,
        *trigger_context,
        *triggers;
    } lists;
} coder;


static int is_word(const coder *c, size_t i)
{
    return (c->in->toks->tok[i].flags & INCMAP_TOK_WORD) != 0;
}

/* ------------------------------------------------------------------ sentence layout */

static int blank_line_between(const char *text, size_t a, size_t b)
{
    int nl = 0;
    for (size_t i = a; i < b; i++) {
        if (text[i] == '\n')
            nl++;
        else if (text[i] != ' ' && text[i] != '\r' && text[i] != '\t')
            nl = nl ? 1 : 0;
        if (nl >= 2)
            return 1;
    }
    return 0;
}

/* Fills the sentences' token ranges and the candidates of the body sentences, in one pass over
 * the tokens (they come sentence by sentence). Most words start no key of the MAY_ lists, and one
 * test of the word's marks against the bits of all of them (the lists of one lexicon share the
 * marks) says so; for the others, the bits found name the lists. A list the marks do not record
 * may start anywhere. */
static void list_candidates(coder *c)
{
    const incmap_tokens *t = c->in->toks;
    const incmap_wordlist *lists[] = {c->lists.common_actors, c->lists.actors, c->lists.triggers,
                                      c->lists.casualties, c->lists.numbers, c->lists.claims};
    unsigned char always = 0; /* bits as enum MAY_: the lists asked at every word */
    uint64_t want[INCMAP_MARK_WORDS] = {0};
    unsigned char may_of[INCMAP_MARK_WORDS][64] = {{0}}; /* the MAY_ bits of a bit of the marks */
    const incmap_word_marks *words = NULL;
    for (int l = 0; l < (int)(sizeof lists / sizeof *lists); l++) {
        const incmap_wordlist_marks *m = (const incmap_wordlist_marks *)lists[l];
        if (incmap_wordlist_marked(lists[l], t) && (!words || m->words == words)) {
            words = m->words;
            want[m->word] |= 1ULL << m->bit;
            may_of[m->word][m->bit] |= (unsigned char)(1 << l);
        } else {
            always |= (unsigned char)(1 << l);
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < t->n;) {
        size_t s = (size_t)t->tok[i].sentence;
        /* only body sentences are coded */
        int body = t->sent[s].section == INCMAP_SECTION_BODY;
        c->sent_first[s] = i;
        for (; i < t->n && (size_t)t->tok[i].sentence == s; i++) {
            const incmap_token *k = &t->tok[i];
            if (!body || !(k->flags & INCMAP_TOK_WORD))
                continue;
            unsigned char may = always | (k->flags & INCMAP_TOK_NUM ? MAY_NUMBER : 0);
            for (int j = 0; words && j < INCMAP_MARK_WORDS; j++)
                for (uint64_t hit = words[k->lex_word].starts[j] & want[j]; hit; hit &= hit - 1)
                    may |= may_of[j][__builtin_ctzll(hit)];
            if (may) {
                c->cand[n] = i;
                c->cand_may[n++] = may;
            }
        }
        c->sent_end[s] = i;
        c->cand_first[s + 1] = n;
    }
}

static incmap_status layout(coder *c)
{
    const incmap_tokens *t = c->in->toks;
    size_t ns = t->n_sent ? t->n_sent : 1;
    c->sent_first = calloc(ns, sizeof *c->sent_first);
    c->sent_end = calloc(ns, sizeof *c->sent_end);
    c->paragraph = calloc(ns, sizeof *c->paragraph);
    c->cand = malloc((t->n ? t->n : 1) * sizeof *c->cand);
    c->cand_may = malloc(t->n ? t->n : 1);
    c->cand_first = calloc(ns + 1, sizeof *c->cand_first);
    if (!c->sent_first || !c->sent_end || !c->paragraph || !c->cand || !c->cand_may || !c->cand_first)
        return INCMAP_ERR_NOMEM;
    list_candidates(c);
    for (size_t s = 1; s < t->n_sent; s++)
        c->paragraph[s] = c->paragraph[s - 1] + blank_line_between(c->in->text, t->sent[s - 1].end, t->sent[s].start);
    size_t np = c->in->n_places;
    c->place_first = calloc(ns + 1, sizeof *c->place_first);
    c->place_idx = calloc(np ? np : 1, sizeof *c->place_idx);
    c->cue = malloc((np ? np : 1) * sizeof *c->cue);
    if (!c->place_first || !c->place_idx || !c->cue)
        return INCMAP_ERR_NOMEM;
    for (size_t p = 0; p < np; p++)
        c->cue[p] = SITE_CUE_UNREAD;
    for (size_t p = 0; p < np; p++) /* counting sort by sentence */
        if (c->in->places[p].sentence >= 0 && (size_t)c->in->places[p].sentence < ns)
            c->place_first[c->in->places[p].sentence + 1]++;
    for (size_t k = 0; k < ns; k++)
        c->place_first[k + 1] += c->place_first[k];
    size_t *cursor = calloc(ns, sizeof *cursor);
    if (!cursor)
        return INCMAP_ERR_NOMEM;
    for (size_t p = 0; p < np; p++) {
        int ps = c->in->places[p].sentence;
        if (ps >= 0 && (size_t)ps < ns)
            c->place_idx[c->place_first[ps] + cursor[ps]++] = p;
    }
    free(cursor);
    return INCMAP_OK;
}

/* ------------------------------------------------------------------ triggers */

/* How a trigger relates to the story, from the words before it (LANG/trigger_context.txt). */
typedef enum { CTX_NONE, CTX_ANAPHORIC, CTX_NEW, CTX_NEGATED, CTX_PLURAL, CTX_TREND } trigger_ctx;

typedef struct {
    int prio, generic;
    const char *etype, *stype;
    size_t pos;
    trigger_ctx ctx;
} trigger;

/* casualty: the trigger is a casualty word ("77 morts", "trois soldats tués"), where a count is the
 * toll, not a number of events. */
static trigger_ctx context_of(const coder *c, size_t pos, size_t first, int casualty)
{
    static const char *names[] = {"", "anaphoric", "new", "negated", "plural", "trend"};
    const incmap_wordlist *w = c->lists.trigger_context;
    const incmap_tokens *t = c->in->toks;
    trigger_ctx found = CTX_NONE;
    int words = 0;
    for (size_t i = pos; i-- > first && words < 3;) {
        if (t->tok[i].flags & INCMAP_TOK_NUM) {
            /* "Au moins 17 attaques": a count in figures says plural as the number words do */
            words++;
            if (!casualty && found == CTX_NONE && strtol(c->in->text + t->tok[i].start, NULL, 10) >= 2)
                found = CTX_PLURAL;
            continue;
        }
        if (!is_word(c, i)) {
            if (incmap_tok_is_joiner(c->in->text, t, i))
                continue;
            break; /* a comma or a parenthesis ends the phrase the trigger heads */
        }
        words++;
        const char *v = incmap_wordlist_get_tok(w, t, i);
        if (v && !strcmp(v, "stop"))
            break; /* "les combattants qui ont pris": the words before are the subject's */
        for (int k = 1; v && k < (int)(sizeof names / sizeof *names); k++)
            if (!strcmp(v, names[k]) && !(casualty && k == CTX_PLURAL)) {
                if (k == CTX_NEW)
                    return CTX_NEW;
                if (found == CTX_NONE)
                    found = (trigger_ctx)k;
            }
    }
    return found;
}

/* The strongest trigger of the sentence ("5|attack", "9|Explosions/Remote violence|Air/drone strike"). */
static int find_trigger(const coder *c, size_t s, trigger *tr)
{
    const incmap_wordlist *w = c->lists.triggers;
    size_t first = c->sent_first[s], end = c->sent_end[s];
    memset(tr, 0, sizeof *tr);
    tr->etype = tr->stype = "";
    int event = 0, weapon = 0; /* an event word seen; the best trigger is only a weapon */
    int plural = 0; /* an event word counted ("17 attaques"): the sentence sums events up */
    for (size_t k = c->cand_first[s], from = first; k < c->cand_first[s + 1]; k++) {
        size_t i = c->cand[k], nx;
        if (i < from || !(c->cand_may[k] & MAY_TRIGGER))
            continue;
        const char *v = incmap_phrase_at(w, c->in->text, c->in->toks, i, end, &nx);
        if (!v)
            continue;
        int prio = atoi(v);
        /* "drones" alone names a weapon: it types an event the sentence reports with another
         * word ("un drone a frappé"), but talk about drones is no event */
        const char *wpn = strstr(v, "|weapon");
        if (!wpn && strcmp(v + strcspn(v, "|"), "|none")) {
            event = 1;
            plural |= !strstr(v, "|death") && context_of(c, i, first, 0) == CTX_PLURAL;
        }
        const char *a = strchr(v, '|');
        if (prio > tr->prio && a) {
            tr->prio = prio;
            tr->pos = i;
            const char *b = strchr(a + 1, '|');
            tr->generic = !b;
            tr->etype = b ? incmap_arena_strndup(c->in->arena, a + 1, (size_t)(b - a - 1)) : a + 1;
            tr->stype = !b ? "" : wpn ? incmap_arena_strndup(c->in->arena, b + 1, (size_t)(wpn - b - 1)) : b + 1;
            weapon = wpn != NULL;
        }
        from = nx;
    }
    if (weapon && !event)
        tr->prio = 0;
    if (tr->prio > 0)
        tr->ctx = context_of(c, tr->pos, first, !strcmp(tr->etype, "death"));
    /* "Au moins 17 attaques drones (kamikaze, largage IED...)": whatever word names the kind,
     * a count of events makes the sentence a summary */
    if (tr->ctx == CTX_NONE && plural)
        tr->ctx = CTX_PLURAL;
    return tr->prio > 0 && strcmp(tr->etype, "none") != 0;
}

/* ------------------------------------------------------------------ actors */

static const char *demonym_at(const coder *c, size_t i, size_t end)
{
    size_t nx;
    if (i >= end)
        return NULL;
    const char *v = incmap_phrase_at(c->lists.demonyms, c->in->text, c->in->toks, i, end, &nx);
    return v ? v : incmap_phrase_at(c->lists.nationalities, c->in->text, c->in->toks, i, end, &nx);
}

static void actor_country(const coder *c, actor *a, size_t first, size_t end)
{
    const char *cc = demonym_at(c, a->end, end);
    if (!cc && a->end + 1 < end)
        cc = demonym_at(c, a->end + 1, end); /* "soldats togolais", "militaires des FAMa" */
    for (size_t k = a->pos; !cc && k > first && k + 2 > a->pos; k--)
        cc = demonym_at(c, k - 1, a->pos); /* "Nigerien soldiers", "Chinese nationals" */
    if (cc && strlen(cc) == 2) {
        a->cc[0] = cc[0];
        a->cc[1] = cc[1];
    }
}

static size_t find_actors(const coder *c, size_t s, actor *out)
{
    const incmap_wordlist *lists[2] = {c->lists.common_actors, c->lists.actors};
    const unsigned char bits[2] = {MAY_COMMON_ACTOR, MAY_ACTOR};
    size_t first = c->sent_first[s], end = c->sent_end[s];
    size_t n = 0;
    for (size_t q = c->cand_first[s], from = first; q < c->cand_first[s + 1] && n < MAX_ACTORS; q++) {
        size_t i = c->cand[q];
        if (i < from || !(c->cand_may[q] & (MAY_COMMON_ACTOR | MAY_ACTOR)))
            continue;
        size_t nx = 0, best_nx = 0;
        const char *best = NULL;
        for (int l = 0; l < 2; l++) {
            const char *v =
                c->cand_may[q] & bits[l] ? incmap_phrase_at(lists[l], c->in->text, c->in->toks, i, end, &nx) : NULL;
            if (v && nx > best_nx)
                best = v, best_nx = nx;
        }
        if (!best)
            continue;
        const char *bar = strrchr(best, '|');
        actor *a = &out[n++];
        memset(a, 0, sizeof *a);
        a->name = incmap_arena_strndup(c->in->arena, best, bar ? (size_t)(bar - best) : strlen(best));
        static const char *const kinds[] = {"group", "uag", "state", "police", "civ", "prot", "riot"};
        for (int k = 0; bar && k < 7; k++)
            if (!strcmp(bar + 1, kinds[k]))
                a->kind = k;
        a->pos = i;
        a->end = best_nx;
        size_t f;
        a->agent = incmap_phrase_before(c->lists.agent_markers, c->in->text, c->in->toks, i, first, &f) != NULL;
        actor_country(c, a, first, end);
        from = best_nx;
    }
    return n;
}

/* Fills {C} with the country's English name (common/countries.txt). */
static const char *actor_name(const coder *c, const actor *a, const char *site_cc)
{
    const char *p = strstr(a->name, "{C}");
    if (!p)
        return a->name;
    char code[3] = {0};
    const char *cc = a->cc[0] ? a->cc : site_cc;
    if (!cc || !*cc)
        return NULL;
    code[0] = (char)(cc[0] | 0x20);
    code[1] = (char)(cc[1] | 0x20);
    const char *country = incmap_wordlist_get(c->lists.countries, code, 2);
    if (!country)
        country = cc;
    /* the name around {C}, put together without printf: every incident's actors come here */
    size_t head = (size_t)(p - a->name), nc = strlen(country), tail = strlen(p + 3);
    char *s = incmap_arena_alloc(c->in->arena, head + nc + tail + 1);
    if (s) {
        memcpy(s, a->name, head);
        memcpy(s + head, country, nc);
        memcpy(s + head + nc, p + 3, tail + 1);
    }
    return s;
}

static int armed(int kind)
{
    return kind == K_GROUP || kind == K_UAG || kind == K_STATE || kind == K_POLICE;
}

static int state_kind(int kind)
{
    return kind == K_STATE || kind == K_POLICE;
}

static const actor *first_of(const actor *a, size_t n, int (*pred)(int), const actor *not_this)
{
    for (size_t i = 0; i < n; i++)
        if (pred(a[i].kind) && &a[i] != not_this)
            return &a[i];
    return NULL;
}

static int is_group(int k) { return k == K_GROUP; }
static int is_uag(int k) { return k == K_UAG; }
static int is_civ(int k) { return k == K_CIV; }
static int is_prot(int k) { return k == K_PROT; }
static int is_riot(int k) { return k == K_RIOT; }

/* The perpetrator: the agent of a passive sentence, else a named armed group, else a state
 * force acting against civilians or in an air strike, else unidentified gunmen. */
static const actor *perpetrator(const actor *a, size_t n, const trigger *tr)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].agent && armed(a[i].kind))
            return &a[i];
    const actor *g = first_of(a, n, is_group, NULL);
    const actor *st = first_of(a, n, state_kind, NULL);
    if (st && (!strcmp(tr->stype, "Government regains territory") || !strcmp(tr->stype, "Arrests")))
        return st;
    if (g)
        return g;
    if (st && st->pos < tr->pos && (first_of(a, n, is_civ, NULL) || !strcmp(tr->stype, "Air/drone strike")))
        return st;
    return first_of(a, n, is_uag, NULL);
}

/* ------------------------------------------------------------------ casualties */

typedef struct {
    size_t pos;
    long value;
    int used;
    int article; /* "un"/"une" right after "d'"/"de": more likely an article than a count */
} number;

static size_t find_numbers(const coder *c, size_t s, const incmap_date_hit *dh, size_t nd, number *out)
{
    const incmap_tokens *t = c->in->toks;
    size_t first = c->sent_first[s], end = c->sent_end[s];
    size_t n = 0;
    for (size_t k = c->cand_first[s], from = first; k < c->cand_first[s + 1] && n < MAX_FIGS; k++) {
        long v;
        size_t i = c->cand[k], nx;
        /* a number opens with digits or a word of the numbers list (MAY_NUMBER): most words are
         * asked no further */
        if (i < from || !(c->cand_may[k] & MAY_NUMBER))
            continue;
        int in_date = 0;
        for (size_t d = 0; d < nd; d++)
            in_date |= i >= dh[d].tok_first && i < dh[d].tok_end;
        if (!in_date && incmap_number_at(c->lists.numbers, c->in->text, t, i, end, &v, &nx)) {
            size_t f;
            int article = v == 1 && !(t->tok[i].flags & INCMAP_TOK_NUM) && i > first &&
                          incmap_phrase_before(c->lists.article_before_one, c->in->text, t, i, first, &f);
            out[n++] = (number){i, v, 0, article};
            from = nx;
        }
    }
    return n;
}

typedef struct {
    size_t pos; /* of the number */
    long value;
    int injured, side;
} figure;

/* Is there an attackers' word ("assaillants") within two words after the number? */
static int attackers_word(const coder *c, size_t pos, size_t end)
{
    const incmap_wordlist *w = c->lists.casualties;
    for (size_t i = pos + 1; i < end && i <= pos + 3; i++) {
        size_t nx;
        const char *v = incmap_phrase_at(w, c->in->text, c->in->toks, i, end, &nx);
        if (v && !strcmp(v, "side"))
            return 1;
    }
    return 0;
}

/* Pairs each death or injury word with the nearest free number before it (or just after it:
 * "tuant onze civils"), so "douze soldats tués et une dizaine blessés" gives 12 dead, 10 hurt. */
static size_t find_figures(const coder *c, size_t s, number *nums, size_t nn, figure *out, int *zero,
                           int *vague)
{
    const incmap_wordlist *w = c->lists.casualties;
    size_t first = c->sent_first[s], end = c->sent_end[s];
    size_t n = 0, prev_cue = first;
    *zero = *vague = 0;
    for (size_t q = c->cand_first[s], from = first; q < c->cand_first[s + 1] && n < MAX_FIGS; q++) {
        size_t i = c->cand[q], nx;
        if (i < from || !(c->cand_may[q] & MAY_CASUALTY))
            continue;
        const char *v = incmap_phrase_at(w, c->in->text, c->in->toks, i, end, &nx);
        if (!v)
            continue;
        if (!strcmp(v, "zero")) {
            *zero = 1;
        } else if (!strcmp(v, "vague")) {
            *vague = 1;
        } else if (!strncmp(v, "dead", 4) || !strcmp(v, "injured")) {
            number *best = NULL;
            for (size_t k = 0; k < nn; k++) {
                number *m = &nums[k];
                if (m->used)
                    continue;
                /* "un"/"une" far from the cue is an article ("a mené une offensive ..., tuant cinq
                 * soldats"); as a count it stands next to its noun ("un soldat a été tué") */
                int far_one = m->value == 1 && !(c->in->toks->tok[m->pos].flags & INCMAP_TOK_NUM) && i - m->pos > 3;
                if (far_one && m->pos < i)
                    continue;
                if (m->pos < i && m->pos >= prev_cue && i - m->pos <= 10 && !(best && m->article))
                    best = m; /* the nearest before, unless it reads as an article ("Trois passagers d'un
                               * véhicule ont été tués") */
                else if (!best && m->pos >= nx && m->pos <= nx + 3)
                    best = m;
            }
            if (best) {
                best->used = 1;
                out[n++] = (figure){best->pos, best->value, v[0] == 'i',
                                    strstr(v, "side") != NULL || attackers_word(c, best->pos, end)};
            }
            prev_cue = nx;
        }
        from = nx;
    }
    return n;
}

/* The toll of one site: the figures between the previous site and this one (a single site takes
 * them all); a number left bare after an earlier figure ("41 tués à Kayes, 23 à Nioro") repeats
 * its kind. */
static toll site_toll(const figure *f, size_t nf, const number *nums, size_t nn, size_t lo, size_t hi, int zero,
                      int vague)
{
    toll t = {-1, -1, -1, zero, vague};
    for (size_t k = 0; k < nf; k++) {
        if (f[k].pos < lo || f[k].pos > hi)
            continue;
        long *slot = f[k].injured ? &t.injured : f[k].side ? &t.dead_a : &t.dead_v;
        *slot = (*slot < 0 ? 0 : *slot) + f[k].value;
    }
    if (t.dead_v < 0 && t.dead_a < 0 && nf > 0 && !f[0].injured && lo > 0)
        for (size_t k = 0; k < nn; k++)
            if (!nums[k].used && nums[k].pos >= lo && nums[k].pos <= hi)
                *(f[0].side ? &t.dead_a : &t.dead_v) = nums[k].value;
    return t;
}

/* ------------------------------------------------------------------ sites */

/* 1 a town or village, 2 a district, 3 a region, 4 a country or continent. */
static int place_level(const coder *c, int p)
{
    const incmap_place *pl = &c->in->places[p];
    const char *fc = pl->feature_code;
    if (!pl->resolved)
        return c->in->mentions[p].cue == CUE_ADM1 ? 3 : 1;
    if (!strncmp(fc, "PCL", 3) || !strcmp(fc, "CONT") || !strcmp(fc, "RGN"))
        return 4;
    if (!strcmp(fc, "ADM1"))
        return 3;
    if (!strncmp(fc, "ADM", 3))
        return 2;
    return 1;
}

/* The geo_precision a cue before the place implies (1 "à", 2 "près de"), 0 when none; -1 when
 * a cue says it is not the site ("évacués vers"). */
static int read_site_cue(const coder *c, int p, size_t first)
{
    size_t f, at = c->in->mentions[p].tok_first;
    if (incmap_phrase_before(c->lists.not_site_cues, c->in->text, c->in->toks, at, first, &f))
        return -1;
    /* "Bamako n'a pas réagi", "Kyiv a démenti": a capital opening the sentence as its subject
     * is the government speaking, not a place where something happened */
    const incmap_place *pl = &c->in->places[p];
    size_t after = c->in->mentions[p].tok_last + 1;
    if (at == first && pl->resolved && !strcmp(pl->feature_code, "PPLC") && after < c->in->toks->n &&
        c->in->toks->tok[after].sentence == c->in->toks->tok[at].sentence && is_word(c, after))
        return -1;
    const char *v = incmap_phrase_before(c->lists.site_cues, c->in->text, c->in->toks, at, first, &f);
    return v ? atoi(v) : 0;
}

/* read_site_cue of place p, whose sentence starts at token first, read once. */
static int site_cue(coder *c, int p, size_t first)
{
    if (c->cue[p] == SITE_CUE_UNREAD)
        c->cue[p] = read_site_cue(c, p, first);
    return c->cue[p];
}

static int same_place(const coder *c, int a, int b)
{
    const incmap_place *x = &c->in->places[a], *y = &c->in->places[b];
    return a == b || (x->resolved && x->geonameid == y->geonameid) || !strcmp(x->text, y->text);
}

/* Are two mentions parts of one list of sites ("de Sirakorola et de Tanabougou", "à Kayes, 23 à
 * Nioro")? Only joiner words, numbers and commas may separate them. */
static int joined(const coder *c, int a, int b)
{
    const incmap_tokens *t = c->in->toks;
    size_t from = c->in->mentions[a].tok_last + 1, to = c->in->mentions[b].tok_first;
    if (to < from || to - from > 5)
        return 0;
    for (size_t i = from; i < to;) {
        size_t nx;
        const char *v = incmap_phrase_at(c->lists.site_joiners, c->in->text, t, i, to, &nx);
        if (v) {
            i = nx;
            continue;
        }
        if ((t->tok[i].flags & INCMAP_TOK_NUM) || (t->tok[i].flags & INCMAP_TOK_PUNCT && c->in->text[t->tok[i].start] == ',') ||
            incmap_tok_is_joiner(c->in->text, t, i)) {
            i++;
            continue;
        }
        return 0;
    }
    return 1;
}

static int between_before(const coder *c, int p, size_t first)
{
    size_t f;
    const char *v = incmap_phrase_before(c->lists.site_joiners, c->in->text, c->in->toks,
                                         c->in->mentions[p].tok_first, first, &f);
    return v && !strcmp(v, "between");
}

/* "Cotonou – Le gouvernement...", "NIAMEY, Sept 19 — ...": the dateline names where the story
 * was filed, not where anything happened. */
static int is_dateline(const coder *c, int p, size_t first)
{
    const incmap_tokens *t = c->in->toks;
    const incmap_mention *m = &c->in->mentions[p];
    if (m->tok_first != first)
        return 0;
    for (size_t i = m->tok_last + 1, n = 0; i < t->n && n < 6; i++, n++) {
        const char *x = c->in->text + t->tok[i].start;
        size_t len = t->tok[i].end - t->tok[i].start;
        if (!(t->tok[i].flags & INCMAP_TOK_PUNCT))
            continue; /* "Sept 19" */
        if ((len == 3 && (!memcmp(x, "\xE2\x80\x93", 3) || !memcmp(x, "\xE2\x80\x94", 3))) || (len == 1 && *x == '-'))
            return 1;
        if (!(len == 1 && *x == ','))
            return 0;
    }
    return 0;
}

/* "Diafarabé, dans le cercle de Ténenkou": the cercle only says where Diafarabé lies (the
 * resolver reads it so too); the site is the place before it. */
static int is_container(const coder *c, int p)
{
    const incmap_tokens *t = c->in->toks;
    if (p == 0)
        return 0;
    const incmap_mention *a = &c->in->mentions[p - 1], *b = &c->in->mentions[p];
    size_t gap = a->tok_last + 1;
    if ((b->cue != CUE_ADM1 && b->cue != CUE_ADM2 && b->cue != CUE_ADM3) || gap >= t->n ||
        b->tok_first <= gap || b->tok_first - gap > 8 || t->tok[b->tok_first].sentence != t->tok[a->tok_last].sentence ||
        !(t->tok[gap].flags & INCMAP_TOK_PUNCT))
        return 0;
    char ch = c->in->text[t->tok[gap].start];
    return ch == ',' || ch == '(';
}

/* The sites of a sentence: the best-cued place of the finest level, plus the places listed with
 * it. Hospitals, origins and places inside actor names are skipped. */
static size_t find_sites(coder *c, size_t s, size_t first, const trigger *tr, site *out)
{
    int cand[32], cue[32];
    size_t nc = 0;
    int best_level = 5, prev = -1, prev_cue = 0;
    for (size_t k = c->place_first[s]; k < c->place_first[s + 1] && nc < 32; k++) {
        size_t p = c->place_idx[k];
        int cu = site_cue(c, (int)p, first);
        /* "près des frontières avec le Sénégal et la Mauritanie": the cue governs the list */
        if (!cu && prev >= 0 && prev_cue < 0 && joined(c, prev, (int)p))
            cu = -1;
        prev = (int)p;
        prev_cue = cu;
        if (cu < 0 || is_dateline(c, (int)p, first) || is_container(c, (int)p))
            continue;
        int lv = place_level(c, (int)p);
        if (lv < best_level)
            best_level = lv, nc = 0;
        if (lv == best_level)
            cand[nc] = (int)p, cue[nc++] = cu;
    }
    if (!nc)
        return 0;
    size_t best = 0;
    long best_score = -1000000;
    int ends = 0; /* in a "between X and Y" / "reliant X à Y": the ends of a road, not the site */
    for (size_t k = 0; k < nc; k++) {
        ends = between_before(c, cand[k], first) || (k > 0 && ends && joined(c, cand[k - 1], cand[k]));
        long d = (long)c->in->mentions[cand[k]].tok_first - (long)tr->pos;
        long score = (cue[k] ? 100 : 0) - (d < 0 ? -d : d) - (ends ? 1000 : 0);
        if (score > best_score)
            best_score = score, best = k;
    }
    size_t lo = best, hi = best;
    while (lo > 0 && joined(c, cand[lo - 1], cand[lo]))
        lo--;
    while (hi + 1 < nc && joined(c, cand[hi], cand[hi + 1]))
        hi++;
    if (best_level > 1 || between_before(c, cand[lo], first))
        lo = hi = best;
    size_t n = 0;
    for (size_t k = lo; k <= hi && n < MAX_SITES; k++) {
        int dup = 0;
        for (size_t j = 0; j < n; j++)
            dup |= same_place(c, out[j].place, cand[k]);
        if (dup)
            continue;
        int gp = c->in->places[cand[k]].geo_precision;
        gp = gp < 1 ? 1 : gp;
        if (cue[k] == 2 && gp < 2)
            gp = 2;
        if (best_level >= 3)
            gp = 3;
        else if (best_level == 2 && gp < 2)
            gp = 2;
        out[n++] = (site){cand[k], gp, c->in->mentions[cand[k]].tok_last, 0};
    }
    return n;
}

/* Remembers the last town-level place of a body sentence: the site of later sentences that
 * continue the story without naming it ("la localité"). */
static void note_places(coder *c, size_t s, size_t first)
{
    if (c->paragraph[s] != c->last_para)
        c->last_para = c->paragraph[s];
    for (size_t k = c->place_first[s]; k < c->place_first[s + 1]; k++) {
        size_t p = c->place_idx[k];
        if (place_level(c, (int)p) == 1 && site_cue(c, (int)p, first) >= 0 && !is_container(c, (int)p))
            c->last_place = (int)p;
    }
}

/* ------------------------------------------------------------------ dates */

/* The date of the sentence's event: the expression nearest the trigger; none: the date of the
 * event being narrated, else the publication date. */
static void sentence_date(coder *c, const incmap_date_hit *h, size_t nh, const trigger *tr, draft *d)
{
    const incmap_date_hit *best = NULL;
    long best_dist = 0;
    for (size_t k = 0; k < nh; k++) {
        long a = (long)h[k].tok_first - (long)tr->pos, b = (long)tr->pos - (long)h[k].tok_end;
        long dist = a > 0 ? a : b > 0 ? b : 0;
        if (!best || dist < best_dist)
            best = &h[k], best_dist = dist;
    }
    d->own_date = best != NULL;
    d->date_text = "";
    if (best && best->is_context && c->ctx_days < 0)
        best = NULL, d->own_date = 0;
    if (best) {
        const incmap_tokens *t = c->in->toks;
        size_t a = t->tok[best->tok_first].start, b = t->tok[best->tok_end - 1].end;
        d->date_text = incmap_arena_strndup(c->in->arena, c->in->text + a, b - a);
        d->days = best->is_context ? c->ctx_days + best->context_offset : best->days;
        d->prec = best->is_context ? c->ctx_prec : best->precision;
    } else if (c->ctx_days >= 0) {
        d->days = c->ctx_days;
        d->prec = c->ctx_prec;
    } else {
        d->days = c->ds.published;
        d->prec = c->ds.published >= 0 ? 1 : 0;
    }
}

/* ------------------------------------------------------------------ drafts and merging */

static void resolve_type_and_actors(const coder *c, const trigger *tr, const actor *a, size_t na,
                                    const char *cc, draft *d)
{
    d->etype = tr->etype;
    d->stype = tr->stype;
    d->actor1 = d->actor2 = "";
    if (!strcmp(d->etype, "Protests") || !strcmp(d->etype, "Riots")) {
        int riot = !strcmp(d->etype, "Riots");
        const actor *p = first_of(a, na, riot ? is_riot : is_prot, NULL);
        const actor *police = first_of(a, na, state_kind, NULL);
        actor tmp = {riot ? "Rioters ({C})" : "Protesters ({C})", 0, 0, 0, {0}, 0};
        if (p)
            memcpy(tmp.cc, p->cc, 3);
        /* no country from the actors or the site: ACLED's name without it */
        const char *n1 = actor_name(c, &tmp, cc);
        d->actor1 = n1 ? n1 : riot ? "Rioters" : "Protesters";
        const char *n2 = riot && police ? actor_name(c, police, cc) : NULL;
        d->actor2 = n2 ? n2 : "";
        return;
    }
    const actor *p1 = perpetrator(a, na, tr);
    const actor *p2 = NULL;
    if (p1 && state_kind(p1->kind))
        p2 = first_of(a, na, is_group, p1) ? first_of(a, na, is_group, p1) : first_of(a, na, is_civ, p1);
    else
        p2 = first_of(a, na, state_kind, p1) ? first_of(a, na, state_kind, p1) : first_of(a, na, is_civ, p1);
    if (tr->generic) {
        int military_target = p2 && state_kind(p2->kind);
        d->etype = military_target || (!p2 && p1 && state_kind(p1->kind)) ? "Battles" : "Violence against civilians";
        d->stype = !strcmp(d->etype, "Battles") ? "Armed clash" : "Attack";
    }
    if (p1 && state_kind(p1->kind) && !p2 && !strcmp(d->etype, "Battles") && strcmp(d->stype, "Government regains territory"))
        p2 = p1, p1 = NULL; /* soldiers killed by someone unnamed */
    const char *n1 = p1 ? actor_name(c, p1, cc) : NULL;
    d->actor1 = n1 ? n1 : "Unidentified Armed Group";
    d->unnamed = !p1;
    for (size_t k = 0; k < na && d->unnamed; k++)
        d->unnamed = a[k].kind != K_UAG;
    const char *n2 = p2 ? actor_name(c, p2, cc) : NULL;
    if (!n2 && !strcmp(d->etype, "Violence against civilians") && cc && *cc) {
        actor civ = {"Civilians ({C})", K_CIV, 0, 0, {0}, 0};
        n2 = actor_name(c, &civ, cc);
    }
    d->actor2 = n2 && strcmp(n2, d->actor1) ? n2 : "";
}

static long min_stated(long a, long b)
{
    return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static int compatible(const draft *e, const draft *d)
{
    if (d->generic || e->generic || !strcmp(e->etype, d->etype))
        return !(e->own_date && d->own_date && e->days != d->days);
    return 0;
}

static void merge_into(draft *e, const draft *d)
{
    /* The stronger trigger names the event: "stormed a base" then "they burned the barracks"
     * stays a clash; "killed" then "a drone strike" becomes the strike. */
    if (d->prio > e->prio || (e->generic && !d->generic && d->prio >= e->prio)) {
        e->etype = d->etype, e->stype = d->stype, e->generic = d->generic;
    }
    e->prio = e->prio > d->prio ? e->prio : d->prio;
    if (!e->own_date && d->own_date) {
        e->days = d->days, e->prec = d->prec, e->date_text = d->date_text, e->own_date = 1;
        e->background = d->background;
    }
    e->t.dead_v = min_stated(e->t.dead_v, d->t.dead_v);
    e->t.dead_a = min_stated(e->t.dead_a, d->t.dead_a);
    e->t.injured = min_stated(e->t.injured, d->t.injured);
    e->t.zero |= d->t.zero;
    e->t.vague |= d->t.vague;
    if (!strcmp(e->actor1, "Unidentified Armed Group") && *d->actor1 && strcmp(d->actor1, e->actor2))
        e->actor1 = d->actor1;
    e->unnamed = e->unnamed && d->unnamed;
    if (!*e->actor2 && strcmp(d->actor2, e->actor1))
        e->actor2 = d->actor2;
    if (e->inherited && !d->inherited)
        e->place = d->place, e->geo_precision = d->geo_precision, e->inherited = 0;
}

static int same_site(const coder *c, const draft *a, const draft *b)
{
    return a->place >= 0 && b->place >= 0 && same_place(c, a->place, b->place);
}

static incmap_status add_draft(coder *c, const draft *d)
{
    for (size_t i = c->n_inc; i-- > 0;) {
        draft *e = &c->inc[i];
        int near = d->inherited && (long)i == c->last_inc && c->paragraph[d->sent] - c->paragraph[e->sent] <= 1;
        if ((same_site(c, e, d) || near) && compatible(e, d)) {
            merge_into(e, d);
            c->last_inc = (long)i;
            return INCMAP_OK;
        }
    }
    if (incmap_grow(&c->inc, &c->cap_inc, c->n_inc + 1, sizeof *c->inc))
        return INCMAP_ERR_NOMEM;
    c->inc[c->n_inc] = *d;
    c->last_inc = (long)c->n_inc++;
    return INCMAP_OK;
}

static incmap_status add_summary(coder *c, const draft *d)
{
    if (incmap_grow(&c->summary, &c->cap_summary, c->n_summary + 1, sizeof *c->summary))
        return INCMAP_ERR_NOMEM;
    c->summary[c->n_summary++] = *d;
    return INCMAP_OK;
}

/* After the last sentence: summaries count when no separate report of their kind exists, and
 * an incident without a site ("Dakar – La gendarmerie a interpellé quatre hommes") joins the
 * compatible incident that has one. */
static incmap_status settle(coder *c)
{
    for (size_t i = 0; i < c->n_summary; i++) {
        /* a count over weeks or years ("17 attaques depuis 2023") is a statistic, not events */
        int reported = !c->summary[i].own_date || c->summary[i].prec > 1;
        for (size_t j = 0; j < c->n_inc && !reported; j++)
            reported = !strcmp(c->inc[j].etype, c->summary[i].etype) || c->summary[i].generic;
        if (!reported) {
            incmap_status st = add_draft(c, &c->summary[i]);
            if (st != INCMAP_OK)
                return st;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < c->n_inc; i++) {
        draft *e = &c->inc[i];
        size_t host = (size_t)-1;
        for (size_t j = 0; e->place < 0 && j < c->n_inc && host == (size_t)-1; j++)
            if (j != i && c->inc[j].place >= 0 && compatible(&c->inc[j], e))
                host = j;
        if (host != (size_t)-1)
            merge_into(&c->inc[host], e);
        else
            c->inc[k++] = *e;
    }
    c->n_inc = k;
    for (size_t i = 0; c->sole_group && *c->sole_group && i < c->n_inc; i++) {
        draft *e = &c->inc[i];
        if (e->unnamed && !strcmp(e->actor1, "Unidentified Armed Group") && strcmp(e->actor2, c->sole_group) &&
            (!strcmp(e->etype, "Battles") || !strcmp(e->etype, "Explosions/Remote violence") ||
             !strcmp(e->etype, "Violence against civilians")))
            e->actor1 = c->sole_group;
    }
    return INCMAP_OK;
}

/* "L'attaque a été revendiquée par le JNIM": the named group becomes the perpetrator of the
 * recent incidents that had none. */
static void apply_claim(coder *c, size_t s, const actor *a, size_t na)
{
    const incmap_wordlist *w = c->lists.claims;
    const actor *g = first_of(a, na, is_group, NULL);
    if (!g)
        return; /* no group to credit: the sentence need not be read (most sentences) */
    int claim = 0, neg = 0;
    for (size_t k = c->cand_first[s]; k < c->cand_first[s + 1]; k++) {
        size_t nx;
        if (!(c->cand_may[k] & MAY_CLAIM))
            continue;
        const char *v = incmap_phrase_at(w, c->in->text, c->in->toks, c->cand[k], c->sent_end[s], &nx);
        if (v)
            claim |= !strcmp(v, "claim"), neg |= !strcmp(v, "neg");
    }
    if (!claim || neg)
        return;
    for (size_t i = 0; i < c->n_inc; i++) {
        draft *e = &c->inc[i];
        if (e->sent + 3 >= s && e->sent <= s && !strcmp(e->actor1, "Unidentified Armed Group"))
            e->actor1 = g->name;
    }
}

/* ------------------------------------------------------------------ one sentence */

static const char *site_country(const coder *c, const site *st)
{
    if (st->place >= 0 && *c->in->places[st->place].country)
        return c->in->places[st->place].country;
    return "";
}

/* The date expressions of the sentence that stand in brackets, "(avril 2015)", distinct days. */
static size_t bracketed_dates(const coder *c, const incmap_date_hit *dh, size_t nd, incmap_date_hit *out)
{
    const incmap_tokens *t = c->in->toks;
    size_t n = 0;
    for (size_t k = 0; k < nd; k++) {
        size_t a = dh[k].tok_first, b = dh[k].tok_end;
        if (a == 0 || b >= t->n || !(t->tok[a - 1].flags & INCMAP_TOK_PUNCT) || !(t->tok[b].flags & INCMAP_TOK_PUNCT) ||
            c->in->text[t->tok[a - 1].start] != '(' || c->in->text[t->tok[b].start] != ')' || dh[k].is_context)
            continue;
        int seen = 0;
        for (size_t j = 0; j < n; j++)
            seen |= out[j].days == dh[k].days;
        if (!seen)
            out[n++] = dh[k];
    }
    return n;
}

static incmap_status code_sentence(coder *c, size_t s)
{
    size_t first = c->sent_first[s], end = c->sent_end[s];
    actor a[MAX_ACTORS];
    size_t na = find_actors(c, s, a);
    for (size_t k = 0; k < na; k++)
        if (a[k].kind == K_GROUP)
            c->sole_group = !c->sole_group || !strcmp(c->sole_group, a[k].name) ? a[k].name : "";
    trigger tr;
    /* "Aucune attaque n'a été enregistrée", "la recrudescence des attaques": no event. */
    if (!find_trigger(c, s, &tr) || tr.ctx == CTX_NEGATED || tr.ctx == CTX_TREND) {
        apply_claim(c, s, a, na);
        note_places(c, s, first);
        return INCMAP_OK;
    }
    incmap_date_hit dh[MAX_DATES];
    size_t nd = incmap_dates_scan(&c->ds, first, end, dh, MAX_DATES);
    number nums[MAX_FIGS];
    size_t nn = find_numbers(c, s, dh, nd, nums);
    figure figs[MAX_FIGS];
    int zero, vague;
    size_t nf = find_figures(c, s, nums, nn, figs, &zero, &vague);

    site sites[MAX_SITES];
    size_t ns = find_sites(c, s, first, &tr, sites);
    int town = 0; /* the sentence names a town-level site of its own */
    for (size_t k = 0; k < ns; k++)
        town |= place_level(c, sites[k].place) == 1 && !between_before(c, sites[k].place, first);
    /* "L'attaque, attribuée au JNIM, intervient alors que le sud du Mali...": an event already
     * reported, told again without a new site, adds to it rather than making another. */
    int retold = tr.ctx == CTX_ANAPHORIC && c->last_inc >= 0 && !town;
    /* "la mort de 54 soldats dans deux attaques": a summary; it stands for its events only if
     * the article reports none of them separately (decided at the end). */
    int summary = tr.ctx == CTX_PLURAL && !town;
    /* "La JNIM mène une guerre aérienne au Sahel à l'aide de drones": a trigger with no date, no
     * toll and no town is talk about the conflict, not a report of an event. It may still add
     * to the event being told. */
    int weak = !town && !nd && !nf && !zero;
    if (retold)
        ns = 0;
    if (!ns) {
        int p = c->last_place;
        if (p < 0 && c->last_inc >= 0)
            p = c->inc[c->last_inc].place;
        sites[0] = (site){p, p >= 0 ? (c->in->places[p].geo_precision > 1 ? c->in->places[p].geo_precision : 1) : 0,
                          end, 1};
        ns = 1;
    }
    /* "les attentats du restaurant La Terrasse (avril 2015), de l'hôtel Radisson Blu (novembre
     * 2015) et l'attaque contre l'hôtel Nord-Sud (mars 2016)": events listed each with its date
     * in brackets, at one site: one incident each */
    incmap_date_hit listed[MAX_DATES];
    size_t nl = ns == 1 ? bracketed_dates(c, dh, nd, listed) : 0;
    draft d0;
    for (size_t v = 0; v < (nl >= 2 ? nl : 1); v++) {
        memset(&d0, 0, sizeof d0);
        d0.sent = s;
        d0.prio = tr.prio;
        d0.generic = tr.generic;
        sentence_date(c, nl >= 2 ? &listed[v] : dh, nl >= 2 ? 1 : nd, &tr, &d0);
        for (size_t k = 0; k < nd; k++)
            d0.background |= dh[k].precision == 3 && !dh[k].has_year && dh[k].days < c->ds.published - 300;
        if (c->ds.published >= 0 && d0.days < c->ds.published - BACKGROUND_DAYS)
            d0.background = 1;
        for (size_t k = 0; k < ns; k++) {
            draft d = d0;
            d.place = sites[k].place;
            d.inherited = sites[k].inherited;
            d.geo_precision = sites[k].geo_precision;
            size_t lo = k ? sites[k - 1].tok_last + 1 : first;
            size_t hi = ns > 1 && k + 1 < ns ? sites[k].tok_last : end;
            if (ns > 1 && k + 1 == ns)
                hi = sites[k].tok_last;
            d.t = site_toll(figs, nf, nums, nn, ns > 1 ? lo : first, hi, zero, vague);
            resolve_type_and_actors(c, &tr, a, na, site_country(c, &sites[k]), &d);
            d.confidence = 0.4 + (d.inherited ? 0 : 0.2) + (d.own_date ? 0.15 : 0) + (tr.prio >= 5 ? 0.15 : 0);
            /* told again: the latest incident it fits ("L'attaque de mardi" after a paragraph on
             * 2022); talk: only the incident being told */
            long host = -1;
            for (long j = c->last_inc; retold && j >= 0 && host < 0; j--)
                if (compatible(&c->inc[j], &d))
                    host = j;
            if (weak && !summary && host < 0 && c->last_inc >= 0 && compatible(&c->inc[c->last_inc], &d))
                host = c->last_inc;
            if (host >= 0) {
                merge_into(&c->inc[host], &d);
                continue;
            }
            /* told again but fitting none (another date, say): still an event already reported,
             * whose details the sentence got wrong or we did, not a new one */
            if (weak || retold)
                continue;
            incmap_status st = summary ? add_summary(c, &d) : add_draft(c, &d);
            if (st != INCMAP_OK)
                return st;
        }
    }
    if (d0.own_date && !d0.background) {
        c->ctx_days = d0.days;
        c->ctx_prec = d0.prec;
    }
    apply_claim(c, s, a, na);
    note_places(c, s, first);
    return INCMAP_OK;
}

/* ------------------------------------------------------------------ output */

static long total_dead(const toll *t, int *stated)
{
    *stated = t->dead_v >= 0 || t->dead_a >= 0 || t->zero || t->vague;
    if (t->dead_v < 0 && t->dead_a < 0)
        return t->vague && !t->zero ? 3 : 0;
    return (t->dead_v > 0 ? t->dead_v : 0) + (t->dead_a > 0 ? t->dead_a : 0);
}

static void fill_incident(const coder *c, const draft *d, incmap_incident *o)
{
    const incmap_incident_input *in = c->in;
    if (d->prec > 0)
        incmap_days_format(d->days, o->event_date);
    o->time_precision = d->prec;
    o->date_text = d->date_text ? d->date_text : "";
    o->event_type = d->etype;
    o->sub_event_type = d->stype;
    o->actor1 = d->actor1;
    o->actor2 = d->actor2;
    o->fatalities = (int)total_dead(&d->t, &o->fatalities_stated);
    o->injured = (int)d->t.injured;
    o->place = d->place;
    o->location = o->country = o->admin1 = "";
    if (d->place >= 0) {
        const incmap_place *p = &in->places[d->place];
        o->location = p->text;
        o->has_coords = p->has_coords;
        o->lat = p->lat;
        o->lon = p->lon;
        o->country = p->country;
        o->admin1 = p->admin1;
        o->geo_precision = d->geo_precision;
    }
    o->background = d->background;
    o->confidence = d->confidence > 0.95 ? 0.95 : d->confidence;
    const incmap_span *sp = &in->toks->sent[d->sent];
    o->evidence_start = incmap_text_input_offset(in->decoded, sp->start);
    o->evidence_end = incmap_text_input_offset(in->decoded, sp->end);
    o->evidence = incmap_arena_strndup(in->arena, in->text + sp->start, sp->end - sp->start);
}

static void coder_free(coder *c)
{
    free(c->sent_first);
    free(c->sent_end);
    free(c->paragraph);
    free(c->cand);
    free(c->cand_may);
    free(c->cand_first);
    free(c->place_first);
    free(c->place_idx);
    free(c->cue);
    free(c->inc);
    free(c->summary);
}

incmap_status incmap_incidents_code(const incmap_incident_input *in, incmap_incident **out, size_t *n,
                                    incmap_error *err)
{
    coder c = {0};
    c.in = in;
    c.lists.actors = incmap_lexicon_list(in->lex, in->lang, "actors");
    c.lists.common_actors = incmap_lexicon_list(in->lex, "common", "actors");
    c.lists.countries = incmap_lexicon_list(in->lex, "common", "countries");
    c.lists.agent_markers = incmap_lexicon_list(in->lex, in->lang, "agent_markers");
    c.lists.article_before_one = incmap_lexicon_list(in->lex, in->lang, "article_before_one");
    c.lists.casualties = incmap_lexicon_list(in->lex, in->lang, "casualties");
    c.lists.claims = incmap_lexicon_list(in->lex, in->lang, "claims");
    c.lists.demonyms = incmap_lexicon_list(in->lex, in->lang, "demonyms");
    c.lists.nationalities = incmap_lexicon_list(in->lex, in->lang, "nationalities");
    c.lists.not_site_cues = incmap_lexicon_list(in->lex, in->lang, "not_site_cues");
    c.lists.numbers = incmap_lexicon_list(in->lex, in->lang, "numbers");
    c.lists.site_cues = incmap_lexicon_list(in->lex, in->lang, "site_cues");
    c.lists.site_joiners = incmap_lexicon_list(in->lex, in->lang, "site_joiners");
    c.lists.trigger_context = incmap_lexicon_list(in->lex, in->lang, "trigger_context");
    c.lists.triggers = incmap_lexicon_list(in->lex, in->lang, "triggers");
    c.ds = incmap_date_scanner_make(in->lex, in->lang, in->text, in->toks, incmap_days_parse(in->published));
    c.ctx_days = -1;
    c.last_place = -1;
    c.last_inc = -1;
    *out = NULL;
    *n = 0;
    incmap_status st = layout(&c);
    for (size_t s = 0; st == INCMAP_OK && s < in->toks->n_sent; s++)
        if (in->toks->sent[s].section == INCMAP_SECTION_BODY)
            st = code_sentence(&c, s);
    if (st == INCMAP_OK)
        st = settle(&c);
    if (st == INCMAP_OK) {
        *out = incmap_arena_alloc(in->arena, (c.n_inc ? c.n_inc : 1) * sizeof **out);
        if (!*out)
            st = INCMAP_ERR_NOMEM;
    }
    for (size_t i = 0; st == INCMAP_OK && i < c.n_inc; i++)
        fill_incident(&c, &c.inc[i], &(*out)[i]);
    if (st == INCMAP_OK)
        *n = c.n_inc;
    coder_free(&c);
    return st == INCMAP_OK ? INCMAP_OK : incmap_fail(err, st, "incident coding: out of memory");
}
