/* tagger.c: toponym mentions from tokens. */
#include "tagger.h"

#include <stdlib.h>
#include <string.h>

#include "phrase.h"

#define MAX_NAME_WORDS 8

static int is_word(const incmap_tokens *t, size_t i)
{
    return i < t->n && (t->tok[i].flags & INCMAP_TOK_WORD);
}

/* Two words belong to one name when only a space, a hyphen or an apostrophe separates them. */
static int joined(const char *text, const incmap_tokens *t, size_t a, size_t b)
{
    if (t->tok[a].sentence != t->tok[b].sentence)
        return 0;
    const unsigned char *p = (const unsigned char *)text + t->tok[a].end;
    const unsigned char *e = (const unsigned char *)text + t->tok[b].start;
    if (e - p > 4 || e == p)
        return 0;
    int spaces = 0;
    while (p < e) {
        if (*p == ' ') {
            spaces++;
            p++;
        } else if (*p == '-' || *p == '\'') {
            p++;
        } else if (e - p >= 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x99 || p[2] == 0x90 || p[2] == 0x91)) {
            p += 3; /* ’ ‐ ‑ */
        } else {
            return 0;
        }
    }
    return spaces <= 1;
}

/* The next word token after i in the same name (skipping hyphen and apostrophe tokens). */
static size_t next_word(const char *text, const incmap_tokens *t, size_t i)
{
    for (size_t j = i + 1; j < t->n && j <= i + 3; j++) {
        if (is_word(t, j))
            return joined(text, t, i, j) ? j : (size_t)-1;
    }
    return (size_t)-1;
}

/* The word k words before token i in the same sentence, or -1. */
static size_t word_before(const incmap_tokens *t, size_t i, int k)
{
    for (size_t j = i; j-- > 0;) {
        if (t->tok[j].sentence != t->tok[i].sentence)
            return (size_t)-1;
        if (is_word(t, j) && --k == 0)
            return j;
    }
    return (size_t)-1;
}

/* The value of the lexicon phrase that starts right after token last in its sentence, or NULL:
 * English puts the cue after the name ("the Gao region"). */
static const char *phrase_after(const char *text, const incmap_tokens *t, size_t last, const incmap_wordlist *w)
{
    size_t end = last + 1;
    while (end < t->n && end - last < 8 && t->tok[end].sentence == t->tok[last].sentence)
        end++;
    size_t next;
    return last + 1 < end ? incmap_phrase_at(w, text, t, last + 1, end, &next) : NULL;
}

static incmap_cue cue_of(const char *v)
{
    if (!v)
        return CUE_NONE;
    if (!strcmp(v, "ADM1"))
        return CUE_ADM1;
    if (!strcmp(v, "ADM2"))
        return CUE_ADM2;
    if (!strcmp(v, "ADM3"))
        return CUE_ADM3;
    if (!strcmp(v, "PPL"))
        return CUE_PPL;
    if (!strcmp(v, "COUNTRY"))
        return CUE_COUNTRY;
    return CUE_NONE;
}

/* Longest run of words from token i that a list (organisations, people) contains; returns the
 * last token of the run or -1. It runs at every capitalised word: the word's mark rules out
 * nearly all of them before any key is built, and the run stops where no key goes on. */
static size_t list_match(const char *text, const incmap_tokens *t, size_t i, incmap_buf *key,
                         const incmap_wordlist *w)
{
    if (!incmap_wordlist_may_start(w, t, i))
        return (size_t)-1;
    int max = incmap_wordlist_max_words(w);
    size_t best = (size_t)-1;
    size_t j = i;
    uint64_t h = incmap_hash_start(0);
    incmap_buf_clear(key);
    for (int n = 0; n < max && j != (size_t)-1; n++) {
        size_t from = key->len;
        if (key->len)
            incmap_buf_putc(key, ' ');
        incmap_buf_append(key, incmap_tok_norm(t, j), t->tok[j].norm_len);
        h = incmap_hash_update(h, key->s + from, key->len - from);
        int longer;
        if (incmap_wordlist_find_hashed(w, key->s, key->len, incmap_hash_finish(h), &longer))
            best = j;
        if (!longer)
            break;
        j = next_word(text, t, j);
    }
    return best;
}

