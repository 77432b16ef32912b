# test_pg_workers.sh: several `incmap update` workers on one PostgreSQL store (issue 8's
# acceptance), on a throwaway server (pg_lib.sh) and 2,000 articles from bench/update_gen.py
# (INCMAP_PG_ARTICLES sets another number), in which about half the incidents are reported by
# several articles, so that workers merge reports into incidents other workers are creating:
#   - one worker codes them all: the reference incidents (which articles' reports each holds);
#   - 4 workers at once on the same inputs: every article coded by exactly one worker, the same
#     incidents as one worker made (the same reports grouped the same way), no deadlock (each
#     worker finishes), and the GeoJSON layers they all keep writing show the final store;
#   - 4 workers, one stopped while it holds a claim on an article and then killed (kill -9):
#     the others take its claims over when its connection dies; nothing lost, nothing doubled;
#     a run afterwards finds nothing to do.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

pg_start "fsync = off" "synchronous_commit = off" "full_page_writes = off"
N=${INCMAP_PG_ARTICLES:-2000}
GEN=$TMP/articles
export SOURCE_DATE_EPOCH=1750000000
"$PY" "$ROOT/bench/update_gen.py" "$GEN" "$N" 1 || { bad "bench/update_gen.py $GEN $N"; finish; }
# A worker that waits longer than this for another has deadlocked.
LIMIT=300

# The incidents as sets of reports, one line per incident, sorted: equal files mean the same
# merging, whatever ids the incidents got.
partition() {
    pg_psql "SELECT string_agg(article_id || ':' || ord, ',' ORDER BY article_id, ord) FROM incmap.reports
             GROUP BY incident_id" | sort
}
reset_store() {
    pg_psql "DROP SCHEMA incmap CASCADE; DELETE FROM public.layer_styles" >/dev/null 2>&1
}
now() { date +%s.%N; }
rate() { "$PY" -c "import sys; print('%.0f' % ($N / (float(sys.argv[2]) - float(sys.argv[1]))))" "$1" "$2"; }

# coded_once LABEL MIN LOGS...: the "new" lines of the workers' verbose logs name no article twice,
# and at least MIN articles (a killed worker may have committed its last article without printing
# its line).
coded_once() {
    local label=$1 min=$2
    shift 2
    cat "$@" | awk '$1 == "new" { print $2 }' | sort >"$TMP/coded"
    local total uniq
    total=$(wc -l <"$TMP/coded")
    uniq=$(sort -u "$TMP/coded" | wc -l)
    if [ "$total" -eq "$uniq" ] && [ "$total" -ge "$min" ] && [ "$total" -le "$N" ]; then
        ok "$label: $total articles coded, none by two workers"
    else
        bad "$label: each article coded once" "$total codings of $uniq distinct articles, for $N" \
            "twice: $(uniq -d "$TMP/coded" | head -3)"
    fi
}

# ---------------------------------------------------------------- one worker: the reference
t0=$(now)
run update --store "$PG_URL" --format none "$GEN"
t1=$(now)
assert_rc 0 "one worker"
assert_contains "$TMP/out" "$N new" "one worker: $N new"
echo "       one worker: $(rate "$t0" "$t1") articles/s"
partition >"$TMP/part1"
INCIDENTS=$(pg_psql "SELECT count(*) FROM incmap.incidents")
MERGED=$(pg_psql "SELECT count(*) FROM incmap.incidents WHERE n_reports > 1")
[ "$MERGED" -gt $((INCIDENTS / 4)) ] && ok "the input has work for the merging: $MERGED of $INCIDENTS incidents have several reports" ||
    bad "the input merges reports" "$MERGED of $INCIDENTS incidents have several reports"

# ---------------------------------------------------------------- four workers at once
reset_store
t0=$(now)
for w in 1 2 3 4; do
    timeout "$LIMIT" "$INCMAP" update -v --store "$PG_URL" --out "$TMP/layers" --format geojson "$GEN" \
        >"$TMP/w$w.out" 2>"$TMP/w$w.err" &
    eval "P$w=\$!"
done
for w in 1 2 3 4; do
    eval "wait \$P$w"
    rc=$?
    [ $rc -eq 0 ] && ok "worker $w of 4 finished (exit 0)" || bad "worker $w of 4 finished" "exit $rc (124: still waiting after $LIMIT s)" "$(head -c 400 "$TMP/w$w.err")"
done
t1=$(now)
echo "       four workers: $(rate "$t0" "$t1") articles/s"
coded_once "4 workers" "$N" "$TMP"/w[1-4].out
shares=$(for w in 1 2 3 4; do awk '$1 == "new"' "$TMP/w$w.out" | wc -l; done | tr '\n' ' ')
idle=$(for s in $shares; do [ "$s" -eq 0 ] && echo x; done)
[ -z "$idle" ] && ok "4 workers split the work ($shares)" || bad "4 workers split the work" "articles coded: $shares"
got=$(pg_psql "SELECT count(*) FROM incmap.incidents")
[ "$got" = "$INCIDENTS" ] && ok "4 workers: $INCIDENTS incidents, as one worker made" || bad "4 workers: incident count" "$got, one worker: $INCIDENTS"
partition >"$TMP/part4"
cmp -s "$TMP/part1" "$TMP/part4" && ok "4 workers: every incident groups the same reports as with one worker" ||
    bad "4 workers: the same incidents" "$(diff "$TMP/part1" "$TMP/part4" | head -6)"
