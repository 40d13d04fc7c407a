"""PostgreSQL's text input form of an array, for the batch statements' unnest() parameters.

psycopg's generic list dumper inspects every element in Python and took about half of the
accounting batcher's CPU (cProfile on `bench/radius.py`); a batch's columns have one known type
each, so writing the literal directly is a join per column. PostgreSQL parses it with the
`::type[]` cast the statement already carries.
"""

from __future__ import annotations

from collections.abc import Iterable


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _element(value, sql_type: str) -> str:
    if value is None:
        return "NULL"
    if sql_type == "bigint":
        return str(int(value))
    if sql_type == "boolean":
        return "t" if value else "f"
    if sql_type == "timestamptz":
        return _quoted(value.isoformat())
    return _quoted(str(value))


def array_literal(values: Iterable, sql_type: str) -> str:
    """`{...}` for `values` of `sql_type` (bigint, boolean, timestamptz or text); None is NULL."""
    return "{" + ",".join(_element(value, sql_type) for value in values) + "}"
