#!/usr/bin/env bash
# Builds incmap with warnings as errors and runs every test (unit, CLI, accuracy floors), then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the tests once more.
# The README's second command; CI (.ci/run) runs it too. Needs the packages setup.sh installs,
# and installs the acceptance tests' own (QGIS, a GeoJSON validator) the first time.
set -euo pipefail
cd "$(dirname "$0")"
jobs=$(nproc)

# Test-only dependencies of the acceptance tests (tests/acceptance/), installed here rather than by
# setup.sh because users of incmap do not need them: QGIS itself (Debian's python3-qgis, 240
# packages, 186 MB to download, about 800 MB on disk; measured on the CI machine: 48 s including
# apt-get update, of which the download took 2.5 s) and the npm GeoJSON validator
# geojson-validation (under 1 s), put in a cache directory rather than installed globally.
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
missing=()
dpkg-query -W -f='${Status}' python3-qgis 2>/dev/null | grep -q "install ok installed" || missing+=(python3-qgis)
# Debian's npm conflicts with NodeSource's nodejs, which carries its own npm: add it only when absent.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} (test-only dependencies)"
  start=$SECONDS
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  echo "test.sh: installed in $((SECONDS - start)) s"
fi
deps=${XDG_CACHE_HOME:-$HOME/.cache}/incmap-test-deps
if [ ! -x "$deps/node_modules/.bin/gjv" ]; then
  npm install --prefix "$deps" --no-audit --no-fund --silent geojson-validation@1.0.2
fi
export INCMAP_GJV=$deps/node_modules/.bin/gjv
export INCMAP_REQUIRE_ACCEPTANCE=1 # a missing QGIS or gjv fails the acceptance tests here

# ---- PostgreSQL + PostGIS (issue 8) --------------------------------------------------------
# The PostGIS store's tests (tests/cli/test_pg_*.sh, tests/acceptance/test_pg_qgis.sh) start a
# throwaway PostgreSQL 15 + PostGIS 3 server of their own (tests/cli/pg_lib.sh: initdb as the
# `postgres` user the package creates, 127.0.0.1, a port that is not 5432): test-only
# dependencies like QGIS above (about 15 s). Users of a PostGIS store need only libpq, which
# setup.sh installs. Where they cannot be installed, those tests are skipped (exit 77) and say why.
pg_missing=()
for p in postgresql postgresql-15-postgis-3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pg_missing+=("$p")
done
if [ ${#pg_missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${pg_missing[*]} (test-only dependencies)"
  start=$SECONDS
  if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pg_missing[@]}" >/dev/null; then
    echo "test.sh: installed in $((SECONDS - start)) s"
  else
    echo "test.sh: PostgreSQL could not be installed: the PostGIS store's tests will be skipped"
  fi
fi
# ---- end of the PostgreSQL block

echo "== build (-Werror) and tests"
cmake -S . -B build-werror -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINCMAP_WERROR=ON >/dev/null
cmake --build build-werror -j"$jobs"
ctest --test-dir build-werror --output-on-failure -j"$jobs"

# The acceptance tests run in this pass too: QGIS (not instrumented) reads files our instrumented
# binary wrote, in about 3 s, so there is no reason to skip them.
echo "== build with ASan + UBSan and tests again"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DINCMAP_WERROR=ON -DINCMAP_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

# ---- hardening (issue 7): valgrind and fuzzing ----------------------------------------------
# The unit tests and a few incmap runs under valgrind's memcheck (tests/valgrind.sh, on the
# -Werror build: valgrind cannot run ASan binaries), then each libFuzzer harness of tests/fuzz/
# for INCMAP_FUZZ_SECONDS (default 30; 0 skips), built by tests/fuzz/run.sh with clang in
# build-fuzz/. valgrind, clang and its libFuzzer are test-only dependencies like QGIS above
# (Debian 12's clang is 14; libFuzzer is in libclang-rt-14-dev, which clang only recommends).
# A crash fails CI; its input is in build-fuzz/artifacts/.
hardening_missing=()
for p in valgrind clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || hardening_missing+=("$p")
done
if [ ${#hardening_missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${hardening_missing[*]} (test-only dependencies)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${hardening_missing[@]}" >/dev/null
fi
echo "== valgrind (memcheck): unit tests and incmap runs"
tests/valgrind.sh build-werror
fuzz_secs=${INCMAP_FUZZ_SECONDS:-30}
if [ "$fuzz_secs" != 0 ]; then
  echo "== fuzzing: each harness for $fuzz_secs s"
  tests/fuzz/run.sh "$fuzz_secs"
fi
# ---- end of the hardening block
