# test_hostile.sh: what incmap does with input nobody should give it (issue 7). Each case checks
# the exit status, and that standard error names the file and says what is wrong; a refused file
# never stops the others. Everything hostile is generated in $TMP at run time.
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
gz_case "a directory as gazetteer" "$TMP/dir.db" "$TMP/dir.db"

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

finish
