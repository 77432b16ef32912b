#!/usr/bin/env bash
# run.sh SECONDS [HARNESS...]: builds the libFuzzer harnesses (tests/fuzz/fuzz_*.c) with clang,
# ASan and UBSan in build-fuzz/, and runs each one (or those named: text, dates, gazetteer,
# geocode, html, feed) for SECONDS. Fails when any harness finds a crash, a sanitizer report, a leak, a
# broken invariant or an input slower than 10 s; the input is saved in build-fuzz/artifacts/.
#
# Corpus: build-fuzz/corpus/NAME keeps what libFuzzer found between runs (delete it to start
# over); the seeds are copied afresh from tests/fixtures, tests/eval/articles, the real pages of
# ../shared/seeds when present, the GeoNames extracts in gazetteer/ and feeds made from the
# articles at every run, never stored twice in git. Dictionaries help libFuzzer past what random bytes rarely spell: the lexicon's
# date, number and trigger words (from gazetteer/lexicon) for dates and geocode, HTML markup for
# html. Replay one input: build-fuzz/fuzz_NAME FILE.
#
# INCMAP_FUZZ_KEEP_GOING=1 runs libFuzzer in fork mode and carries on after a crash, so one long
# run collects every distinct crash (all saved in build-fuzz/artifacts/); it still fails at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
B=$ROOT/build-fuzz

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -eq 0 ]; then
    echo "usage: $0 SECONDS [text|dates|gazetteer|geocode|html|feed ...]" >&2
    exit 2
fi
secs=$1
shift
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then harnesses=(text dates gazetteer geocode html feed); fi
for h in "${harnesses[@]}"; do
    [ -f "tests/fuzz/fuzz_$h.c" ] || { echo "run.sh: no harness tests/fuzz/fuzz_$h.c" >&2; exit 2; }
done
CLANG=$(command -v clang || true)
if [ -z "$CLANG" ]; then
    echo "run.sh: clang not found: install clang and libclang-rt-14-dev (test.sh does)" >&2
    exit 1
fi

echo "== fuzz: building the harnesses in build-fuzz/ (clang, libFuzzer, ASan, UBSan)"
cmake -S . -B "$B" -DCMAKE_C_COMPILER="$CLANG" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINCMAP_FUZZ=ON \
      -DINCMAP_WERROR=ON >/dev/null
targets=()
for h in "${harnesses[@]}"; do targets+=(--target "fuzz_$h"); done
cmake --build "$B" -j"$(nproc)" "${targets[@]}" --target bundled_gazetteer >/dev/null

# ---- seeds
rm -rf "$B/seeds"
for h in text dates geocode html; do
    mkdir -p "$B/seeds/$h"
    cp tests/fixtures/articles/* tests/eval/articles/* "$B/seeds/$h/"
    if [ -d ../shared/seeds ]; then cp ../shared/seeds/*.txt "$B/seeds/$h/" 2>/dev/null || true; fi
done
cp tests/fixtures/update/batch2/*.html "$B/seeds/html/"
# pages with what the HTML reader must drop or survive: scripts, comments, CDATA, entities,
# unclosed and nested markup
printf '%s' '<!DOCTYPE html><html><head><title>A &amp; B</title><style>p{}</style></head><body>' \
    '<p>Une attaque &agrave; <b>Ka<i>ti</i></b>&#8217;s &#x1F600; &bogus; &#0; &#xD800;</p><script>if (a<b) x="</p>"' \
    '</script><!-- c --><![CDATA[ x ]]><svg><text>no</text></svg><table><tr><td>9 mai<td>Gao</table>' \
    '<pre>a\n b</pre><select><option>Mali</select><textarea><p>t</textarea><p>fin' >"$B/seeds/html/synthetic.html"
printf '%s' '<div><div><div><div><div><div><div><div><p><span><a href="x">Gao</a>' >"$B/seeds/html/nested.html"
printf '%s' '<p>Tiby<script>never closed <!-- nor this' >"$B/seeds/html/unclosed.html"
# Feeds: the test fixtures' (one with broken lines), and feeds made of the articles, in JSON Lines
# as a wire service sends them (text or html, every field). fuzz_feed reads a size limit from the
# last byte: 0, none.
S=$B/seeds/feed
mkdir -p "$S"
for f in tests/fixtures/update/*/feed.jsonl; do
    { cat "$f"; printf '\000'; } >"$S/$(basename "$(dirname "$f")").jsonl"
