# test_qgis.sh: the layers as an analyst gets them, opened in QGIS itself (headless PyQGIS, see
# qgis_check.py): a GeoPackage and a GeoJSON set written by `incmap geocode -o` from the fixture
# and eval articles. Needs Debian's python3-qgis (test.sh installs it). Without it the test is
# skipped (exit 77), unless INCMAP_REQUIRE_ACCEPTANCE=1 (set by test.sh), when it fails.
. "$(dirname "$0")/../cli/lib.sh"

if ! "$PY" -c "import qgis.core" 2>/dev/null; then
    if [ "${INCMAP_REQUIRE_ACCEPTANCE:-0}" = 1 ]; then
        bad "PyQGIS is importable by $PY" "install python3-qgis (./test.sh does)"
        finish
    fi
    echo "skipped: $PY cannot import qgis.core (install python3-qgis, or run ./test.sh)"
    exit 77
fi
export QT_QPA_PLATFORM=offscreen
export XDG_RUNTIME_DIR=$TMP/xdg # Qt wants a private runtime directory
mkdir -m 700 "$XDG_RUNTIME_DIR"

ARTS=$(ls "$ARTICLES"/*.txt "$ROOT"/tests/eval/articles/*.txt)
# shellcheck disable=SC2086
"$INCMAP" geocode --format json $ARTS >"$TMP/all.jsonl" 2>/dev/null
read -r N_INC N_MEN N_ART <<<"$("$PY" -c '
import hashlib, json, sys
docs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
print(sum(len(d["incidents"]) for d in docs),
      sum(1 for d in docs for p in d["places"] if p["resolved"] and p["lat"] is not None),
      len({hashlib.sha256(open(d["source"], "rb").read()).hexdigest() for d in docs}))
' "$TMP/all.jsonl")"

for kind in gpkg geojson; do
    mkdir -p "$TMP/$kind"
    out=$TMP/$kind/incidents.$kind
    # shellcheck disable=SC2086
    run geocode --format "$kind" -o "$out" $ARTS
    assert_rc 0 "geocode --format $kind -o"
    if [ "$kind" = gpkg ]; then k=gpkg; else k=files; fi
    if msg=$("$PY" "$(dirname "$0")/qgis_check.py" "$k" "$out" "$N_INC" "$N_MEN" "$N_ART" "$TMP/$kind.png" 2>&1); then
        ok "QGIS: $kind layers valid, counted, styled, temporal, rendered"
    else
        bad "QGIS: $kind" "$(echo "$msg" | grep -v '^ok ')"
    fi
    echo "$msg" | sed 's/^/       /'
done
finish
