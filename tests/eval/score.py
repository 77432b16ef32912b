#!/usr/bin/python3
"""Scores `incmap geocode --format json` against an answer key (tests/eval/key.jsonl).

Python 3 standard library only. See tests/eval/README.md for the key format and the metrics.

    score.py --incmap build/incmap [--key tests/eval/key.jsonl] [--seeds-dir DIR]
             [--floors tests/eval/floors.json] [--json] [--timeout 60]

The last line printed is always `eval: N passed, M failed` (floors met / missed).
Exit status: 0 when every floor is met (or no floors), 1 when a floor is missed, 2 on usage errors.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

PLACE_METRICS = ['place_precision', 'place_recall', 'place_within_10km', 'place_resolution_accuracy']
INCIDENT_METRICS = ['incident_precision', 'incident_recall', 'incident_date_exact', 'incident_event_type',
                    'incident_sub_event_type', 'incident_fatalities_exact', 'incident_within_10km',
                    'incident_actor1', 'incident_background']
ALL_METRICS = PLACE_METRICS + INCIDENT_METRICS
INCIDENT_MATCH_KM = 25.0
NEAR_KM = 10.0


# ---------------------------------------------------------------- helpers

def fold(s):
    """Case and accent folding used to compare location names."""
    if s is None:
        return ''
    s = unicodedata.normalize('NFKD', str(s))
    s = ''.join(c for c in s if not unicodedata.combining(c))
    return ' '.join(s.casefold().replace('’', "'").split())


def haversine_km(lat1, lon1, lat2, lon2):
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def num(x):
    try:
        if x is None or isinstance(x, bool):
            return None
        v = float(x)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None


def dist_km(a_lat, a_lon, b_lat, b_lon):
    vals = [num(a_lat), num(a_lon), num(b_lat), num(b_lon)]
    if None in vals:
        return None
    return haversine_km(*vals)


def is_word_char(c):
    return c.isalnum() or c == '_'


def key_occurrences(text, places):
    """Byte spans of every whole-word occurrence of each key place's text.

    Case-sensitive. Longer texts claim first, so "région de Mopti" owns its "Mopti" and
    "Tibi II" is not also counted as "Tibi I". Returns a list of (start_byte, end_byte, place)."""
    # byte offset of every character index
    offs = [0]
    for ch in text:
        offs.append(offs[-1] + len(ch.encode('utf-8')))
    claimed = []  # (start_char, end_char)
    out = []
    for pl in sorted(places, key=lambda p: -len(p.get('text') or '')):
        s = pl.get('text') or ''
        if not s:
            continue
        i = text.find(s)
        while i >= 0:
            j = i + len(s)
            if (i == 0 or not is_word_char(text[i - 1])) and (j == len(text) or not is_word_char(text[j])):
                if not any(i < ce and cs < j for cs, ce in claimed):
                    claimed.append((i, j))
                    out.append((offs[i], offs[j], pl))
            i = text.find(s, i + 1)
    out.sort(key=lambda o: o[0])
    return out


def ratio(n, d):
    return (n / d) if d else None


# ---------------------------------------------------------------- running incmap

def run_incmap(binary, path, published, timeout):
    """Returns (output_dict or None, error message or None)."""
    cmd = [binary, 'geocode', '--format', 'json']
    if published:
        cmd += ['--published', published]
    cmd.append(path)
    try:
        cp = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, 'timed out after %ss' % timeout
    except OSError as e:
        return None, 'cannot run %s: %s' % (binary, e)
    out = cp.stdout.decode('utf-8', errors='replace').strip()
    if cp.returncode != 0:
        err = cp.stderr.decode('utf-8', errors='replace').strip().splitlines()
        return None, 'exit status %d%s' % (cp.returncode, (': ' + err[-1]) if err else '')
    if not out:
        return None, 'empty output'
    try:
        doc = json.loads(out)
    except ValueError:
        # tolerate JSON lines: take the first object
        doc = None
        for line in out.splitlines():
            line = line.strip()
            if line.startswith('{'):
                try:
                    doc = json.loads(line)
                    break
                except ValueError:
                    continue
        if doc is None:
            return None, 'output is not JSON'
    if isinstance(doc, list):
        doc = doc[0] if doc and isinstance(doc[0], dict) else None
    if not isinstance(doc, dict):
        return None, 'output is not a JSON object'
    return doc, None


# ---------------------------------------------------------------- scoring one article

def new_counts():
    return {k: 0 for k in [
        'pred_places', 'pred_places_matched', 'key_occ', 'key_occ_matched', 'near_n', 'near_ok', 'res_ok',
        'pred_inc', 'key_inc', 'inc_matched', 'date_ok', 'type_ok', 'sub_ok', 'fat_ok', 'inc_near_n', 'inc_near_ok',
        'actor1_ok', 'bg_ok', 'articles', 'failed']}


def score_places(text_bytes, key_places, pred_places, c):
    text = text_bytes.decode('utf-8', errors='replace')
    occ = key_occurrences(text, key_places)
    preds = []
    for p in pred_places or []:
        if not isinstance(p, dict):
            continue
        s, e = p.get('start'), p.get('end')
        if isinstance(s, int) and isinstance(e, int) and e > s:
            preds.append((s, e, p))
    c['pred_places'] += len(preds)
    for s, e, p in preds:
        if any(s < oe and os_ < e for os_, oe, _ in occ):
            c['pred_places_matched'] += 1
    c['key_occ'] += len(occ)
    misses = []
    for os_, oe, kp in occ:
        best, best_ov = None, 0
        for s, e, p in preds:
            ov = min(e, oe) - max(s, os_)
            if ov > best_ov:
                best, best_ov = p, ov
        if best is None:
            misses.append(kp.get('text'))
            continue
        c['key_occ_matched'] += 1
        gid = kp.get('geonameid')
        if gid is None:
            if not best.get('resolved'):
                c['res_ok'] += 1
        elif best.get('resolved') is not False and best.get('geonameid') == gid:
            c['res_ok'] += 1
        if num(kp.get('lat')) is not None and num(kp.get('lon')) is not None:
            c['near_n'] += 1
            d = dist_km(kp['lat'], kp['lon'], best.get('lat'), best.get('lon'))
            if d is not None and d <= NEAR_KM:
                c['near_ok'] += 1
    return misses


def date_gap(a, b):
    import datetime
    try:
        da = datetime.date.fromisoformat(str(a)[:10])
        db = datetime.date.fromisoformat(str(b)[:10])
        return abs((da - db).days)
    except (TypeError, ValueError):
        return 10 ** 6


def score_incidents(key_inc, pred_inc, c):
    preds = [p for p in (pred_inc or []) if isinstance(p, dict)]
    c['pred_inc'] += len(preds)
    c['key_inc'] += len(key_inc)
    cands = []
    for ki, k in enumerate(key_inc):
        for pi, p in enumerate(preds):
            same_name = fold(k.get('location')) != '' and fold(k.get('location')) == fold(p.get('location'))
            d = dist_km(k.get('lat'), k.get('lon'), p.get('lat'), p.get('lon'))
            if not same_name and (d is None or d > INCIDENT_MATCH_KM):
                continue
            same_sub = k.get('sub_event_type') == p.get('sub_event_type')
            cands.append((0 if same_sub else 1, date_gap(k.get('event_date'), p.get('event_date')),
                          d if d is not None else 0.0, ki, pi))
    cands.sort()
    used_k, used_p, pairs = set(), set(), []
    for _, _, _, ki, pi in cands:
        if ki in used_k or pi in used_p:
            continue
        used_k.add(ki)
        used_p.add(pi)
        pairs.append((key_inc[ki], preds[pi]))
    for k, p in pairs:
        c['inc_matched'] += 1
        c['date_ok'] += str(p.get('event_date'))[:10] == k.get('event_date')
        c['type_ok'] += p.get('event_type') == k.get('event_type')
        c['sub_ok'] += p.get('sub_event_type') == k.get('sub_event_type')
        c['fat_ok'] += num(p.get('fatalities')) == num(k.get('fatalities'))
        c['actor1_ok'] += fold(p.get('actor1')) == fold(k.get('actor1'))
        c['bg_ok'] += bool(p.get('background')) == bool(k.get('background'))
        if num(k.get('lat')) is not None and num(k.get('lon')) is not None:
            c['inc_near_n'] += 1
            d = dist_km(k['lat'], k['lon'], p.get('lat'), p.get('lon'))
            if d is not None and d <= NEAR_KM:
                c['inc_near_ok'] += 1
    unmatched = [k.get('location') for k in key_inc if not any(k is a for a, _ in pairs)]
    return unmatched


def metrics(c):
    return {
        'place_precision': ratio(c['pred_places_matched'], c['pred_places']),
        'place_recall': ratio(c['key_occ_matched'], c['key_occ']),
        'place_within_10km': ratio(c['near_ok'], c['near_n']),
        'place_resolution_accuracy': ratio(c['res_ok'], c['key_occ_matched']),
        'incident_precision': ratio(c['inc_matched'], c['pred_inc']),
        'incident_recall': ratio(c['inc_matched'], c['key_inc']),
        'incident_date_exact': ratio(c['date_ok'], c['inc_matched']),
        'incident_event_type': ratio(c['type_ok'], c['inc_matched']),
        'incident_sub_event_type': ratio(c['sub_ok'], c['inc_matched']),
        'incident_fatalities_exact': ratio(c['fat_ok'], c['inc_matched']),
        'incident_within_10km': ratio(c['inc_near_ok'], c['inc_near_n']),
        'incident_actor1': ratio(c['actor1_ok'], c['inc_matched']),
        'incident_background': ratio(c['bg_ok'], c['inc_matched']),
    }


# ---------------------------------------------------------------- main

def load_key(path):
    recs = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                sys.exit('score.py: %s:%d: bad JSON: %s' % (path, n, e))
    return recs


def fmt(v):
    return '  n/a' if v is None else '%5.3f' % v


def print_table(per_lang, overall, counts_all, counts_lang):
    langs = sorted(per_lang)
    cols = ['all'] + langs
    print('%-28s' % 'metric' + ''.join('%9s' % col for col in cols))
    for m in ALL_METRICS:
        row = [overall[m]] + [per_lang[l][m] for l in langs]
        print('%-28s' % m + ''.join('%9s' % fmt(v) for v in row))
    print('%-28s' % 'articles (failed runs)' + ''.join(
        '%9s' % ('%d(%d)' % (c['articles'], c['failed'])) for c in [counts_all] + [counts_lang[l] for l in langs]))
    print('%-28s' % 'key place occurrences' + ''.join('%9d' % c['key_occ'] for c in [counts_all] + [counts_lang[l] for l in langs]))
    print('%-28s' % 'predicted places' + ''.join('%9d' % c['pred_places'] for c in [counts_all] + [counts_lang[l] for l in langs]))
    print('%-28s' % 'key incidents' + ''.join('%9d' % c['key_inc'] for c in [counts_all] + [counts_lang[l] for l in langs]))
    print('%-28s' % 'predicted incidents' + ''.join('%9d' % c['pred_inc'] for c in [counts_all] + [counts_lang[l] for l in langs]))


def check_floors(path, overall, per_lang):
    """Floors: {"place_precision": 0.8, "fr.place_recall": 0.7, ...}. Returns (passed, failed, messages)."""
    try:
        with open(path, encoding='utf-8') as f:
            floors = json.load(f)
    except (OSError, ValueError) as e:
        return 0, 1, ['cannot read floors file %s: %s' % (path, e)]
    passed, failed, msgs = 0, 0, []
    for name, floor in sorted(floors.items()):
        if name.startswith('_'):
            continue  # comments
        lang, _, metric = name.rpartition('.')
        table = per_lang.get(lang) if lang else overall
        if metric not in ALL_METRICS or (lang and table is None):
            failed += 1
            msgs.append('FLOOR %s: unknown metric or language' % name)
            continue
        v = table[metric]
        if v is not None and num(floor) is not None and v + 1e-9 >= float(floor):
            passed += 1
        elif num(floor) is not None and float(floor) <= 0.0:
            passed += 1  # a 0.0 floor is met even when the metric is undefined
        else:
            failed += 1
            msgs.append('FLOOR %s: %s below floor %s' % (name, fmt(v).strip(), floor))
    return passed, failed, msgs


def main(argv=None):
    ap = argparse.ArgumentParser(description='Score incmap against an answer key.')
    ap.add_argument('--incmap', required=True, help='path to the incmap binary')
    ap.add_argument('--key', default=os.path.join(HERE, 'key.jsonl'))
    ap.add_argument('--seeds-dir', default=os.path.join(REPO, '..', 'shared', 'seeds'),
                    help='directory that "seeds/..." files in the key are resolved against (default ../shared/seeds from the repo root)')
    ap.add_argument('--floors', help='JSON file of minimum metric values')
    ap.add_argument('--json', action='store_true', help='print the metrics as JSON instead of a table')
    ap.add_argument('--timeout', type=float, default=60.0, help='seconds allowed per article (default 60)')
    ap.add_argument('--verbose', '-v', action='store_true', help='list missed places and incidents per article')
    args = ap.parse_args(argv)

    key_path = os.path.abspath(args.key)
    key_dir = os.path.dirname(key_path)
    recs = load_key(key_path)
    uses_seeds = any(str(r.get('file', '')).startswith('seeds/') for r in recs)
    if uses_seeds and not os.path.isdir(args.seeds_dir):
        print('score.py: seeds directory %s is absent; skipping %s' % (args.seeds_dir, os.path.basename(key_path)))
        print('eval: 0 passed, 0 failed')
        return 0
    binary = args.incmap
    if os.sep in binary and not os.path.isabs(binary):
        binary = os.path.abspath(binary)

    counts_all = new_counts()
    counts_lang = {}
    errors = 0
    for r in recs:
        f = str(r.get('file', ''))
        path = os.path.join(args.seeds_dir, f[len('seeds/'):]) if f.startswith('seeds/') else os.path.join(key_dir, f)
        lang = r.get('language') or '??'
        cl = counts_lang.setdefault(lang, new_counts())
        try:
            with open(path, 'rb') as fh:
                data = fh.read()
        except OSError as e:
            print('ERROR %s: cannot read article: %s' % (r.get('id'), e), file=sys.stderr)
            errors += 1
            continue
        doc, err = run_incmap(binary, path, r.get('published'), args.timeout)
        for c in (counts_all, cl):
            c['articles'] += 1
        if err:
            print('ERROR %s: incmap failed (%s); counted as no predictions' % (r.get('id'), err), file=sys.stderr)
            for c in (counts_all, cl):
                c['failed'] += 1
            doc = {}
        for c in (counts_all, cl):
            pm = score_places(data, r.get('places', []), doc.get('places'), c)
            im = score_incidents(r.get('incidents', []), doc.get('incidents'), c)
        if args.verbose and (pm or im):
            print('%s: missed places %s; missed incidents %s' % (r.get('id'), sorted(set(pm)), im))

    overall = metrics(counts_all)
    per_lang = {l: metrics(c) for l, c in counts_lang.items()}
    if args.json:
        print(json.dumps({'key': os.path.relpath(key_path, REPO), 'overall': overall, 'languages': per_lang,
                          'counts': counts_all}, indent=2, sort_keys=True))
    else:
        print('key: %s' % os.path.relpath(key_path, REPO))
        print_table(per_lang, overall, counts_all, counts_lang)
    passed = failed = 0
    if args.floors:
        passed, failed, msgs = check_floors(args.floors, overall, per_lang)
        for m in msgs:
            print(m)
    print('eval: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