check_sql() { # LABEL SQL WANT
    local v
    v=$(pg_psql "$2" 2>&1)
    [ "$v" = "$3" ] && ok "$1" || bad "$1" "expected $3, got $v"
}
check_sql "4 workers: $N inputs, $N articles, no report twice" \
    "SELECT (SELECT count(*) FROM incmap.inputs) || ' ' || (SELECT count(*) FROM incmap.articles) || ' ' ||
            (SELECT count(*) - count(DISTINCT (article_id, ord)) FROM incmap.reports)" "$N $N 0"
check_sql "4 workers: every incident refreshed from all its reports" \
    "SELECT count(*) FROM incmap.incidents i WHERE n_reports <> (SELECT count(*) FROM incmap.reports r WHERE r.incident_id = i.incident_id)" 0
run export --store "$PG_URL" --out "$TMP/final" --format geojson
why=""
for f in incidents mentions articles; do cmp -s "$TMP/final/$f.geojson" "$TMP/layers/$f.geojson" || why="$why $f.geojson"; done
[ -z "$why" ] && ok "the layers the 4 workers wrote show the final store" || bad "layers show the final store" "stale:$why"

# ---------------------------------------------------------------- a worker killed mid-batch
# A claim is a lock on the input's key hashed as store_pg.c does (util.c's incmap_hash of the
# absolute path, seeded with "input"), as pg_locks shows it: a signed 64-bit number.
"$PY" - "$GEN" >"$TMP/input_keys" <<'EOF'
import os, sys
def h(data, seed):
    x = 1469598103934665603 ^ seed
    for b in data:
        x = ((x ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 33
    x = (x * 0xff51afd7ed558ccd) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 33
    return x or 1
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.realpath(os.path.join(d, f))
        k = h(p.encode(), 0x696e707574)
        print("%d\t%s" % (k - (1 << 64) if k >= 1 << 63 else k, p))
EOF
reset_store
for w in 1 2 3 4; do
    if [ $w -eq 2 ]; then
        "$INCMAP" update -v --store "$PG_URL" --format none "$GEN" >"$TMP/k$w.out" 2>"$TMP/k$w.err" &
    else
        timeout "$LIMIT" "$INCMAP" update -v --store "$PG_URL" --format none "$GEN" >"$TMP/k$w.out" 2>"$TMP/k$w.err" &
    fi
    eval "P$w=\$!"
done
# Stop the victim at a moment it holds the claim on an input (its session takes other advisory
# locks too: an article's content, the neighbourhoods of a transaction), then kill it.
held=0
sleep 0.3
for _ in $(seq 200); do
    kill -STOP "$P2" 2>/dev/null || break
    pg_psql "SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
             AND a.application_name = 'incmap (pid $P2)'" >"$TMP/held"
    held=$(cut -f1 "$TMP/input_keys" | grep -c -x -F -f - "$TMP/held")
    [ "$held" -gt 0 ] && break
    kill -CONT "$P2"
    sleep 0.02
done
victim_input=$(awk -F'\t' 'NR == FNR { held[$1] = 1; next } ($1 in held) { print $2 }' "$TMP/held" "$TMP/input_keys")
before=$(awk '$1 == "new"' "$TMP/k2.out" | wc -l)
kill -KILL "$P2" 2>/dev/null
wait "$P2" 2>/dev/null
if [ "$held" -gt 0 ] && [ "$before" -lt "$N" ]; then
    ok "worker 2 killed mid-batch while holding a claim ($before articles coded, $held locks held)"
else
    bad "worker 2 killed mid-batch while holding a claim" "locks held: $held, articles coded: $before"
fi
for w in 1 3 4; do
    eval "wait \$P$w"
    rc=$?
    [ $rc -eq 0 ] && ok "surviving worker $w finished (exit 0)" || bad "surviving worker $w finished" "exit $rc" "$(head -c 400 "$TMP/k$w.err")"
done
coded_once "a worker killed" $((N - 1)) "$TMP"/k[1-4].out
if [ -n "$victim_input" ]; then
    by=$(grep -l "^new .*$victim_input " "$TMP"/k[134].out | sed 's#.*/k\([0-9]\).out#worker \1#')
    stored=$(pg_psql "SELECT count(*) FROM incmap.inputs WHERE key = '$victim_input'")
    if [ "$stored" = 1 ] && ! grep -q "^new .*$victim_input " "$TMP/k2.out"; then
        ok "the article worker 2 held ($(basename "$victim_input")) is stored once: ${by:-committed by worker 2 just before the kill, found done by the others}"
    else
        bad "the article worker 2 held is taken over" "$victim_input: stored $stored, by: $by"
    fi
else
    bad "the claim worker 2 held names one of the articles" "locks: $(tr '\n' ' ' <"$TMP/held")"
fi
check_sql "after the kill: $N inputs, $N articles, no report twice" \
    "SELECT (SELECT count(*) FROM incmap.inputs) || ' ' || (SELECT count(*) FROM incmap.articles) || ' ' ||
            (SELECT count(*) - count(DISTINCT (article_id, ord)) FROM incmap.reports)" "$N $N 0"
partition >"$TMP/partk"
cmp -s "$TMP/part1" "$TMP/partk" && ok "after the kill: the same incidents as one worker made" ||
    bad "after the kill: the same incidents" "$(diff "$TMP/part1" "$TMP/partk" | head -6)"
check_sql "no claim outlives its worker" \
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'" 0
run update --store "$PG_URL" --format none "$GEN"
assert_contains "$TMP/out" "0 new, 0 changed, $N unchanged, 0 removed, 0 failed" "a run afterwards has nothing left to do"

finish
