# shellcheck shell=bash
# bench/lib.sh: what the benchmark scripts share. Sourced, not run.

# bench_require FILE...: each must exist, else a message saying to build first, and exit 1.
bench_require() {
    local f
    for f in "$@"; do
        [ -e "$f" ] || { echo "bench: $f not found: build first (cmake --build BUILD_DIR)" >&2; exit 1; }
    done
}

# bench_gz_sources ROOT: the sources CMakeLists.txt builds the bundled gazetteer from
# (GZ_SOURCES), in its order, one path per line; exits 1 when none can be read.
bench_gz_sources() {
    local root=$1 out
    # shellcheck disable=SC2016 # the CMake variables are matched, not expanded
    out=$(sed -n '/^set(GZ_SOURCES/,/)$/p' "$root/CMakeLists.txt" |
        grep -o '\${[A-Z_]*}/[^ )]*' |
        sed -e "s|\${GZ_DIR}|$root/gazetteer/geonames|" -e "s|\${CMAKE_SOURCE_DIR}|$root|")
    [ -n "$out" ] || { echo "bench: could not read GZ_SOURCES from $root/CMakeLists.txt" >&2; exit 1; }
    printf '%s\n' "$out"
}
