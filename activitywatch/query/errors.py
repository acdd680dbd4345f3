"""Query errors: each names where it happened (line and column, or function and argument)."""

from __future__ import annotations

from activitywatch.core.errors import InvalidInput


class QueryError(InvalidInput):
    """Any query error; `kind` is the `type` of the JSON error body (the reference servers' names)."""

    kind = "QueryError"


class QueryParseException(QueryError):
    """The query text is not valid query2 (syntax, nesting, size)."""

    kind = "QueryParseException"


class QueryInterpretException(QueryError):
    """A valid query failed while running (undefined variable, wrong operand types, no RETURN...)."""

    kind = "QueryInterpretException"


class QueryFunctionException(QueryError):
    """A function was called wrongly or failed (wrong arguments, unknown bucket, bad regex...)."""

    kind = "QueryFunctionException"
