#!/usr/bin/env bash
# valgrind.sh BUILD_DIR: runs every unit test of BUILD_DIR, and incmap on a few typical and hostile
# inputs, under valgrind's memcheck; fails on any invalid read or write, use of uninitialised
# memory, or leak (definitely or indirectly lost). BUILD_DIR must be a build without sanitizers
# (valgrind cannot run AddressSanitizer binaries): test.sh passes build-werror. About 45 s.
set -uo pipefail
if [ $# -ne 1 ] || [ ! -x "$1/incmap" ]; then
    echo "usage: $0 BUILD_DIR (a configured and built incmap, without sanitizers)" >&2
    exit 2
fi
B=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
E=$ROOT/tests/eval/articles
F=$ROOT/tests/fixtures
I=$B/incmap
export INCMAP_GAZETTEER=$B/incmap-gazetteer.db
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/incmap-valgrind.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
VG=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
    --error-exitcode=99 --num-callers=30)
failed=0

# check LABEL EXPECTED_STATUS COMMAND...: valgrind's own status (99) or any report line fails it.
check() {
    local label=$1 want=$2 rc
    shift 2
    "${VG[@]}" --log-file="$TMP/vg.log" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" = "$want" ] && [ ! -s "$TMP/vg.log" ]; then
        echo "ok   $label"
    else
        failed=$((failed + 1))
        echo "FAIL $label (exit $rc, expected $want)"
        head -n 60 "$TMP/vg.log" "$TMP/err" | sed 's/^/       /'
    fi
}

for t in "$B"/test_*; do
    [ -x "$t" ] && check "unit/$(basename "$t")" 0 "$t"
done
check "geocode --format json, 44 articles" 0 "$I" geocode --format json "$E"/*.txt
check "geocode --format geojson" 0 "$I" geocode --format geojson "$E"/fr_00*.txt
check "geocode, text, the fixtures and a GIF" 1 "$I" geocode "$F"/articles/*.txt "$F"/articles/binary.gif
check "geocode -o GeoPackage" 0 "$I" geocode -o "$TMP/out.gpkg" "$E"/fr_00*.txt
printf '\xff\xfeK\x00a\x00t\x00i\x00' >"$TMP/u16.txt"
printf 'Kati\0' >"$TMP/nul.txt"
printf 'S\xe9gou attaqu\xe9e' >"$TMP/latin1.txt"
check "geocode UTF-16, NUL, Windows-1252" 1 "$I" geocode "$TMP/u16.txt" "$TMP/nul.txt" "$TMP/latin1.txt"
check "geocode --max-bytes refusal" 1 "$I" geocode --max-bytes 100 "$E/fr_001_bandiagara_drone.txt"
check "gazetteer build, fixtures" 0 "$I" gazetteer build --quiet -o "$TMP/g.db" "$F"/geonames/*
check "gazetteer lookup" 0 "$I" gazetteer lookup Tiby
cp "$TMP/g.db" "$TMP/t.db" && cp "$TMP/g.db.idx" "$TMP/t.db.idx" && truncate -s 1000 "$TMP/t.db.idx"
check "geocode with a truncated index" 1 "$I" geocode --gazetteer "$TMP/t.db" "$E/fr_001_bandiagara_drone.txt"

if [ "$failed" -gt 0 ]; then
    echo "valgrind: $failed run(s) FAILED" >&2
    exit 1
fi
echo "valgrind: clean"
