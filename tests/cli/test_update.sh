# test_update.sh: incmap update and incmap export end to end, on the articles of
# tests/fixtures/update: batches (only new articles are coded), idempotent re-runs, an edit, a
# removal, --keep-missing, a renamed file, reports of one incident merged across articles and a
# feed, HTML pages, a corrupt article and a broken feed line among good ones, export filters.
# (The lock and overlapping runs: test_update_lock.sh; kill -9 at random: test_update_crash.sh.)
. "$(dirname "$0")/lib.sh"

FIXU=$FIX/update
IN=$TMP/in
STORE=$TMP/store.db
OUT=$TMP/layers
mkdir -p "$IN"
export SOURCE_DATE_EPOCH=1750000000 # processed_at: reproducible outputs

upd() { run update --store "$STORE" --out "$OUT" --format gpkg,geojson "$@"; }

# summary_is FIELD VALUE LABEL: checks one count of the summary line ("3 new", "1 merged").
summary_is() {
    if grep -qE "(^|[ ,;])$2 $1([,;]| in store)" "$TMP/out"; then
        ok "$3"
    else
        bad "$3" "expected '$2 $1' in the summary" "got: $(grep '^update:' "$TMP/out")"
    fi
}

# incidents.py CODE: runs Python with the incidents of out/incidents.geojson as `inc` (a list of
# property dicts) and `byloc` (location -> list of them).
incidents_py() {
    local label=$1 code=$2
    "$PY" - "$OUT/incidents.geojson" <<EOF >"$TMP/py.out" 2>&1 && ok "$label" || bad "$label" "$(cat "$TMP/py.out")"
import json, sys
fc = json.load(open(sys.argv[1], encoding="utf-8"))
inc = [f["properties"] for f in fc["features"]]
byloc = {}
for p in inc:
    byloc.setdefault(p["location"], []).append(p)
$code
EOF
}

# ---------------------------------------------------------------- usage
run update
assert_rc 2 "update without INPUT is a usage error"
run update --format shapefile "$IN"
assert_rc 2 "unknown format is a usage error"
assert_contains "$TMP/err" "shapefile" "the message names the format"
run update --wait soon "$IN"
assert_rc 2 "--wait takes seconds"
run update --help
assert_rc 0 "update --help"
assert_contains "$TMP/out" "--keep-missing" "help lists --keep-missing"
run help update
assert_rc 0 "incmap help update"
run help export
assert_rc 0 "incmap help export"
run help
assert_contains "$TMP/out" "update INPUT" "incmap help lists update"