typedef struct {
    const incmap_tagger *tg;
    const char *text;
    const incmap_tokens *t;
    const incmap_wordlist *stop, *titles, *given, *persons, *orgs, *cues, *unknown_cues, *particles, *demonyms, *nationalities, *numbers, *locatives, *venues, *cues_after, *username_after;
    /* surnames of people seen so far ("Zuma" after "Jacob Zuma"), as token norms */
    const char **people;
    size_t n_people, cap_people;
    /* where phrases before token begin_of may start (phrase_before), found once for the lists
     * asked about the same word; begin_of -1: none yet */
    size_t begin_of, begin;
} scan;

/* The value of the lexicon phrase that ends just before token i in its sentence, or NULL. */
static const char *phrase_before(scan *s, size_t i, const incmap_wordlist *w)
{
    const incmap_tokens *t = s->t;
    if (s->begin_of != i) {
        size_t begin = i;
        while (begin > 0 && i - begin < 16 && t->tok[begin - 1].sentence == t->tok[i].sentence)
            begin--;
        s->begin_of = i;
        s->begin = begin;
    }
    size_t first;
    return incmap_phrase_before(w, s->text, t, i, s->begin, &first);
}

static int is_person_word(const scan *s, size_t i)
{
    const char *norm = incmap_tok_norm(s->t, i);
    size_t len = s->t->tok[i].norm_len;
    if (incmap_wordlist_get_tok(s->persons, s->t, i))
        return 1;
    for (size_t k = 0; k < s->n_people; k++)
        if (strlen(s->people[k]) == len && memcmp(s->people[k], norm, len) == 0)
            return 1;
    return 0;
}

static int is_cap(const incmap_tokens *t, size_t i)
{
    return is_word(t, i) && (t->tok[i].flags & INCMAP_TOK_CAP);
}

/* Surnames remembered per article: far more people than an article names, and a bound on the
 * linear search of is_person_word, which every capitalised word goes through. */
#define MAX_PEOPLE 256

/* Token i is a person's surname: later mentions of the word alone are the person too. */
static void remember_person(scan *s, size_t i)
{
    const incmap_tokens *t = s->t;
    for (size_t k = 0; k < s->n_people; k++)
        if (strlen(s->people[k]) == t->tok[i].norm_len && !memcmp(s->people[k], incmap_tok_norm(t, i), t->tok[i].norm_len))
            return; /* known already */
    if (s->n_people >= MAX_PEOPLE)
        return;
    char *surname = malloc(t->tok[i].norm_len + 1);
    if (surname && !incmap_grow(&s->people, &s->cap_people, s->n_people + 1, sizeof *s->people)) {
        memcpy(surname, incmap_tok_norm(t, i), t->tok[i].norm_len);
        surname[t->tok[i].norm_len] = 0;
        s->people[s->n_people++] = surname;
    } else {
        free(surname); /* out of memory: the surname is merely not remembered */
    }
}

/* Skips spaces, including the no-break spaces French puts before a colon. */
static const char *skip_spaces(const char *p)
{
    for (;;) {
        if (*p == ' ')
            p++;
        else if (!strncmp(p, "\xC2\xA0", 2))
            p += 2;
        else if (!strncmp(p, "\xE2\x80\xAF", 3))
            p += 3;
        else
            return p;
    }
}

/* "Cañizares : « ... »": a name followed by a colon and a quotation is the speaker. The text is
 * NUL-terminated. */
static int speaker_at(const char *text, const incmap_tokens *t, size_t last)
{
    const char *p = skip_spaces(text + t->tok[last].end);
    if (*p != ':')
        return 0;
    p = skip_spaces(p + 1);
    return *p == '"' || !strncmp(p, "\xC2\xAB", 2) || !strncmp(p, "\xE2\x80\x9C", 3);
}

/* A country, a first-level region or a capital among the mention's readings: "Algérie : « ... »"
 * is a headline about the country, not a quote of someone named Algérie. */
static int names_major_place(const incmap_gazetteer *gz, const incmap_mention *m)
{
    for (size_t k = 0; k < m->n_posts; k++) {
        const incmap_gz_record *r = incmap_gazetteer_record(gz, m->posts[k].record);
        if (r && (!strncmp(r->fcode, "PCL", 3) || !strcmp(r->fcode, "ADM1") || !strcmp(r->fcode, "PPLC") ||
                  !strcmp(r->fcode, "PPLA")))
            return 1;
    }
    return 0;
}

