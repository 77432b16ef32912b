# test_hostile.sh: what incmap does with input nobody should give it (issue 7). Each case checks
# the exit status, and that standard error names the file and says what is wrong; a refused file
# never stops the others. Everything hostile is generated in $TMP at run time. Covered: empty
# input, 200 MB lines, NUL and control bytes, invalid UTF-8, UTF-16, PDF and image files, broken
# gazetteers, unwritable outputs, deeply nested and truncated web pages, JSON Lines feeds with
# broken lines, stores of a newer schema, SQL metacharacters and path traversal in names and ids,
# killed writers' temporary directories, and a full disk (a small tmpfs, when this runs as root).
. "$(dirname "$0")/lib.sh"

A=$ARTICLES
G=$FIX/geonames

# assert_err LABEL TEXT...: standard error holds every TEXT.
assert_err() {
    local label=$1 t
    shift
    for t in "$@"; do
        if ! grep -qF -- "$t" "$TMP/err"; then
            bad "$label" "expected stderr to contain: $t" "it holds: $(head -c 600 "$TMP/err")"
            return
        fi
    done
    ok "$label"
}

# assert_json_doc LABEL PYTHON_CONDITION: the output is one JSON document per line and the
# condition holds for the first one (d) and its raw input bytes (raw, when the source is a file).
assert_json_doc() {
    assert_py "$1" '
import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").readline())
raw = open(d["source"], "rb").read() if d["source"] != "-" else b""
assert '"$2"', json.dumps(d)[:500]
'
}

# ---- empty input: a graceful empty result, not an error
: >"$TMP/empty.txt"
run geocode --format json "$TMP/empty.txt"
assert_rc 0 "empty file"
assert_json_doc "empty file: a doc with no places" 'd["places"] == [] and d["incidents"] == []'
run_in /dev/null geocode --format json
assert_rc 0 "0-byte standard input"
assert_json_doc "0-byte standard input: a doc named - with no places" 'd["source"] == "-" and d["places"] == []'

# ---- a 200 MB single line: refused at the configured limit, and by default at 16 MiB, without
# reading it all into memory; the next file is still processed.
big=$TMP/big.txt
yes 'Une attaque a fait trois morts à Kati hier. ' | tr -d '\n' | head -c 200000000 >"$big"
run geocode --max-bytes 1000000 "$big" "$A/fr_kati.txt"
assert_rc 1 "200 MB line with --max-bytes 1000000"
assert_err "--max-bytes: the file and the configured limit" "$big" "1000000-byte limit" "--max-bytes"
assert_contains "$TMP/out" "Kati" "--max-bytes: the next file is still geocoded"
assert_py "the default limit refuses a 200 MB line quickly, holding a fraction of it in memory" '
import resource, subprocess, sys, time
incmap, big = sys.argv[2], sys.argv[3]
t0 = time.time()
p = subprocess.run([incmap, "geocode", big], capture_output=True)
secs = time.time() - t0
rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
err = p.stderr.decode()
assert p.returncode == 1, (p.returncode, err)
assert big in err and "16777216-byte limit" in err and "--max-bytes" in err, err
assert secs < 30, "took %.1f s" % secs
assert rss_mb < 190, "peak RSS %.0f MB for a 200 MB input: it is read whole" % rss_mb
print("refused in %.2f s, peak RSS %.0f MB" % (secs, rss_mb))
' "$INCMAP" "$big"
run_in "$big" geocode --max-bytes 5000000 -
assert_rc 1 "200 MB line on standard input"
assert_err "standard input: named -, with the limit" "-: larger than the 5000000-byte limit"
rm -f "$big"

# ---- bytes that are not text
printf 'Attaque \0 Kati' >"$TMP/nul.txt"
run geocode "$TMP/nul.txt" "$A/fr_kati.txt"
assert_rc 1 "NUL byte"
assert_err "NUL byte: the file, the offset, binary" "$TMP/nul.txt" "offset 8" "binary"
assert_contains "$TMP/out" "Sirakorola" "NUL byte: the next file is still geocoded"
printf 'Attaque \0 Kati' | "$INCMAP" geocode - >"$TMP/out" 2>"$TMP/err"
RC=$?
assert_rc 1 "NUL byte on standard input"
assert_err "NUL byte on standard input: named -" "-: byte 0x00 at offset 8"
printf 'Attaque \001 \002 Kati' >"$TMP/ctl.txt"
run geocode "$TMP/ctl.txt"
assert_rc 1 "control bytes"
assert_err "control bytes: the file and the offset" "$TMP/ctl.txt" "0x01 at offset 8"

