#!/usr/bin/python3
"""Derives names-geonames.tsv (geonameid<TAB>lang<TAB>name) from two GeoNames-derived sources:
country_translations.json (country names per language) and names_en_fr.tsv (English and French
names keyed by geonameid, admin1 code or country code). Run from the repository root:

    gazetteer/tools/make_names.py ../shared/data/gazetteer-sources > gazetteer/names-geonames.tsv

Only fr, en and es are kept: the languages incmap reads."""
import json, os, sys

src = sys.argv[1]
langs = ('fr', 'en', 'es')
rows = set()

info = os.path.join(src, 'geonames-cities15000-countryinfo-2025')
country_id = {}
for line in open(os.path.join(info, 'countryInfo.txt'), encoding='utf-8'):
    if line.startswith('#'):
        continue
    f = line.rstrip('\n').split('\t')
    if len(f) > 16 and f[16]:
        country_id[f[0]] = f[16]

admin1_id = {}
for line in open(os.path.join(src, 'geonames-admin-codes-2025', 'admin1CodesASCII.txt'), encoding='utf-8'):
    f = line.rstrip('\n').split('\t')
    if len(f) == 4:
        admin1_id[f[0]] = f[3]

for gid, names in json.load(open(os.path.join(info, 'country_translations.json'), encoding='utf-8')).items():
    for lang in langs:
        if names.get(lang):
            rows.add((int(gid), lang, names[lang].strip()))

tsv = os.path.join(src, 'geonames-names-en-fr-ubports-2023', 'names_en_fr.tsv')
for i, line in enumerate(open(tsv, encoding='utf-8')):
    if i == 0:
        continue
    key, kind, en, fr = (line.rstrip('\n').split('\t') + ['', '', '', ''])[:4]
    gid = {'geonameid': key, 'admin1': admin1_id.get(key), 'country': country_id.get(key)}.get(kind)
    if not gid:
        continue
    for lang, name in (('en', en), ('fr', fr)):
        if name.strip():
            rows.add((int(gid), lang, name.strip()))

print('# geonameid\tlang\tname -- derived from GeoNames (geonames.org, CC BY 4.0) by gazetteer/tools/make_names.py')
for gid, lang, name in sorted(rows):
    print('%d\t%s\t%s' % (gid, lang, name))
