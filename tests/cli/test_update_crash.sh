# test_update_crash.sh: kill -9 `incmap update` at random moments, many times, and show that
#   - the store always passes PRAGMA integrity_check,
#   - the next run leaves exactly what an uninterrupted run leaves (no incident lost or doubled),
#   - each output file is always a complete old version or a complete new one, never a mix.
# The inputs flip between two states A and B (articles added, removed and edited), so every run
# has work to do: coding, removals and the layers (GeoPackage + GeoJSON).
# INCMAP_CRASH_RUNS sets the number of killed runs (default 60; 50 for a sanitizer build, which
# runs about three times slower).
. "$(dirname "$0")/lib.sh"

if ldd "$INCMAP" 2>/dev/null | grep -q libasan; then RUNS=${INCMAP_CRASH_RUNS:-50}; else RUNS=${INCMAP_CRASH_RUNS:-60}; fi
IN=$TMP/in
STORE=$TMP/store.db
OUT=$TMP/layers
export SOURCE_DATE_EPOCH=1750000000

# ---------------------------------------------------------------- the two input states
mkdir -p "$TMP/A" "$TMP/B" "$IN"
n=0
for f in "$ROOT"/tests/eval/articles/fr_0*.txt "$FIX"/update/batch1/*.txt; do
    n=$((n + 1))
    base=$(basename "$f")
    # A: the first 26; B: from the 9th on; both: 9..26, of which two are edited in B.
    [ $n -le 26 ] && cp "$f" "$TMP/A/$base"
    [ $n -ge 9 ] && cp "$f" "$TMP/B/$base"
    if [ $n -eq 12 ] || [ $n -eq 20 ]; then printf '\nMis à jour : le bilan a été confirmé par les autorités.\n' >>"$TMP/B/$base"; fi
done
cp "$FIX"/update/batch2/menaka_bergers.html "$FIX"/update/batch2/feed.jsonl "$TMP/A/"
cp "$FIX"/update/batch2/menaka_bergers.html "$TMP/B/"
head -n 1 "$FIX/update/batch2/feed.jsonl" >"$TMP/B/feed.jsonl"

set_state() {
    rm -f "$IN"/*
    cp "$TMP/$1"/* "$IN/"
}

upd() { "$INCMAP" update --store "$1" --out "$2" --format gpkg,geojson --quiet "$IN"; }

# checker.py MODE ...: the Python side of the checks (see each mode).
cat >"$TMP/checker.py" <<'EOF'
import hashlib, json, os, sqlite3, sys

def store_dump(path):
    """What the store holds, without internal row ids (which grow over A/B cycles)."""
    db = sqlite3.connect(path)
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    q = lambda sql: sorted(tuple(r) for r in db.execute(sql))
    d = {
        "integrity": ok,
        "inputs": q("SELECT key, article_id, sha256 FROM inputs"),
        "articles": q("SELECT article_id, source, title, published, n_places, n_reports FROM articles"),
        "mentions": q("SELECT article_id, ord, text, geonameid FROM mentions"),
        "reports": q("SELECT r.article_id, r.ord, i.event_id_cnty FROM reports r JOIN incidents i USING(incident_id)"),
        "incidents": q("SELECT event_id_cnty, event_date, sub_event_type, location, fatalities, n_reports, source"
                       " FROM incidents"),
    }
    db.close()
    return d

FILES = ["incidents.gpkg", "incidents.geojson", "mentions.geojson", "articles.geojson"]

def layer_state(out):
    """Per output file: None (absent) or a fingerprint of its complete content; raises when a file
    is not a complete, valid one."""
    s = {}
    for f in FILES:
        p = os.path.join(out, f)
        if not os.path.exists(p):
            s[f] = None
        elif f.endswith(".geojson"):
            with open(p, "rb") as fh:
                raw = fh.read()
            fc = json.loads(raw)  # a truncated file does not parse
            assert fc["type"] == "FeatureCollection"
            s[f] = hashlib.sha256(raw).hexdigest()
        else:
            db = sqlite3.connect("file:%s?mode=ro" % p, uri=True)
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", p
            ids = lambda t, c: sorted(r[0] for r in db.execute("SELECT %s FROM %s" % (c, t)))
            s[f] = hashlib.sha256(json.dumps([ids("incidents", "event_id_cnty"), ids("articles", "article_id"),
                                              ids("mentions", "article_id || start")]).encode()).hexdigest()
            db.close()
    return s

mode = sys.argv[1]
if mode == "reference":  # reference STORE OUT FILE: save what an uninterrupted run left
    json.dump({"store": store_dump(sys.argv[2]), "layers": layer_state(sys.argv[3])}, open(sys.argv[4], "w"))
elif mode == "same":  # same FILE1 FILE2: two references agree
    a, b = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
    assert a == b, "the A/B cycle is not stable: %s differs" % [k for k in a["store"] if a["store"][k] != b["store"][k]]
elif mode == "check":
    # check SNAPSHOT_STORE SNAPSHOT_OUT LIVE_STORE LIVE_OUT REF_OLD REF_NEW TARGET_STATE
    snap_store, snap_out, live_store, live_out, ref_old, ref_new = sys.argv[2:8]
    old, new = json.load(open(ref_old)), json.load(open(ref_new))
    phase = "none"
    # 1. the store as the kill left it
    if os.path.exists(snap_store):
        d = store_dump(snap_store)
        assert d["integrity"] == "ok", "integrity_check: %s" % d["integrity"]
        d = json.loads(json.dumps(d))
        done = set(map(tuple, d["inputs"])) & set(map(tuple, new["store"]["inputs"]))
        phase = ("store done" if d == new["store"] else
                 "mid-articles" if done - set(map(tuple, old["store"]["inputs"])) or d != old["store"] else
                 "before commit")
    # 2. the layers as the kill left them: each file old, new or (before any run) absent
    snap = layer_state(snap_out)
    for f, fp in snap.items():
        assert fp in (old["layers"][f], new["layers"][f], None), "%s is neither the old nor the new version" % f
        if fp is None:
            assert old["layers"][f] is None, "%s vanished" % f
    if phase == "store done" and snap != new["layers"]:
        phase = "layers"
    # 3. after the next (uninterrupted) run: exactly the reference
    d = json.loads(json.dumps(store_dump(live_store)))
    for k in new["store"]:
        assert d[k] == new["store"][k], "after the next run, %s differs from an uninterrupted run's" % k
    assert layer_state(live_out) == new["layers"], "after the next run, the layers differ"
    print(phase)
EOF
check() { "$PY" "$TMP/checker.py" "$@"; }

# ---------------------------------------------------------------- references: no kill
REF=$TMP/ref
mkdir -p "$REF"
for step in A1 B1 A2 B2; do
    set_state "${step%?}"
    t0=$(date +%s%N)
    upd "$REF/store.db" "$REF/out" || bad "reference run $step" "exit $?"
    t1=$(date +%s%N)
    check reference "$REF/store.db" "$REF/out" "$REF/$step.json" || bad "reference $step"
done
check same "$REF/A1.json" "$REF/A2.json" && check same "$REF/B1.json" "$REF/B2.json" &&
    ok "uninterrupted A/B cycles give the same store and layers each time" || bad "A/B cycles are stable"
# Kill delays spread over a whole run like the loop's (B2: from A to B) and a bit beyond: start-up,
# the articles, the removals, the layers.
RUN_MS=$(( (t1 - t0) / 1000000 ))
MAX_MS=$(( RUN_MS * 12 / 10 + 5 ))
echo "reference runs: about $RUN_MS ms each; kills at 0..$MAX_MS ms"
printf '{"store": %s, "layers": {"incidents.gpkg": null, "incidents.geojson": null, "mentions.geojson": null, "articles.geojson": null}}\n' \
    "$("$PY" -c 'import json; print(json.dumps({"inputs": []}))')" >"$REF/none.json"

# ---------------------------------------------------------------- the loop
declare -A PHASES
FAILS=0
prev=none
for i in $(seq "$RUNS"); do
    if [ $((i % 2)) -eq 1 ]; then state=A; else state=B; fi
    set_state $state
    case $((i % 4)) in
    0 | 1)
        # Killed as soon as it reports its first article committed (0), or its first layer
        # file renamed into place (1): moments a random delay may miss on a slow machine.
        if [ $((i % 4)) -eq 0 ]; then pattern='^(new|changed|removed) '; else pattern='^written '; fi
        rm -f "$TMP/fifo" && mkfifo "$TMP/fifo"
        "$INCMAP" update --store "$STORE" --out "$OUT" --format gpkg,geojson -v "$IN" >"$TMP/fifo" 2>"$TMP/killed.err" &
        pid=$!
        delay="at '$pattern'"
        while IFS= read -r line; do
            if [[ $line =~ $pattern ]]; then
                kill -9 "$pid" 2>/dev/null
                break
            fi
        done <"$TMP/fifo"
        ;;
    *)
        "$INCMAP" update --store "$STORE" --out "$OUT" --format gpkg,geojson --quiet "$IN" >/dev/null 2>"$TMP/killed.err" &
        pid=$!
        delay=$((RANDOM % MAX_MS))
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
        delay="after $delay ms"
        kill -9 "$pid" 2>/dev/null
        ;;
    esac
    wait "$pid"
    rc=$?
    # What the kill left: copied before the next run repairs it (the WAL with the database).
    rm -rf "$TMP/snap" && mkdir -p "$TMP/snap/out"
    for f in "$STORE" "$STORE-wal"; do [ -e "$f" ] && cp "$f" "$TMP/snap/"; done
    cp "$OUT"/*.gpkg "$OUT"/*.geojson "$TMP/snap/out/" 2>/dev/null
    # The next run, not killed.
    if ! upd "$STORE" "$OUT" 2>"$TMP/next.err"; then
        bad "run $i: the run after the kill failed" "$(head -3 "$TMP/next.err")"
        FAILS=$((FAILS + 1))
        continue
    fi
    if [ "$prev" = none ]; then old_ref=$REF/none.json; else old_ref=$REF/${prev}1.json; fi
    if phase=$(check check "$TMP/snap/$(basename "$STORE")" "$TMP/snap/out" "$STORE" "$OUT" "$old_ref" "$REF/${state}1.json" 2>"$TMP/check.err"); then
        [ $rc -eq 0 ] && phase="finished before the kill"
        PHASES[$phase]=$(( ${PHASES[$phase]:-0} + 1 ))
    else
        bad "run $i ($state, killed $delay, exit $rc)" "$(tail -3 "$TMP/check.err")"
        FAILS=$((FAILS + 1))
    fi
    prev=$state
done
summary=""
for k in "${!PHASES[@]}"; do summary="$summary $k: ${PHASES[$k]};"; done
echo "killed runs by what they had done:$summary"
[ $FAILS -eq 0 ] && ok "$RUNS runs killed with kill -9: store intact, layers old or new, the next run exact" ||
    bad "$FAILS of $RUNS killed runs broke something (see above)"
killed=$(( RUNS - ${PHASES["finished before the kill"]:-0} ))
[ "$killed" -ge $((RUNS / 2)) ] && ok "$killed of $RUNS runs were really interrupted" ||
    bad "too few runs were interrupted ($killed of $RUNS)"
[ "${PHASES[mid-articles]:-0}" -ge $((RUNS / 4)) ] && ok "kills came between two articles' commits" ||
    bad "too few kills came between two articles' commits" "$summary"
[ "${PHASES[layers]:-0}" -ge 1 ] && ok "kills came between two layer files' renames" ||
    bad "no kill came between two layer files' renames" "$summary"
left=$(find "$OUT" -mindepth 1 -maxdepth 1 -name '.*incmap-*' | wc -l)
echo "temporary directories left in the output directory by killed runs: $left"

finish