/* Comment threads put the commenter's name and "il y a 3 semaines" on one line or two: is the
 * phrase after token last, across white space only, in the list? */
static int username_before(const char *text, const incmap_tokens *t, size_t last, const incmap_wordlist *w)
{
    size_t j = last + 1;
    if (j >= t->n || !is_word(t, j))
        return 0;
    for (size_t k = t->tok[last].end; k < t->tok[j].start; k++)
        if (text[k] != ' ' && text[k] != '\n' && text[k] != '\r' && text[k] != '\t')
            return 0;
    size_t next;
    return incmap_phrase_at(w, text, t, j, j + 8 < t->n ? j + 8 : t->n, &next) != NULL;
}

/* Is token last followed, with nothing in between, by an apostrophe and more letters that are
 * not the English possessive? */
static int part_of_longer_word(const char *text, const incmap_tokens *t, size_t last)
{
    size_t a = last + 1, w = last + 2;
    if (w >= t->n || t->tok[a].start != t->tok[last].end || t->tok[w].start != t->tok[a].end ||
        !incmap_tok_is_joiner(text, t, a) || text[t->tok[a].start] == '-' || !is_word(t, w))
        return 0;
    return !(t->tok[w].norm_len == 1 && incmap_tok_norm(t, w)[0] == 's');
}

/* A country among the mention's readings: Spanish writes the adjective "malí" and the
 * country "Malí" alike, but only the country is capitalised. */
static int names_country(const incmap_gazetteer *gz, const incmap_mention *m)
{
    for (size_t k = 0; k < m->n_posts; k++) {
        const incmap_gz_record *r = incmap_gazetteer_record(gz, m->posts[k].record);
        if (r && !strncmp(r->fcode, "PCL", 3))
            return 1;
    }
    return 0;
}

/* A person: a title or a given name followed by capitalised words. Returns the last token of
 * the person's name, or -1, and remembers the surname for later mentions. */
static size_t person_at(scan *s, size_t i)
{
    const incmap_tokens *t = s->t;
    int titled = phrase_before(s, i, s->titles) != NULL;
    int given = incmap_wordlist_get_tok(s->given, t, i) != NULL;
    size_t j = i, last = (size_t)-1;
    if (!titled && !given)
        return (size_t)-1;
    /* the name runs over capitalised words (and particles such as "de", "al", "ag") */
    for (int n = 0; n < 5 && j != (size_t)-1; n++) {
        if (is_cap(t, j))
            last = j;
        else if (!incmap_wordlist_get_tok(s->particles, t, j))
            break;
        j = next_word(s->text, t, j);
    }
    if (last == (size_t)-1 || (given && !titled && last == i))
        return given && !titled ? (size_t)-1 : last; /* a given name alone is not enough */
    remember_person(s, last);
    return last;
}

/* The slot of x (not 0) in the open-addressing table h of mask + 1 slots: where it is, or the
 * empty slot where it would go. */
static size_t hash_slot(const uint64_t *h, size_t mask, uint64_t x)
{
    size_t j = x & mask;
    while (h[j] && h[j] != x)
        j = (j + 1) & mask;
    return j;
}

/* Sets lowercase_elsewhere of the one-word mentions among v[0..n): the article also writes the
 * word in lower case, so it is a common word at the start of a sentence or in a title. Done
 * once all mentions are found, by one pass over the lower-case words against a small table of
 * the mentions' words (the hashes of their keys the tokens carry), which stays in the cache
 * however long the article: a few dozen words are asked about, among thousands. */
