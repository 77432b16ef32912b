# test_geojson_validator.sh: the GeoJSON layers checked by an independent validator, the npm
# package geojson-validation (its gjv command), which test.sh installs in a cache directory
# (not globally); plus our own check that no crs member is written (gjv does not look for one).
# Without gjv the test is skipped (exit 77), unless INCMAP_REQUIRE_ACCEPTANCE=1 (set by test.sh).
. "$(dirname "$0")/../cli/lib.sh"

GJV=${INCMAP_GJV:-${XDG_CACHE_HOME:-$HOME/.cache}/incmap-test-deps/node_modules/.bin/gjv}
if [ ! -x "$GJV" ] || ! command -v node >/dev/null; then
    if [ "${INCMAP_REQUIRE_ACCEPTANCE:-0}" = 1 ]; then
        bad "gjv found at $GJV" "run ./test.sh, or npm install --prefix DIR geojson-validation and set INCMAP_GJV"
        finish
    fi
    echo "skipped: no gjv at $GJV (run ./test.sh, or set INCMAP_GJV)"
    exit 77
fi

# The validator must be able to say no, or its "valid!" means nothing.
printf '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":["x"]},"properties":{}}]}' >"$TMP/broken.geojson"
if "$GJV" "$TMP/broken.geojson" | grep -qx 'valid!'; then bad "gjv rejects a broken file"; else ok "gjv rejects a broken file"; fi

ARTS=$(ls "$ARTICLES"/*.txt "$ROOT"/tests/eval/articles/*.txt)
# shellcheck disable=SC2086
run geocode --format geojson -o "$TMP/incidents.geojson" $ARTS
assert_rc 0 "geocode --format geojson -o"
for layer in incidents mentions articles; do
    verdict=$("$GJV" "$TMP/$layer.geojson" 2>&1)
    if [ "$verdict" = "valid!" ]; then ok "gjv: $layer.geojson valid"; else bad "gjv: $layer.geojson" "$(echo "$verdict" | head -5)"; fi
    if "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit("crs" in d or any("crs" in f for f in d["features"]))' \
        "$TMP/$layer.geojson"; then
        ok "$layer.geojson has no crs member"
    else
        bad "$layer.geojson has a crs member"
    fi
done
# shellcheck disable=SC2086
run geocode --format geojson $ARTS
verdict=$("$GJV" "$TMP/out" 2>&1)
if [ "$verdict" = "valid!" ]; then ok "gjv: --format geojson on stdout valid"; else bad "gjv: stdout GeoJSON" "$(echo "$verdict" | head -5)"; fi
finish
