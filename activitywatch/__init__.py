"""ActivityWatch, single-process edition: a privacy-first automatic time tracker."""

__version__ = "0.1.0"
