#!/usr/bin/env bash
# bench/world.sh BUILD_DIR [SIZE...]: incmap at world scale. See bench/README.md.
#
# For each SIZE (default: 0.3M 3M 12M places; 1.5 alternate names per place, as in GeoNames):
#   world        bench/gen_geonames writes a GeoNames-shaped synthetic world (cached in WORLD_DIR:
#                generated once per size), leaving out the countries the bundled extracts cover
#                and giving 2% of its places the names of real places of those extracts
#                (homonyms abroad, the hard case for the resolver)
#   import       `incmap gazetteer build` of that world followed by the bundled gazetteer's own
#                sources (CMakeLists.txt's GZ_SOURCES, about 0.5M real rows): wall time, CPU
#                time, peak RSS, rows/s
#   geocode      three corpora of the same text (tests/eval/articles) cut into articles of
#                about 1 KB, 10 KB and 1 MB, each about CORPUS_MB (default 10) MB, one process
#                each: MB/s per core (bytes / user+sys CPU seconds), wall MB/s, peak RSS
#                (with the index read into the page cache by cat, and by incmap's own
#                look-ups after it was evicted), private memory
#   start        one 1 KB article in a fresh process: with the gazetteer's pages evicted from
#                the page cache, with every cache dropped (root only), and warm (median of 10)
#   accuracy     tests/eval/score.py on the 44 fixture articles with that gazetteer
# and the same geocode, start and accuracy figures for the bundled gazetteer.
#
# Environment: WORLD_DIR (default ${TMPDIR:-/tmp}/incmap-world; needs about 9 GB for 12M),
# CORPUS_MB (default 10), KEEP=1 keeps the built gazetteers. Writes WORLD_DIR/results.md too.
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [0.3M|3M|12M ...]" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
shift
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(0.3M 3M 12M)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
INCMAP=$BUILD/incmap
GEN=$BUILD/gen_geonames
BUNDLED=$BUILD/incmap-gazetteer.db
WORLD_DIR=${WORLD_DIR:-${TMPDIR:-/tmp}/incmap-world}
CORPUS_MB=${CORPUS_MB:-10}
ARTICLES=$ROOT/tests/eval/articles
PY=/usr/bin/python3

# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"
bench_require "$INCMAP" "$GEN" "$BUNDLED" "$BUNDLED.idx"
if [ ! -x /usr/bin/time ]; then
    apt-get install -y time >/dev/null 2>&1 || { echo "world: install 'time' (apt-get install time)" >&2; exit 1; }
fi
mkdir -p "$WORLD_DIR" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/incmap-world-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
OUT=$WORLD_DIR/results.md

# The bundled gazetteer's sources, in CMakeLists.txt's order (as bench/run.sh reads them).
SOURCES_LIST=$(bench_gz_sources "$ROOT") || exit 1
mapfile -t SOURCES <<<"$SOURCES_LIST"
# Countries a bundled extract covers (XX-YEAR.txt.gz): the synthetic world leaves them out.
covered=$(printf '%s\n' "${SOURCES[@]}" | sed -n 's|.*/\([A-Z][A-Z]\)-[0-9]*\.txt\.gz$|\1|p' | paste -sd,)
borrow=()
for s in "${SOURCES[@]}"; do
    case $s in */[A-Z][A-Z]-[0-9]*.txt.gz | */cities15000-*.txt.gz) borrow+=(--borrow "$s") ;; esac
done