# ---------------------------------------------------------------- batch 1
cp "$FIXU"/batch1/*.txt "$IN/"
upd -v "$IN"
assert_rc 0 "batch 1"
summary_is new 3 "batch 1: 3 new articles"
summary_is added 2 "batch 1: 2 incidents (the two Djibo reports are one)"
summary_is merged 1 "batch 1: one report merged"
for f in incidents.gpkg incidents.geojson mentions.geojson articles.geojson; do
    [ -s "$OUT/$f" ] && ok "batch 1 wrote $f" || bad "batch 1 wrote $f" "missing: $(ls "$OUT")"
done
incidents_py "Djibo: one incident, both sources, 23 killed (the later report's figure)" '
d = byloc["Djibo"]
assert len(d) == 1, d
d = d[0]
assert d["fatalities"] == 23, d["fatalities"]
srcs = d["source"].split("; ")
assert [s.rsplit("/", 1)[-1] for s in srcs] == ["djibo_embuscade.txt", "djibo_bilan.txt"], srcs
assert d["event_date"] == "2025-02-16", d["event_date"]
assert "Merged from 2 reports" in d["notes"], d["notes"]
assert d["event_id_cnty"].startswith("BFA"), d["event_id_cnty"]
'
"$PY" - "$OUT/incidents.gpkg" <<'EOF' >"$TMP/py.out" 2>&1 && ok "the GeoPackage holds the same incidents and all three layers" || bad "GeoPackage layers" "$(cat "$TMP/py.out")"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
names = {r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")}
assert {"incidents", "mentions", "articles"} <= names, names
assert db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 2
assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
EOF
cp "$OUT/incidents.geojson" "$TMP/b1.geojson"
cp "$OUT/incidents.gpkg" "$TMP/b1.gpkg"

# ---------------------------------------------------------------- idempotent
upd -v "$IN"
assert_rc 0 "batch 1 again"
summary_is unchanged 3 "nothing new: 3 unchanged"
summary_is new 0 "nothing new: 0 new"
assert_contains "$TMP/out" "0 layers written" "nothing changed: layers left alone"
cmp -s "$OUT/incidents.geojson" "$TMP/b1.geojson" && cmp -s "$OUT/incidents.gpkg" "$TMP/b1.gpkg" &&
    ok "outputs byte-identical after a second run" || bad "outputs byte-identical after a second run"
cp "$STORE" "$TMP/store1"
upd "$IN"
cmp -s "$STORE" "$TMP/store1" && ok "the store file is byte-identical after a third run" ||
    bad "the store file is byte-identical after a third run"
[ ! -e "$STORE-wal" ] && ok "no WAL file left at rest" || bad "no WAL file left at rest"

# ---------------------------------------------------------------- batch 2: only the new ones
cp "$FIXU"/batch2/* "$IN/"
upd -v "$IN"
assert_rc 0 "batch 2"
summary_is new 4 "batch 2: 4 new (2 files, 2 feed entries)"
summary_is unchanged 3 "batch 2: batch 1 skipped"
if grep '^new' "$TMP/out" | grep -q -e djibo -e kati_manifestation; then
    bad "batch 2 codes only the new articles" "$(grep '^new' "$TMP/out")"
else
    ok "batch 2 codes only the new articles"
fi
assert_contains "$TMP/out" "feed.jsonl#sahel-002" "feed entries are keyed FEED#ID"
incidents_py "Kati: the article and the feed entry are one incident" '
k = byloc["Kati"]
assert len(k) == 1, k
srcs = k[0]["source"].split("; ")
assert len(srcs) == 2 and "https://example.org/sahel/001" in srcs, srcs
'
incidents_py "HTML page and HTML feed entry coded" '
assert "Ménaka" in byloc, sorted(byloc)
assert byloc["Sirakorola"][0]["source"] == "https://example.org/sahel/002", byloc["Sirakorola"]
'
"$PY" - "$OUT/articles.geojson" "$OUT/mentions.geojson" <<'EOF' >"$TMP/py.out" 2>&1 && ok "HTML: title from <title>, no script text, entities decoded" || bad "HTML article" "$(cat "$TMP/py.out")"
import json, sys
arts = [f["properties"] for f in json.load(open(sys.argv[1], encoding="utf-8"))["features"]]
titles = {a["source"]: a["title"] for a in arts}
menaka = [t for s, t in titles.items() if s.endswith("/menaka_bergers.html")]
assert menaka == ["Ménaka : cinq bergers enlevés | Le Journal du Sahel"], titles
assert titles["https://example.org/sahel/001"] == "Kati : colère des commerçants", titles
ments = [f["properties"] for f in json.load(open(sys.argv[2], encoding="utf-8"))["features"]]
texts = {m["text"] for m in ments}
assert "Ménaka" in texts, texts
assert not any("showAd" in t or "&" in t for t in texts), texts
EOF
EID_KATI=$("$PY" -c 'import json,sys; print([f["properties"]["event_id_cnty"] for f in json.load(open(sys.argv[1]))["features"] if f["properties"]["location"] == "Kati"][0])' "$OUT/incidents.geojson")

# ---------------------------------------------------------------- edit one
cp "$FIXU/edits/kati_manifestation.txt" "$IN/kati_manifestation.txt"
upd -v "$IN"
assert_rc 0 "an edited article"
summary_is changed 1 "the edit: 1 changed"
summary_is unchanged 6 "the edit: the others skipped"
assert_contains "$TMP/out" "changed   $IN/kati_manifestation.txt" "verbose names the changed article"
incidents_py "the edited article replaced its old version, its incident kept its id" "
k = byloc['Kati']
assert len(k) == 1 and k[0]['event_id_cnty'] == '$EID_KATI', k
assert len(k[0]['source'].split('; ')) == 2, k[0]['source']
"
"$PY" - "$STORE" <<'EOF' >"$TMP/py.out" 2>&1 && ok "the old version's records are gone from the store" || bad "old version gone" "$(cat "$TMP/py.out")"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("SELECT count(*) FROM articles WHERE source LIKE '%kati_manifestation.txt'").fetchone()[0]
assert n == 1, n
orphans = db.execute("SELECT count(*) FROM reports WHERE article_id NOT IN (SELECT article_id FROM articles)").fetchone()[0]
orphans += db.execute("SELECT count(*) FROM mentions WHERE article_id NOT IN (SELECT article_id FROM articles)").fetchone()[0]
assert orphans == 0, orphans
EOF

# ---------------------------------------------------------------- remove one; --keep-missing
rm "$IN/tibi_drone.txt"
upd -v --keep-missing "$IN"
assert_rc 0 "a removed article with --keep-missing"
summary_is removed 0 "--keep-missing: nothing removed"
incidents_py "--keep-missing keeps its incident" 'assert "Tibi II" in byloc, sorted(byloc)'
upd -v "$IN"
assert_rc 0 "a removed article"
summary_is removed 1 "the removal: 1 article removed"
assert_contains "$TMP/out" "removed   $IN/tibi_drone.txt" "verbose names the removed article"
incidents_py "its incident is gone" 'assert "Tibi II" not in byloc, sorted(byloc)'

# A feed entry that disappears goes too; the feed's other entry stays.
head -n 1 "$IN/feed.jsonl" >"$TMP/feed1" && mv "$TMP/feed1" "$IN/feed.jsonl"
upd -v "$IN"
summary_is removed 1 "an entry gone from its feed is removed"
incidents_py "the feed's remaining entry still reports Kati" '
assert "Sirakorola" not in byloc, sorted(byloc)
assert len(byloc["Kati"][0]["source"].split("; ")) == 2
'

# A renamed file: the same content, recognised by its hash, not coded again.
mv "$IN/djibo_bilan.txt" "$IN/djibo_bilan_renamed.txt"
upd -v "$IN"
assert_rc 0 "a renamed article"
assert_contains "$TMP/out" "same content as another input" "the renamed file is not coded again"
summary_is added 0 "the rename adds no incident"
summary_is removed 0 "the rename removes no incident"
incidents_py "Djibo still has two sources after the rename" 'assert len(byloc["Djibo"][0]["source"].split("; ")) == 2'

# ---------------------------------------------------------------- a corrupt article among good ones
mkdir -p "$IN/more"
cp "$FIXU"/corrupt/* "$IN/more/"
upd "$IN"
assert_rc 1 "corrupt inputs make the run exit 1"
assert_contains "$TMP/err" "$IN/more/scan_illisible.txt: byte 0x01 at offset 6" "the binary file is named with its byte offset"
assert_contains "$TMP/err" "$IN/more/feed.jsonl:2: not JSON" "a truncated feed line is named with its line"
assert_contains "$TMP/err" "$IN/more/feed.jsonl:3: \"published\" is \"hier\"" "a bad date is named with its line"
assert_contains "$TMP/err" "$IN/more/feed.jsonl:4: no \"id\"" "an entry without id is named with its line"
summary_is failed 4 "the summary counts the 4 failures"
summary_is new 2 "the good article and the good feed entry are recorded"
incidents_py "the good ones are in the layers, merged" '
g = byloc["Gao"]
assert len(g) == 1 and g[0]["fatalities"] == 3, g
assert len(g[0]["source"].split("; ")) == 2, g[0]["source"]
'
# A feed with a broken line removes nothing (the entry it held may still be there).
"$PY" - "$IN/more/feed.jsonl" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p, encoding="utf-8").read().split("\n")
open(p, "w", encoding="utf-8").write("\n".join(lines[1:]))  # c-1 gone, the broken lines still there
EOF
upd -v "$IN"
summary_is removed 0 "a feed with broken lines removes nothing"
rm "$IN/more/feed.jsonl" "$IN/more/scan_illisible.txt"
upd -v "$IN"
assert_rc 0 "corrupt files gone: exit 0"
summary_is removed 1 "a whole feed gone: its entries are removed"

# ---------------------------------------------------------------- inputs that are not there
run update --store "$STORE" --out "$OUT" "$TMP/nowhere" "$IN"
assert_rc 1 "a missing input fails the run"
assert_contains "$TMP/err" "$TMP/nowhere" "the missing input is named"
summary_is removed 0 "a missing input removes nothing"

# ---------------------------------------------------------------- layers that cannot be written
# The store takes the new article; the old layers stay; the next run that can write them does.
cp "$FIXU/batch2/tibi_drone.txt" "$IN/tibi_drone.txt"
: >"$TMP/not_a_dir"
run update --store "$STORE" --out "$TMP/not_a_dir" --format geojson "$IN"
assert_rc 1 "an output that is not a directory: exit 1"
assert_contains "$TMP/err" "not_a_dir" "the message names the output"
summary_is new 1 "the article was recorded all the same"
incidents_py "the old layers are untouched" 'assert "Tibi II" not in byloc, sorted(byloc)'
upd "$IN"
assert_rc 0 "the next run"
incidents_py "the next run writes the layers with the article" 'assert "Tibi II" in byloc, sorted(byloc)'

# ---------------------------------------------------------------- no layers; quiet
run update --store "$STORE" --format none -q "$IN"
assert_rc 0 "--format none --quiet"
[ ! -s "$TMP/out" ] && ok "--quiet prints no summary" || bad "--quiet prints no summary" "$(cat "$TMP/out")"

# ---------------------------------------------------------------- export
run export --store "$TMP/none.db" --out "$TMP/x"
assert_rc 1 "export from a missing store"
assert_contains "$TMP/err" "no store at" "the message says there is no store"
[ ! -e "$TMP/none.db" ] && ok "export does not create a store" || bad "export does not create a store"
run export --store "$STORE" --since 2025-13-01
assert_rc 2 "export --since with a bad date"
run export --store "$STORE" --bbox 1,2,3
assert_rc 2 "export --bbox needs four numbers"
run export --store "$STORE" --country Mali
assert_rc 2 "export --country needs codes"
run export --store "$STORE" --out "$TMP/exp" --format geojson
assert_rc 0 "export, no filter"
cmp -s "$TMP/exp/incidents.geojson" "$OUT/incidents.geojson" && ok "export gives the layers update wrote" ||
    bad "export gives the layers update wrote" "$(diff "$TMP/exp/incidents.geojson" "$OUT/incidents.geojson" | head -3)"
exp_py() {
    local label=$1 code=$2
    "$PY" - "$TMP/exp/incidents.geojson" "$TMP/exp/articles.geojson" "$TMP/exp/mentions.geojson" <<EOF >"$TMP/py.out" 2>&1 && ok "$label" || bad "$label" "$(cat "$TMP/py.out")"
import json, sys
load = lambda p: [f["properties"] for f in json.load(open(p, encoding="utf-8"))["features"]]
inc, arts, ments = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
locs = sorted(p["location"] for p in inc)
$code
EOF
}
run export --store "$STORE" --out "$TMP/exp" --format geojson --country BF
assert_rc 0 "export --country BF"
exp_py "--country BF: Djibo only, with its two articles and their mentions" '
assert locs == ["Djibo"], locs
assert len(arts) == 2, [a["source"] for a in arts]
assert ments and all(m["country"] == "BF" for m in ments), {m["country"] for m in ments}
'
run export --store "$STORE" --out "$TMP/exp" --format geojson --country mli --since 2025-04-01
assert_rc 0 "export --country mli --since 2025-04-01"
exp_py "--since and an alpha-3 code" 'assert locs == ["Gao", "Inékar", "Ménaka", "Tibi II"], locs'
run export --store "$STORE" --out "$TMP/exp" --format geojson --bbox=-9,12,-7,13.5
assert_rc 0 "export --bbox"
exp_py "--bbox around Kati" 'assert locs == ["Kati"], locs'
assert_contains "$TMP/out" "export: 1 incidents" "export prints what it wrote"

# An export into update's own directory: the next update puts the full layers back.
run export --store "$STORE" --out "$OUT" --format geojson --country BF
upd "$IN"
assert_contains "$TMP/out" "1 layer written" "after a filtered export, update rewrites the layers"
incidents_py "the full layers are back" 'assert len(byloc) > 1, sorted(byloc)'
# Layers deleted by hand are written again.
rm "$OUT/mentions.geojson"
upd "$IN"
assert_contains "$TMP/out" "1 layer written" "a missing layer file is written again"

finish
