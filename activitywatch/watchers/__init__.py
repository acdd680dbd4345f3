"""The built-in watchers: AFK (input idle time) and the active window, each on its own QThread.

Importing this package needs PySide6 (QtCore) but no display: the platform libraries (python-xlib,
pynput, pywinctl) are imported only when a watcher starts, because some of them fail at import time
without a display.
"""
