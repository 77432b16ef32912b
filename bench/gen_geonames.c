/* bench/gen_geonames.c: writes a synthetic, GeoNames-shaped world, so that a world-scale import
 * and geocoding can be measured on a machine without the real 1.5 GB dumps. Deterministic: the
 * same options give the same bytes. Built with the project (not installed); run by
 * bench/world.sh. Never commit what it writes.
 *
 *     gen_geonames [--size 0.3M|3M|12M] [--rows N] [--altnames N] [--seed S] [--id-base ID]
 *                  [--exclude-cc CC,CC...] [--borrow DUMP]... [--borrow-rate R] DIR
 *
 * DIR gets allCountries.txt (19 columns), alternateNamesV2.txt (10 columns), admin1CodesASCII.txt,
 * admin2Codes.txt and countryInfo.txt, in the formats `incmap gazetteer build` reads.
 *
 * What makes it look like GeoNames, as far as the importer and the tagger can tell:
 *  - names from syllables (2 to 4 per word, some accented), some with a prefix or a generic
 *    suffix ("Bir ...", "... Creek") or a trailing numeral, a few of five or more words;
 *  - half the places draw their name from a shared vocabulary with Zipf-like frequencies (the
 *    commonest name is carried by some 0.2% of the rows, as "San Antonio" or "Mill Creek" are),
 *    so homonyms abound; admin areas are often named like a town of theirs;
 *  - feature classes and codes, populations, countries and admin codes in GeoNames' proportions
 *    (roughly: a third PPL, a sixth streams, big countries holding most rows);
 *  - alternate names skewed to important places (countries and big cities have hundreds), in
 *    many languages and scripts (Cyrillic, Greek, Arabic, CJK, Hangul), plus the non-name rows
 *    (link, wkdt, post, iata...) the importer must skip; the dump's alternatenames column repeats
 *    them, as the real one does;
 *  - a few malformed lines (reported on stderr, so a benchmark can check the importer counts
 *    them) and a few Windows-1252 lines.
 * --borrow DUMP (a geoname dump, gzip or plain) gives --borrow-rate of the places (default 0.02)
 * the name of a real populated place or admin area from DUMP: homonyms of the places articles
 * talk about, elsewhere in the world. --exclude-cc leaves countries out (those a real extract
 * will cover). Ids start at --id-base (default 20000000, above every real geonameid, so a
 * synthetic world can be imported together with real extracts). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <zlib.h>

/* ---------------------------------------------------------------- random numbers */

typedef struct {
    uint64_t s[4];
} rng;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = mix64(seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1));
}

static uint64_t rng_next(rng *r) /* xoshiro256** */
{
    uint64_t *s = r->s;
    uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3] << 45 | s[3] >> 19;
    return result;
}

static double unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static uint32_t below(rng *r, uint32_t n)
{
    return n ? (uint32_t)(((rng_next(r) >> 32) * n) >> 32) : 0;
}

static int chance(rng *r, double p)
{
    return unit(r) < p;
}

/* A rank in [0, n) with P(k) proportional to 1/(k + q): Zipf with s = 1, flattened at the head by
 * q so that the commonest value is not absurdly common. Inverse transform of the continuous law. */
static uint32_t zipf(rng *r, uint32_t n, double q)
{
    double k = q * exp(unit(r) * log((n + q) / q)) - q;
    return k >= n ? n - 1 : (uint32_t)k;
}

/* ---------------------------------------------------------------- buffered output */

typedef struct {
    FILE *f;
    const char *path;
    char *buf;
    size_t len;
    unsigned long long bytes;
} out;

#define OUT_CAP (1u << 20)

static void die(const char *what, const char *path)
{
    fprintf(stderr, "gen_geonames: %s: %s: %s\n", path, what, strerror(errno));
    exit(1);
}

static void out_open(out *o, const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path || !(o->buf = malloc(OUT_CAP)))
        die("out of memory", name);
    snprintf(path, n, "%s/%s", dir, name);
    o->path = path;
    o->len = 0;
    o->bytes = 0;
    if (!(o->f = fopen(path, "wb")))
        die("cannot create", path);
}

static void out_flush(out *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        die("write failed (disk full?)", o->path);
    o->bytes += o->len;
    o->len = 0;
}

static void out_close(out *o)
{
    out_flush(o);
    if (fclose(o->f) != 0)
        die("write failed (disk full?)", o->path);
    free(o->buf);
    free((char *)o->path);
}

