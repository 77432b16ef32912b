#!/usr/bin/env bash
# bench/run.sh BUILD_DIR [TARGET_MB]: speed and memory of incmap. See bench/README.md.
#
#   geocode throughput   the 44 articles of tests/eval/articles copied until they make about
#                        TARGET_MB (default 20) MB, all geocoded by one process (many file
#                        arguments, --format json to /dev/null): articles/s and MB/s
#   start-up latency     `incmap geocode` on one 1 KB article, median of 20 runs
#   gazetteer import     `incmap gazetteer build` on the sources CMakeLists.txt passes (GZ_SOURCES)
#   peak memory          maximum resident set size of each, from /usr/bin/time -v
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [TARGET_MB]" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
TARGET_MB=${2:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
INCMAP=$BUILD/incmap
GAZ=$BUILD/incmap-gazetteer.db
ARTICLES=$ROOT/tests/eval/articles
RUNS=20

# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"
bench_require "$INCMAP" "$GAZ" "$GAZ.idx"
if [ ! -x /usr/bin/time ]; then
    echo "bench: /usr/bin/time missing; installing the 'time' package" >&2
    apt-get install -y time >/dev/null 2>&1 || { echo "bench: install 'time' (apt-get install time)" >&2; exit 1; }
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/incmap-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export INCMAP_GAZETTEER=$GAZ

now() { date +%s.%N; }
# peak_rss_mb FILE: the "Maximum resident set size" of a /usr/bin/time -v report, in MB.
peak_rss_mb() { awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }

# ---------------------------------------------------------------- geocode throughput
n_src=$(find "$ARTICLES" -maxdepth 1 -name '*.txt' | wc -l)
src_bytes=$(find "$ARTICLES" -maxdepth 1 -name '*.txt' -exec cat {} + | wc -c)
reps=$(( (TARGET_MB * 1000000 + src_bytes - 1) / src_bytes ))
mkdir "$TMP/a"
i=0
for r in $(seq 1 "$reps"); do
    for f in "$ARTICLES"/*.txt; do
        i=$((i + 1))
        cp "$f" "$TMP/a/$i.txt"
    done
done
n_articles=$i
bytes=$((src_bytes * reps))
echo "bench: geocoding $n_articles articles ($n_src distinct, x$reps), $bytes bytes, in one process" >&2
(
    cd "$TMP/a" || exit 1
    # Relative names keep the argument list short; ls -U lists without sorting.
    t0=$(now)
    # shellcheck disable=SC2046
    /usr/bin/time -v -o "$TMP/geocode.time" "$INCMAP" geocode --format json $(ls -U) >/dev/null 2>"$TMP/geocode.err"
    echo $? >"$TMP/geocode.rc"
    t1=$(now)
    echo "$t0 $t1" >"$TMP/geocode.t"
)
read -r t0 t1 <"$TMP/geocode.t"
geo_rc=$(cat "$TMP/geocode.rc")
[ "$geo_rc" = 0 ] || echo "bench: geocode exited $geo_rc: $(head -c 300 "$TMP/geocode.err")" >&2
geo_s=$(echo "$t1 - $t0" | bc -l)
geo_aps=$(echo "$n_articles / $geo_s" | bc -l)
geo_mbs=$(echo "$bytes / 1000000 / $geo_s" | bc -l)
geo_rss=$(peak_rss_mb "$TMP/geocode.time")

# ---------------------------------------------------------------- start-up latency
# About 1 KB of article text (the first articles, in name order), cut at a line end so the
# text stays valid UTF-8.
find "$ARTICLES" -maxdepth 1 -name '*.txt' | sort | xargs cat |
    LC_ALL=C awk '{ n += length($0) + 1; print; if (n >= 1000) exit }' >"$TMP/one.txt"
one_bytes=$(wc -c <"$TMP/one.txt")
"$INCMAP" geocode "$TMP/one.txt" >/dev/null 2>&1 # warm the page cache
: >"$TMP/lat"
for r in $(seq 1 $RUNS); do
    t0=$(now)
    "$INCMAP" geocode --format json "$TMP/one.txt" >/dev/null 2>&1
    t1=$(now)
    echo "($t1 - $t0) * 1000" | bc -l >>"$TMP/lat"
done
lat_med=$(sort -g "$TMP/lat" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
lat_min=$(sort -g "$TMP/lat" | head -1)
/usr/bin/time -v -o "$TMP/one.time" "$INCMAP" geocode "$TMP/one.txt" >/dev/null 2>&1
one_rss=$(peak_rss_mb "$TMP/one.time")

# ---------------------------------------------------------------- gazetteer import
# The sources CMakeLists.txt builds the bundled gazetteer from, in its order.
SOURCES_LIST=$(bench_gz_sources "$ROOT") || exit 1
mapfile -t SOURCES <<<"$SOURCES_LIST"
echo "bench: importing ${#SOURCES[@]} gazetteer sources" >&2
t0=$(now)
/usr/bin/time -v -o "$TMP/build.time" "$INCMAP" gazetteer build --quiet -o "$TMP/g.db" "${SOURCES[@]}" \
    >/dev/null 2>"$TMP/build.err"
build_rc=$?
t1=$(now)
[ "$build_rc" = 0 ] || echo "bench: gazetteer build exited $build_rc: $(head -c 300 "$TMP/build.err")" >&2
build_s=$(echo "$t1 - $t0" | bc -l)
# Rows read = lines of every source (what the importer's rows_read counts).
count_lines() { for f in "$@"; do if [[ $f == *.gz ]]; then zcat "$f"; else cat "$f"; fi; done | wc -l; }
rows=$(count_lines "${SOURCES[@]}")
build_rps=$(echo "$rows / $build_s" | bc -l)
build_rss=$(peak_rss_mb "$TMP/build.time")
db_mb=$(du -m "$TMP/g.db" | cut -f1)
idx_mb=$(du -m "$TMP/g.db.idx" | cut -f1)

# ---------------------------------------------------------------- report
printf '\nincmap benchmark  %s  (%s, %s cores)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(uname -m)" "$(nproc)"
printf '%-44s %14s  %s\n' "measure" "value" "notes"
printf '%-44s %14s  %s\n' "--------------------------------------------" "--------------" "-----"
printf '%-44s %14.1f  %s\n' "geocode throughput, articles/s" "$geo_aps" "$n_articles articles, one process"
printf '%-44s %14.2f  %s\n' "geocode throughput, MB/s" "$geo_mbs" "$bytes bytes in $(printf %.2f "$geo_s") s"
printf '%-44s %14s  %s\n' "geocode peak RSS, MB" "$geo_rss" "whole run"
printf '%-44s %14.1f  %s\n' "start-up latency, ms (median of $RUNS)" "$lat_med" "$one_bytes-byte article; min $(printf %.1f "$lat_min") ms"
printf '%-44s %14s  %s\n' "single-article peak RSS, MB" "$one_rss" ""
printf '%-44s %14.0f  %s\n' "gazetteer import, rows/s" "$build_rps" "$rows rows in $(printf %.2f "$build_s") s"
printf '%-44s %14s  %s\n' "gazetteer import peak RSS, MB" "$build_rss" "db $db_mb MB + index $idx_mb MB"
[ "$geo_rc" = 0 ] && [ "$build_rc" = 0 ]