# Invalid UTF-8 that reads as 8-bit text is Windows-1252 (offsets still in input bytes); after a
# UTF-8 byte-order mark it is a broken file.
printf 'Attaque \xe0 Kati: 3 morts \xe9t\xe9 \x80.' >"$TMP/latin1.txt"
run geocode --format json "$TMP/latin1.txt"
assert_rc 0 "invalid UTF-8 read as Windows-1252"
assert_json_doc "Windows-1252: detected, offsets in input bytes" \
    'd["encoding"] == "windows-1252" and [(p["text"], raw[p["start"]:p["end"]]) for p in d["places"]] == [("Kati", b"Kati")]'
printf '\xef\xbb\xbfAttaque \xe0 Kati' >"$TMP/bom-bad.txt"
run geocode "$TMP/bom-bad.txt"
assert_rc 1 "invalid UTF-8 after a UTF-8 BOM"
assert_err "BOM + invalid UTF-8: the file and the offset" "$TMP/bom-bad.txt" "invalid UTF-8 at byte offset 11"

# ---- UTF-16 with a byte-order mark: converted, offsets in the UTF-16 bytes
"$PY" -c '
import sys
text = "Une attaque à Kati a fait trois morts."
open(sys.argv[1], "wb").write(b"\xff\xfe" + text.encode("utf-16-le"))
open(sys.argv[2], "wb").write(b"\xfe\xff" + text.encode("utf-16-be"))
open(sys.argv[3], "wb").write(b"\xff\xfe" + text.encode("utf-16-le") + b"K")
open(sys.argv[4], "wb").write(b"\xff\xfe" + "Kati ".encode("utf-16-le") + b"\x00\xdc")
' "$TMP/u16le.txt" "$TMP/u16be.txt" "$TMP/u16odd.txt" "$TMP/u16surr.txt"
for e in le be; do
    run geocode --format json "$TMP/u16$e.txt"
    assert_rc 0 "UTF-16${e^^} with BOM"
    assert_json_doc "UTF-16${e^^}: Kati at its UTF-16 byte offsets" \
        'd["encoding"] == "UTF-16'"${e^^}"'" and [raw[p["start"]:p["end"]].decode("utf-16-'"$e"'") for p in d["places"]] == ["Kati"]'
done
run geocode "$TMP/u16odd.txt"
assert_rc 1 "UTF-16 with an odd number of bytes"
assert_err "odd UTF-16: the file and the offset" "$TMP/u16odd.txt" "truncated UTF-16" "offset 78"
run geocode "$TMP/u16surr.txt"
assert_rc 1 "UTF-16 with an unpaired surrogate"
assert_err "unpaired surrogate: the file and the offset" "$TMP/u16surr.txt" "surrogate at byte offset 12"

# ---- a PDF and an image
"$PY" -c '
import sys, zlib
body = zlib.compress(b"BT /F1 12 Tf 72 712 Td (Une attaque a Kati) Tj ET")
head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length " + str(len(body)).encode() + b" /Filter /FlateDecode >>\n"
open(sys.argv[1], "wb").write(head + b"stream\n" + body + b"\nendstream\nendobj\n%%EOF\n")
' "$TMP/article.pdf"
run geocode "$TMP/article.pdf" "$A/binary.gif"
assert_rc 1 "a PDF and a GIF"
assert_err "PDF: the file, binary" "$TMP/article.pdf: byte 0x" "this is a binary file"
assert_err "GIF: the file, the offset, binary" "$A/binary.gif: byte 0x01 at offset 6" "binary"

# ---- gazetteers that are truncated, corrupt or not gazetteers at all
run gazetteer build --quiet -o "$TMP/g.db" "$G/ML-2014.txt" "$G/ML-2023.txt" "$G/admin1CodesASCII.txt" \
    "$G/countryInfo.txt" "$G/alternateNamesV2.txt" "$G/names-curated.tsv"
