#!/usr/bin/env bash
# Builds a Debian package of the one-folder build with dpkg-deb (`make deb`):
#
#   packaging/linux/build-deb.sh dist/activitywatch-folder dist     -> dist/activitywatch-sp_<version>_<arch>.deb
#
# The program goes to /opt/activitywatch with /usr/bin/activitywatch pointing at it, plus the menu entry
# and icons. What the build does not carry (the C library, OpenGL/EGL, libdrm, libxcb and Wayland, which
# must match the system's drivers and display server, and fonts) is declared in Depends.
# DEB_COMPRESSION (default zstd, which dpkg reads since Debian 12 and Ubuntu 21.10, the oldest systems the
# binary runs on) is passed to dpkg-deb -Z. xz makes the package a quarter smaller (115 instead of 153 MiB)
# but took 16 minutes instead of 11 seconds on a 2-core machine.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
[ $# -eq 2 ] && [ -x "$1/activitywatch" ] || { sed -n '4s/^#   //p' "$0" >&2; exit 2; }
folder="$1"
out="$2"

version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$root/activitywatch/__init__.py")"
arch="$(dpkg --print-architecture)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications"
cp -a "$folder" "$stage/opt/activitywatch"
ln -s /opt/activitywatch/activitywatch "$stage/usr/bin/activitywatch"
install -m 644 "$here/activitywatch.desktop" "$stage/usr/share/applications/activitywatch.desktop"
install -D -m 644 "$root/resources/icons/activitywatch.svg" "$stage/usr/share/icons/hicolor/scalable/apps/activitywatch.svg"
for size in 16 32 48 64 128 256; do
    install -D -m 644 "$root/resources/icons/activitywatch-$size.png" \
        "$stage/usr/share/icons/hicolor/${size}x${size}/apps/activitywatch.png"
done

cat > "$stage/DEBIAN/control" <<EOF
Package: activitywatch-sp
Version: $version
Architecture: $arch
Maintainer: ActivityWatch single-process edition <noreply@activitywatch.net>
Installed-Size: $(du -sk "$stage" | cut -f1)
Depends: libc6 (>= 2.36), libgl1, libegl1, libdrm2, libxcb1, libxcb-dri3-0, libwayland-client0,
 libwayland-cursor0, libwayland-egl1, libwayland-server0, fontconfig-config
Recommends: fonts-dejavu-core
Section: utils
Priority: optional
Homepage: https://activitywatch.net
Description: privacy-first automatic time tracker (single process)
 Records which application and window you use and when you are away, keeps
 every event in one SQLite file on your own computer, and serves the
 ActivityWatch REST API on loopback so the ActivityWatch ecosystem (clients,
 browser and editor watchers, web UI) keeps working. A tray icon and a
 dashboard window in one process.
EOF

mkdir -p "$out"
deb="$out/activitywatch-sp_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-zstd}" --build "$stage" "$deb" >/dev/null
echo "$deb"
