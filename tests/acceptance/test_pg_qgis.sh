# test_pg_qgis.sh: the PostGIS store's layers as an analyst's QGIS reads them straight from the
# database (headless PyQGIS, see pg_qgis_check.py): incmap update codes the fixture and eval
# articles into a throwaway PostgreSQL + PostGIS (tests/cli/pg_lib.sh), then QGIS opens
# incmap.incidents_acled, mentions_layer and articles_layer: valid, counted, in EPSG:4326, styled
# by the defaults stored in layer_styles, time-aware on event_date, rendered. Needs python3-qgis
# and PostgreSQL (test.sh installs both); without them it is skipped (exit 77), unless
# INCMAP_REQUIRE_ACCEPTANCE=1 (set by test.sh), when it fails.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/../cli/pg_lib.sh"

if ! "$PY" -c "import qgis.core" 2>/dev/null; then
    if [ "${INCMAP_REQUIRE_ACCEPTANCE:-0}" = 1 ]; then
        bad "PyQGIS is importable by $PY" "install python3-qgis (./test.sh does)"
        finish
    fi
    echo "skipped: $PY cannot import qgis.core (install python3-qgis, or run ./test.sh)"
    exit 77
fi
pg_start "fsync = off" "synchronous_commit = off"
export QT_QPA_PLATFORM=offscreen
export XDG_RUNTIME_DIR=$TMP/xdg # Qt wants a private runtime directory
mkdir -m 700 "$XDG_RUNTIME_DIR"

run update --store "$PG_URL" --format none "$ARTICLES" "$ROOT/tests/eval/articles" "$FIX/update/batch1"
assert_rc 0 "incmap update into PostGIS"
read -r N_INC N_MEN N_ART <<<"$(pg_psql "SELECT (SELECT count(*) FROM incmap.incidents_acled) || ' ' ||
    (SELECT count(*) FROM incmap.mentions_layer) || ' ' || (SELECT count(*) FROM incmap.articles_layer)")"
[ "$N_INC" -gt 10 ] && ok "$N_INC incidents, $N_MEN mentions, $N_ART articles in the store" || bad "incidents in the store" "$N_INC"
if msg=$("$PY" "$(dirname "$0")/pg_qgis_check.py" 127.0.0.1 "$PG_PORT" incmap postgres "$N_INC" "$N_MEN" "$N_ART" \
    "$TMP/pg.png" 2>&1); then
    ok "QGIS: PostGIS layers valid, counted, styled, temporal, rendered"
else
    bad "QGIS: PostGIS layers" "$(echo "$msg" | grep -v '^ok ')"
fi
echo "$msg" | sed 's/^/       /'
finish
