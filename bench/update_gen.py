#!/usr/bin/env python3
"""bench/update_gen.py OUT_DIR N [FIRST]: writes N generated French news articles (FIRST: the
number of the first one, default 1) for bench/update.sh.

Articles are made from incidents: each incident (an attack, an ambush, an explosive device, a drone
strike, a kidnapping or a protest in a Sahel town, on some day of 2024-2025) is reported by one to
four articles published one to four days later, each with its own wording and, sometimes, its own
death toll, as several outlets would. So the store has real work to do: coding, and merging the
reports of one incident. Deterministic: the same arguments give the same files. Articles go 100
per sub-directory (d000/, d001/, ...), as a news feed's archive would."""
import datetime
import os
import random
import sys

PLACES = [  # (town, region) as articles name them; all in the bundled gazetteer
    ("Kati", "Koulikoro"), ("Ségou", "Ségou"), ("Mopti", "Mopti"), ("Gao", "Gao"), ("Tombouctou", "Tombouctou"),
    ("Kidal", "Kidal"), ("Ménaka", "Ménaka"), ("Bandiagara", "Mopti"), ("Koro", "Mopti"), ("Bankass", "Mopti"),
    ("Niono", "Ségou"), ("Ansongo", "Gao"), ("Bourem", "Gao"), ("Douentza", "Mopti"), ("Ténenkou", "Mopti"),
    ("Djibo", "Sahel"), ("Dori", "Sahel"), ("Gorom-Gorom", "Sahel"), ("Titao", "Nord"), ("Kaya", "Centre-Nord"),
    ("Diapaga", "Est"), ("Ouahigouya", "Nord"), ("Kongoussi", "Centre-Nord"), ("Barsalogho", "Centre-Nord"),
    ("Arbinda", "Sahel"), ("Sebba", "Sahel"), ("Ouallam", "Tillabéri"), ("Téra", "Tillabéri"),
    ("Banibangou", "Tillabéri"), ("Ayorou", "Tillabéri"), ("Tahoua", "Tahoua"), ("Diffa", "Diffa"),
    ("Dapaong", "Savanes"), ("Mandouri", "Savanes"), ("Kandi", "Alibori"), ("Banikoara", "Alibori"),
]
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
NUMBERS = {2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six", 7: "sept", 8: "huit", 9: "neuf", 10: "dix",
           11: "onze", 12: "douze", 15: "quinze", 20: "vingt"}
OUTLETS = ["Le Journal du Sahel", "Sahel Matin", "L'Écho de la savane", "Radio Niger Libre", "La Voix du Centre"]

KINDS = {
    "attack": [
        "{Town} : {n} civils tués dans l'attaque d'un village",
        "Des hommes armés ont attaqué {day} un village situé près de {town}, dans la région de {region}, tuant {n} civils, selon des élus locaux.",
    ],
    "ambush": [
        "Embuscade meurtrière contre l'armée près de {town}",
        "{N} soldats ont été tués {day} dans une embuscade tendue à une patrouille de l'armée près de {town}, dans la région de {region}, selon des sources sécuritaires.",
    ],
    "ied": [
        "{Town} : un engin explosif fait {n} morts",
        "{N} passagers ont été tués {day} près de {town} par l'explosion d'une mine artisanale au passage de leur véhicule, dans la région de {region}.",
    ],
    "drone": [
        "Frappe de drone près de {town}",
        "Une frappe de drone a visé {day} un rassemblement de combattants près de {town}, dans la région de {region}, faisant {n} morts selon des habitants.",
    ],
    "kidnap": [
        "{Town} : des commerçants enlevés",
        "{N} commerçants ont été enlevés {day} par des hommes armés sur la route de {town}, dans la région de {region}, selon leurs familles.",
    ],
    "protest": [
        "Manifestation à {town} contre la vie chère",
        "Plusieurs centaines de personnes ont manifesté {day} à {town}, dans la région de {region}, pour protester contre la hausse des prix. Le rassemblement s'est dispersé dans le calme.",
    ],
}
FILLER = [
    "Aucun groupe n'a revendiqué l'action dans l'immédiat.",
    "Les autorités n'ont pas communiqué de bilan officiel.",
    "La zone est régulièrement le théâtre de violences depuis plusieurs années.",
    "Des renforts ont été dépêchés sur place, selon un responsable administratif.",
    "Les blessés ont été évacués vers le centre de santé le plus proche.",
    "Les habitants disent vivre dans la peur depuis le début de l'année.",
]


def words(n):
    return NUMBERS.get(n, str(n))


def incidents(rng):
    """An endless, reproducible stream of (incident, reports) pairs."""
    start = datetime.date(2024, 1, 1)
    k = 0
    while True:
        k += 1
        kind = rng.choice(list(KINDS))
        town, region = rng.choice(PLACES)
        day = start + datetime.timedelta(days=rng.randrange(700))
        toll = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 20])
        n_reports = rng.choice([1, 1, 1, 2, 2, 3, 4])
        yield k, kind, town, region, day, toll, n_reports


def article(rng, k, kind, town, region, day, toll, report, serial):
    published = day + datetime.timedelta(days=1 + report + rng.randrange(2))
    weekday = WEEKDAYS[day.weekday()]
    n = toll if report == 0 or rng.random() < 0.6 else toll + rng.choice([1, 2, 3])
    title, lead = KINDS[kind]
    fmt = dict(town=town, Town=town, region=region, day=weekday, n=words(n), N=words(n).capitalize())
    body = [title.format(**fmt), "", "%s | Publié le %s" % (rng.choice(OUTLETS), published.strftime("%d/%m/%Y")), "",
            lead.format(**fmt), ""]
    body += rng.sample(FILLER, 2)
    body += ["", "Réf. %d-%d (incident %d)." % (serial, report, k)]
    return "\n".join(body) + "\n"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    # The stream is the same whatever FIRST is: article i is always the same text.
    rng = random.Random(20250715)
    serial = 0
    for k, kind, town, region, day, toll, n_reports in incidents(rng):
        for r in range(n_reports):
            serial += 1
            text = article(rng, k, kind, town, region, day, toll, r, serial)
            if serial < first:
                continue
            if serial >= first + n:
                return
            d = os.path.join(out, "d%03d" % ((serial - 1) // 100))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "a%05d.txt" % serial), "w", encoding="utf-8") as f:
                f.write(text)


if __name__ == "__main__":
    main()
