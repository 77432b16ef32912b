# lib.sh: sourced by the CLI tests (tests/cli/test_*.sh). Usage of a test:
#     bash tests/cli/test_X.sh PATH_TO_incmap REPO_ROOT
# Each check prints "ok" or "FAIL" with what was expected and what happened; the script exits
# non-zero when any check failed.
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 PATH_TO_incmap REPO_ROOT" >&2
    exit 2
fi
INCMAP=$1
ROOT=$2
FIX=$ROOT/tests/fixtures
ARTICLES=$FIX/articles
PY=/usr/bin/python3
# The bundled gazetteer beside the binary, whatever the caller's environment says.
export INCMAP_GAZETTEER
INCMAP_GAZETTEER=$(dirname "$INCMAP")/incmap-gazetteer.db

TMP=$(mktemp -d "${TMPDIR:-/tmp}/incmap-cli-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

FAILED=0
CHECKS=0

ok() { CHECKS=$((CHECKS + 1)); echo "ok   $1"; }
bad() {
    CHECKS=$((CHECKS + 1))
    FAILED=$((FAILED + 1))
    echo "FAIL $1"
    shift
    for line in "$@"; do echo "       $line"; done
}

# run ARGS...: runs incmap, leaving the status in $RC, stdout in $TMP/out, stderr in $TMP/err.
run() {
    "$INCMAP" "$@" >"$TMP/out" 2>"$TMP/err"
    RC=$?
}

# run_in FILE ARGS...: the same with FILE on standard input.
run_in() {
    local input=$1
    shift
    "$INCMAP" "$@" <"$input" >"$TMP/out" 2>"$TMP/err"
    RC=$?
}

# assert_rc WANT LABEL
assert_rc() {
    if [ "$RC" -eq "$1" ]; then
        ok "$2 (exit $RC)"
    else
        bad "$2" "expected exit $1, got $RC" "stderr: $(head -c 600 "$TMP/err")"
    fi
}

# assert_contains FILE TEXT LABEL
assert_contains() {
    if grep -qF -- "$2" "$1"; then
        ok "$3"
    else
        bad "$3" "expected $(basename "$1") to contain: $2" "it holds: $(head -c 600 "$1")"
    fi
}

# assert_not_contains FILE TEXT LABEL
assert_not_contains() {
    if grep -qF -- "$2" "$1"; then
        bad "$3" "expected $(basename "$1") not to contain: $2" "it holds: $(head -c 600 "$1")"
    else
        ok "$3"
    fi
}

# assert_py LABEL PYTHON_CODE [ARGS...]: runs the code with the path of $TMP/out as sys.argv[1]
# and ARGS after it; the code raises (e.g. assert) to fail, and may print why.
assert_py() {
    local label=$1 code=$2 msg
    shift 2
    if msg=$("$PY" -c "$code" "$TMP/out" "$@" 2>&1); then
        ok "$label"
    else
        bad "$label" "$msg"
    fi
}

finish() {
    echo "$((CHECKS - FAILED)) of $CHECKS checks passed"
    [ "$FAILED" -eq 0 ]
    exit $?
}
