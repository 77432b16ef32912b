/* bench/layers.c: how fast the layer writer writes incidents. Generates N synthetic incident rows
 * (West African coordinates, ACLED event types, realistic string lengths) and writes them through
 * incmap_layers_* exactly as `incmap geocode -o` and the store do, timing open to commit (the
 * commit includes the GeoPackage's R-tree and the renames). Run by bench/layers.sh.
 *
 *     bench_layers FORMAT N PATH      e.g. bench_layers GPKG 100000 /tmp/b/incidents.gpkg
 * Prints: FORMAT N seconds features/s bytes commit-seconds (the commit's share of seconds) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "incmap.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A small deterministic generator, so every run writes the same rows. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s FORMAT N PATH\n", argv[0]);
        return 2;
    }
    long n = atol(argv[2]);
    if (n <= 0) {
        fprintf(stderr, "bench_layers: N must be a positive number of incidents\n");
        return 2;
    }
    static const char *types[] = {"Battles", "Explosions/Remote violence", "Violence against civilians",
                                  "Protests", "Riots", "Strategic developments"};
    static const char *subs[] = {"Armed clash", "Air/drone strike", "Attack", "Peaceful protest", "Mob violence",
                                 "Looting/property destruction"};
    incmap_layers_options opt = {.driver = argv[1]};
    incmap_error err = {0};
    double t0 = now();
    incmap_layers *l = incmap_layers_open(argv[3], &opt, &err);
    if (!l) {
        fprintf(stderr, "bench_layers: %s\n", err.message);
        return 1;
    }
    uint64_t seed = 0x9e3779b97f4a7c15u;
    char article[17] = "", event[40], date[16];
    for (long i = 0; i < n; i++) {
        if (i % 4 == 0) { /* about four incidents per article, as in real coverage */
            snprintf(article, sizeof article, "%016" PRIx64, next(&seed));
            incmap_article_row a = {article, "https://example.org/news/article.html", "Attaque près de Kati",
                                    "2025-07-15", "fr", "0", "2025-07-15T10:00:00Z"};
            if (incmap_layers_add_article(l, &a, &err) != INCMAP_OK)
                break;
        }
        uint64_t r = next(&seed);
        snprintf(event, sizeof event, "MLI%" PRIu64 "%04ld", (uint64_t)strtoull(article, NULL, 16) >> 16, i % 4);
        snprintf(date, sizeof date, "20%02d-%02d-%02d", 15 + (int)(r % 11), 1 + (int)((r >> 8) % 12),
                 1 + (int)((r >> 16) % 28));
        incmap_incident_row x = {0};
        x.event_id_cnty = event;
        x.event_date = date;
        x.year = atoi(date);
        x.time_precision = 1;
        x.event_type = types[r % 6];
        x.sub_event_type = subs[(r >> 3) % 6];
        x.actor1 = "JNIM: Group for Support of Islam and Muslims";
        x.actor2 = (r >> 5) % 2 ? "Military Forces of Mali (2021-)" : NULL;
        x.country = "Mali";
        x.iso = 466;
        x.admin1 = "Koulikoro";
        x.admin2 = "Kati";
        x.location = "Kati";
        x.has_coords = 1;
        x.latitude = 10.0 + (double)(r >> 20 & 0xffff) / 65536.0 * 10.0;
        x.longitude = -12.0 + (double)(r >> 36 & 0xffff) / 65536.0 * 14.0;
        x.geo_precision = 1 + (int)((r >> 52) % 3);
        x.fatalities = (int)((r >> 40) % 20);
        x.source = "https://example.org/news/article.html";
        x.notes = "On 2025-07-14 (\"lundi\"): Armed clash at Kati; 2 killed, 3 injured.";
        x.confidence = 0.8;
        x.evidence = "Des hommes armés ont attaqué lundi un poste de contrôle à l'entrée de Kati, à une quinzaine "
                     "de kilomètres de Bamako, selon une source sécuritaire.";
        x.article_id = article;
        x.geonameid = 2455518;
        if (incmap_layers_add_incident(l, &x, &err) != INCMAP_OK)
            break;
    }
    double t1 = now();
    if (err.code != INCMAP_OK || incmap_layers_commit(l, &err) != INCMAP_OK) {
        fprintf(stderr, "bench_layers: %s\n", err.message);
        incmap_layers_destroy(l);
        return 1;
    }
    incmap_layers_destroy(l);
    double secs = now() - t0;
    struct stat st;
    long long bytes = stat(argv[3], &st) == 0 ? (long long)st.st_size : -1;
    printf("%s %ld %.2f %.0f %lld %.2f\n", argv[1], n, secs, (double)n / secs, bytes, now() - t1);
    return 0;
}