assert_rc 0 "a small gazetteer to spoil"
# gz_case LABEL DB EXPECTED...: geocoding with --gazetteer DB fails naming what is wrong.
gz_case() {
    local label=$1 db=$2
    shift 2
    run geocode --gazetteer "$db" "$A/fr_kati.txt"
    assert_rc 1 "$label"
    assert_err "$label: what and where" "$@"
}
spoil() { cp "$TMP/g.db" "$TMP/$1.db" && cp "$TMP/g.db.idx" "$TMP/$1.db.idx"; }
spoil trunc && truncate -s $(($(stat -c %s "$TMP/g.db") / 2)) "$TMP/trunc.db"
gz_case "truncated gazetteer database" "$TMP/trunc.db" "$TMP/trunc.db" "malformed"
spoil tidx && truncate -s 1000 "$TMP/tidx.db.idx"
gz_case "truncated name index" "$TMP/tidx.db" "$TMP/tidx.db.idx" "truncated or corrupt" "rebuild"
spoil eidx && : >"$TMP/eidx.db.idx"
gz_case "empty name index" "$TMP/eidx.db" "$TMP/eidx.db.idx" "empty file"
spoil noidx && rm "$TMP/noidx.db.idx"
gz_case "missing name index" "$TMP/noidx.db" "$TMP/noidx.db.idx" "No such file" "rebuild"
cp "$A/fr_kati.txt" "$TMP/text.db"
gz_case "a text file as gazetteer" "$TMP/text.db" "$TMP/text.db" "not an incmap gazetteer" "not a database"
cp "$A/binary.gif" "$TMP/gif.db"
gz_case "an image as gazetteer" "$TMP/gif.db" "$TMP/gif.db" "not an incmap gazetteer"
: >"$TMP/empty.db"
gz_case "an empty file as gazetteer" "$TMP/empty.db" "$TMP/empty.db" "not an incmap gazetteer"
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE t(x)"); c.commit()' \
    "$TMP/other.db"
gz_case "another SQLite database as gazetteer" "$TMP/other.db" "$TMP/other.db" "not an incmap gazetteer"
spoil newer && "$PY" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE meta SET value = 99 WHERE key = ?", ("schema_version",))
c.commit()' "$TMP/newer.db"
gz_case "a gazetteer of a newer schema" "$TMP/newer.db" "$TMP/newer.db" "schema 99" "rebuild"
gz_case "a missing gazetteer" "$TMP/none.db" "$TMP/none.db" "no gazetteer there"
mkdir "$TMP/dir.db"
gz_case "a directory as gazetteer" "$TMP/dir.db" "$TMP/dir.db is a directory, not a gazetteer file"
# and as the output of a build: refused before anything is written beside it
run gazetteer build --quiet -o "$TMP/dir.db" "$G/ML-2014.txt"
assert_rc 2 "gazetteer build -o a directory"
assert_err "build -o a directory: names it" "$TMP/dir.db is a directory"
if [ -e "$TMP/dir.db.idx" ]; then bad "build -o a directory: no index left beside it" "$TMP/dir.db.idx"; else ok "build -o a directory: no index left beside it"; fi

# ---- gazetteer build from sources that are not GeoNames dumps: nothing replaces a good gazetteer
cp "$TMP/g.db" "$TMP/keep.db" && cp "$TMP/g.db.idx" "$TMP/keep.db.idx"
cp "$A/binary.gif" "$TMP/ML-image.txt"
run gazetteer build --quiet -o "$TMP/keep.db" "$TMP/ML-image.txt"
assert_rc 1 "gazetteer build from an image"
assert_err "build from an image: the output and why" "$TMP/keep.db" "no place imported" "Nothing was written"
"$PY" -c 'import gzip, sys; sys.stdout.buffer.write(gzip.compress(open(sys.argv[1], "rb").read())[:300])' \
    "$G/ML-2014.txt" >"$TMP/ML-cut.txt.gz"
run gazetteer build --quiet -o "$TMP/keep.db" "$TMP/ML-cut.txt.gz"
assert_rc 1 "gazetteer build from a truncated gzip dump"
assert_err "truncated gzip: the file, the line, why" "$TMP/ML-cut.txt.gz:" "truncated or corrupt"
run geocode --gazetteer "$TMP/keep.db" "$A/fr_kati.txt"
assert_rc 0 "the gazetteer the failed builds would have replaced still works"
if [ "$(ls "$TMP" | grep -c '^keep\.db')" -eq 2 ]; then
    ok "failed builds left no temporary file"