static void put(out *o, const char *s, size_t n)
{
    if (o->len + n > OUT_CAP)
        out_flush(o);
    if (n > OUT_CAP) {
        if (fwrite(s, 1, n, o->f) != n)
            die("write failed (disk full?)", o->path);
        o->bytes += n;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putc_(out *o, char c)
{
    put(o, &c, 1);
}

static void put_u(out *o, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
    while ((v /= 10));
    put(o, tmp + sizeof tmp - n, (size_t)n);
}

static void put_i(out *o, long long v)
{
    if (v < 0) {
        putc_(o, '-');
        v = -v;
    }
    put_u(o, (unsigned long long)v);
}

/* A coordinate with 5 decimals, as GeoNames writes them. */
static void put_coord(out *o, double v)
{
    long long m = llround(v * 100000.0);
    if (m < 0) {
        putc_(o, '-');
        m = -m;
    }
    put_u(o, (unsigned long long)(m / 100000));
    char frac[6];
    long long f = m % 100000;
    for (int i = 4; i >= 0; i--, f /= 10)
        frac[i] = (char)('0' + f % 10);
    frac[5] = '.';
    putc_(o, '.');
    put(o, frac, 5);
}

/* ---------------------------------------------------------------- names */

/* A name being built: UTF-8 and its ASCII transliteration side by side. */
typedef struct {
    char s[512], a[512];
    size_t n, na;
} name;

static void name_add(name *nm, const char *u, const char *ascii)
{
    size_t k = strlen(u), ka = strlen(ascii);
    if (nm->n + k >= sizeof nm->s || nm->na + ka >= sizeof nm->a)
        return;
    memcpy(nm->s + nm->n, u, k + 1);
    memcpy(nm->a + nm->na, ascii, ka + 1);
    nm->n += k;
    nm->na += ka;
}

static const char *ONSETS[] = {"b",  "d",  "f",  "g",  "k",  "l",  "m",  "n",  "p",  "r",  "s",  "t",  "v",
                               "z",  "ch", "sh", "tr", "br", "kr", "gl", "dj", "ts", "kh", "gh", "y",  "w",
                               "h",  "",   "",   "m",  "n",  "k",  "s",  "b",  "t",  "l",  "st", "pr", "bl"};
static const char *VOWELS[] = {"a", "e", "i", "o", "u", "a", "e", "o", "ou", "ai", "ia", "ei", "ya", "oo", "ie"};
static const char *CODAS[] = {"", "", "", "", "n", "r", "l", "s", "m", "k", "t", "ng", "rg", "ld", "nd"};
/* Accented forms of the plain vowels a e i o u, and of n and c: all within Latin-1, so a line of
 * them can also be written in Windows-1252. */
static const char *ACCENTED[5][4] = {{"á", "à", "â", "ã"}, {"é", "è", "ê", "ë"}, {"í", "î", "ï", "í"},
                                     {"ó", "ô", "ö", "õ"}, {"ú", "ü", "û", "ù"}};
static const char *PREFIXES[] = {"San", "Saint", "Bir", "Kampung", "Ban", "Nueva", "Al", "Le", "La", "Tin",
                                 "Sidi", "Port", "Fort", "Mount", "Lake", "New", "Old", "Ain", "Kafr", "Dar"};
static const char *SUFFIXES[] = {"Creek", "Hill", "River", "Village", "Nord", "Sud", "Station", "Kalan", "Khurd",
                                 "Ville", "Dam", "Pond", "Springs", "Camp", "Center", "Ouest", "Est", "Bas"};
static const char *NUMERALS[] = {"I", "II", "III", "1", "2", "3", "Un", "Deux"};

static void add_word(name *nm, rng *r, int accents)
{
    int syl = 1 + (int)below(r, 3) + (chance(r, 0.3) ? 1 : 0);
    for (int i = 0; i < syl; i++) {
        const char *on = ONSETS[below(r, sizeof ONSETS / sizeof *ONSETS)];
        const char *v = VOWELS[below(r, sizeof VOWELS / sizeof *VOWELS)];
        const char *co = i == syl - 1 ? CODAS[below(r, sizeof CODAS / sizeof *CODAS)] : "";
        char up[8];
        if (i == 0 && *on) {
            snprintf(up, sizeof up, "%s", on);
            up[0] = (char)(up[0] - 'a' + 'A');
            name_add(nm, up, up);
        } else {
            name_add(nm, on, on);
        }
        const char *plain = "aeiou";
        const char *pos = strchr(plain, v[0]);
        if (accents && pos && chance(r, 0.35)) {
            char rest[8];
            snprintf(rest, sizeof rest, "%s", v + 1);
            const char *acc = ACCENTED[pos - plain][below(r, 4)];
            if (i == 0 && !*on) { /* a capital: the accented capitals are 0x20 below in Latin-1 */
                unsigned char cap[3] = {(unsigned char)acc[0], (unsigned char)(acc[1] - 0x20), 0};
                char capa[2] = {(char)(v[0] - 'a' + 'A'), 0};
                name_add(nm, (const char *)cap, capa);
            } else {
                char pa[2] = {v[0], 0};
                name_add(nm, acc, pa);
            }
            name_add(nm, rest, rest);
        } else if (i == 0 && !*on) {
            char cap[8];
            snprintf(cap, sizeof cap, "%s", v);
            cap[0] = (char)(cap[0] - 'a' + 'A');
            name_add(nm, cap, cap);
        } else {
            name_add(nm, v, v);
        }
        if (co[0] == 'n' && !co[1] && accents && chance(r, 0.2))
            name_add(nm, "ñ", "n");
        else
            name_add(nm, co, co);
    }
}

/* A place name: usually one or two words, sometimes a prefix, a generic suffix or a numeral. */
static void make_name(name *nm, rng *r)
{
    nm->n = nm->na = 0;
    nm->s[0] = nm->a[0] = 0;
    int accents = chance(r, 0.15);
    if (chance(r, 0.12)) {
        const char *p = PREFIXES[below(r, sizeof PREFIXES / sizeof *PREFIXES)];
        name_add(nm, p, p);
        name_add(nm, " ", " ");
    }
    add_word(nm, r, accents);
    double u = unit(r);
    int extra = u < 0.02 ? 3 + (int)below(r, 3) : u < 0.20 ? 1 : 0;
    for (int i = 0; i < extra; i++) {
        const char *sep = chance(r, 0.15) ? "-" : " ";
        name_add(nm, sep, sep);
        add_word(nm, r, accents);
    }
    if (chance(r, 0.08)) {
        const char *s = SUFFIXES[below(r, sizeof SUFFIXES / sizeof *SUFFIXES)];
        name_add(nm, " ", " ");
        name_add(nm, s, s);
    }
    if (chance(r, 0.04)) {
        const char *s = NUMERALS[below(r, sizeof NUMERALS / sizeof *NUMERALS)];
        name_add(nm, " ", " ");
        name_add(nm, s, s);
    }
}

/* The name of rank k in the shared vocabulary: a pure function of (seed, k). */
static void vocab_name(name *nm, uint64_t seed, uint32_t k)
{
    rng r;
    rng_seed(&r, seed ^ mix64(0xC0FFEEULL + k));
    make_name(nm, &r);
}

/* Appends the UTF-8 encoding of cp. */
static size_t put_cp(char *d, uint32_t cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | cp >> 6);
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    d[0] = (char)(0xE0 | cp >> 12);
    d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

enum { SCRIPT_CYRILLIC, SCRIPT_GREEK, SCRIPT_ARABIC, SCRIPT_CJK, SCRIPT_HANGUL, N_SCRIPTS };

/* The ASCII name written in another script: letter by letter for alphabets, a character per two
 * letters for CJK and Hangul (their names are short). */
static void transliterate(const char *ascii, int script, char *d, size_t cap)
{
    static const uint16_t cyr[26] = {0x430, 0x431, 0x446, 0x434, 0x435, 0x444, 0x433, 0x445, 0x438,
                                     0x436, 0x43A, 0x43B, 0x43C, 0x43D, 0x43E, 0x43F, 0x43A, 0x440,
                                     0x441, 0x442, 0x443, 0x432, 0x432, 0x43A, 0x439, 0x437};
    static const uint16_t grk[26] = {0x3B1, 0x3B2, 0x3BA, 0x3B4, 0x3B5, 0x3C6, 0x3B3, 0x3C7, 0x3B9,
                                     0x3B6, 0x3BA, 0x3BB, 0x3BC, 0x3BD, 0x3BF, 0x3C0, 0x3BA, 0x3C1,
                                     0x3C3, 0x3C4, 0x3C5, 0x3B2, 0x3B2, 0x3BE, 0x3C5, 0x3B6};
    static const uint16_t ara[26] = {0x627, 0x628, 0x643, 0x62F, 0x64A, 0x641, 0x63A, 0x647, 0x64A,
                                     0x62C, 0x643, 0x644, 0x645, 0x646, 0x648, 0x628, 0x642, 0x631,
                                     0x633, 0x62A, 0x648, 0x641, 0x648, 0x643, 0x64A, 0x632};
    size_t n = 0;
    int first = 1;
    for (const char *p = ascii; *p && n + 8 < cap; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c < 'a' || c > 'z') {
            d[n++] = (c == ' ' || c == '-') ? c : ' ';
            first = 1;
            continue;
        }
        uint32_t cp;
        switch (script) {
        case SCRIPT_CYRILLIC: cp = cyr[c - 'a'] - (first ? 0x20u : 0u); break;
        case SCRIPT_GREEK: cp = grk[c - 'a'] - (first && c != 'y' ? 0x20u : 0u); break;
        case SCRIPT_ARABIC: cp = ara[c - 'a']; break;
        default: {
            if (p[1] >= 'a' && p[1] <= 'z')
                p++;
            uint32_t h = (uint32_t)(c * 31 + *p);
            cp = script == SCRIPT_CJK ? 0x4E00 + h % 20000 : 0xAC00 + h * 37 % 11172;
        }
        }
        n += put_cp(d + n, cp);
        first = 0;
    }
    d[n] = 0;
}

/* ---------------------------------------------------------------- the world's structure */

static const char *COUNTRIES =
    /* Roughly by how many GeoNames rows they hold, biggest first: the weights are by rank. */
    "US CN IN RU ID MX BR CA AU NO DE FR JP IR PK TR IT ES GB PH NG MA VN TH AR PE CO CD KE AF DZ SA UA ZA "
    "MM ET TZ UG PL SE FI EG IQ VE CL BO MZ AO MG KZ UZ MY NP BD LK GH CI ML BF NE SN GN CM TD SD SS SO YE "
    "SY NZ PG AT CH BE NL CZ SK HU RO BG GR RS BA HR SI AL MK ME XK PT IE IS DK EE LV LT BY MD GE AM AZ TM "
    "TJ KG MN KP KR TW HK MO LA KH BN SG TL SB VU FJ NC PF WS TO KI FM MH PW NR TV CK NU TK WF AS GU MP UM "
    "HI AD AE AG AI AQ AW AX BB BH BI BJ BL BM BQ BS BT BV BW BZ CC CF CG CR CU CV CW CX CY DJ DM DO EC EH "
    "ER FK FO GA GD GF GG GI GL GM GP GQ GS GT GW GY HM HN HT IL IM IO JE JM JO KM KN KW KY LB LC LI LR LS "
    "LU LY MC MF MQ MR MS MT MU MV MW NA NF NI OM PA PM PN PR PS PY QA RE RW SC SH SJ SL SM SR ST SV SX SZ "
    "TC TF TG TN TT UY VA VC VG VI YT ZM ZW";

static const char *TIMEZONES[] = {"Africa/Bamako",   "America/Chicago", "Asia/Kolkata",    "Europe/Paris",
                                  "Asia/Shanghai",   "America/Lima",    "Europe/Moscow",   "Asia/Jakarta",
                                  "Australia/Perth", "America/Bogota",  "Africa/Nairobi",  "Asia/Tehran"};

typedef struct {
    char cc[3];
    double lat, lon, extent, weight;
    uint32_t geonameid, first_a1, n_a1;
    long long population;
    char name[512];
} country;

typedef struct {
    uint32_t country, geonameid, first_a2, n_a2;
    double lat, lon;
    char code[12];
} admin1;

typedef struct {
    uint32_t geonameid;
    char code[24];
    double lat, lon;
} admin2;

typedef struct {
    const char *fclass, *fcode;
    double weight;
} feature;

static const feature FEATURES[] = {
    {"P", "PPL", 0.33},   {"P", "PPLX", 0.02},  {"P", "PPLA4", 0.01}, {"P", "PPLL", 0.01},  {"P", "PPLQ", 0.005},
    {"H", "STM", 0.16},   {"H", "LK", 0.04},    {"H", "RSV", 0.02},   {"H", "SPNG", 0.01},  {"H", "WLL", 0.01},
    {"T", "HLL", 0.07},   {"T", "MT", 0.05},    {"T", "VAL", 0.01},   {"T", "PK", 0.01},    {"S", "SCH", 0.05},
    {"S", "CH", 0.04},    {"S", "HTL", 0.03},   {"S", "FRM", 0.03},   {"S", "BLDG", 0.01},  {"L", "PRK", 0.02},
    {"L", "AREA", 0.01},  {"L", "LCTY", 0.02},  {"A", "ADM3", 0.01},  {"A", "ADM4", 0.005}, {"V", "FRST", 0.01},
    {"R", "RD", 0.005},   {"U", "SMT", 0.005}};

typedef struct {
    /* options */
    unsigned long long rows, alt_target;
    uint64_t seed;
    uint32_t id_base;
    double borrow_rate;
    /* state */
    rng r;
    country *c;
    size_t n_c;
    double c_total;
    admin1 *a1;
    size_t n_a1;
    admin2 *a2;
    size_t n_a2;
    uint32_t next_id;
    uint32_t vocab;
    double alt_scale;
    /* borrowed names: NUL-separated name and ascii name pairs */
    char *borrow;
    size_t borrow_len, *borrow_off, n_borrow;
    char column[10001]; /* the alternatenames column of the row being written */
    /* files and counts */
    out all, alt;
    unsigned long long n_rows, n_alt, n_alt_names, next_alt_id, malformed, latin1;
    unsigned long long malformed_at[3], latin1_at[2], alt_malformed_at[2];
} world;

static uint32_t take_id(world *w)
{
    uint32_t id = w->next_id;
    w->next_id += 1 + (chance(&w->r, 0.3) ? below(&w->r, 4) : 0); /* real ids have gaps */
    return id;
}

/* Is cc one of the comma-separated codes of list? */
static int listed(const char *list, const char *cc)
{
    for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 1 : 0))
        if (strcspn(p, ",") == 2 && p[0] == cc[0] && p[1] == cc[1])
            return 1;
    return 0;
}

