# test_layers.sh: incmap geocode -o: GeoPackage and other OGR layers on the fixture and eval
# articles, read back with GDAL's own tools (ogrinfo, the GeoPackage validator); GeoJSON reruns
# byte-identical; FlatGeobuf, CSV and KML; errors for unknown drivers and unwritable paths with
# nothing left behind. (QGIS itself and an independent GeoJSON validator: tests/acceptance/.)
. "$(dirname "$0")/lib.sh"

ARTS=$(ls "$ARTICLES"/*.txt "$ROOT"/tests/eval/articles/*.txt)

# The counts incmap's JSON output implies: incidents, resolved mentions with coordinates,
# distinct articles (by content), and incidents with coordinates, as
# "N_INCIDENTS N_MENTIONS N_ARTICLES N_INCIDENTS_WITH_COORDINATES".
# shellcheck disable=SC2086
"$INCMAP" geocode --format json $ARTS >"$TMP/all.jsonl" 2>/dev/null
WANT=$("$PY" -c '
import hashlib, json, sys
inc = men = inc_xy = 0
shas = set()
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    inc += len(d["incidents"])
    inc_xy += sum(1 for x in d["incidents"] if x["lat"] is not None)
    men += sum(1 for p in d["places"] if p["resolved"] and p["lat"] is not None)
    shas.add(hashlib.sha256(open(d["source"], "rb").read()).hexdigest())
print(inc, men, len(shas), inc_xy)
' "$TMP/all.jsonl")
read -r N_INC N_MEN N_ART N_INC_XY <<<"$WANT"
echo "expecting $N_INC incidents, $N_MEN mentions, $N_ART articles"

# layer_counts FILE [LAYER...]: "layer=count" for each layer (all without LAYER), from ogrinfo.
layer_counts() {
    local file=$1
    shift
    [ $# -gt 0 ] || set -- -al
    ogrinfo -ro -so "$file" "$@" 2>&1 | awk '/^Layer name:/ {n=$3} /^Feature Count:/ {printf "%s=%s ", n, $3}'
}

# ---- GeoPackage
mkdir -p "$TMP/gpkg"
# shellcheck disable=SC2086
run geocode --format gpkg -o "$TMP/gpkg/incidents.gpkg" $ARTS
assert_rc 0 "geocode --format gpkg -o"
assert_contains "$TMP/err" "$N_INC incidents, $N_MEN mentions, $N_ART articles" "summary on stderr"
if ogrinfo -ro -al -so "$TMP/gpkg/incidents.gpkg" >"$TMP/ogrinfo.txt" 2>&1; then
    ok "ogrinfo -ro -al -so reads the GeoPackage"
else
    bad "ogrinfo -ro -al -so reads the GeoPackage" "$(head -c 600 "$TMP/ogrinfo.txt")"
fi
got=$(layer_counts "$TMP/gpkg/incidents.gpkg" incidents mentions articles)
want="incidents=$N_INC mentions=$N_MEN articles=$N_ART "
if [ "$got" = "$want" ]; then ok "GeoPackage layers and counts: $got"; else bad "GeoPackage counts" "want $want" "got  $got"; fi
assert_contains "$TMP/ogrinfo.txt" "event_date: Date" "event_date is a Date field"
assert_contains "$TMP/ogrinfo.txt" "fatalities: Integer" "fatalities is an Integer field"
assert_contains "$TMP/ogrinfo.txt" 'ID["EPSG",4326]' "EPSG:4326"
assert_contains "$TMP/ogrinfo.txt" "event_type: String (0.0), domain name=event_type" "event_type has its domain"
if msg=$("$PY" -m osgeo_utils.samples.validate_gpkg "$TMP/gpkg/incidents.gpkg" 2>&1); then
    ok "GDAL's GeoPackage validator passes"
else
    bad "GDAL's GeoPackage validator" "$msg"
fi
assert_py "GeoPackage: R-tree on both point layers, default QGIS styles" '
import sqlite3, sys
c = sqlite3.connect(sys.argv[2])
tables = {r[0] for r in c.execute("select name from sqlite_master where type = \"table\"")}
assert {"rtree_incidents_geom", "rtree_mentions_geom", "layer_styles"} <= tables, tables
rows = c.execute("select f_table_name, f_geometry_column from layer_styles where useAsDefault and f_table_schema = \"\"").fetchall()
assert sorted(rows) == [("articles", ""), ("incidents", "geom"), ("mentions", "geom")], rows
' "$TMP/gpkg/incidents.gpkg"

# ---- GeoJSON: two runs give the same bytes; RFC 7946 shape
mkdir -p "$TMP/gj1" "$TMP/gj2"
# shellcheck disable=SC2086
run geocode --format geojson -o "$TMP/gj1/incidents.geojson" $ARTS
assert_rc 0 "geocode --format geojson -o"
# shellcheck disable=SC2086
run geocode -o "$TMP/gj2/incidents.geojson" $ARTS
assert_rc 0 "geocode -o x.geojson (format from the extension)"
for f in incidents.geojson mentions.geojson articles.geojson incidents.qml mentions.qml articles.qml; do
    if cmp -s "$TMP/gj1/$f" "$TMP/gj2/$f"; then ok "rerun byte-identical: $f"; else bad "rerun differs: $f"; fi
done
got=$(layer_counts "$TMP/gj1/incidents.geojson")$(layer_counts "$TMP/gj1/mentions.geojson")$(layer_counts "$TMP/gj1/articles.geojson")
if [ "$got" = "$want" ]; then ok "GeoJSON files and counts: $got"; else bad "GeoJSON counts" "want $want" "got  $got"; fi
assert_py "GeoJSON: RFC 7946 (no crs, lon/lat with at most 6 decimals, unique string ids)" '
import json, re, sys
for name in ("incidents", "mentions", "articles"):
    text = open(sys.argv[2] + "/" + name + ".geojson", encoding="utf-8").read()
    fc = json.loads(text)
    assert fc["type"] == "FeatureCollection" and "crs" not in fc, name + ": crs member"
    ids = [f["id"] for f in fc["features"]]
    assert all(isinstance(i, str) and i for i in ids) and len(set(ids)) == len(ids), name + ": ids"
    for f in fc["features"]:
        g = f["geometry"]
        if g is None:
            continue
        lon, lat = g["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90, (name, g)
        assert abs(lat - f["properties"]["latitude"]) < 1e-9 and abs(lon - f["properties"]["longitude"]) < 1e-9, f
    coords = re.findall(r"\"coordinates\": \[ ([-0-9.e]+), ([-0-9.e]+) \]", text)
    assert all(len(c.split(".")[-1]) <= 6 for pair in coords for c in pair if "." in c), name + ": decimals"
    if name == "incidents":
        assert all(f["id"] == f["properties"]["event_id_cnty"] for f in fc["features"])
        assert all(re.fullmatch(r"[A-Z]{3}[0-9]+", i) for i in ids), ids[:5]
' "$TMP/gj1"

# ---- other OGR drivers: by extension and by name
for ext in fgb csv kml; do
    mkdir -p "$TMP/$ext"
    # shellcheck disable=SC2086
    run geocode -o "$TMP/$ext/incidents.$ext" $ARTS
    assert_rc 0 "geocode -o incidents.$ext"
    got=$(layer_counts "$TMP/$ext/incidents.$ext")$(layer_counts "$TMP/$ext/mentions.$ext")
    if [ "$ext" = fgb ]; then
        # FlatGeobuf holds no feature without geometry: the table goes to CSV, unlocated incidents are left out
        got=$got$(layer_counts "$TMP/$ext/articles.csv")
        want_ext="incidents=$N_INC_XY mentions=$N_MEN articles=$N_ART "
    else
        got=$got$(layer_counts "$TMP/$ext/articles.$ext")
        want_ext=$want
    fi
    if [ "$got" = "$want_ext" ]; then ok "$ext counts: $got"; else bad "$ext counts" "want $want_ext" "got  $got"; fi
    assert_contains "$TMP/err" "incidents.$ext (" "$ext: the summary names the file"
done
assert_contains "$TMP/csv/incidents.csvt" 'String,Date,Integer' "CSV: column types kept in a .csvt"
# Values in the right columns, read back by field name (KML's driver adds fields of its own
# before ours): Kati's incident of fr_kati.txt, in each format.
for ext in fgb csv kml; do
    got=$(ogrinfo -ro -q -al "$TMP/$ext/incidents.$ext" -where "location = 'Kati' AND source LIKE '%fr_kati.txt'" 2>&1 |
          grep -E "^  (location|country|iso|event_type) " | tr -s ' ' | tr '\n' ';')
    case $got in
        *"event_type (String) = "[A-Z]*"country (String) = Mali;"*"iso (Integer) = 466;"*"location (String) = Kati;"*)
            ok "$ext: fields hold their own values" ;;
        *) bad "$ext: fields hold their own values" "$got" ;;
    esac
done
mkdir -p "$TMP/byname"
run geocode --format FlatGeobuf -o "$TMP/byname/incidents.dat" "$ARTICLES/fr_kati.txt"
assert_rc 0 "--format FlatGeobuf with any file name"
assert_contains "$TMP/err" "(FlatGeobuf)" "the driver named is the driver used"

# ---- replacing an existing output; a bad input still fails the run but not the output
run geocode --format gpkg -o "$TMP/gpkg/incidents.gpkg" "$ARTICLES/fr_kati.txt" "$ARTICLES/binary.gif"
assert_rc 1 "a binary input: exit 1, the others written"
assert_contains "$TMP/err" "binary.gif" "the failing input is named"
got=$(layer_counts "$TMP/gpkg/incidents.gpkg" articles)
if [ "$got" = "articles=1 " ]; then ok "the output was replaced with the good article only"; else bad "replace" "got $got"; fi
run_in "$ARTICLES/fr_kati.txt" geocode -o "$TMP/gpkg/stdin.gpkg" -
assert_rc 0 "standard input to layers"
assert_py "standard input: source '-' and a processed_at" '
import sqlite3, sys
rows = sqlite3.connect(sys.argv[2]).execute("select source, processed_at from articles").fetchall()
assert len(rows) == 1 and rows[0][0] == "-" and rows[0][1].endswith("Z"), rows
' "$TMP/gpkg/stdin.gpkg"
run geocode -o "$TMP/gpkg/twice.gpkg" "$ARTICLES/fr_kati.txt" "$ARTICLES/fr_kati.txt"
assert_rc 0 "the same article twice"
assert_contains "$TMP/err" "same bytes as an earlier article" "a repeated article is written once, and said so"

# ---- errors: clear message, right exit status, no file left
mkdir -p "$TMP/bad"
run geocode --format NoSuchDriver -o "$TMP/bad/incidents.xyz" "$ARTICLES/fr_kati.txt"
assert_rc 2 "unknown OGR driver"
assert_contains "$TMP/err" "unknown OGR driver 'NoSuchDriver'" "the message names the driver"
assert_contains "$TMP/err" "ogrinfo --formats" "the message says where to find driver names"
run geocode -o "$TMP/bad/incidents.xyz" "$ARTICLES/fr_kati.txt"
assert_rc 2 "an extension no driver writes"
run geocode --format gpkg -o "$TMP/bad/no/such/dir/incidents.gpkg" "$ARTICLES/fr_kati.txt"
assert_rc 1 "a directory that does not exist"
assert_contains "$TMP/err" "$TMP/bad/no/such/dir" "the message names the directory"
touch "$TMP/bad/plain"
run geocode --format geojson -o "$TMP/bad/plain/incidents.geojson" "$ARTICLES/fr_kati.txt"
assert_rc 1 "a path under a plain file"
left=$(ls -A "$TMP/bad")
if [ "$left" = "plain" ]; then ok "nothing left behind by the failures"; else bad "files left behind" "$left"; fi
run geocode --format gpkg "$ARTICLES/fr_kati.txt"
assert_rc 2 "--format gpkg without -o"
run geocode --format json -o "$TMP/bad/x.gpkg" "$ARTICLES/fr_kati.txt"
assert_rc 2 "-o with --format json"

# ---- standard output GeoJSON is unchanged without -o
run geocode --format geojson "$ARTICLES/fr_kati.txt"
assert_rc 0 "--format geojson without -o"
assert_py "--format geojson without -o: a FeatureCollection of places on stdout" '
import json, sys
fc = json.load(open(sys.argv[1], encoding="utf-8"))
assert fc["type"] == "FeatureCollection" and fc["features"] and "text" in fc["features"][0]["properties"]
'
run geocode --help
assert_contains "$TMP/out" "-o, --output PATH" "--help documents -o"

finish