else
    bad "failed builds left no temporary file" "found: $(ls "$TMP" | grep '^keep')"
fi

# ---- layers (-o) into a directory that does not exist or cannot be written
if ! "$INCMAP" geocode --help | grep -q -- '--output'; then
    echo "skip incmap geocode -o: this incmap has no --output option yet"
else
    run geocode -o "$TMP/missing/dir/incidents.gpkg" "$A/fr_kati.txt"
    assert_rc 1 "-o into a missing directory"
    assert_err "-o missing directory: names it" "$TMP/missing/dir" "No such file or directory"
    # A read-only directory: by permissions for a user; root ignores them, so as root a read-only
    # tmpfs when this machine lets us mount one.
    ro=$TMP/ro
    mkdir "$ro"
    mounted=0
    if [ "$(id -u)" != 0 ]; then
        chmod 555 "$ro"
    elif mount -t tmpfs -o ro,size=64k tmpfs "$ro" 2>/dev/null; then
        mounted=1
        trap 'umount "$ro"; rm -rf "$TMP"' EXIT
    else
        ro=
        echo "skip -o into a read-only directory: running as root and cannot mount a read-only tmpfs"
    fi
    if [ -n "$ro" ]; then
        run geocode -o "$ro/incidents.gpkg" "$A/fr_kati.txt"
        assert_rc 1 "-o into a read-only directory"
        assert_err "-o read-only directory: names it and why" "$ro" "cannot write"
        if [ -z "$(ls -A "$ro")" ]; then ok "-o read-only: nothing written"; else bad "-o read-only: nothing written" "$(ls -A "$ro")"; fi
        if [ "$mounted" = 1 ]; then umount "$ro" && trap 'rm -rf "$TMP"' EXIT; else chmod 755 "$ro"; fi
    fi
fi

# ---- JSON Lines feeds: a broken line in the middle is reported with its file and line, and the
# entries around it are coded; feeds in UTF-16 or with a byte-order mark are read; a binary file
# named .jsonl fails line by line without stopping the rest.
FD=$TMP/feeds
mkdir -p "$FD"
"$PY" - "$FD" "$A" <<'EOF'
import json, sys
out, arts = sys.argv[1], sys.argv[2]
texts = [open("%s/%s" % (arts, n), encoding="utf-8").read() for n in ("fr_kati.txt", "en_kidal.txt", "fr_togo.txt")]
def entry(i, text):
    return json.dumps({"id": "w%d" % i, "title": "Entry %d" % i, "published": "2025-07-15", "text": text})
lines = [entry(1, texts[0]), entry(2, texts[1]), entry(3, texts[2])[:60], entry(4, texts[2]), entry(5, texts[0] + " (5)")]
open(out + "/wire.jsonl", "w", encoding="utf-8").write("\n".join(lines) + "\n")
crlf = "\r\n".join([entry(6, texts[1] + " (6)"), entry(7, texts[2] + " (7)")]) + "\r\n"
open(out + "/utf16.jsonl", "wb").write(b"\xff\xfe" + crlf.encode("utf-16-le"))
open(out + "/bom.jsonl", "wb").write(b"\xef\xbb\xbf" + (entry(8, texts[0] + " (8)") + "\n").encode("utf-8"))
EOF
cp "$A/binary.gif" "$FD/binary.jsonl"
run update --store "$TMP/feeds.db" --format none "$FD"
assert_rc 1 "feeds with a broken line and a binary file"
assert_err "the broken line: its file and line, why" "$FD/wire.jsonl:3: not JSON" "the other entries go on"
assert_err "the binary .jsonl: its file, line and byte" "$FD/binary.jsonl:1: control byte 0x" "binary file"
assert_py "every good entry is coded, the UTF-16 and BOM feeds too" '
import sqlite3, sys
fd = sys.argv[2]
keys = {k for (k,) in sqlite3.connect(sys.argv[3]).execute("SELECT key FROM inputs")}
want = {fd + "/wire.jsonl#w%d" % i for i in (1, 2, 4, 5)} | {fd + "/utf16.jsonl#w6", fd + "/utf16.jsonl#w7",
                                                            fd + "/bom.jsonl#w8"}