done
/usr/bin/python3 - "$S" tests/eval/articles/*.txt <<'PY'
import json, sys
out, files = sys.argv[1], sys.argv[2:]
for k, path in enumerate(files[:12]):
    text = open(path, encoding="utf-8", errors="replace").read()
    e = {"id": "e%d" % k, "url": "https://example.org/%d" % k, "title": text.split("\n")[0][:80],
         "published": "2025-07-%02dT10:00:00Z" % (k % 28 + 1), "language": ["fr", "en", "es"][k % 3]}
    e["html" if k % 2 else "text"] = "<p>" + text.replace("\n", "</p><p>") + "</p>" if k % 2 else text
    line = json.dumps(e, ensure_ascii=bool(k % 4 == 0))
    with open("%s/article%02d.jsonl" % (out, k), "wb") as f:
        f.write((line + "\n" + line[: len(line) // 2] + "\n").encode("utf-8") + bytes([k % 2]))
    if k == 0:  # UTF-16 with a byte-order mark, as Windows tools export
        with open("%s/utf16.jsonl" % out, "wb") as f:
            f.write(b"\xff\xfe" + (line + "\r\n").encode("utf-16-le") + b"\0")
PY
# The gazetteer harness reads the file's kind from the input's last byte (see fuzz_gazetteer.c).
gz_kind() {
    case $(basename "$1") in
        admin1Codes*) printf '\001' ;; admin2Codes*) printf '\002' ;; countryInfo*) printf '\003' ;;
        alternateNames*) printf '\004' ;; *.tsv) printf '\005' ;; *) printf '\000' ;;
    esac
}
S=$B/seeds/gazetteer
mkdir -p "$S"
for f in tests/fixtures/geonames/* gazetteer/names-curated.tsv; do
    { cat "$f"; gz_kind "$f"; } >"$S/$(basename "$f")"
done
for f in gazetteer/geonames/ML-2023.txt.gz gazetteer/geonames/admin1CodesASCII.txt.gz \
         gazetteer/geonames/admin2Codes.txt.gz; do
    name=$(basename "$f" .gz)
    { zcat "$f" | head -n 40 || true; gz_kind "$name"; } >"$S/$name.head"
    # a gzip stream, as real dumps come, and the same stream cut short
    { zcat "$f" | head -n 40 | gzip -c || true; gz_kind "$name"; } >"$S/$name.head.gz"
    { zcat "$f" | head -n 40 | gzip -c | head -c 300 || true; gz_kind "$name"; } >"$S/$name.cut.gz"
done
{ head -n 60 gazetteer/geonames/countryInfo.txt; gz_kind countryInfo.txt; } >"$S/countryInfo.head"

# ---- dictionary: the lexicon's keys that the date, number and incident readers look for
dict=$B/lexicon.dict
/usr/bin/python3 - "$dict" gazetteer/lexicon <<'PY'
import glob, os, sys
out, lex = sys.argv[1], sys.argv[2]
lists = ("months", "weekdays", "reldates", "date_modifiers", "numbers", "triggers", "casualties", "cues",
         "locative_cues", "published_cues", "boilerplate")
words = set()
for lang in sorted(os.listdir(lex)):
    for name in lists:
        for path in glob.glob(os.path.join(lex, lang, name + ".txt")):
            for line in open(path, encoding="utf-8"):
                key = line.split("\t")[0].strip()
                if key and not key.startswith("#"):
                    words.add(key)
with open(out, "w") as f:
    for w in sorted(words):
        b = w.encode("utf-8")
        f.write('"' + "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else "\\x%02X" % c for c in b) + '"\n')
PY

# ---- dictionary of the markup the HTML reader acts on
for w in '<p>' '</p>' '<br>' '<br/>' '<div>' '</div>' '<li>' '<td>' '<tr>' '<h1>' '<title>' '</title>' \
         '<script>' '</script>' '<style>' '</style>' '<!--' '-->' '<![CDATA[' ']]>' '<svg>' '</svg>' '<math>' \
         '<template>' '<noscript>' '<select>' '<option>' '<textarea>' '<pre>' '</pre>' '<!DOCTYPE html>' \
         '<html>' '<body>' '&amp;' '&nbsp;' '&eacute;' '&#' '&#x' ';' '="' "='"; do
    printf '"%s"\n' "$(printf '%s' "$w" | sed 's/\\/\\\\/g; s/"/\\"/g')"
done >"$B/html.dict"

# ---- dictionary of what a feed line holds: the fields, JSON's escapes and literals
for w in '{"id":' '"url":' '"title":' '"published":' '"language":' '"text":' '"html":' '"fr"' '"en"' \
         '"2025-07-15"' '"2025-07-15T10:00:00Z"' '\u0000' '\u00e9' '\ud83d\ude00' '\"' '\\' '\n' 'null' 'true' \
         '[]' '{}' '<p>' '&amp;'; do
    printf '"%s"\n' "$(printf '%s' "$w" | sed 's/\\/\\\\/g; s/"/\\"/g')"
done >"$B/feed.dict"

# ---- run
mkdir -p "$B/artifacts" "$B/logs"
# fuzz_gazetteer builds a gazetteer per input: in memory when /dev/shm exists, and removed even
# when a crash stops the harness before it cleans up
FUZZ_TMP=$(mktemp -d /dev/shm/incmap-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$FUZZ_TMP"' EXIT
export TMPDIR=$FUZZ_TMP
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1
failed=()
summary=$B/logs/summary.txt
printf '%-10s %6s %10s %8s %7s %7s %6s  %s\n' HARNESS SECS RUNS EXEC/S COV FT CORPUS RESULT >"$summary"
for h in "${harnesses[@]}"; do
    mkdir -p "$B/corpus/$h"
    extra=()
    case $h in
        dates | geocode) extra=(-dict="$dict") ;; html) extra=(-dict="$B/html.dict") ;;
        feed) extra=(-dict="$B/feed.dict") ;;
    esac
    if [ "${INCMAP_FUZZ_KEEP_GOING:-0}" = 1 ]; then
        extra+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    before=$(find "$B/artifacts" -type f | wc -l)
    log=$B/logs/$h.log
    echo "== fuzz: fuzz_$h for $secs s (log: build-fuzz/logs/$h.log)"
    rc=0
    "$B/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$B/artifacts/$h-" "${extra[@]}" "$B/corpus/$h" "$B/seeds/$h" >"$log" 2>&1 || rc=$?
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    [ -n "$eps" ] || eps=$(sed -n 's/.* exec\/s:* \([0-9]*\).*/\1/p' <<<"$last")
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    # fork mode prints its own totals: "#RUNS: cov: C ft: F corp: N exec/s: E ..."
    [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' <<<"$last")
    found=$(($(find "$B/artifacts" -type f | wc -l) - before))
    if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc, $found new inputs in build-fuzz/artifacts/)"
        failed+=("$h")
    fi
    printf '%-10s %6s %10s %8s %7s %7s %6s  %s\n' "$h" "$secs" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" \
        "${corp:-?}" "$result" >>"$summary"
    if [ "$rc" -ne 0 ]; then
        echo "-- fuzz_$h failed; the report:"
        grep -m1 -B2 -A40 -E '==ERROR|runtime error|invariant broken|ALARM|Deadly signal|out-of-memory' "$log" ||
            tail -n 40 "$log"
        grep -E 'Test unit written to' "$log" || true
    fi
done
cat "$summary"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in build-fuzz/artifacts/; replay with build-fuzz/fuzz_NAME FILE)" >&2
    exit 1
fi
echo "fuzz: no crash in ${harnesses[*]}"