static int mark_lowercase_elsewhere(const incmap_tokens *t, incmap_mention *v, size_t n)
{
    size_t singles = 0;
    for (size_t k = 0; k < n; k++)
        singles += v[k].tok_first == v[k].tok_last;
    if (!singles)
        return 0;
    size_t size = 16;
    while (size < singles * 2)
        size *= 2;
    uint64_t *h = calloc(size, sizeof *h);
    unsigned char *lower = calloc(size, 1);
    if (!h || !lower) {
        free(h);
        free(lower);
        return -1;
    }
    const size_t mask = size - 1;
    for (size_t k = 0; k < n; k++) {
        uint64_t x = t->tok[v[k].tok_first].hash;
        if (v[k].tok_first == v[k].tok_last && x)
            h[hash_slot(h, mask, x)] = x;
    }
    for (size_t i = 0; i < t->n; i++) {
        uint64_t x = t->tok[i].hash;
        if (!is_word(t, i) || (t->tok[i].flags & (INCMAP_TOK_CAP | INCMAP_TOK_NUM)) || !x)
            continue;
        size_t j = hash_slot(h, mask, x);
        if (h[j])
            lower[j] = 1;
    }
    for (size_t k = 0; k < n; k++) {
        uint64_t x = t->tok[v[k].tok_first].hash;
        if (v[k].tok_first == v[k].tok_last && x)
            v[k].lowercase_elsewhere = lower[hash_slot(h, mask, x)];
    }
    free(h);
    free(lower);
    return 0;
}

/* A capitalised word, not at a sentence start, that is neither a known name nor a common word. */
static int unknown_cap(const scan *s, size_t j)
{
    const incmap_tokens *t = s->t;
    if (j == (size_t)-1 || !is_cap(t, j) || (t->tok[j].flags & (INCMAP_TOK_SENT_START | INCMAP_TOK_UPPER)))
        return 0;
    const char *norm = incmap_tok_norm(t, j);
    size_t len = t->tok[j].norm_len;
    if (len < 3 || incmap_wordlist_get_tok(s->stop, t, j) || incmap_wordlist_get_tok(s->orgs, t, j))
        return 0;
    const incmap_gz_posting *p;
    size_t n;
    int longer;
    return !incmap_gazetteer_probe_hashed(s->tg->gz, norm, len, t->tok[j].hash, &p, &n, &longer);
}

static int unknown_cap_before(const scan *s, size_t i)
{
    size_t prev = word_before(s->t, i, 1);
    return prev != (size_t)-1 && next_word(s->text, s->t, prev) == i && unknown_cap(s, prev);
}

static int push_mention(incmap_mentions *out, const incmap_mention *m)
{
    if (incmap_grow(&out->v, &out->cap, out->n + 1, sizeof *out->v))
        return -1;
    out->v[out->n++] = *m;
    return 0;
}

/* "(Mali)" right after a mention: copies the country's ISO code into cc. */
static void country_after(const scan *s, size_t last, char cc[3])
{
    const incmap_tokens *t = s->t;
    size_t j = last + 1;
    cc[0] = 0;
    if (j + 2 >= t->n || (t->tok[j].flags & INCMAP_TOK_PUNCT) == 0 || s->text[t->tok[j].start] != '(')
        return;
    size_t w = j + 1;
    if (!is_cap(t, w))
        return;
    const incmap_gz_posting *p;
    size_t n;
    int longer;
    if (!incmap_gazetteer_probe(s->tg->gz, incmap_tok_norm(t, w), t->tok[w].norm_len, 0, &p, &n, &longer))
        return;
    for (size_t k = 0; k < n; k++) {
        const incmap_gz_record *r = incmap_gazetteer_record(s->tg->gz, p[k].record);
        if (r && strncmp(r->fcode, "PCL", 3) == 0 && r->cc[0]) {
            memcpy(cc, r->cc, 2);
            cc[2] = 0;
            return;
        }
    }
}

/* Fuzzy look-up of the capitalised run starting at i: the skeleton table, checked by edit
 * distance against the indexed spelling. */
static size_t fuzzy_match(const scan *s, size_t i, const incmap_gz_posting **posts, size_t *n_posts)
{
    const incmap_tokens *t = s->t;
    size_t ends[3];
    int n = 0;
    for (size_t j = i; j != (size_t)-1 && n < 3 && is_cap(t, j); j = next_word(s->text, t, j))
        ends[n++] = j;
    incmap_buf sq = {0};
    size_t found = (size_t)-1;
    for (int m = n; m >= 1 && found == (size_t)-1; m--) {
        incmap_buf_clear(&sq);
        for (size_t j = i;; j = next_word(s->text, t, j)) {
            incmap_buf_append(&sq, incmap_tok_norm(t, j), t->tok[j].norm_len);
            if (j == ends[m - 1])
                break;
        }
        if (incmap_gazetteer_probe_spelling(s->tg->gz, sq.s, sq.len, posts, n_posts))
            found = ends[m - 1];
    }
    incmap_buf_free(&sq);
    return found;
}