static void setup_countries(world *w, const char *exclude)
{
    char cc[3] = {0};
    for (const char *p = COUNTRIES; *p; p += p[2] ? 3 : 2) {
        memcpy(cc, p, 2);
        if (listed(exclude, cc))
            continue;
        country *c = &w->c[w->n_c];
        memset(c, 0, sizeof *c);
        memcpy(c->cc, cc, 3);
        c->weight = 1.0 / (double)(w->n_c + 3);
        w->c_total += c->weight;
        c->lat = -45 + unit(&w->r) * 110;
        c->lon = -170 + unit(&w->r) * 340;
        c->extent = 1 + 12 * c->weight / (1.0 / 3);
        w->n_c++;
        if (!p[2])
            break;
    }
}

static uint32_t pick_country(world *w)
{
    double u = unit(&w->r) * w->c_total;
    for (size_t i = 0; i < w->n_c; i++)
        if ((u -= w->c[i].weight) < 0)
            return (uint32_t)i;
    return (uint32_t)(w->n_c - 1);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Zipf over the shared vocabulary, or a fresh name, or (with --borrow) a real place's name. */
static void place_name(world *w, name *nm, int may_borrow)
{
    if (may_borrow && w->n_borrow && chance(&w->r, w->borrow_rate)) {
        size_t k = w->borrow_off[below(&w->r, (uint32_t)w->n_borrow)];
        const char *s = w->borrow + k, *a = s + strlen(s) + 1;
        snprintf(nm->s, sizeof nm->s, "%s", s);
        snprintf(nm->a, sizeof nm->a, "%s", *a ? a : s);
        nm->n = strlen(nm->s);
        nm->na = strlen(nm->a);
        return;
    }
    if (chance(&w->r, 0.5))
        vocab_name(nm, w->seed, zipf(&w->r, w->vocab, 40));
    else
        make_name(nm, &w->r);
}

/* ---------------------------------------------------------------- alternate names */

static const char *LANGS[] = {"",   "",   "",   "en", "en", "fr", "de", "es", "it", "pt", "ru", "ar", "zh", "ja",
                              "uk", "pl", "nl", "sv", "fa", "hi", "ko", "tr", "el", "ca", "eu", "ro", "cs", "fi"};

static int script_of(const char *lang, rng *r)
{
    if (!strcmp(lang, "ru") || !strcmp(lang, "uk"))
        return SCRIPT_CYRILLIC;
    if (!strcmp(lang, "el"))
        return SCRIPT_GREEK;
    if (!strcmp(lang, "ar") || !strcmp(lang, "fa"))
        return SCRIPT_ARABIC;
    if (!strcmp(lang, "zh") || !strcmp(lang, "ja"))
        return SCRIPT_CJK;
    if (!strcmp(lang, "ko"))
        return SCRIPT_HANGUL;
    return chance(r, 0.3) ? (int)below(r, N_SCRIPTS) : -1;
}

/* How many alternate names a place gets: most none, countries and cities hundreds. */
static unsigned alt_count(world *w, const char *fcode, long long pop)
{
    rng *r = &w->r;
    double base;
    if (!strcmp(fcode, "PCLI"))
        base = 150 + below(r, 250);
    else if (!strcmp(fcode, "ADM1"))
        base = 8 + below(r, 40);
    else if (pop > 100000)
        base = 20 + zipf(r, 300, 10);
    else {
        double u = unit(r);
        base = u < 0.58 ? 0 : u < 0.78 ? 1 : u < 0.88 ? 2 + below(r, 2) : u < 0.975 ? 4 + below(r, 7) : 10 + zipf(r, 200, 5);
    }
    double v = base * w->alt_scale;
    unsigned k = (unsigned)v;
    return k + (chance(r, v - k) ? 1 : 0);
}

static void put_alt_row(world *w, uint32_t geonameid, const char *lang, const char *text, int historic,
                        int malformed)
{
    out *o = &w->alt;
    rng *r = &w->r;
    put_u(o, ++w->next_alt_id);
    putc_(o, '\t');
    if (malformed)
        puts_(o, "x"); /* a geonameid that is not a number */
    else
        put_u(o, geonameid);
    putc_(o, '\t');
    puts_(o, lang);
    putc_(o, '\t');
    puts_(o, text);
    puts_(o, chance(r, 0.05) ? "\t1" : "\t");
    puts_(o, chance(r, 0.03) ? "\t1" : "\t");
    puts_(o, chance(r, 0.01) ? "\t1" : "\t");
    puts_(o, historic ? "\t1" : "\t");
    puts_(o, historic && chance(r, 0.5) ? "\t1890\t1960\n" : "\t\t\n");
    w->n_alt++;
}

/* Writes a place's alternateNamesV2 rows and returns the dump's alternatenames column (names
 * only, comma-separated, without commas inside, at most 10,000 bytes as GeoNames caps it). */
static void alt_names(world *w, uint32_t id, const name *nm, const char *fcode, long long pop, char *column,
                      size_t cap)
{
    rng *r = &w->r;
    size_t clen = 0;
    column[0] = 0;
    unsigned k = alt_count(w, fcode, pop);
    char text[1200];
    for (unsigned i = 0; i < k; i++) {
        double u = unit(r);
        const char *lang;
        int is_name = 0;
        if (u < 0.12) {
            lang = "link";
            snprintf(text, sizeof text, "https://en.wikipedia.org/wiki/%s", nm->a);
            for (char *p = text; *p; p++)
                *p = *p == ' ' ? '_' : *p;
        } else if (u < 0.22) {
            lang = "wkdt";
            snprintf(text, sizeof text, "Q%u", 100000 + below(r, 90000000));
        } else if (u < 0.27) {
            lang = "post";
            snprintf(text, sizeof text, "%05u", below(r, 99999));
        } else if (u < 0.28) {
            static const char *codes[] = {"iata", "icao", "unlc", "faac"};
            lang = codes[below(r, 4)];
            snprintf(text, sizeof text, "%c%c%c", 'A' + below(r, 26), 'A' + below(r, 26), 'A' + below(r, 26));
        } else {
            is_name = 1;
            lang = LANGS[below(r, sizeof LANGS / sizeof *LANGS)];
            double v = unit(r);
            int script = script_of(lang, r);
            if (script >= 0 && v < 0.8) {
                transliterate(nm->a, script, text, sizeof text);
            } else if (v < 0.35) {
                snprintf(text, sizeof text, "%s", nm->s); /* the same name, tagged with a language */
            } else if (v < 0.55) {
                snprintf(text, sizeof text, "%s", nm->a);
            } else if (v < 0.85) {
                static const char *affix[] = {"San ", "Saint-", "Sankt ", "", "", ""};
                static const char *tail[] = {"", "", "-ville", "stadt", " City", "abad", "pur"};
                snprintf(text, sizeof text, "%s%s%s", affix[below(r, 6)], nm->s, tail[below(r, 7)]);
            } else {
                name other;
                make_name(&other, r); /* an older or local name, unrelated in spelling */
                snprintf(text, sizeof text, "%s", other.s);
            }
        }
        int historic = is_name && chance(r, 0.03);
        put_alt_row(w, id, lang, text, historic, 0);
        if (is_name) {
            w->n_alt_names++;
            size_t tl = strlen(text);
            if (!strchr(text, ',') && clen + tl + 2 < cap) {
                if (clen)
                    column[clen++] = ',';
                memcpy(column + clen, text, tl + 1);
                clen += tl;
            }
        }
    }
    /* A few malformed alternate-name lines, at fixed places of the file. */
    for (int j = 0; j < 2; j++)
        if (w->n_alt >= w->alt_malformed_at[j] && w->alt_malformed_at[j]) {
            w->alt_malformed_at[j] = 0;
            if (j == 0) {
                put_alt_row(w, id, "", "Malformed", 0, 1);
            } else {
                puts_(&w->alt, "999\t123\ten\tNine columns\t\t\t\t\t\n"); /* 9 columns */
                w->n_alt++;
            }
            w->malformed++;
        }
}

/* ---------------------------------------------------------------- geoname rows */

typedef struct {
    uint32_t id;
    const name *nm;
    const char *alternatenames;
    double lat, lon;
    const char *fclass, *fcode, *cc, *admin1, *admin2, *admin3;
    long long pop;
    int latin1;
} row;

/* UTF-8 (Latin-1 range only) to Windows-1252 bytes, for the few lines written that way. */
static void put_latin1(out *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0xC3 && p[1]) {
            putc_(o, (char)(p[1] + 0x40));
            p++;
        } else {
            putc_(o, (char)*p);
        }
    }
}

