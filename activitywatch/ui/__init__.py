"""The desktop UI: tray, dashboard window, dialogs, notifications, single instance, autostart and pause.

It reaches the tracker only through the small `Tracker` protocol the app hands it (backend.py), never
the store, server, query or watcher packages.
"""
