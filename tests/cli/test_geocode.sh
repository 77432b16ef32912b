# test_geocode.sh: incmap geocode end to end on the fixture articles: formats, JSON Lines,
# GeoJSON, standard input, bad and missing files, and the expected places of each article.
. "$(dirname "$0")/lib.sh"

A=$ARTICLES
GOOD="$A/fr_kati.txt $A/en_kidal.txt $A/es_murcia.txt $A/latin1_segou.txt $A/fr_togo.txt"

# ---- text
run geocode "$A/fr_kati.txt"
assert_rc 0 "geocode, text format (default)"
assert_contains "$TMP/out" "Sirakorola" "text output lists Sirakorola"
assert_contains "$TMP/out" "fr_kati.txt" "text output names the source"
run geocode --format text "$A/fr_kati.txt"
assert_rc 0 "geocode --format text"

# ---- JSON Lines: one object per article per line, in argument order
# shellcheck disable=SC2086
run geocode --format json $GOOD
assert_rc 0 "geocode --format json, 5 files"
assert_py "json: one parseable object per line, per file, in order" '
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 5, "%d lines" % len(lines)
docs = [json.loads(l) for l in lines]
names = [d["source"].rsplit("/", 1)[-1] for d in docs]
assert names == ["fr_kati.txt", "en_kidal.txt", "es_murcia.txt", "latin1_segou.txt", "fr_togo.txt"], names
'
assert_py "json: the contract fields" '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    for k in ("source", "language", "published", "places", "incidents"):
        assert k in d, "missing %s in %s" % (k, d["source"])
    assert isinstance(d["places"], list) and isinstance(d["incidents"], list)
    for p in d["places"]:
        for k in ("text", "start", "end", "resolved", "geonameid", "name", "feature_code", "country",
                  "admin1", "admin2", "lat", "lon", "geo_precision", "score", "why"):
            assert k in p, "missing %s in a place of %s" % (k, d["source"])
        assert isinstance(p["resolved"], bool)
        assert (p["geonameid"] is None) == (not p["resolved"]), p
        assert 0 <= p["score"] <= 1, p
        assert p["end"] > p["start"], p
'
assert_py "json: offsets are byte offsets into the input file (UTF-8 and Windows-1252)" '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    raw = open(d["source"], "rb").read()
    enc = "cp1252" if d.get("encoding") == "windows-1252" else "utf-8"
    for p in d["places"]:
        got = raw[p["start"]:p["end"]].decode(enc)
        assert got == p["text"], "%s: bytes %d-%d are %r, text is %r" % (d["source"], p["start"], p["end"], got, p["text"])
'
cp "$TMP/out" "$TMP/all.jsonl"

# ---- the expected places of each fixture article (tests/fixtures/articles/expected.tsv)
assert_py "expected places of the fixture articles" '
import json, sys
docs = {}
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    docs[d["source"].rsplit("/", 1)[-1]] = d
failures = []
for row in open(sys.argv[2], encoding="utf-8"):
    if row.startswith("#") or not row.strip():
        continue
    f, mention, occ, want = row.rstrip("\n").split("\t")
    d = docs[f]
    if mention == "@language":
        if d["language"] != want:
            failures.append("%s: language %s, expected %s" % (f, d["language"], want))
        continue
    exact = [p for p in d["places"] if p["text"] == mention]
    loose = [p for p in d["places"] if mention in p["text"]]
    p = exact[int(occ) - 1] if len(exact) >= int(occ) else None
    if want == "-":
        if loose:
            failures.append("%s: %r should not be a place, got %s %s" % (f, mention, loose[0]["text"], loose[0]["geonameid"]))
        continue
    if p is None:
        failures.append("%s: %r #%s not found; places: %s" % (f, mention, occ, [(q["text"], q["geonameid"]) for q in d["places"]]))
    elif want.startswith("?"):
        if p["resolved"] or p["country"] != want[1:] or p["lat"] is None:
            failures.append("%s: %r expected unresolved with a fallback in %s, got %s %s %s" % (f, mention, want[1:], p["geonameid"], p["name"], p["country"]))
    elif str(p["geonameid"]) not in want.split("|"):
        failures.append("%s: %r #%s expected %s, got %s %s (%s %s)" % (f, mention, occ, want, p["geonameid"], p["name"], p["feature_code"], p["admin1"]))
if failures:
    sys.exit("\n".join(failures))
' "$A/expected.tsv"

