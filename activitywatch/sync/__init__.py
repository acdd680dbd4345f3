"""Sync through a shared folder (Syncthing, Nextcloud...): encrypted segments, manifests, applying them."""
