#!/usr/bin/env bash
# bench/layers.sh: features/s written by the layer writer (incmap_layers_*) to GeoPackage and
# GeoJSON, at 100k and 1M synthetic incidents (bench/layers.c, built as BUILD/bench_layers).
# Open to commit: the GeoPackage's R-tree and the final renames are included. Writes only to a
# temporary directory (about 1 GB at 1M; removed at the end).
#
#     bench/layers.sh build            # both sizes, both formats; about 30 s
#     bench/layers.sh build 100000     # one size
#     bench/layers.sh build 100000 FlatGeobuf CSV
set -euo pipefail
build=${1:-build}
sizes=${2:-100000 1000000}
shift $(($# > 2 ? 2 : $#))
formats=${*:-GPKG GeoJSON}
bin=$build/bench_layers
[ -x "$bin" ] || { echo "bench/layers.sh: no $bin: build first (cmake --build $build)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/incmap-bench-layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
declare -A ext=([GPKG]=gpkg [GeoJSON]=geojson [FlatGeobuf]=fgb [CSV]=csv [KML]=kml [GeoJSONSeq]=geojsonl)
printf '%-10s %10s %9s %12s %10s %10s %12s\n' FORMAT INCIDENTS SECONDS FEATURES/S COMMIT_S MB B/FEATURE
for n in $sizes; do
    for f in $formats; do
        rm -rf "${tmp:?}"/*
        line=$("$bin" "$f" "$n" "$tmp/incidents.${ext[$f]:-out}") || exit 1
        read -r _ _ secs rate bytes commit <<<"$line"
        printf '%-10s %10d %9.2f %12.0f %10.2f %10.1f %12.0f\n' "$f" "$n" "$secs" "$rate" "$commit" "$(echo "$bytes / 1000000" | bc -l)" \
            "$(echo "$bytes / $n" | bc -l)"
    done
done
