"""A benchmark of ActivityWatch REST API servers (`/api/0`): ours, aw-server 0.12, or any URL."""
