#!/usr/bin/env bash
# Installs the Debian 12 packages DynVision Workbench needs, if missing.
# Usage: scripts/deps.sh build|test|fuzz   (fuzz: the build packages and clang, for scripts/fuzz.sh)
# As root it runs apt-get; otherwise it prints the exact command and stops.
set -euo pipefail
build_pkgs=(meson ninja-build pkg-config gcc libglib2.0-dev libgtk-4-dev libopenblas-dev
            libcairo2-dev libpango1.0-dev libgdk-pixbuf-2.0-dev libzip-dev libglib2.0-bin gettext)
# the data-files suite: desktop-file-validate, appstreamcli, update-mime-database, xmllint
# python3: run-tests.sh summarises the log with it, and several shell tests parse with it
# (meson pulls it in too, but the test command must not rely on that)
test_pkgs=(xvfb xauth python3 dataset-fashion-mnist desktop-file-utils appstream shared-mime-info
           libxml2-utils)
fuzz_pkgs=(clang)
want=("${build_pkgs[@]}")
[ "${1:-build}" = test ] && want+=("${test_pkgs[@]}")
[ "${1:-build}" = fuzz ] && want+=("${fuzz_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
else
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
