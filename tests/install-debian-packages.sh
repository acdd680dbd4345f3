#!/usr/bin/env bash
# Installs the Debian packages listed in tests/debian-packages.txt that are missing (needs root and apt).
set -euo pipefail
list="$(dirname "$0")/debian-packages.txt"
wanted=$(grep -v '^\s*#' "$list" | tr -s ' \n' ' ' || true)
missing=()
for pkg in $wanted; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages the tests need: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "These Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
