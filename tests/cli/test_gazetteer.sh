# test_gazetteer.sh: incmap gazetteer build and lookup on the fixture extracts in
# tests/fixtures/geonames/ (bad-2020.txt has two malformed lines, latin1-2021.txt is Windows-1252).
. "$(dirname "$0")/lib.sh"

G=$FIX/geonames
SOURCES="$G/ML-2014.txt $G/ML-2023.txt $G/bad-2020.txt $G/latin1-2021.txt $G/admin1CodesASCII.txt $G/countryInfo.txt $G/alternateNamesV2.txt $G/names-curated.tsv"

# ---- a build with malformed lines: reported with FILE:LINE, counted, skipped; exit 0
# shellcheck disable=SC2086
run gazetteer build -o "$TMP/g.db" $SOURCES
assert_rc 0 "build with 2 malformed lines"
assert_contains "$TMP/err" "bad-2020.txt:2" "malformed line 2 reported as FILE:LINE"
assert_contains "$TMP/err" "bad-2020.txt:3" "malformed line 3 reported as FILE:LINE"
assert_contains "$TMP/err" "2 malformed lines skipped" "the summary counts them"
assert_contains "$TMP/err" "latin1-2021.txt" "the Windows-1252 file is mentioned"
if [ -s "$TMP/g.db" ] && [ -s "$TMP/g.db.idx" ]; then ok "the gazetteer and its index exist"; else bad "the gazetteer and its index exist" "$(ls -la "$TMP")"; fi

# --quiet: only the summary
# shellcheck disable=SC2086
run gazetteer build --quiet -o "$TMP/q.db" $SOURCES
assert_rc 0 "build --quiet"
assert_not_contains "$TMP/err" "bad-2020.txt:2" "--quiet hides per-line warnings"
assert_contains "$TMP/err" "2 malformed lines skipped" "--quiet keeps the summary"

# ---- --strict: exit 1, the line named, no output file left (not even a temporary one)
mkdir "$TMP/strict"
# shellcheck disable=SC2086
run gazetteer build --strict -o "$TMP/strict/s.db" $SOURCES
assert_rc 1 "build --strict with a malformed line"
assert_contains "$TMP/err" "bad-2020.txt:2" "--strict names the line"
left=$(ls -A "$TMP/strict")
if [ -z "$left" ]; then ok "--strict leaves no file"; else bad "--strict leaves no file" "found: $left"; fi

# --strict over an existing gazetteer leaves it working
cp "$TMP/g.db" "$TMP/strict/k.db"
cp "$TMP/g.db.idx" "$TMP/strict/k.db.idx"
# shellcheck disable=SC2086
run gazetteer build --strict -o "$TMP/strict/k.db" $SOURCES
assert_rc 1 "build --strict over an existing gazetteer"
run gazetteer lookup --gazetteer "$TMP/strict/k.db" Bandiagara
assert_rc 0 "the existing gazetteer still works after a failed build"

# ---- a missing source: exit 1, named, no output
run gazetteer build -o "$TMP/m.db" "$G/ML-2014.txt" "$G/no-such-dump.txt"
assert_rc 1 "build with a missing source"
assert_contains "$TMP/err" "no-such-dump.txt" "the missing source is named"
if [ -e "$TMP/m.db" ]; then bad "no output after a failed build" "$TMP/m.db exists"; else ok "no output after a failed build"; fi

# ---- lookup, text
run gazetteer lookup --gazetteer "$TMP/g.db" Dioura
assert_rc 0 "lookup Dioura"
assert_contains "$TMP/out" "2458636" "lookup lists Dioura (Mopti)"
assert_contains "$TMP/out" "2458637" "lookup lists Dioura (Kayes)"
assert_contains "$TMP/out" "Mopti" "lookup shows admin1 names"
run gazetteer lookup --gazetteer "$TMP/g.db" --country ML "région de ségou"
assert_rc 0 "lookup with --country and accents"
assert_contains "$TMP/out" "2451477" "the Windows-1252 row is found by its UTF-8 name"
assert_contains "$TMP/out" "Ségou Region" "and its name is UTF-8"
run gazetteer lookup --gazetteer "$TMP/g.db" Atlantis
assert_rc 0 "lookup of an unknown name is not an error"
assert_contains "$TMP/err" "Atlantis" "but says nothing matched"

# ---- lookup, JSON
run gazetteer lookup --gazetteer "$TMP/g.db" --format json Tiby
assert_rc 0 "lookup --format json"
assert_py "lookup JSON: Tiby finds Tibi I and Tibi II with all fields" '
import json, sys
c = json.load(open(sys.argv[1]))
ids = sorted(x["geonameid"] for x in c)
assert ids == [2449824, 6880612], ids
for x in c:
    for k in ("geonameid", "name", "feature_code", "country", "admin1", "lat", "lon", "population"):
        assert k in x, k
    assert x["admin1"] == "Ségou", x["admin1"]
'
run gazetteer lookup --gazetteer "$TMP/g.db" --format json Sofara
assert_py "lookup JSON: the newer row of an id in two files wins" '
import json, sys
c = json.load(open(sys.argv[1]))
assert len(c) == 1 and c[0]["population"] == 10000, c
'
run gazetteer lookup --gazetteer "$TMP/g.db" --format json Atlantis
assert_py "lookup JSON of an unknown name is []" 'import json, sys; assert json.load(open(sys.argv[1])) == []'

# ---- the bundled gazetteer (default)
run gazetteer lookup Bamako
assert_rc 0 "lookup in the bundled gazetteer"
assert_contains "$TMP/out" "2460596" "Bamako in the bundled gazetteer"

# ---- --gazetteer pointing at a file that is not a gazetteer
run gazetteer lookup --gazetteer "$G/ML-2014.txt" Bamako
assert_rc 1 "lookup with a non-gazetteer file"
assert_contains "$TMP/err" "ML-2014.txt" "the error names the file"
assert_contains "$TMP/err" "gazetteer" "the error says it is not a gazetteer"
# a gazetteer without its index
cp "$TMP/g.db" "$TMP/noidx.db"
run gazetteer lookup --gazetteer "$TMP/noidx.db" Bamako
assert_rc 1 "lookup with a missing .idx"
assert_contains "$TMP/err" "noidx.db.idx" "the error names the index"
# a truncated index
head -c 1000 "$TMP/g.db.idx" >"$TMP/trunc.db.idx"
cp "$TMP/g.db" "$TMP/trunc.db"
run gazetteer lookup --gazetteer "$TMP/trunc.db" Bamako
assert_rc 1 "lookup with a truncated .idx"
assert_contains "$TMP/err" "rebuild" "the error says to rebuild"

finish