# ---- GeoJSON: one FeatureCollection for all files
# shellcheck disable=SC2086
run geocode --format geojson $GOOD
assert_rc 0 "geocode --format geojson"
assert_py "geojson: an RFC 7946 FeatureCollection, lon/lat order, no crs" '
import json, sys
g = json.load(open(sys.argv[1], encoding="utf-8"))
assert g["type"] == "FeatureCollection", g.get("type")
assert "crs" not in g, "RFC 7946 has no crs member"
fs = g["features"]
assert len(fs) > 10, "%d features" % len(fs)
for f in fs:
    assert f["type"] == "Feature"
    assert "crs" not in f
    geom = f["geometry"]
    assert geom["type"] == "Point"
    lon, lat = geom["coordinates"]
    assert -180 <= lon <= 180 and -90 <= lat <= 90
    for k in ("text", "start", "end", "resolved", "geonameid", "name", "country", "geo_precision", "score"):
        assert k in f["properties"], "property %s missing" % k
bamako = [f for f in fs if f["properties"]["geonameid"] == 2460596]
assert bamako, "Bamako missing"
lon, lat = bamako[0]["geometry"]["coordinates"]
assert abs(lon - -7.98) < 0.1 and abs(lat - 12.61) < 0.1, "Bamako at %s, %s: lon/lat swapped?" % (lon, lat)
'
run geocode --format geojson --pretty "$A/fr_kati.txt"
assert_py "geojson --pretty parses" 'import json, sys; assert json.load(open(sys.argv[1]))["type"] == "FeatureCollection"'

# The collection goes out an article at a time: still one collection on one line, with each
# article's features in argument order, that OGR reads as one point layer.
run geocode --format geojson "$A/fr_kati.txt" "$A/en_kidal.txt" "$A/fr_togo.txt"
assert_rc 0 "geocode --format geojson, 3 files"
assert_py "geojson of 3 articles: one line, one collection, the articles' features in order" '
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
assert text.endswith("}\n") and text.count("\n") == 1, "not one line ending in a newline"
g = json.loads(text)
assert g["type"] == "FeatureCollection"
order = ["fr_kati.txt", "en_kidal.txt", "fr_togo.txt"]
names = [f["properties"]["source"].rsplit("/", 1)[-1] for f in g["features"]]
assert set(names) == set(order), set(names)
assert names == sorted(names, key=order.index), names
ids = [(f["properties"]["source"], f["id"]) for f in g["features"]]
assert len(set(ids)) == len(ids), "an id repeated within an article"
'
if command -v ogrinfo >/dev/null; then
    if ogrinfo -ro -al -so /vsistdin/ <"$TMP/out" >"$TMP/ogr" 2>&1 && grep -q "Geometry: Point" "$TMP/ogr"; then
        ok "ogrinfo reads the stdout GeoJSON as a point layer"
    else
        bad "ogrinfo reads the stdout GeoJSON as a point layer" "$(head -c 600 "$TMP/ogr")"
    fi
fi
run geocode --format geojson --layer incidents --pretty "$A/fr_kati.txt" "$A/en_kidal.txt"
assert_py "geojson --layer incidents --pretty of 2 articles parses" '
import json, sys
g = json.load(open(sys.argv[1], encoding="utf-8"))
assert g["type"] == "FeatureCollection" and g["features"], g
'

# No place (or no incident) with coordinates: the empty collection, exactly.
printf 'Il pleut depuis hier soir.\n' >"$TMP/none.txt"
for layer in places incidents; do
    run geocode --format geojson --layer $layer "$TMP/none.txt"
    assert_rc 0 "geojson ($layer) of an article without any"
    printf '{"type":"FeatureCollection","features":[]}\n' >"$TMP/want"
    if cmp -s "$TMP/out" "$TMP/want"; then ok "geojson ($layer): the empty collection"; else
        bad "geojson ($layer): the empty collection" "got: $(head -c 300 "$TMP/out")"; fi
done
run geocode --format geojson --pretty "$TMP/none.txt"
printf '{\n\t"type":\t"FeatureCollection",\n\t"features":\t[]\n}\n' >"$TMP/want"
if cmp -s "$TMP/out" "$TMP/want"; then ok "geojson --pretty: the empty collection"; else
    bad "geojson --pretty: the empty collection" "got: $(head -c 300 "$TMP/out")"; fi
# a missing file: the error, exit 1, and the collection of the others (here none)
run geocode --format geojson "$TMP/nothing.txt"
assert_rc 1 "geojson of a missing file"
if cmp -s "$TMP/out" <(printf '{"type":"FeatureCollection","features":[]}\n'); then
    ok "geojson of a missing file: still a collection"
else
    bad "geojson of a missing file: still a collection" "got: $(head -c 300 "$TMP/out")"
fi
# output that cannot be written is an error, now that it goes out as the articles come
if [ -w /dev/full ]; then
    "$INCMAP" geocode --format geojson "$A/fr_kati.txt" "$A/en_kidal.txt" >/dev/full 2>"$TMP/err"
    RC=$?
    assert_rc 1 "geojson to a full disk (/dev/full)"
    assert_contains "$TMP/err" "cannot write the output" "the write error is reported"
fi

