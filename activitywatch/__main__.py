"""Lets `python -m activitywatch` run the command line."""

from activitywatch.cli import main

raise SystemExit(main())
