"""Pure functions over events: they return new values and never mutate their arguments."""