static void put_row(world *w, const row *x)
{
    out *o = &w->all;
    rng *r = &w->r;
    int malformed = -1;
    for (int j = 0; j < 3; j++)
        if (w->malformed_at[j] && w->n_rows >= w->malformed_at[j]) {
            w->malformed_at[j] = 0;
            malformed = j;
            w->malformed++;
        }
    put_u(o, x->id);
    putc_(o, '\t');
    if (x->latin1)
        put_latin1(o, x->nm->s);
    else
        puts_(o, x->nm->s);
    if (malformed == 2)
        puts_(o, "\tstray"); /* a tab inside the name: 20 columns */
    putc_(o, '\t');
    puts_(o, x->nm->a);
    putc_(o, '\t');
    puts_(o, x->alternatenames);
    putc_(o, '\t');
    if (malformed == 1)
        puts_(o, "north"); /* a latitude that is not a number */
    else
        put_coord(o, x->lat);
    putc_(o, '\t');
    put_coord(o, x->lon);
    putc_(o, '\t');
    puts_(o, x->fclass);
    putc_(o, '\t');
    puts_(o, x->fcode);
    putc_(o, '\t');
    puts_(o, x->cc);
    puts_(o, chance(r, 0.02) ? "\tXX,YY\t" : "\t\t");
    puts_(o, x->admin1);
    putc_(o, '\t');
    puts_(o, x->admin2);
    putc_(o, '\t');
    puts_(o, x->admin3);
    putc_(o, '\t');
    if (*x->admin3 && chance(r, 0.3))
        put_u(o, below(r, 9000) + 1000);
    putc_(o, '\t');
    put_i(o, x->pop);
    putc_(o, '\t');
    if (chance(r, 0.2))
        put_i(o, (long long)below(r, 3000));
    putc_(o, '\t');
    put_i(o, chance(r, 0.02) ? -9999 : (long long)below(r, 2500));
    putc_(o, '\t');
    puts_(o, TIMEZONES[below(r, sizeof TIMEZONES / sizeof *TIMEZONES)]);
    char date[16];
    snprintf(date, sizeof date, "\t%04u-%02u-%02u", 2012 + below(r, 14), 1 + below(r, 12), 1 + below(r, 28));
    if (malformed == 0)
        date[0] = 0; /* a missing last column: 18 columns */
    puts_(o, date);
    putc_(o, '\n');
    w->n_rows++;
}

