#!/usr/bin/env bash
# Builds incmap with warnings as errors and runs every test (unit, CLI, accuracy floors), then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the tests once more.
# The README's second command; CI (.ci/run) runs it too. Needs the packages setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")"
jobs=$(nproc)

echo "== build (-Werror) and tests"
cmake -S . -B build-werror -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINCMAP_WERROR=ON >/dev/null
cmake --build build-werror -j"$jobs"
ctest --test-dir build-werror --output-on-failure -j"$jobs"

echo "== build with ASan + UBSan and tests again"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DINCMAP_WERROR=ON -DINCMAP_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