assert keys == want, sorted(keys ^ want)
' "$FD" "$TMP/feeds.db"

# ---- web pages nested 200,000 deep, cut in the middle of a tag, a comment or a script: read as
# text (no recursion to overflow), the article coded
H=$TMP/pages
mkdir -p "$H"
"$PY" - "$H" <<'EOF'
import sys
d = sys.argv[1]
body = "<p>Une attaque a fait trois morts \u00e0 Kati, au Mali.</p>".encode("utf-8")
open(d + "/nested.html", "wb").write(b"<html><body>" + b"<div><span>" * 200000 + body + b"</span></div>" * 1000)
open(d + "/cut-tag.html", "wb").write(b"<html><body>" + body + b"<p class=\"x")
open(d + "/cut-comment.html", "wb").write(b"<html><body>" + body + b"<!-- never closed <p>Gao</p>")
open(d + "/cut-script.html", "wb").write(b"<html><body>" + body + b"<script>var x = '<p>Gao</p>")
EOF
run update --store "$TMP/pages.db" --format none "$H"
assert_rc 0 "deeply nested and truncated pages"
assert_py "every page is coded, Kati found in each, nothing from the unclosed comment or script" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[2])
rows = db.execute("SELECT i.key, group_concat(m.text) FROM inputs i LEFT JOIN mentions m USING(article_id) GROUP BY i.key").fetchall()
assert len(rows) == 4, rows
for key, names in rows:
    assert names and "Kati" in names and "Gao" not in names, (key, names)
' "$TMP/pages.db"

# ---- a store from a newer incmap, or an SQLite file that is not a store: refused, untouched
run update --store "$TMP/newer-store.db" --format none "$A/fr_kati.txt"
assert_rc 0 "a store to age"
"$PY" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
v = c.execute("PRAGMA user_version").fetchone()[0]
c.execute("PRAGMA user_version = %d" % (v + 1))
c.commit()
c = sqlite3.connect(sys.argv[2])
c.execute("CREATE TABLE notes(x)")
c.commit()' "$TMP/newer-store.db" "$TMP/other-store.db"
cp "$A/fr_kati.txt" "$TMP/text-store.db"
# store_case LABEL DB EXPECTED...: update and export refuse DB, naming it, and leave it byte for byte
store_case() {
    local label=$1 db=$2 before after
    shift 2
    before=$(sha256sum "$db")
    run update --store "$db" --format none "$A/fr_togo.txt"
    assert_rc 1 "update on $label"
    assert_err "update on $label: what and where" "$db" "$@"
    run export --store "$db" --out "$TMP/export-refused"
    assert_rc 1 "export from $label"
    after=$(sha256sum "$db")
    if [ "$before" = "$after" ] && [ ! -e "$db-wal" ] && [ ! -e "$TMP/export-refused" ]; then
        ok "$label: the file is unchanged, nothing written"
    else
        bad "$label: the file is unchanged, nothing written" "before $before" "after  $after" "$(ls "$db"* "$TMP" | head)"
    fi
}
store_case "a store of a newer schema" "$TMP/newer-store.db" "newer than this incmap" "upgrade incmap"
store_case "an SQLite database that is not a store" "$TMP/other-store.db" "not an incmap store"
store_case "a text file as store" "$TMP/text-store.db" "is it an SQLite database?"

# ---- SQL metacharacters, path traversal and control characters in file names, feed ids and
# titles: stored and written verbatim, and nothing is written outside the output directory.
M=$TMP/meta
mkdir -p "$M/in" "$M/out"
"$PY" - "$M/in" "$A/fr_kati.txt" <<'EOF'
import json, os, sys
d, src = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
names = ["it's; DROP TABLE inputs;--.txt", "$(touch pwned).txt", "a\"b`c\\d.txt", "tab\there.txt", "new\nline.txt",
         "ctl\x01\x1b[31m.txt", "%s%n%x.txt", "x..y.txt", "-rf.txt"]
for i, n in enumerate(names):
    open(os.path.join(d, n), "w", encoding="utf-8").write(src + "\n(%d)\n" % i)
