#!/usr/bin/env bash
# Installs a built ActivityWatch for one user (default ~/.local) or system-wide (--prefix /usr/local):
# the program, its desktop entry (application menu) and its icons. --uninstall removes them again.
#
#   packaging/linux/install.sh [--prefix DIR] dist/activitywatch            the one-file binary
#   packaging/linux/install.sh [--prefix DIR] dist/activitywatch-folder     the one-folder build (starts faster)
#   packaging/linux/install.sh [--prefix DIR] --uninstall
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
icons="$here/../../resources/icons"
prefix="${HOME}/.local"
uninstall=0
build=""

usage() {
    sed -n '5,7s/^#   //p' "$0" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || usage; prefix="$2"; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) usage ;;
        -*) echo "Unknown option $1" >&2; usage ;;
        *) build="$1"; shift ;;
    esac
done

bin="$prefix/bin/activitywatch"
lib="$prefix/lib/activitywatch"
apps="$prefix/share/applications"
hicolor="$prefix/share/icons/hicolor"
sizes="16 32 48 64 128 256"

refresh_caches() {
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$apps" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$hicolor" 2>/dev/null || true
}

if [ "$uninstall" -eq 1 ]; then
    rm -rf "$lib"
    rm -f "$bin" "$apps/activitywatch.desktop" "$hicolor/scalable/apps/activitywatch.svg"
    for size in $sizes; do rm -f "$hicolor/${size}x${size}/apps/activitywatch.png"; done
    refresh_caches
    echo "Removed ActivityWatch from $prefix (your data and settings are kept)."
    exit 0
fi

[ -n "$build" ] || usage
mkdir -p "$prefix/bin" "$apps"
rm -rf "$lib" "$bin"
if [ -d "$build" ] && [ -x "$build/activitywatch" ]; then
    mkdir -p "$(dirname "$lib")"
    cp -a "$build" "$lib"
    ln -s "$lib/activitywatch" "$bin"
elif [ -f "$build" ] && [ -x "$build" ]; then
    install -m 755 "$build" "$bin"
else
    echo "$build is neither the one-file binary nor the one-folder build (make build / make build-folder)." >&2
    exit 1
fi

# The menu entry names the installed program by its full path: $prefix/bin may not be on PATH.
sed -e "s|^Exec=activitywatch$|Exec=$bin|" -e "s|^TryExec=activitywatch$|TryExec=$bin|" \
    "$here/activitywatch.desktop" > "$apps/activitywatch.desktop"
chmod 644 "$apps/activitywatch.desktop"
install -D -m 644 "$icons/activitywatch.svg" "$hicolor/scalable/apps/activitywatch.svg"
for size in $sizes; do
    install -D -m 644 "$icons/activitywatch-$size.png" "$hicolor/${size}x${size}/apps/activitywatch.png"
done
refresh_caches
echo "Installed ActivityWatch: $bin (menu entry $apps/activitywatch.desktop)."