incmap_status incmap_tagger_scan(const incmap_tagger *tg, const char *text, const incmap_tokens *t,
                                 incmap_mentions *out)
{
    const incmap_lexicon *lex = tg->lex;
    scan s = {.tg = tg, .text = text, .t = t,
              .stop = incmap_lexicon_list(lex, tg->lang, "stopwords"),
              .titles = incmap_lexicon_list(lex, tg->lang, "titles"),
              .given = incmap_lexicon_list(lex, "common", "given_names"),
              .persons = incmap_lexicon_list(lex, "common", "persons"),
              .orgs = incmap_lexicon_list(lex, "common", "organisations"),
              .cues = incmap_lexicon_list(lex, tg->lang, "cues"),
              .unknown_cues = incmap_lexicon_list(lex, tg->lang, "unknown_place_cues"),
              .particles = incmap_lexicon_list(lex, "common", "name_particles"),
              .locatives = incmap_lexicon_list(lex, tg->lang, "locative_cues"),
              .venues = incmap_lexicon_list(lex, tg->lang, "venue_cues"),
              .cues_after = incmap_lexicon_list(lex, tg->lang, "cues_after"),
              .username_after = incmap_lexicon_list(lex, tg->lang, "username_after"),
              .demonyms = incmap_lexicon_list(lex, tg->lang, "demonyms"),
              .nationalities = incmap_lexicon_list(lex, tg->lang, "nationalities"),
              .numbers = incmap_lexicon_list(lex, tg->lang, "numbers"),
              .begin_of = (size_t)-1};
    incmap_status rc = INCMAP_OK;
    incmap_buf key = {0};
    size_t first_mention = out->n;

    /* The capitalised run last walked to its end (every word token between the two is in it):
     * a run of a million capitalised words is walked once, not once per name found in it. */
    size_t run_from = (size_t)-1, run_to = (size_t)-1;
    for (size_t i = 0; i < t->n; i++) {
        if (!is_cap(t, i))
            continue;
        size_t skip = list_match(text, t, i, &key, s.orgs);
        if (skip != (size_t)-1) {
            i = skip;
            continue;
        }
        if ((skip = person_at(&s, i)) != (size_t)-1) {
            i = skip;
            continue;
        }
        /* "le restaurant La Terrasse", "l'hôtel Radisson Blu": a venue's name, not a place. */
        if (phrase_before(&s, i, s.venues)) {
            while (i + 1 < t->n && next_word(text, t, i) != (size_t)-1 && is_cap(t, next_word(text, t, i)))
                i = next_word(text, t, i);
            continue;
        }
        size_t nlen = t->tok[i].norm_len;
        incmap_mention m = {0};
        size_t best = (size_t)-1;
        if (phrase_before(&s, i, s.unknown_cues) && !incmap_wordlist_get_tok(s.stop, t, i)) {
            /* "le village de Djongue Bambara": the whole capitalised run is the place, whether
             * or not the gazetteer knows it; no guessing from its parts. */
            best = i;
            for (size_t j = next_word(text, t, i); j != (size_t)-1 && is_cap(t, j); j = next_word(text, t, j))
                best = j;
            incmap_buf_clear(&key);
            for (size_t j = i;; j = next_word(text, t, j)) {
                if (key.len)
                    incmap_buf_putc(&key, ' ');
                incmap_buf_append(&key, incmap_tok_norm(t, j), t->tok[j].norm_len);
                if (j == best)
                    break;
            }
            int longer;
            if (!incmap_gazetteer_probe(tg->gz, key.s, key.len, 0, &m.posts, &m.n_posts, &longer) || !m.n_posts) {
                m.unknown = 1;
                m.posts = NULL;
                m.n_posts = 0;
            }
        } else {
            /* Longest gazetteer name starting here. It must end on a capitalised word or a
             * numeral: "Nioro du Sahel", "Tibi 1", not "Mopti et". */
            incmap_buf_clear(&key);
            uint64_t h = incmap_hash_start(0); /* of the key as it grows */
            for (size_t j = i, n = 0; j != (size_t)-1 && n < MAX_NAME_WORDS; j = next_word(text, t, j), n++) {
                size_t from = key.len;
                if (key.len)
                    incmap_buf_putc(&key, ' ');
                incmap_buf_append(&key, incmap_tok_norm(t, j), t->tok[j].norm_len);
                h = incmap_hash_update(h, key.s + from, key.len - from);
                const incmap_gz_posting *p;
                size_t np;
                int longer;
                if (!incmap_gazetteer_probe_hashed(tg->gz, key.s, key.len, n == 0 ? t->tok[j].hash : incmap_hash_finish(h),
                                                   &p, &np, &longer))
                    break;
                if (np && (t->tok[j].flags & (INCMAP_TOK_CAP | INCMAP_TOK_NUM))) {
                    best = j;
                    m.posts = p;
                    m.n_posts = np;
                }
                if (!longer)
                    break;
            }
            /* One word next to an unknown capitalised word is a person's first or last name
             * ("Rida Lyammouri", "Niccola Milnes"), not a place. */
            int beside_unknown = unknown_cap(&s, next_word(text, t, i)) || unknown_cap_before(&s, i);
            if (best == i && beside_unknown)
                best = (size_t)-1; /* not remembered: "Royal Air Maroc" does not make Maroc a person */
            /* One word alone: not a common word, not a person's name, not one or two letters. */
            /* number words too: "Cinq soldats", "Ten villagers", "Dos personas" open sentences,
             * and a world gazetteer has villages called Cinq, Ten and Dos */
            int common = incmap_wordlist_get_tok(s.stop, t, i) || incmap_wordlist_get_tok(s.numbers, t, i) ||
                         is_person_word(&s, i) ||
                         incmap_wordlist_get_tok(s.given, t, i) ||
                         ((incmap_wordlist_get_tok(s.demonyms, t, i) || incmap_wordlist_get_tok(s.nationalities, t, i)) &&
                          !names_country(tg->gz, &m));
            if (best == i && (common || nlen < 3))
                best = (size_t)-1;
            /* A spelling variant, when no name matched or when a longer capitalised run does
             * ("Tin Zaouatine" is not the village "Tin" followed by a word). */
            size_t after = best != (size_t)-1 ? next_word(text, t, best) : (size_t)-1;
            if (!common && !(t->tok[i].flags & INCMAP_TOK_UPPER) &&
                (best == (size_t)-1 || (best == i && after != (size_t)-1 && is_cap(t, after)))) {
                const incmap_gz_posting *fp;
                size_t nfp;
                size_t fend = fuzzy_match(&s, i, &fp, &nfp);
                if (fend == i && beside_unknown) {
                    remember_person(&s, i); /* "Niccola Milnes" is not a misspelt Moulins */
                } else if (fend != (size_t)-1 && (best == (size_t)-1 || fend > best)) {
                    best = fend;
                    m.posts = fp;
                    m.n_posts = nfp;
                    m.fuzzy = 1;
                }
            }
            /* "à Djignandjoaga, dans le nord du Togo": an unknown name after a locative word is
             * kept only if the sentence names an area to fall back on (decided after resolution). */
            if (best == (size_t)-1 && !common && !(t->tok[i].flags & (INCMAP_TOK_UPPER | INCMAP_TOK_SENT_START)) &&
                nlen >= 4 && phrase_before(&s, i, s.locatives)) {
                best = i;
                for (size_t j = next_word(text, t, i); j != (size_t)-1 && is_cap(t, j); j = next_word(text, t, j))
                    best = j;
                m.unknown = 2;
            }
        }
        if (best == (size_t)-1)
            continue;
        /* "La Guardia Civil": a name that runs into an organisation's name is part of it. */
        size_t org_end = (size_t)-1;
        for (size_t j = next_word(text, t, i); j != (size_t)-1 && j <= best && org_end == (size_t)-1;
             j = next_word(text, t, j))
            if ((org_end = list_match(text, t, j, &key, s.orgs)) != (size_t)-1 && org_end <= best)
                org_end = (size_t)-1;
        if (org_end != (size_t)-1) {
            i = org_end;
            continue;
        }
        /* "Bathurst il y a 3 semaines", "Barma Fall il y a 3 semaines": a commenter's name. */
        size_t run_end = best;
        if (run_from != (size_t)-1 && best >= run_from && best <= run_to) {
            run_end = run_to; /* a word inside a run already walked: the same end */
        } else {
            for (size_t j = next_word(text, t, best); j != (size_t)-1 && is_cap(t, j); j = next_word(text, t, j))
                run_end = j;
            run_from = best;
            run_to = run_end;
        }
        if (username_before(text, t, run_end, s.username_after)) {
            i = run_end;
            continue;
        }
        /* "Hui'an", "Aujourd'hui": an apostrophe inside a word, not an elision ("Mali's" is). */
        if (part_of_longer_word(text, t, best))
            continue;
        if (best == i && !m.unknown && speaker_at(text, t, best) && !names_major_place(tg->gz, &m)) {
            remember_person(&s, i);
            continue;
        }
        const char *cue = phrase_before(&s, i, s.cues);
        if (!cue)
            cue = phrase_after(text, t, best, s.cues_after);
        m.tok_first = i;
        m.tok_last = best;
        m.start = t->tok[i].start;
        m.end = t->tok[best].end;
        m.cue = cue_of(cue);
        country_after(&s, best, m.country_hint);
        if (push_mention(out, &m)) {
            rc = INCMAP_ERR_NOMEM;
            break;
        }
        i = best;
    }
    if (rc == INCMAP_OK && out->n > first_mention &&
        mark_lowercase_elsewhere(t, out->v + first_mention, out->n - first_mention))
        rc = INCMAP_ERR_NOMEM;
    for (size_t i = 0; i < s.n_people; i++)
        free((void *)s.people[i]);
    free(s.people);
    incmap_buf_free(&key);
    return rc;
}