ids = ["../../etc/incmap-x", "../../../../../../tmp/incmap-pwned", "'); DROP TABLE articles; --", "a/b/../../c",
       "%s%n", "\u0001ctl\u001b[0m", "x\" OR \"1\"=\"1"]
with open(os.path.join(d, "wire.jsonl"), "w", encoding="utf-8") as f:
    for i, k in enumerate(ids):
        f.write(json.dumps({"id": k, "url": "file:///etc/passwd?%d" % i, "title": k + " \u0007'\";--",
                            "text": src + "\n[%d]\n" % i}) + "\n")
json.dump({"names": names, "ids": ids}, open(os.path.join(d, "..", "expected.json"), "w"))
EOF
touch "$M/marker"
sleep 1 # modification times after the marker are this run's
# run from $M, where a name run as a command or a relative path would land
incmap_abs=$(cd "$(dirname "$INCMAP")" && pwd -P)/$(basename "$INCMAP")
( cd "$M" && "$incmap_abs" update --store "$M/s.db" --out "$M/out" --format gpkg,geojson "$M/in" >"$TMP/out" 2>"$TMP/err" )
RC=$?
assert_rc 0 "update on hostile names and ids"
assert_py "keys, sources and titles are stored and written verbatim" '
import json, os, sqlite3, sys
m = sys.argv[2]
exp = json.load(open(m + "/expected.json"))
files = {m + "/in/" + n for n in exp["names"]}
feed = {m + "/in/wire.jsonl#" + k for k in exp["ids"]}
db = sqlite3.connect(m + "/s.db")
keys = {k for (k,) in db.execute("SELECT key FROM inputs")}
assert keys == files | feed, sorted(keys ^ (files | feed))
titles = {t for (t,) in db.execute("SELECT title FROM articles WHERE kind = ?", ("feed",))}
want = {k + " \u0007\u0027\";--" for k in exp["ids"]}
assert titles == want, sorted(titles ^ want)
arts = [f["properties"] for f in json.load(open(m + "/out/articles.geojson", encoding="utf-8"))["features"]]
assert {a["title"] for a in arts} >= want, "titles in the layer"
assert {a["source"] for a in arts} >= files, "file sources in the layer"
' "$M"
new=$(cd "$M" && find . -newer marker ! -path './out' ! -path './out/*' ! -path './s.db*' | sort | tr '\n' ' ')
if [ "$new" = ". " ] || [ -z "$new" ]; then
    ok "nothing written outside the output directory and the store"
else
    bad "nothing written outside the output directory and the store" "new: $new"
fi
layers=$(ls -A "$M/out" | tr '\n' ' ')
if [ "$layers" = "articles.geojson articles.qml incidents.geojson incidents.gpkg incidents.qml mentions.geojson mentions.qml " ]; then
    ok "the output directory holds the layers and nothing else"
else
    bad "the output directory holds the layers and nothing else" "$layers"
fi
if [ -e /tmp/incmap-pwned ] || [ -e "$TMP/etc" ] || find "$TMP" / -maxdepth 1 -name pwned 2>/dev/null | grep -q .; then
    bad "no file made from a name or an id" "$(ls -d /tmp/incmap-pwned "$TMP/etc" 2>/dev/null)"
else
    ok "no file made from a name or an id"
fi
run geocode --format json "$M/in/it's; DROP TABLE inputs;--.txt" "$M/in/new
line.txt"
assert_rc 0 "geocode on hostile file names"
assert_py "geocode: the source is the name verbatim" '
import json, sys
src = [json.loads(l)["source"] for l in open(sys.argv[1], encoding="utf-8")]
assert src == [sys.argv[2] + "/it\u0027s; DROP TABLE inputs;--.txt", sys.argv[2] + "/new\nline.txt"], src
' "$M/in"
run geocode -o "$M/out2/it's; \$(x) \"q\".gpkg" "$A/fr_kati.txt"
assert_rc 1 "-o into a missing directory with a hostile name"
mkdir "$M/out2"
run geocode -o "$M/out2/it's; \$(x) \"q\".gpkg" "$A/fr_kati.txt"
assert_rc 0 "-o with a hostile file name"
if [ "$(ls -A "$M/out2")" = "it's; \$(x) \"q\".gpkg" ]; then ok "-o: exactly that file"; else bad "-o: exactly that file" "$(ls -A "$M/out2")"; fi

