# test_help.sh: help, version, and usage errors (exit 2 with a message).
. "$(dirname "$0")/lib.sh"

run help
assert_rc 0 "incmap help"
assert_contains "$TMP/out" "geocode" "help lists geocode"
assert_contains "$TMP/out" "gazetteer" "help lists gazetteer"

run --help
assert_rc 0 "incmap --help"

run version
assert_rc 0 "incmap version"
assert_contains "$TMP/out" "incmap " "version prints the version"

run geocode --help
assert_rc 0 "incmap geocode --help"
assert_contains "$TMP/out" "--format" "geocode --help lists --format"
assert_contains "$TMP/out" "--published" "geocode --help lists --published"

run help geocode
assert_rc 0 "incmap help geocode"
assert_contains "$TMP/out" "--format" "help geocode shows the geocode options"

run gazetteer --help
assert_rc 0 "incmap gazetteer --help"
assert_contains "$TMP/out" "build" "gazetteer --help explains build"
assert_contains "$TMP/out" "lookup" "gazetteer --help explains lookup"

run gazetteer build --help
assert_rc 0 "incmap gazetteer build --help"

# Usage errors: exit 2, with a message on stderr and nothing on stdout.
usage_error() {
    local label=$1
    shift
    run "$@"
    assert_rc 2 "$label"
    if [ -s "$TMP/err" ]; then ok "$label: says why on stderr"; else bad "$label: says why on stderr" "stderr is empty"; fi
    if [ -s "$TMP/out" ]; then bad "$label: nothing on stdout" "stdout: $(head -c 200 "$TMP/out")"; else ok "$label: nothing on stdout"; fi
}

usage_error "no command" 
usage_error "unknown command" frobnicate
assert_contains "$TMP/err" "frobnicate" "unknown command is named"
usage_error "help for an unknown command" help frobnicate
usage_error "unknown geocode option" geocode --no-such-option "$ARTICLES/fr_kati.txt"
assert_contains "$TMP/err" "no-such-option" "unknown option is named"
usage_error "unknown format" geocode --format xml "$ARTICLES/fr_kati.txt"
assert_contains "$TMP/err" "xml" "unknown format is named"
usage_error "unknown language" geocode --lang de "$ARTICLES/fr_kati.txt"
usage_error "--published not a date" geocode --published yesterday "$ARTICLES/fr_kati.txt"
assert_contains "$TMP/err" "yesterday" "bad date is named"
usage_error "--published 30 February" geocode --published 2025-02-30 "$ARTICLES/fr_kati.txt"
usage_error "--published with a space" geocode --published "2025- 7-15" "$ARTICLES/fr_kati.txt"
usage_error "--max-bytes not a number" geocode --max-bytes lots "$ARTICLES/fr_kati.txt"
usage_error "gazetteer without a subcommand" gazetteer
usage_error "unknown gazetteer subcommand" gazetteer frob
usage_error "gazetteer build without -o" gazetteer build "$FIX/geonames/ML-2014.txt"
usage_error "gazetteer build without sources" gazetteer build -o "$TMP/x.db"
usage_error "gazetteer lookup without a name" gazetteer lookup
usage_error "gazetteer lookup, bad country" gazetteer lookup Gao --country MLI
usage_error "gazetteer lookup, bad format" gazetteer lookup Gao --format xml
usage_error "gazetteer lookup of punctuation" gazetteer lookup "'.'"

finish
