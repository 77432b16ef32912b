#!/usr/bin/env bash
# Installs incmap's Debian 12 dependencies (with sudo unless run as root), builds incmap and its
# bundled gazetteer in build/, and geocodes a sample article: the README's first command.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config libgdal-dev gdal-bin libproj-dev proj-bin libsqlite3-dev
          libspatialite-dev libsqlite3-mod-spatialite libcjson-dev libutf8proc-dev libcmocka-dev
          zlib1g-dev nettle-dev libpq-dev python3)
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
echo
echo "setup: built build/incmap and build/incmap-gazetteer.db; geocoding a sample article:"
./build/incmap geocode tests/eval/articles/fr_001_bandiagara_drone.txt
echo "setup: coding the sample articles of tests/eval into output/incidents.gpkg (open it in QGIS):"
./build/incmap update --store output/incmap-store.db --out output --format gpkg,geojson tests/eval/articles
