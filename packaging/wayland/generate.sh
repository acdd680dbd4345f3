#!/bin/sh
# Regenerates activitywatch/watchers/wlproto/ (committed) from the protocol files vendored here, with
# pywayland's scanner. The core protocol (wl_seat, wl_output) comes from pywayland's own bindings, so
# the objects we pass to these requests are the ones its registry hands out; the scanner needs
# Debian's /usr/share/wayland/wayland.xml (libwayland-dev) only to resolve those names.
set -eu
here=$(dirname "$0")
root=$here/../..
out=$root/activitywatch/watchers/wlproto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${PYWAYLAND_SCANNER:-$root/.venv/bin/pywayland-scanner}" -i /usr/share/wayland/wayland.xml \
    "$here/wlr-foreign-toplevel-management-unstable-v1.xml" "$here/kde-idle.xml" -o "$tmp"
for name in wlr_foreign_toplevel_management_unstable_v1 idle; do
    sed 's/^from \.wayland import /from pywayland.protocol.wayland import /' "$tmp/$name.py" > "$out/$name.py"
done
