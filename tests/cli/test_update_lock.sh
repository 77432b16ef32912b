# test_update_lock.sh: one incmap update at a time. A second run while the first holds the lock
# exits at once with a clear message, or waits (--wait SECONDS); two overlapping runs on the same
# inputs end with every article recorded once.
. "$(dirname "$0")/lib.sh"

IN=$TMP/in
STORE=$TMP/store.db
mkdir -p "$IN"
# 200 distinct articles: the eval and fixture texts, each with its own last line.
i=0
while [ $i -lt 200 ]; do
    for f in "$ROOT"/tests/eval/articles/*.txt "$FIX"/update/batch1/*.txt; do
        [ $i -lt 200 ] || break
        i=$((i + 1))
        { cat "$f"; printf '\nRéf. %d\n' "$i"; } >"$IN/a$i.txt"
    done
done

# ---------------------------------------------------------------- a lock held by another process
# (A Python process of its own: killing it releases the lock, no child keeps it.)
"$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[1] + ".held", "w").close()
time.sleep(60)' "$STORE.lock" &
HOLDER=$!
for _ in $(seq 200); do
    [ -e "$STORE.lock.held" ] && break
    sleep 0.02
done
t0=$(date +%s.%N)
run update --store "$STORE" --format none "$IN"
t1=$(date +%s.%N)
assert_rc 1 "a held lock: exit 1"
assert_contains "$TMP/err" "is in use by another incmap process" "the message says why"
assert_contains "$TMP/err" "--wait" "the message says what to do"
"$PY" -c "import sys; sys.exit(0 if $t1 - $t0 < 5 else 1)" && ok "without --wait it does not wait" ||
    bad "without --wait it does not wait" "took $t0 .. $t1"
[ ! -e "$STORE" ] && ok "a locked-out run does not touch the store" || bad "a locked-out run does not touch the store"

t0=$(date +%s.%N)
run update --store "$STORE" --format none --wait 0.6 "$IN"
t1=$(date +%s.%N)
assert_rc 1 "--wait 0.6 with the lock held: exit 1"
"$PY" -c "import sys; sys.exit(0 if 0.55 < $t1 - $t0 < 6 else 1)" && ok "--wait 0.6 waited about 0.6 s" ||
    bad "--wait 0.6 waited about 0.6 s" "took $t0 .. $t1"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null

# ---------------------------------------------------------------- two overlapping incmap runs
OUT=$TMP/layers
"$INCMAP" update --store "$STORE" --out "$OUT" --format geojson "$IN" >"$TMP/a.out" 2>"$TMP/a.err" &
A=$!
# Wait until A holds the lock (its pid is in the lock file), then freeze it there.
for _ in $(seq 400); do
    [ "$(cat "$STORE.lock" 2>/dev/null)" = "$A" ] && break
    sleep 0.01
done
kill -STOP "$A"
run update --store "$STORE" --out "$OUT" --format geojson "$IN"
assert_rc 1 "a second run while the first one runs: exit 1"
assert_contains "$TMP/err" "(pid $A)" "the message names the running process"
# The second run, told to wait, goes on once the first finishes.
"$INCMAP" update --store "$STORE" --out "$OUT" --format geojson --wait 60 "$IN" >"$TMP/b.out" 2>"$TMP/b.err" &
B=$!
sleep 0.3
kill -CONT "$A"
wait "$A"
RA=$?
wait "$B"
RB=$?
[ $RA -eq 0 ] && [ $RB -eq 0 ] && ok "both overlapping runs succeed (exit $RA, $RB)" ||
    bad "both overlapping runs succeed" "exit $RA and $RB" "$(cat "$TMP/a.err" "$TMP/b.err" | head -5)"
grep -q "articles 200 new" "$TMP/a.out" && ok "the first run recorded all 200" || bad "the first run recorded all 200" "$(cat "$TMP/a.out")"
grep -q "articles 0 new, 0 changed, 200 unchanged" "$TMP/b.out" && ok "the waiting run found nothing left to do" ||
    bad "the waiting run found nothing left to do" "$(cat "$TMP/b.out")"
"$PY" - "$STORE" "$OUT/incidents.geojson" <<'EOF' >"$TMP/py.out" 2>&1 && ok "store and layers agree, nothing twice" || bad "store and layers agree" "$(cat "$TMP/py.out")"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("SELECT count(*) FROM inputs").fetchone()[0] == 200
n = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
ids = [f["properties"]["event_id_cnty"] for f in json.load(open(sys.argv[2]))["features"]]
assert len(ids) == n == len(set(ids)), (len(ids), n, len(set(ids)))
dup = db.execute("SELECT count(*) FROM (SELECT article_id, ord FROM reports GROUP BY 1, 2 HAVING count(*) > 1)").fetchone()[0]
assert dup == 0, dup
EOF

finish
