"""Error roots: known errors that carry a sentence for the user, as opposed to bugs."""

from __future__ import annotations


class AwError(Exception):
    """A known error whose message is meant for the user (or the API client) as it is."""

    @property
    def message(self) -> str:
        """The sentence to show."""
        return str(self.args[0]) if self.args else type(self).__name__


class InvalidInput(AwError):
    """Input that is malformed or violates a rule (bad timestamp, wrong type, too long...)."""


class NotFound(AwError):
    """A bucket, event or setting that does not exist."""


class Conflict(AwError):
    """A change the current state does not allow (e.g. writing to a bucket synced from another device)."""


class StorageError(AwError):
    """The database cannot be used: locked, full, newer schema, not a database."""
