# test_pg_update.sh: incmap update and export with a PostgreSQL/PostGIS store (--store
# postgresql://...), on a throwaway server (pg_lib.sh). The SQLite store is the reference: every
# step of tests/cli/test_update.sh's story (batches, a re-run, an edit, removals, a rename,
# corrupt inputs, filtered exports) runs on both stores, and their summaries and GeoJSON layers
# must be the same, byte for byte. Then what only PostgreSQL has: the schema (PostGIS points,
# GiST indexes, the version table, the QGIS views and styles), the GDAL-style PG: form, the
# guard that keeps an input another worker recorded during a run, and the error messages
# (server down, bad URL, a database without a store, a foreign or newer schema).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

pg_start "fsync = off" "synchronous_commit = off" "full_page_writes = off"
FIXU=$FIX/update
IN=$TMP/in
mkdir -p "$IN" "$TMP/sq" "$TMP/pg"
export SOURCE_DATE_EPOCH=1750000000

# both ARGS...: incmap update on the SQLite store (output in $TMP/sq.*) and on PostgreSQL
# ($TMP/pg.*), each writing GeoJSON layers to its own directory.
both() {
    "$INCMAP" update --store "$TMP/sq/store.db" --out "$TMP/sq" --format geojson "$@" >"$TMP/sq.out" 2>"$TMP/sq.err"
    RC_SQ=$?
    "$INCMAP" update --store "$PG_URL" --out "$TMP/pg" --format geojson "$@" >"$TMP/pg.out" 2>"$TMP/pg.err"
    RC=$?
    cp "$TMP/pg.out" "$TMP/out"
    cp "$TMP/pg.err" "$TMP/err"
}

# same LABEL: the two runs exited alike, said the same (but the time), wrote the same layers.
same() {
    local label=$1 why=""
    [ "$RC" = "$RC_SQ" ] || why="exit $RC (PostgreSQL) vs $RC_SQ (SQLite)"
    sed "s/; [0-9.]* s\$//; s#$TMP/sq/#OUT/#" "$TMP/sq.out" >"$TMP/sq.sum"
    sed "s/; [0-9.]* s\$//; s#$TMP/pg/#OUT/#" "$TMP/pg.out" >"$TMP/pg.sum"
    cmp -s "$TMP/sq.sum" "$TMP/pg.sum" || why="$why; summaries differ: $(diff "$TMP/sq.sum" "$TMP/pg.sum" | head -4)"
    for f in incidents mentions articles; do
        cmp -s "$TMP/sq/$f.geojson" "$TMP/pg/$f.geojson" || why="$why; $f.geojson differs"
    done
    if [ -z "$why" ]; then ok "$label: PostgreSQL and SQLite agree"; else bad "$label" "$why" "stderr: $(head -c 400 "$TMP/pg.err")"; fi
}

