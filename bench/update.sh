#!/usr/bin/env bash
# bench/update.sh BUILD_DIR [N]: how fast `incmap update` builds an incident store and keeps it
# current. See bench/README.md ("update").
#
#   full build    N generated articles (default 10,000; bench/update_gen.py) into an empty store,
#                 with the GeoPackage layers: seconds and articles/s
#   no change     the same inputs again: every article hashed, nothing coded, layers left alone
#   incremental   10 new articles added to the N: coded, merged, layers rewritten
#   the same three with GeoPackage + GeoJSON, GeoPackage only, and no layers (--format none), to
#   separate the store from the writer
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [N]" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
N=${2:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
INCMAP=$BUILD/incmap
# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"
bench_require "$INCMAP" "$BUILD/incmap-gazetteer.db"
export INCMAP_GAZETTEER=$BUILD/incmap-gazetteer.db
TMP=$(mktemp -d "${TMPDIR:-/tmp}/incmap-bench-update.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "bench: generating $N + 10 articles" >&2
/usr/bin/python3 "$ROOT/bench/update_gen.py" "$TMP/in" "$N" 1 || exit 1
/usr/bin/python3 "$ROOT/bench/update_gen.py" "$TMP/extra" 10 $((N + 1)) || exit 1
bytes=$(find "$TMP/in" -type f -exec cat {} + | wc -c)

now() { date +%s.%N; }
# timed LABEL ARTICLES ARGS...: runs incmap update, prints a table row.
timed() {
    local label=$1 articles=$2
    shift 2
    local t0 t1 s
    t0=$(now)
    "$INCMAP" update "$@" >"$TMP/summary" 2>"$TMP/err"
    local rc=$?
    t1=$(now)
    s=$(echo "$t1 - $t0" | bc -l)
    [ $rc -eq 0 ] || echo "bench: $label: exit $rc: $(head -c 300 "$TMP/err")" >&2
    if [ "$articles" -gt 0 ]; then
        printf '%-34s %8.2f s %10.0f articles/s\n' "$label" "$s" "$(echo "$articles / $s" | bc -l)"
    else
        printf '%-34s %8.2f s\n' "$label" "$s"
    fi
    sed 's/^/    /' "$TMP/summary"
}

echo "incmap update: $N generated articles ($((bytes / 1000)) kB), $(nproc) CPUs, $(uname -m)"
for layers in gpkg,geojson gpkg none; do
    rm -rf "$TMP/store.db" "$TMP/store.db.lock" "$TMP/out" "$TMP/in/d9999"
    args=(--store "$TMP/store.db" --out "$TMP/out" --format "$layers")
    case $layers in
    none) echo "-- the store only (--format none)" ;;
    *) echo "-- with the layers (incidents, mentions, articles) as $layers" ;;
    esac
    timed "full build ($N articles)" "$N" "${args[@]}" "$TMP/in"
    timed "no change ($N unchanged)" 0 "${args[@]}" "$TMP/in"
    mkdir -p "$TMP/in/d9999" && cp "$TMP"/extra/*/*.txt "$TMP/in/d9999/"
    timed "incremental (+10 articles)" 10 "${args[@]}" "$TMP/in"
    ls -l "$TMP/store.db" | awk '{ printf "    store: %.1f MB\n", $5 / 1e6 }'
    [ -e "$TMP/out/incidents.gpkg" ] && ls -l "$TMP/out/incidents.gpkg" | awk '{ printf "    incidents.gpkg: %.1f MB\n", $5 / 1e6 }'
done