static long long population(rng *r, const char *fclass)
{
    if (*fclass != 'P' || chance(r, 0.7))
        return 0;
    /* log-normal: median about 1,100, one place in a thousand above 100,000 */
    double g = 0;
    for (int i = 0; i < 12; i++)
        g += unit(r);
    double v = exp(7.0 + 2.0 * (g - 6.0));
    return v > 3e7 ? 30000000 : (long long)v;
}

static const char *a2_code(const admin2 *a)
{
    const char *dot = strchr(a->code, '.');
    return dot ? dot + 1 : a->code;
}

static void emit(world *w, uint32_t id, const name *nm, double lat, double lon, const char *fclass,
                 const char *fcode, const char *cc, const char *a1, const char *a2, long long pop)
{
    alt_names(w, id, nm, fcode, pop, w->column, sizeof w->column);
    row x = {.id = id, .nm = nm, .alternatenames = w->column, .lat = clampd(lat, -89.9, 89.9),
             .lon = clampd(lon, -179.9, 179.9), .fclass = fclass, .fcode = fcode, .cc = cc, .admin1 = a1,
             .admin2 = a2, .admin3 = "", .pop = pop};
    for (int j = 0; j < 2; j++) {
        if (w->latin1_at[j] && w->n_rows >= w->latin1_at[j]) {
            /* A Windows-1252 line: its name must have only Latin-1 letters, and the column
             * (other scripts) cannot be written in that code page. */
            int ok = 1, accented = 0;
            for (const unsigned char *p = (const unsigned char *)nm->s; *p; p++) {
                if (*p == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF)
                    accented = 1, p++;
                else
                    ok &= *p < 0x80;
            }
            if (ok && accented) {
                w->latin1_at[j] = 0;
                x.latin1 = 1;
                x.alternatenames = "";
                w->latin1++;
            }
        }
    }
    put_row(w, &x);
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
    fputs("usage: gen_geonames [--size 0.3M|3M|12M] [--rows N] [--altnames N] [--seed S] [--id-base ID]\n"
          "                    [--exclude-cc CC,CC...] [--borrow DUMP]... [--borrow-rate R] DIR\n",
          stderr);
    exit(2);
}