# ---- temporary directories a killed writer left: the next writer of that output removes them
# (its own naming pattern only, and never one a live writer holds)
S=$TMP/stale
mkdir -p "$S"
run geocode -o "$S/x.gpkg" "$A/fr_kati.txt"
assert_rc 0 "a first output"
mkdir "$S/.x.gpkg.incmap-Ab12Cd" "$S/.x.gpkg.incmap-Held01" "$S/.y.gpkg.incmap-Zz9988" "$S/.x.gpkg.incmap-long123"
echo partial >"$S/.x.gpkg.incmap-Ab12Cd/x.gpkg"
: >"$S/.x.gpkg.incmap-File01"
# --no-fork: the lock's holder is the process killed below (and it keeps no pipe open)
flock --no-fork "$S/.x.gpkg.incmap-Held01" sleep 60 >/dev/null 2>&1 &
holder=$!
sleep 0.3
run geocode -o "$S/x.gpkg" "$A/fr_kati.txt"
assert_rc 0 "the next output"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
left=$(ls -A "$S" | tr '\n' ' ')
if [ "$left" = ".x.gpkg.incmap-File01 .x.gpkg.incmap-Held01 .x.gpkg.incmap-long123 .y.gpkg.incmap-Zz9988 x.gpkg " ]; then
    ok "stale temporary directory removed; held, other outputs' and other names kept"
else
    bad "stale temporary directory removed; held, other outputs' and other names kept" "left: $left"
fi
# A real kill -9 while a writer writes: 200 articles keep it busy long enough to be caught.
"$PY" - "$S/many" "$A/fr_kati.txt" <<'EOF'
import os, sys
os.makedirs(sys.argv[1])
src = open(sys.argv[2], encoding="utf-8").read()
for i in range(200):
    open("%s/a%03d.txt" % (sys.argv[1], i), "w", encoding="utf-8").write(src + "\n(%d)\n" % i)