now() { date +%s.%N; }
rss_mb() { awk -F: '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
cpu_s() { awk -F: '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$1"; }
wall_s() { echo "$2 - $1" | bc -l; }
div() { echo "scale=4; $1 / $2" | bc -l; }

# ---------------------------------------------------------------- corpora
# The fixture articles, back to back, cut into articles of about SIZE bytes at line ends.
make_corpus() { # DIR SIZE_BYTES
    local dir=$1 size=$2 total=$((CORPUS_MB * 1000000))
    mkdir -p "$dir"
    local reps=1 src
    src=$(cat "$ARTICLES"/*.txt | wc -c)
    reps=$(( (total + src - 1) / src ))
    for _ in $(seq 1 "$reps"); do cat "$ARTICLES"/*.txt; done |
        LC_ALL=C awk -v size="$size" -v dir="$dir" '
            { if (n >= size) { close(f); k++; n = 0 } f = sprintf("%s/%06d.txt", dir, k); print > f; n += length($0) + 1 }'
}
for c in 1k:1000 10k:10000 1m:1000000; do
    make_corpus "$TMP/c-${c%%:*}" "${c##*:}"
done
# Distinct articles: the repeated fixtures above let every cache kept from one article to the
# next (name probes, spellings, readings) warm up at once, and the pages of the index an article
# touches stay mapped. The English news of the public benchmarks (../shared/eval/corpora: LGL,
# GeoWebNews, TR-News, GeoVirus; about 1,100 articles, each once) show a live feed's case.
CORPORA=$ROOT/../shared/eval/corpora
CORPUS_LIST=(1k 10k 1m)
if [ -d "$CORPORA" ]; then
    mkdir -p "$TMP/c-news"
    $PY - "$CORPORA" "$TMP/c-news" <<'PYEOF' && CORPUS_LIST+=(news)
import os, sys, xml.etree.ElementTree as ET
src, out = sys.argv[1], sys.argv[2]
n = 0
for f in ("LGL/lgl.xml", "TR-News/TR-News.xml", "GeoVirus/GeoVirus.xml", "GeoWebNews/GWN.xml"):
    path = os.path.join(src, f)
    if not os.path.exists(path):
        continue
    for art in ET.parse(path).getroot().iter("article"):
        t = art.findtext("text")
        if t and t.strip():
            with open(os.path.join(out, "%05d.txt" % n), "w", encoding="utf-8") as o:
                o.write(t.strip() + "\n")
            n += 1
sys.exit(0 if n else 1)
PYEOF
fi
corpus_bytes() { cat "$TMP/c-$1"/*.txt | wc -c; }
corpus_n() { find "$TMP/c-$1" -name '*.txt' | wc -l; }
one=$TMP/one.txt
cat "$ARTICLES"/*.txt | LC_ALL=C awk '{ n += length($0) + 1; print; if (n >= 1000) exit }' >"$one"

# ---------------------------------------------------------------- measures of one gazetteer
evict() { # FILE...: out of the page cache (posix_fadvise DONTNEED), as files written long ago
    $PY -c 'import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' "$@"
}
cold_ms() { # GAZ evict|drop: ms to geocode the 1 KB article after emptying the cache
    if [ "$2" = drop ]; then
        sync
        echo 3 >/proc/sys/vm/drop_caches
    else
        evict "$1" "$1.idx"
    fi
    local t0 t1
    t0=$(now)
    "$INCMAP" geocode --format json -g "$1" "$one" >/dev/null 2>&1
    t1=$(now)
    printf '%.0f' "$(echo "($t1 - $t0) * 1000" | bc -l)"
}
# The peak of a geocode run's private memory (RssAnon, polled every 10 ms), in MB. Peak RSS also
# counts the pages of the mapped name index the run touched: shared, read-only page cache that
# the kernel maps in pieces of up to 2 MB when the file's cache holds large folios, so that RSS
# varies with how the file was last read (written by the build, read by cat, or faulted in).
private_mb() { # CORPUS GAZ
    local peak=0 v pid
    # shellcheck disable=SC2046 # relative names keep the argument list short
    (cd "$TMP/c-$1" && exec "$INCMAP" geocode --format json -g "$2" $(ls -U) >/dev/null 2>&1) &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        v=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
        [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
        sleep 0.01
    done
    wait "$pid"
    echo $((peak / 1024))
}
# The peak RSS of the corpora's runs, each twice, after the name index was evicted from the page
# cache: its pages are then read in by incmap's own look-ups, 4 KB at a time (MADV_RANDOM), and RSS
# counts what the runs touch. After `cat` or the build itself wrote the file, the cache holds it in
# large folios that the kernel maps whole, and RSS counts most of the file (the figure above).
rss_own_mb() { # GAZ
    local peak=0 c r
    evict "$1.idx"
    for c in "${CORPUS_LIST[@]}" "${CORPUS_LIST[@]}"; do
        # shellcheck disable=SC2046 # relative names keep the argument list short
        (cd "$TMP/c-$c" && /usr/bin/time -v -o "$TMP/t" "$INCMAP" geocode --format json -g "$1" $(ls -U) \
            >/dev/null 2>&1)
        r=$(rss_mb "$TMP/t")
        [ "$r" -gt "$peak" ] && peak=$r
    done
    echo "$peak"
}
declare -A R
measure_geocode() { # LABEL GAZ
    local label=$1 gaz=$2 c
    # Throughput is measured warm, the best of three runs: before each run the gazetteer and the
    # corpus are read into the page cache again, as memory managers page out files left idle
    # (this CI machine's pages out what has not been touched for 30 s). The start-up figures below
    # are where a cold cache is measured.
    for c in "${CORPUS_LIST[@]}"; do
        local b best="" wall="" rss=0
        b=$(corpus_bytes "$c")
        for _ in 1 2 3; do
            local t0 t1 cpu
            cat "$gaz" "$gaz.idx" "$TMP/c-$c"/*.txt >/dev/null
            t0=$(now)
            # shellcheck disable=SC2046 # relative names keep the argument list short
            (cd "$TMP/c-$c" && /usr/bin/time -v -o "$TMP/t" "$INCMAP" geocode --format json -g "$gaz" $(ls -U) \
                >/dev/null 2>"$TMP/err") || echo "world: geocode $label $c failed: $(head -c 300 "$TMP/err")" >&2
            t1=$(now)
            cpu=$(cpu_s "$TMP/t")
            if [ -z "$best" ] || [ "$(echo "$cpu < $best" | bc -l)" = 1 ]; then
                best=$cpu
                wall=$(wall_s "$t0" "$t1")
            fi
            [ "$(rss_mb "$TMP/t")" -gt "$rss" ] && rss=$(rss_mb "$TMP/t")
        done
        R[$label,$c,cpu]=$(div "$b / 1000000" "$best")
        R[$label,$c,wall]=$(div "$b / 1000000" "$wall")
        R[$label,$c,rss]=$rss
        R[$label,$c,private]=$(private_mb "$c" "$gaz")
    done
    R[$label,own]=$(rss_own_mb "$gaz")
    # Cold: the gazetteer's pages evicted from the page cache (posix_fadvise DONTNEED, as a
    # user's first run after the files were written long ago); and, when we may (root), every
    # cache dropped, the binary and its libraries too: a first run after boot.
    # The median of three of each: one read from disk is at the mercy of the disk and the host.
    R[$label,cold]=$(for _ in 1 2 3; do cold_ms "$gaz" evict; echo; done | sort -n | sed -n 2p)
    R[$label,boot]="n/a"
    [ -w /proc/sys/vm/drop_caches ] && R[$label,boot]=$(for _ in 1 2 3; do cold_ms "$gaz" drop; echo; done | sort -n | sed -n 2p)
    : >"$TMP/lat"
    for _ in $(seq 1 10); do
        local t0 t1
        t0=$(now)
        "$INCMAP" geocode --format json -g "$gaz" "$one" >/dev/null 2>&1
        t1=$(now)
        echo "($t1 - $t0) * 1000" | bc -l >>"$TMP/lat"
    done
    R[$label,warm]=$(sort -g "$TMP/lat" | awk '{ v[NR] = $1 } END { printf "%.1f", (v[5] + v[6]) / 2 }')
    local acc
    acc=$(INCMAP_GAZETTEER=$gaz $PY "$ROOT/tests/eval/score.py" --incmap "$INCMAP" --json 2>/dev/null)
    R[$label,acc]=$(echo "$acc" | $PY -c '
import json, sys
t = sys.stdin.read()
m = json.loads(t[:t.rindex("}") + 1])["overall"]
def g(k):
    v = m.get(k)
    return "%.3f" % v if isinstance(v, (int, float)) else "n/a"
print(" / ".join(g(k) for k in ("place_precision", "place_recall", "place_within_10km", "place_resolution_accuracy", "incident_within_10km")))' 2>/dev/null || echo "n/a")
}

{
    printf '# incmap at world scale, %s (%s, %s cores, load %s)\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(uname -m)" \
        "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '## Import (synthetic world + the bundled sources)\n\n'
    printf '| world | rows read | wall s | CPU s | rows/s | peak RSS MB | db MB | index MB |\n|---|---|---|---|---|---|---|---|\n'
} >"$OUT"
labels=(bundled)
for size in "${SIZES[@]}"; do
    src=$WORLD_DIR/src-$size
    if [ ! -s "$src/alternateNamesV2.txt" ]; then
        echo "world: generating the $size world in $src" >&2
        rm -rf "$src"
        "$GEN" --size "$size" --exclude-cc "$covered" "${borrow[@]}" "$src" 2>"$TMP/gen.err" ||
            { echo "world: gen_geonames failed: $(tail -3 "$TMP/gen.err")" >&2; exit 1; }
    fi
    gaz=$WORLD_DIR/world-$size.db
    rm -f "$gaz" "$gaz.idx"
    echo "world: importing the $size world" >&2
    t0=$(now)
    /usr/bin/time -v -o "$TMP/imp" "$INCMAP" gazetteer build --quiet -o "$gaz" \
        "$src/countryInfo.txt" "$src/admin1CodesASCII.txt" "$src/admin2Codes.txt" "$src/allCountries.txt" \
        "$src/alternateNamesV2.txt" "${SOURCES[@]}" >/dev/null 2>"$TMP/imp.err" ||
        { echo "world: import failed: $(tail -3 "$TMP/imp.err")" >&2; exit 1; }
    t1=$(now)
    rows=$(for f in "$src"/*.txt "${SOURCES[@]}"; do if [[ $f == *.gz ]]; then zcat "$f"; else cat "$f"; fi; done | wc -l)
    w=$(wall_s "$t0" "$t1")
    printf '| %s | %s | %.1f | %s | %.0f | %s | %s | %s |\n' "$size" "$rows" "$w" "$(cpu_s "$TMP/imp")" \
        "$(div "$rows" "$w")" "$(rss_mb "$TMP/imp")" "$(du -m "$gaz" | cut -f1)" "$(du -m "$gaz.idx" | cut -f1)" >>"$OUT"
    labels+=("$size")
    echo "world: geocoding with the $size world" >&2
    measure_geocode "$size" "$gaz"
    [ "${KEEP:-0}" = 1 ] || rm -f "$gaz" "$gaz.idx"
done
echo "world: geocoding with the bundled gazetteer" >&2
measure_geocode bundled "$BUNDLED"

{
    printf '\n## Geocode (MB/s per core = bytes / CPU seconds; wall MB/s in brackets)\n\n'
    printf 'Corpora: %s MB each of tests/eval/articles cut into 1 KB (%s articles), 10 KB (%s) and 1 MB (%s) articles' \
        "$CORPUS_MB" "$(corpus_n 1k)" "$(corpus_n 10k)" "$(corpus_n 1m)"
    if [[ " ${CORPUS_LIST[*]} " == *" news "* ]]; then
        printf '; news: %s distinct English articles of the public benchmarks (%s bytes), each once.\n\n' \
            "$(corpus_n news)" "$(corpus_bytes news)"
    else
        printf '; news: n/a (../shared/eval/corpora not found).\n\n'
    fi
    printf '| gazetteer | 1 KB articles | 10 KB | 1 MB | news | peak RSS MB: index cached by cat / by incmap (private MB) | start ms: cold gazetteer / all caches dropped / warm | places P / R / 10 km / right entry, incidents 10 km |\n'
    printf '|---|---|---|---|---|---|---|---|\n'
    for l in "${labels[@]}"; do
        news="n/a"
        [ -n "${R[$l,news,cpu]:-}" ] && news=$(printf '%.1f (%.1f)' "${R[$l,news,cpu]}" "${R[$l,news,wall]}")
        printf '| %s | %.1f (%.1f) | %.1f (%.1f) | %.1f (%.1f) | %s | %s / %s (%s) | %s / %s / %s | %s |\n' "$l" \
            "${R[$l,1k,cpu]}" "${R[$l,1k,wall]}" "${R[$l,10k,cpu]}" "${R[$l,10k,wall]}" "${R[$l,1m,cpu]}" "${R[$l,1m,wall]}" \
            "$news" "$(printf '%s\n' "${R[$l,1k,rss]}" "${R[$l,10k,rss]}" "${R[$l,1m,rss]}" "${R[$l,news,rss]:-0}" | sort -n | tail -1)" \
            "${R[$l,own]}" \
            "$(printf '%s\n' "${R[$l,1k,private]}" "${R[$l,10k,private]}" "${R[$l,1m,private]}" "${R[$l,news,private]:-0}" | sort -n | tail -1)" \
            "${R[$l,cold]}" "${R[$l,boot]}" "${R[$l,warm]}" "${R[$l,acc]}"
    done
} >>"$OUT"
cat "$OUT"
