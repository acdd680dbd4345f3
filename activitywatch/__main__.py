"""Lets `python -m activitywatch` (and the frozen binary) run the command line, or the dashboard window's
process the app starts (`dashboard-window`: the web engine only, without the server's modules)."""

import sys

if sys.argv[1:2] == ["dashboard-window"]:
    from activitywatch.ui.window_child import main
else:
    from activitywatch.cli import main

raise SystemExit(main())