/* Languages compared at most (the lexicon knows fewer). */
#define MAX_LANGS 32

const char *incmap_detect_language(const incmap_lexicon *lex, const incmap_tokens *t)
{
    const char *const *langs = incmap_lexicon_languages(lex);
    const incmap_wordlist *words[MAX_LANGS];
    size_t hits[MAX_LANGS] = {0}, n_langs = 0;
    for (; langs[n_langs] && n_langs < MAX_LANGS; n_langs++)
        words[n_langs] = incmap_lexicon_list(lex, langs[n_langs], "function_words");
    /* When the marks record every list (the lists of one lexicon share them), one test of a
     * word's marks against all the lists' bits says which hold it: a word that none holds, most
     * of an article, costs that test alone, and a function word a count per list holding it. */
    const incmap_word_marks *marks = NULL;
    uint64_t want[INCMAP_MARK_WORDS] = {0};
    for (size_t l = 0; l < n_langs; l++) {
        const incmap_wordlist_marks *m = (const incmap_wordlist_marks *)words[l];
        if (!incmap_wordlist_marked(words[l], t) || (marks && m->words != marks)) {
            marks = NULL;
            break;
        }
        marks = m->words;
        want[m->word] |= 1ULL << m->bit;
    }
    size_t end = t->n < 5000 ? t->n : 5000;
    if (marks) {
        size_t per_list[64 * INCMAP_MARK_WORDS] = {0}; /* hits by list bit */
        for (size_t i = 0; i < end; i++) {
            uint32_t lw = t->tok[i].lex_word; /* 0, in no list, for punctuation too */
            for (size_t j = 0; lw && j < INCMAP_MARK_WORDS; j++)
                for (uint64_t x = marks[lw].keys[j] & want[j]; x; x &= x - 1)
                    per_list[64 * j + (size_t)__builtin_ctzll(x)]++;
        }
        for (size_t l = 0; l < n_langs; l++) {
            const incmap_wordlist_marks *m = (const incmap_wordlist_marks *)words[l];
            hits[l] = per_list[64 * m->word + m->bit];
        }
    } else {
        for (size_t i = 0; i < end; i++)
            for (size_t l = 0; l < n_langs && is_word(t, i); l++)
                hits[l] += (size_t)incmap_wordlist_has_tok(words[l], t, i);
    }
    const char *best = "fr";
    size_t best_hits = 0;
    for (size_t l = 0; l < n_langs; l++) {
        if (hits[l] > best_hits) {
            best_hits = hits[l];
            best = langs[l];
        }
    }
    return best;
}
