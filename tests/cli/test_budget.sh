# test_budget.sh: the time an article takes grows linearly with its size, whatever it holds
# (issue 7). Pathological articles (one place name repeated, a person named again and again,
# an incident per sentence, runs of capitalised place names, thousands of distinct places) are
# geocoded at 512 KiB and at 2 MiB: four times the bytes must cost at most about four times the
# CPU (a quadratic step costs sixteen). The measured times are in tests/fuzz/README.md.
. "$(dirname "$0")/lib.sh"

"$PY" - "$INCMAP" "$TMP" "$ROOT" <<'EOF' >"$TMP/budget.out" 2>&1
import gzip, os, random, subprocess, sys
incmap, tmp, root = sys.argv[1:4]
random.seed(7)
names = []
with gzip.open(root + "/gazetteer/geonames/ML-2023.txt.gz", "rt", encoding="utf-8") as f:
    for line in f:
        c = line.split("\t")
        if len(c) > 7 and c[6] == "P":
            names.append(c[1])
random.shuffle(names)
counter = iter(range(10**9))
UNITS = {
    "one place name repeated": lambda: "Kati ",
    "one person named again and again": lambda: "Adama Traore est venu de Kati. ",
    "distinct people": lambda: "Adama B%s est venu de Kati. " % "".join(random.choice("aeiokmnrst") for _ in range(7)),
    "an incident per sentence": lambda: "Une attaque a fait 3 morts à Kati le 12 mai 2025. ",
    "incidents in one sentence": lambda: "une attaque a fait 3 morts à Kati le 12 mai 2025, ",
    "a run of capitalised place names": lambda: "Bandiagara Mopti Gao Kidal Tombouctou Sikasso Kayes Koulikoro ",
    "distinct place names": lambda: names[next(counter) % len(names)] + ", ",
}

def article(unit, size):
    parts, n = [], 0
    while n < size:
        u = unit()
        parts.append(u)
        n += len(u.encode())
    return "".join(parts).encode()[:size].decode("utf-8", "ignore").encode()

def cpu(path):
    p = subprocess.Popen([incmap, "geocode", "--format", "json", "--lang", "fr", "--published", "2025-07-15", path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, p.stderr.read().decode()
    return ru.ru_utime + ru.ru_stime

def best(path, runs):
    return min(cpu(path) for _ in range(runs))

failed = 0
fixture = root + "/tests/fixtures/articles/fr_kati.txt"  # start-up: the gazetteer and lexicon
for label, unit in UNITS.items():
    paths = []
    for size in (512 << 10, 2 << 20):
        paths.append("%s/budget-%d-%d.txt" % (tmp, len(paths), size))
        open(paths[-1], "wb").write(article(unit, size))
    # Once, and on a failure the best of three of everything: on a busy machine (CI runs tests
    # side by side) one slow run of the start-up or of the small article, tenths of a second,
    # makes a ratio of anything.
    for runs in (1, 3):
        base = best(fixture, runs)
        times = [max(best(p, runs) - base, 0.02) for p in paths]
        ratio = times[1] / times[0]
        ok = ratio < 8
        if ok:
            break
    print("%s %s: %.2f s for 512 KiB, %.2f s for 2 MiB (x%.1f)" % ("ok  " if ok else "FAIL", label, times[0], times[1], ratio))
    failed += not ok
sys.exit(1 if failed else 0)
EOF
rc=$?
while IFS= read -r line; do
    case $line in
        "ok   "*) ok "${line#ok   }" ;;
        "FAIL "*) bad "${line#FAIL } grows faster than the input" ;;
        *) echo "       $line" ;;
    esac
done <"$TMP/budget.out"
[ "$rc" = 0 ] || [ "$FAILED" -gt 0 ] || bad "the budget test ran" "$(cat "$TMP/budget.out")"
finish
