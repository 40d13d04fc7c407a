"""PostgreSQL's text input form of an array, for the batch statements' unnest() parameters.

psycopg's generic list dumper inspects every element in Python and took about half of the
accounting batcher's CPU (cProfile on `bench/radius.py`); a batch's columns have one known type
each, so writing the literal directly is a join per column. PostgreSQL parses it with the
`::type[]` cast the statement already carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


ELEMENT: dict[str, Callable[[object], str]] = {
    "bigint": lambda value: str(int(value)),
    "boolean": lambda value: "t" if value else "f",
    "timestamptz": lambda value: _quoted(value.isoformat()),
    "text": lambda value: _quoted(str(value)),
}


def array_literal(values: Iterable, sql_type: str) -> str:
    """`{...}` for `values` of `sql_type` (bigint, boolean, timestamptz or text); None is NULL."""
    element = ELEMENT[sql_type]
    return "{" + ",".join("NULL" if value is None else element(value) for value in values) + "}"