# ---- standard input: "-" and no file argument give the same places as the file
run geocode --format json "$A/fr_kati.txt"
"$PY" -c 'import json,sys; print(json.dumps([(p["text"],p["start"],p["geonameid"]) for p in json.loads(open(sys.argv[1]).read())["places"]]))' "$TMP/out" >"$TMP/from_file"
for how in dash none; do
    if [ $how = dash ]; then run_in "$A/fr_kati.txt" geocode --format json -; else run_in "$A/fr_kati.txt" geocode --format json; fi
    assert_rc 0 "stdin ($how)"
    assert_py "stdin ($how): source is \"-\" and the places are the file's" '
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["source"] == "-", d["source"]
got = json.dumps([(p["text"], p["start"], p["geonameid"]) for p in d["places"]])
want = open(sys.argv[2]).read().strip()
assert got == want, "%s\n!= %s" % (got, want)
' "$TMP/from_file"
done

# ---- --published is carried into the output
run geocode --format json --published 2024-02-29 "$A/fr_togo.txt"
assert_rc 0 "--published 2024-02-29 (a leap day)"
assert_py "--published in the JSON" 'import json, sys; d = json.loads(open(sys.argv[1]).read()); assert d["published"] == "2024-02-29", d["published"]'

# ---- a binary file among good ones: exit 1, named with its byte offset; the good ones are output
run geocode --format json "$A/fr_kati.txt" "$A/binary.gif" "$A/en_kidal.txt"
assert_rc 1 "a binary file among good ones"
assert_contains "$TMP/err" "binary.gif" "the error names the binary file"
assert_contains "$TMP/err" "offset" "the error gives a byte offset"
assert_contains "$TMP/err" "offset 6" "the offset is the first control byte's (6)"
assert_py "the good files are still output" '
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert [d["source"].rsplit("/", 1)[-1] for d in docs] == ["fr_kati.txt", "en_kidal.txt"], [d["source"] for d in docs]
'

# ---- a missing file: exit 1, named; the others still output
run geocode --format json "$A/fr_kati.txt" "$TMP/no-such-article.txt"
assert_rc 1 "a missing file"
assert_contains "$TMP/err" "no-such-article.txt" "the error names the missing file"
assert_py "the good file is still output" 'import json, sys; assert len(open(sys.argv[1]).read().splitlines()) == 1'

# ---- empty input is not an error
: >"$TMP/empty.txt"
run geocode --format json "$TMP/empty.txt"
assert_rc 0 "an empty file"
assert_py "an empty file has no places" 'import json, sys; assert json.loads(open(sys.argv[1]).read())["places"] == []'

# ---- --max-bytes
run geocode --max-bytes 100 "$A/fr_kati.txt"
assert_rc 1 "an article over --max-bytes"
assert_contains "$TMP/err" "fr_kati.txt" "the limit error names the file"

# ---- --gazetteer pointing at something that is not a gazetteer
run geocode --gazetteer "$A/fr_kati.txt" "$A/fr_kati.txt"
assert_rc 1 "--gazetteer FILE that is not a gazetteer"
assert_contains "$TMP/err" "fr_kati.txt" "the error names the file"
assert_contains "$TMP/err" "gazetteer" "the error says what was expected"
run geocode --gazetteer "$TMP/nothing.db" "$A/fr_kati.txt"
assert_rc 1 "--gazetteer FILE that does not exist"
assert_contains "$TMP/err" "$TMP/nothing.db" "the error names the path"

# ---- --layer incidents: the incidents view of the text table and of the stdout GeoJSON
run geocode --layer incidents "$A/fr_kati.txt"
assert_rc 0 "--layer incidents, text"
assert_contains "$TMP/out" "SUB-EVENT TYPE" "the incidents table has its header"
assert_contains "$TMP/out" "Kati" "the attack at Kati is listed"
run geocode --layer incidents --format geojson "$A/fr_kati.txt"
assert_rc 0 "--layer incidents, geojson"
assert_py "incident features carry ACLED fields and lon/lat points" '
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["features"] if x["properties"]["location"] == "Kati"]
assert f, d
p = f[0]["properties"]
assert p["event_date"] == "2025-07-14" and p["event_type"] and p["sub_event_type"], p
lon, lat = f[0]["geometry"]["coordinates"]
assert abs(lat - 12.74) < 0.1 and abs(lon + 8.07) < 0.1, (lon, lat)'
run geocode --layer roads "$A/fr_kati.txt"
assert_rc 2 "--layer with an unknown name is a usage error"

# ---- many articles in one process
for i in $(seq 1 40); do echo "$A/fr_kati.txt"; done >"$TMP/list"
# shellcheck disable=SC2046
run geocode --format json $(cat "$TMP/list")
assert_rc 0 "40 articles in one process"
assert_py "40 JSON lines" 'import sys; assert len(open(sys.argv[1]).read().splitlines()) == 40'

finish