# ---------------------------------------------------------------- the story of test_update.sh
cp "$FIXU"/batch1/*.txt "$IN/"
both -v "$IN"
assert_rc 0 "batch 1 into a new PostgreSQL store"
assert_contains "$TMP/out" "3 new" "batch 1: 3 new"
assert_contains "$TMP/out" "1 merged" "batch 1: the two Djibo reports merged"
same "batch 1"
both -v "$IN"
assert_contains "$TMP/out" "3 unchanged" "a second run: 3 unchanged"
assert_contains "$TMP/out" "0 layers written" "a second run: layers left alone"
same "a second run"
cp "$FIXU"/batch2/* "$IN/"
both -v "$IN"
same "batch 2 (a page, a feed)"
cp "$FIXU/edits/kati_manifestation.txt" "$IN/kati_manifestation.txt"
both -v "$IN"
assert_contains "$TMP/out" "1 changed" "the edit: 1 changed"
same "an edited article"
rm "$IN/tibi_drone.txt"
both -v --keep-missing "$IN"
same "--keep-missing"
both -v "$IN"
assert_contains "$TMP/out" "1 removed" "the removal: 1 removed"
same "a removed article"
head -n 1 "$IN/feed.jsonl" >"$TMP/feed1" && mv "$TMP/feed1" "$IN/feed.jsonl"
both -v "$IN"
same "an entry gone from its feed"
mv "$IN/djibo_bilan.txt" "$IN/djibo_bilan_renamed.txt"
both -v "$IN"
assert_contains "$TMP/out" "same content as another input" "a renamed file is not coded again"
same "a renamed article"
mkdir -p "$IN/more"
cp "$FIXU"/corrupt/* "$IN/more/"
both "$IN"
assert_rc 1 "corrupt inputs: exit 1"
assert_contains "$TMP/err" "$IN/more/scan_illisible.txt: byte 0x01 at offset 6" "the binary file is named"
same "corrupt inputs among good ones"
rm "$IN/more/feed.jsonl" "$IN/more/scan_illisible.txt"
both "$IN"
same "corrupt inputs gone"
cp "$ROOT"/tests/eval/articles/*.txt "$IN/more/"
both "$IN"
same "the 44 eval articles added"

# Exports from both stores, with each filter (a box across the antimeridian too).
for filter in "" "--country BF" "--country mli --since 2025-04-01" "--bbox=-9,12,-7,13.5" "--bbox=170,-10,-170,10" \
    "--since 2024-01-01 --bbox=-6,10,4,16"; do
    rm -rf "$TMP/sqx" "$TMP/pgx"
    # shellcheck disable=SC2086
    "$INCMAP" export --store "$TMP/sq/store.db" --out "$TMP/sqx" --format geojson,gpkg $filter >"$TMP/sq.out" 2>&1
    # shellcheck disable=SC2086
    run export --store "$PG_URL" --out "$TMP/pgx" --format geojson,gpkg $filter
    why=""
    [ "$RC" = 0 ] || why="exit $RC: $(head -c 300 "$TMP/err")"
    cmp -s "$TMP/sq.out" <(sed "s#$TMP/pgx#$TMP/sqx#" "$TMP/out") || why="$why; $(cat "$TMP/sq.out") vs $(cat "$TMP/out")"
    for f in incidents mentions articles; do
        cmp -s "$TMP/sqx/$f.geojson" "$TMP/pgx/$f.geojson" || why="$why; $f.geojson differs"
    done
    [ -s "$TMP/pgx/incidents.gpkg" ] || why="$why; no GeoPackage"
    if [ -z "$why" ]; then ok "export ${filter:-(everything)}: the same as from SQLite"; else bad "export $filter" "$why"; fi
done

# ---------------------------------------------------------------- the schema in PostGIS
check_sql() { # LABEL SQL WANT
    local got
    got=$(pg_psql "$2" 2>&1)
    if [ "$got" = "$3" ]; then ok "$1"; else bad "$1" "expected: $3" "got: $got"; fi
}
check_sql "schema version 1 in incmap.schema_version" "SELECT max(version) FROM incmap.schema_version" 1
check_sql "PostGIS points in EPSG:4326 on incidents, mentions and reports" \
    "SELECT string_agg(f_table_name || ':' || type || ':' || srid, ' ' ORDER BY f_table_name) FROM geometry_columns
     WHERE f_table_schema = 'incmap' AND f_table_name IN ('incidents', 'mentions', 'reports')" \
    "incidents:POINT:4326 mentions:POINT:4326 reports:POINT:4326"
check_sql "GiST indexes on the points" \
    "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_indexes WHERE schemaname = 'incmap' AND indexdef LIKE '%USING gist%'" \
    "incidents mentions reports"
check_sql "the store holds what SQLite holds" \
    "SELECT (SELECT count(*) FROM incmap.incidents) || ' ' || (SELECT count(*) FROM incmap.articles)" \
    "$("$PY" -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); print(db.execute("SELECT count(*) FROM incidents").fetchone()[0], db.execute("SELECT count(*) FROM articles").fetchone()[0])' "$TMP/sq/store.db")"
check_sql "incidents_acled has ACLED's columns" \
    "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
     WHERE table_schema = 'incmap' AND table_name = 'incidents_acled'" \
    "incident_id,event_id_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,actor2,country,iso,admin1,admin2,location,latitude,longitude,geo_precision,source,notes,fatalities,confidence,background,evidence,article_id,geonameid,geom"
check_sql "event_date is a date (QGIS's time slider)" \
    "SELECT data_type FROM information_schema.columns WHERE table_schema = 'incmap' AND table_name = 'incidents_acled' AND column_name = 'event_date'" \
    "date"
check_sql "the view's incidents match the table's" \
    "SELECT count(*) FROM incmap.incidents_acled a JOIN incmap.incidents i USING (incident_id)
     WHERE a.event_date IS NOT DISTINCT FROM i.event_date AND ST_Equals(a.geom, i.geom) IS NOT FALSE" \
    "$(pg_psql "SELECT count(*) FROM incmap.incidents")"
check_sql "QGIS default styles in public.layer_styles" \
    "SELECT string_agg(f_table_name || ':' || coalesce(f_geometry_column, '-') || ':' || useasdefault, ' ' ORDER BY f_table_name)
     FROM public.layer_styles WHERE f_table_catalog = 'incmap' AND f_table_schema = 'incmap'" \
    "articles_layer:-:true incidents_acled:geom:true mentions_layer:geom:true"
check_sql "the incidents style is our QML" \
    "SELECT position('categorizedSymbol' IN styleqml::text) > 0 FROM public.layer_styles WHERE f_table_name = 'incidents_acled'" "t"

# ---------------------------------------------------------------- GDAL's PG: form
run update --store "PG:host=127.0.0.1 port=$PG_PORT user=postgres dbname=incmap" --format none "$IN"
assert_rc 0 "--store PG:\"host=... dbname=...\""
assert_contains "$TMP/out" "0 new" "the PG: form opens the same store"

# ---------------------------------------------------------------- an input recorded during the run
# by another worker is not removed by this run, which may have listed the directory before it
# appeared: "ghost.txt" shares an article with kati (so its removal deletes no article).
kati=$(pg_psql "SELECT article_id || ' ' || sha256 FROM incmap.inputs WHERE key LIKE '%/kati_manifestation.txt'")
pg_psql "INSERT INTO incmap.inputs(key, article_id, sha256, recorded_at)
         VALUES('$IN/ghost.txt', '${kati% *}', '${kati#* }', clock_timestamp() + interval '1 hour')" >/dev/null
run update -v --store "$PG_URL" --format none "$IN"
assert_not_contains "$TMP/out" "removed   $IN/ghost.txt" "an input recorded after this run listed its inputs stays"
pg_psql "UPDATE incmap.inputs SET recorded_at = clock_timestamp() - interval '1 hour' WHERE key = '$IN/ghost.txt'" >/dev/null
run update -v --store "$PG_URL" --format none "$IN"
assert_contains "$TMP/out" "removed   $IN/ghost.txt" "recorded before this run started, and gone: removed"

# ---------------------------------------------------------------- errors
free_port=$((PG_PORT == 65000 ? 64999 : 65000))
run update --store "postgresql://postgres@127.0.0.1:$free_port/incmap" --format none "$IN"
assert_rc 1 "a server that is not there: exit 1"
assert_contains "$TMP/err" "cannot connect to the PostgreSQL store postgresql://postgres@127.0.0.1:$free_port/incmap" \
    "the message names the URL"
assert_contains "$TMP/err" "pg_isready -d" "the message says how to check the server"
run update --store "postgresql://postgres:s3cret@127.0.0.1:$free_port/incmap" --format none "$IN"
assert_not_contains "$TMP/err" "s3cret" "the password is never printed"
run update --store "postgresql://127.0.0.1:notaport/incmap" --format none "$IN"
assert_rc 2 "a malformed URL is a usage error"
assert_contains "$TMP/err" "is not a PostgreSQL connection string" "the message says what is wrong"
run update --store "postgresql://me:s3cret@127.0.0.1:5432/incmap?nonsense=1" --format none "$IN"
assert_rc 2 "an unknown URL parameter value is a usage error"
assert_contains "$TMP/err" "postgresql://me:***@127.0.0.1" "the URL is shown without its password"
run update --store "PG:dbname=incmap password=s3cret nonsense=1" --format none "$IN"
assert_rc 2 "an unknown connection keyword is a usage error"
assert_not_contains "$TMP/err" "s3cret" "nor is a password= value"
pg_psql "CREATE DATABASE empty" >/dev/null
run export --store "postgresql://postgres@127.0.0.1:$PG_PORT/empty" --out "$TMP/x"
assert_rc 1 "export from a database without a store"
assert_contains "$TMP/err" "no store in postgresql://postgres@127.0.0.1:$PG_PORT/empty" "the message says there is none"
got=$("$PG_BIN/psql" -X -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres -d empty -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'incmap'")
[ "$got" = 0 ] && ok "export created nothing there" || bad "export created nothing there" "schema incmap: $got"
"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d empty -c "CREATE SCHEMA incmap; CREATE TABLE incmap.mine(x int)"
run update --store "postgresql://postgres@127.0.0.1:$PG_PORT/empty" --format none "$IN"
assert_rc 1 "a schema incmap that is not a store"
assert_contains "$TMP/err" "not an incmap store" "it is refused, not touched"
pg_psql "CREATE DATABASE newer TEMPLATE incmap" >/dev/null
"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d newer \
    -c "INSERT INTO incmap.schema_version(version, incmap_version) VALUES(99, '9.9')"
run update --store "postgresql://postgres@127.0.0.1:$PG_PORT/newer" --format none "$IN"
assert_rc 1 "a store from a newer incmap"
assert_contains "$TMP/err" "newer than this incmap" "it is refused"

finish
