#!/usr/bin/env bash
# bench/pg.sh BUILD_DIR [N] [RUNS]: how fast several `incmap update` workers fill a PostgreSQL/
# PostGIS store. See bench/README.md ("PostGIS store").
#
# N articles (default 2,000) from bench/update_gen.py, into an empty store, by 1, 2 and 4 workers
# started together on the same inputs (--format none: the store only), each RUNS times (default
# 3; the best and the slowest are printed), on a throwaway PostgreSQL 15 + PostGIS server started
# for the purpose (tests/cli/pg_lib.sh) with its default, durable settings (fsync, synchronous
# commits). The SQLite store on the same input is the first line, for comparison; the last line
# is one worker run again on the same inputs (nothing to code). Wall-clock time from the first
# worker's start to the last one's end.
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [N] [RUNS]" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
N=${2:-2000}
RUNS=${3:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
INCMAP=$BUILD/incmap
# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"
bench_require "$INCMAP" "$BUILD/incmap-gazetteer.db"
export INCMAP_GAZETTEER=$BUILD/incmap-gazetteer.db
TMP=$(mktemp -d "${TMPDIR:-/tmp}/incmap-bench-pg.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=../tests/cli/pg_lib.sh
. "$ROOT/tests/cli/pg_lib.sh"
pg_start >/dev/null || exit 1

echo "bench: generating $N articles" >&2
/usr/bin/python3 "$ROOT/bench/update_gen.py" "$TMP/in" "$N" 1 || exit 1

now() { date +%s.%N; }

# timed WORKERS STORE: prints the seconds that WORKERS workers took to code the N articles.
timed() {
    local workers=$1 store=$2 t0 t1 pids=() w
    t0=$(now)
    for w in $(seq "$workers"); do
        "$INCMAP" update --store "$store" --format none --quiet "$TMP/in" 2>"$TMP/err$w" &
        pids+=($!)
    done
    for w in "${pids[@]}"; do
        wait "$w" || echo "bench: a worker failed: $(cat "$TMP"/err* | head -c 300)" >&2
    done
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}

# The runs of each configuration are interleaved (1, 2, 4 workers, then again), so that a busy
# spell of the machine slows all of them rather than one.
reset_pg='pg_psql "DROP SCHEMA IF EXISTS incmap CASCADE; DELETE FROM public.layer_styles" >/dev/null 2>&1'
reset_sqlite='rm -f "$TMP"/store.db*'
CONFIGS=("SQLite, 1 process|1|$TMP/store.db|$reset_sqlite")
for w in 1 2 4; do
    CONFIGS+=("PostgreSQL, $w worker$([ "$w" = 1 ] || echo s)|$w|$PG_URL|$reset_pg")
done
declare -A TIMES
for r in $(seq "$RUNS"); do
    for c in "${CONFIGS[@]}"; do
        IFS='|' read -r label workers store reset <<<"$c"
        eval "$reset"
        TIMES[$label]="${TIMES[$label]:-} $(timed "$workers" "$store")"
    done
done

echo "incmap update: $N generated articles, $(nproc) CPUs, $(uname -m); best of $RUNS runs (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT, default settings (fsync on, synchronous_commit on)"
for c in "${CONFIGS[@]}"; do
    IFS='|' read -r label _ <<<"$c"
    # shellcheck disable=SC2086
    best=$(printf '%s\n' ${TIMES[$label]} | sort -g | head -1)
    # shellcheck disable=SC2086
    worst=$(printf '%s\n' ${TIMES[$label]} | sort -g | tail -1)
    printf '%-24s %7.2f s %6.0f articles/s   (slowest %.2f s, %.0f articles/s)\n' "$label" "$best" \
        "$(echo "$N / $best" | bc -l)" "$worst" "$(echo "$N / $worst" | bc -l)"
done
# The same inputs again (every file read and hashed, nothing coded): what a timer's run costs
# most of the time.
t=$(timed 1 "$PG_URL")
printf '%-24s %7.2f s\n' "PostgreSQL, no change" "$t"
echo "incidents in the store: $(pg_psql 'SELECT count(*) FROM incmap.incidents'), SQLite: $(/usr/bin/python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM incidents").fetchone()[0])' "$TMP/store.db")"