EOF
"$INCMAP" geocode -o "$S/k.gpkg" "$S"/many/*.txt 2>/dev/null &
writer=$!
caught=0
for _ in $(seq 1 200); do
    if compgen -G "$S/.k.gpkg.incmap-*" >/dev/null; then
        kill -9 "$writer" 2>/dev/null && caught=1
        break
    fi
    sleep 0.02
done
wait "$writer" 2>/dev/null
if [ "$caught" = 1 ] && compgen -G "$S/.k.gpkg.incmap-*" >/dev/null; then
    run geocode -o "$S/k.gpkg" "$A/fr_kati.txt"
    assert_rc 0 "after kill -9: the next output"
    if compgen -G "$S/.k.gpkg.incmap-*" >/dev/null; then
        bad "after kill -9: the killed writer's directory is removed" "$(ls -A "$S")"
    else
        ok "after kill -9: the killed writer's directory is removed"
    fi
else
    echo "skip kill -9 during a write: the writer finished before it could be killed"
fi

# ---- a full disk: a 2 MB tmpfs (as root, where mounting is allowed), filled to a few sizes of
# free space. Every failure says "No space left on device" and names the file; the previous
# layers and the store stay as they were, and the next run with room finishes the job.
FULL=$TMP/full
mkdir -p "$FULL"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=2m tmpfs "$FULL" 2>/dev/null; then
    echo "skip full disk: cannot mount a small tmpfs (needs root; the writer's messages are unit-tested)"
else
    trap 'umount "$FULL" 2>/dev/null; rm -rf "$TMP"' EXIT
    # fill_to BYTES: leaves about BYTES free in $FULL
    fill_to() {
        rm -f "$FULL/filler"
        local avail
        avail=$(df -B1 --output=avail "$FULL" | tail -n 1)
        [ "$avail" -gt "$1" ] && head -c $((avail - $1)) /dev/zero >"$FULL/filler" 2>/dev/null
        return 0
    }
    # full_case LABEL OUTPUT: writes OUTPUT, then again with little room left each time
    full_case() {
            local label=$1 out=$2 before after free failed=0
        rm -f "$FULL/filler"
        run geocode -o "$out" "$A"/*.txt
        assert_rc 0 "$label: written with room"
        before=$(cd "$FULL" && sha256sum $(ls | grep -v filler))
        for free in 0 4096 16384; do
            fill_to "$free"
            run geocode -o "$out" "$A"/*.txt
            # A success must be a complete output: GDAL's GeoJSON writer once reported success
            # over empty files on a full disk.
            if [ "$RC" = 0 ] && [ "$free" != 0 ]; then
                assert_py "$label with $free bytes free: it fits, and the files are whole" '
import glob, json, sqlite3, sys
for f in glob.glob(sys.argv[2] + "/*.geojson"):
    json.load(open(f, encoding="utf-8"))
for f in glob.glob(sys.argv[2] + "/*.gpkg"):
    assert sqlite3.connect(f).execute("PRAGMA integrity_check").fetchone()[0] == "ok", f
' "$FULL"
                before=$(cd "$FULL" && sha256sum $(ls | grep -v filler))
                continue
            fi
            failed=$((failed + 1))
            assert_rc 1 "$label with $free bytes free"
            assert_err "$label with $free bytes free: says so, names the file" "$out: No space left on device"
            after=$(cd "$FULL" && sha256sum $(ls | grep -v filler))
            if [ "$before" = "$after" ] && ! compgen -G "$FULL/.*.incmap-*" >/dev/null; then
                ok "$label with $free bytes free: the previous layers are untouched, no temporary left"
            else
                bad "$label with $free bytes free: the previous layers are untouched, no temporary left" \
                    "$(ls -la "$FULL")"
            fi
        done
        if [ "$failed" -gt 0 ]; then ok "$label: $failed failed writes seen"; else bad "$label: no write failed" "$(ls -la "$FULL")"; fi
        rm -f "$FULL"/*
    }
    full_case "GeoPackage on a full disk" "$FULL/x.gpkg"
    full_case "GeoJSON on a full disk" "$FULL/x.geojson"

    # the store on a full disk: the run stops with the reason; with room again, the next run
    # completes it, and the store is sound
    half=$(ls "$ARTICLES"/*.txt | head -n 3)
    run update --store "$FULL/s.db" --format none $half
    assert_rc 0 "a store on the small disk"
    fill_to 0
    run update --store "$FULL/s.db" --format none "$ARTICLES"
    assert_rc 1 "update with the store's disk full"
    assert_err "store on a full disk: says so, names the store" "store $FULL/s.db: No space left on device"
    rm -f "$FULL/filler"
    run update --store "$FULL/s.db" --format none "$ARTICLES"
    assert_rc 0 "with room again the store is completed"
    assert_py "the store is sound and holds every article" '
import sqlite3, sys, glob
db = sqlite3.connect(sys.argv[2])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
keys = {k for (k,) in db.execute("SELECT key FROM inputs")}
want = set(glob.glob(sys.argv[3] + "/*.txt"))
assert keys == want, sorted(keys ^ want)
' "$FULL/s.db" "$(cd "$ARTICLES" && pwd -P)"
    rm -f "$FULL"/*

    # the layers of update on a full disk (the store elsewhere): the old layers stay
    run update --store "$TMP/full-store.db" --out "$FULL/out" --format gpkg,geojson $half
    assert_rc 0 "update's layers on the small disk"
    before=$(cd "$FULL/out" && sha256sum *)
    fill_to 0
    run update --store "$TMP/full-store.db" --out "$FULL/out" --format gpkg,geojson "$ARTICLES"
    assert_rc 1 "update with the layers' disk full"
    assert_err "layers on a full disk: says so, names the file" "$FULL/out/incidents." "No space left on device"
    after=$(cd "$FULL/out" && sha256sum *)
    if [ "$before" = "$after" ] && ! compgen -G "$FULL/out/.*.incmap-*" >/dev/null; then
        ok "layers on a full disk: the previous layers are untouched, no temporary left"
    else
        bad "layers on a full disk: the previous layers are untouched, no temporary left" "$(ls -la "$FULL/out")"
    fi
    rm -f "$FULL/filler"
    run update --store "$TMP/full-store.db" --out "$FULL/out" --format gpkg,geojson "$ARTICLES"
    assert_rc 0 "with room again the layers are written"
    umount "$FULL" && trap 'rm -rf "$TMP"' EXIT
fi

finish
