"""CSV that a spreadsheet opens as text: every CSV the console, the API and the CLI write goes through here.

A cell that starts with = + - @ (or a tab or carriage return) is a formula to Excel and LibreOffice, so
a user name or a NAS location typed as `=HYPERLINK(...)` would run when an admin opens the export (CSV
injection, OWASP). Such text cells get a leading apostrophe, which spreadsheets show as plain text.
Numbers are left alone: a negative number is data, not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading apostrophe when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose rows are neutralised cell by cell."""

    def __init__(self, stream: IO[str], **options: Any):
        options.setdefault("lineterminator", "\n")
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Sequence[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        self._writer.writerows([safe_cell(value) for value in row] for row in rows)


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter whose values are neutralised (the header names are ours)."""

    def __init__(self, stream: IO[str], fieldnames: Sequence[str], **options: Any):
        options.setdefault("lineterminator", "\n")
        super().__init__(stream, fieldnames=fieldnames, **options)

    def writerow(self, rowdict: Mapping[str, Any]):
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]):
        return super().writerows({key: safe_cell(value) for key, value in row.items()} for row in rowdicts)