static void load_borrowed(world *w, const char *path)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        die("cannot open", path);
    char line[65536];
    size_t cap_pool = w->borrow_len, cap_off = w->n_borrow;
    while (gzgets(gz, line, sizeof line)) {
        char *f[8];
        int n = 0;
        f[n++] = line;
        for (char *p = line; *p && n < 8; p++)
            if (*p == '\t') {
                *p = 0;
                f[n++] = p + 1;
            }
        if (n < 8 || (*f[6] != 'P' && *f[6] != 'A') || !*f[1] || strchr(f[1], ','))
            continue;
        size_t need = strlen(f[1]) + strlen(f[2]) + 2;
        if (w->borrow_len + need > cap_pool) {
            cap_pool = (cap_pool + need) * 2;
            if (!(w->borrow = realloc(w->borrow, cap_pool)))
                die("out of memory", path);
        }
        if (w->n_borrow + 1 > cap_off) {
            cap_off = cap_off * 2 + 1024;
            if (!(w->borrow_off = realloc(w->borrow_off, cap_off * sizeof *w->borrow_off)))
                die("out of memory", path);
        }
        w->borrow_off[w->n_borrow++] = w->borrow_len;
        memcpy(w->borrow + w->borrow_len, f[1], strlen(f[1]) + 1);
        w->borrow_len += strlen(f[1]) + 1;
        memcpy(w->borrow + w->borrow_len, f[2], strlen(f[2]) + 1);
        w->borrow_len += strlen(f[2]) + 1;
    }
    gzclose(gz);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    world w = {.rows = 12000000, .seed = 20251121, .id_base = 20000000, .borrow_rate = 0.02};
    const char *dir = NULL, *exclude = NULL;
    long long alt = -1;
    const char *borrow[16];
    int n_borrow = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--size") && v) {
            double m = atof(v);
            if (m <= 0 || !strchr("Mm", v[strlen(v) - 1]))
                usage();
            w.rows = (unsigned long long)(m * 1e6 + 0.5);
            i++;
        } else if (!strcmp(a, "--rows") && v) {
            w.rows = strtoull(v, NULL, 10), i++;
        } else if (!strcmp(a, "--altnames") && v) {
            alt = atoll(v), i++;
        } else if (!strcmp(a, "--seed") && v) {
            w.seed = strtoull(v, NULL, 10), i++;
        } else if (!strcmp(a, "--id-base") && v) {
            w.id_base = (uint32_t)strtoul(v, NULL, 10), i++;
        } else if (!strcmp(a, "--exclude-cc") && v) {
            exclude = v, i++;
        } else if (!strcmp(a, "--borrow") && v && n_borrow < 16) {
            borrow[n_borrow++] = v, i++;
        } else if (!strcmp(a, "--borrow-rate") && v) {
            w.borrow_rate = atof(v), i++;
        } else if (a[0] != '-' && !dir) {
            dir = a;
        } else {
            usage();
        }
    }
    if (!dir || w.rows < 1000)
        usage();
    if ((unsigned long long)w.id_base + w.rows * 3 > UINT32_MAX) {
        fprintf(stderr, "gen_geonames: --id-base %u leaves no room for %llu rows below 2^32\n", w.id_base, w.rows);
        return 2;
    }
    w.alt_target = alt >= 0 ? (unsigned long long)alt : w.rows * 3 / 2;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        die("cannot create the directory", dir);
    double t0 = now();
    for (int i = 0; i < n_borrow; i++)
        load_borrowed(&w, borrow[i]);
    rng_seed(&w.r, w.seed);
    w.next_id = w.id_base;
    /* The shared vocabulary: a third as many names as rows, so half the rows (those that draw
     * from it) share their name with a few others on average, and the head with thousands. */
    w.vocab = (uint32_t)(w.rows / 3 + 100);
    /* alt_count's law gives about 2.6 rows per place before scaling; the scale is corrected as
     * the run goes, below, to land on --altnames. */
    w.alt_scale = (double)w.alt_target / (double)w.rows / 2.6;
    w.malformed_at[0] = w.rows / 4;
    w.malformed_at[1] = w.rows / 2;
    w.malformed_at[2] = w.rows * 3 / 4;
    w.latin1_at[0] = w.rows / 3;
    w.latin1_at[1] = w.rows * 2 / 3;
    w.alt_malformed_at[0] = w.alt_target / 3 + 1;
    w.alt_malformed_at[1] = w.alt_target * 2 / 3 + 1;

    w.c = calloc(300, sizeof *w.c);
    size_t cap_a1 = 300 * 40, cap_a2 = cap_a1 * 40;
    w.a1 = calloc(cap_a1, sizeof *w.a1);
    w.a2 = calloc(cap_a2, sizeof *w.a2);
    if (!w.c || !w.a1 || !w.a2)
        die("out of memory", dir);
    setup_countries(&w, exclude);
    if (!w.n_c) {
        fprintf(stderr, "gen_geonames: --exclude-cc left no country\n");
        return 2;
    }

    /* The admin structure scales with the world: a small world has fewer areas per country. */
    double admin_scale = w.rows >= 12000000 ? 1.0 : sqrt((double)w.rows / 12e6);
    out a1f, a2f, cif;
    out_open(&a1f, dir, "admin1CodesASCII.txt");
    out_open(&a2f, dir, "admin2Codes.txt");
    out_open(&cif, dir, "countryInfo.txt");
    out_open(&w.all, dir, "allCountries.txt");
    out_open(&w.alt, dir, "alternateNamesV2.txt");
    puts_(&cif, "# GeoNames-shaped country information, synthetic (bench/gen_geonames)\n"
                "#ISO\tISO3\tISO-Numeric\tfips\tCountry\tCapital\tArea(in sq km)\tPopulation\tContinent\ttld\t"
                "CurrencyCode\tCurrencyName\tPhone\tPostal Code Format\tPostal Code Regex\tLanguages\tgeonameid\t"
                "neighbours\tEquivalentFipsCode\n");
    name nm, cap;
    for (size_t i = 0; i < w.n_c; i++) {
        country *c = &w.c[i];
        c->geonameid = take_id(&w);
        make_name(&nm, &w.r);
        snprintf(c->name, sizeof c->name, "%s", nm.s);
        c->population = (long long)(1e8 * c->weight * (0.5 + unit(&w.r)));
        emit(&w, c->geonameid, &nm, c->lat, c->lon, "A", "PCLI", c->cc, "00", "", c->population);
        c->first_a1 = (uint32_t)w.n_a1;
        c->n_a1 = 1 + (uint32_t)((4 + below(&w.r, 30)) * admin_scale);
        place_name(&w, &cap, 0);
        puts_(&cif, c->cc);
        putc_(&cif, '\t');
        puts_(&cif, c->cc);
        putc_(&cif, 'X');
        putc_(&cif, '\t');
        put_u(&cif, 100 + i);
        puts_(&cif, "\t\t");
        puts_(&cif, c->name);
        putc_(&cif, '\t');
        puts_(&cif, cap.s);
        putc_(&cif, '\t');
        put_u(&cif, 1000 + below(&w.r, 9000000));
        putc_(&cif, '\t');
        put_i(&cif, c->population);
        puts_(&cif, "\tAF\t.xx\tXXX\tCurrency\t123\t\t\txx\t");
        put_u(&cif, c->geonameid);
        puts_(&cif, "\t\t\n");
        for (uint32_t k = 0; k < c->n_a1; k++) {
            admin1 *a = &w.a1[w.n_a1++];
            a->country = (uint32_t)i;
            a->geonameid = take_id(&w);
            snprintf(a->code, sizeof a->code, "%02u", (k + 1) % 100);
            a->lat = clampd(c->lat + (unit(&w.r) - 0.5) * c->extent, -85, 85);
            a->lon = clampd(c->lon + (unit(&w.r) - 0.5) * c->extent, -179, 179);
            place_name(&w, &nm, 0);
            emit(&w, a->geonameid, &nm, a->lat, a->lon, "A", "ADM1", c->cc, a->code, "", 0);
            puts_(&a1f, c->cc);
            putc_(&a1f, '.');
            puts_(&a1f, a->code);
            putc_(&a1f, '\t');
            puts_(&a1f, nm.s);
            putc_(&a1f, '\t');
            puts_(&a1f, nm.a);
            putc_(&a1f, '\t');
            put_u(&a1f, a->geonameid);
            putc_(&a1f, '\n');
            a->first_a2 = (uint32_t)w.n_a2;
            a->n_a2 = (uint32_t)(below(&w.r, 40) * admin_scale);
            for (uint32_t m = 0; m < a->n_a2 && w.n_a2 < cap_a2; m++) {
                admin2 *b = &w.a2[w.n_a2++];
                b->geonameid = take_id(&w);
                snprintf(b->code, sizeof b->code, "%s.%u", a->code, 100 + m);
                b->lat = clampd(a->lat + (unit(&w.r) - 0.5) * c->extent / 4, -85, 85);
                b->lon = clampd(a->lon + (unit(&w.r) - 0.5) * c->extent / 4, -179, 179);
                place_name(&w, &nm, 0);
                emit(&w, b->geonameid, &nm, b->lat, b->lon, "A", "ADM2", c->cc, a->code, a2_code(b), 0);
                puts_(&a2f, c->cc);
                putc_(&a2f, '.');
                puts_(&a2f, b->code);
                putc_(&a2f, '\t');
                puts_(&a2f, nm.s);
                putc_(&a2f, '\t');
                puts_(&a2f, nm.a);
                putc_(&a2f, '\t');
                put_u(&a2f, b->geonameid);
                putc_(&a2f, '\n');
            }
            a->n_a2 = w.n_a2 - a->first_a2;
            if (w.n_a1 == cap_a1)
                break;
        }
        c->n_a1 = (uint32_t)w.n_a1 - c->first_a1;
    }
    /* A few malformed admin lines too. */
    puts_(&a1f, "ZZ.01\tOnly two columns\n");
    w.malformed++;

    double total_w = 0;
    for (size_t i = 0; i < sizeof FEATURES / sizeof *FEATURES; i++)
        total_w += FEATURES[i].weight;
    while (w.n_rows < w.rows) {
        /* Steer the alternate names to the target: the law's mean is only approximate. */
        if ((w.n_rows & 0xFFFF) == 0 && w.n_rows > 100000) {
            double want = (double)w.alt_target * (double)w.n_rows / (double)w.rows;
            w.alt_scale *= clampd(want / (double)(w.n_alt ? w.n_alt : 1), 0.9, 1.1);
        }
        const country *c = &w.c[pick_country(&w)];
        const admin1 *a = &w.a1[c->first_a1 + below(&w.r, c->n_a1)];
        const admin2 *b = a->n_a2 && chance(&w.r, 0.75) ? &w.a2[a->first_a2 + below(&w.r, a->n_a2)] : NULL;
        double u = unit(&w.r) * total_w;
        const feature *f = &FEATURES[0];
        for (size_t i = 0; i < sizeof FEATURES / sizeof *FEATURES; i++, f++)
            if ((u -= FEATURES[i].weight) < 0)
                break;
        if (f == FEATURES + sizeof FEATURES / sizeof *FEATURES)
            f--;
        place_name(&w, &nm, *f->fclass == 'P' || *f->fclass == 'H' || *f->fclass == 'T');
        double spread = c->extent / (b ? 8 : 3);
        double lat = (b ? b->lat : a->lat) + (unit(&w.r) + unit(&w.r) - 1) * spread;
        double lon = (b ? b->lon : a->lon) + (unit(&w.r) + unit(&w.r) - 1) * spread;
        emit(&w, take_id(&w), &nm, lat, lon, f->fclass, f->fcode, c->cc, a->code, b ? a2_code(b) : "",
             population(&w.r, f->fclass));
    }
    out_close(&a1f);
    out_close(&a2f);
    out_close(&cif);
    unsigned long long all_bytes = w.all.bytes + w.all.len, alt_bytes = w.alt.bytes + w.alt.len;
    out_close(&w.all);
    out_close(&w.alt);
    fprintf(stderr,
            "gen_geonames: %s: %llu geoname rows (%.0f MB), %llu alternate-name rows (%llu names, %.0f MB), "
            "%zu countries, %zu admin1, %zu admin2 areas, %llu borrowed names available; %llu malformed "
            "lines, %llu Windows-1252 lines; %.1f s\n",
            dir, w.n_rows, all_bytes / 1e6, w.n_alt, w.n_alt_names, alt_bytes / 1e6, w.n_c, w.n_a1, w.n_a2,
            (unsigned long long)w.n_borrow, w.malformed, w.latin1, now() - t0);
    /* One machine-readable line for bench/world.sh. */
    printf("rows %llu altnames %llu malformed %llu latin1 %llu\n", w.n_rows, w.n_alt, w.malformed, w.latin1);
    free(w.c);
    free(w.a1);
    free(w.a2);
    free(w.borrow);
    free(w.borrow_off);
    return 0;
}
