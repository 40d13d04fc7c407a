"""The services' messages (English, shared with the CLI and the API) in the console's language.

`hotspot` raises `ValidationError("not a MAC address: 'zz'")` for every caller; the console
shows it in Indonesian by matching it against the templates of
portal/translations/id/LC_MESSAGES/errors.po (msgid: the English template with `%(name)s`
where the raise site has a value; msgstr: the Indonesian with the same names). A message
without a template is shown as it is, in English.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import get_locale

CATALOG = Path(__file__).resolve().parents[1] / "translations" / "id" / "LC_MESSAGES" / "errors.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(template: str) -> re.Pattern:
    parts = PLACEHOLDER.split(template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$", re.S)


@functools.cache
def templates() -> tuple[tuple[re.Pattern, str], ...]:
    """(English pattern, Indonesian template) for every entry of the catalog, longest template first."""
    with CATALOG.open("rb") as handle:
        entries = [(m.id, m.string) for m in read_po(handle) if m.id and m.string]
    return tuple(
        (_pattern(english), indonesian) for english, indonesian in sorted(entries, key=lambda e: -len(e[0]))
    )


def translate(message: str, language: str) -> str:
    if language != "id":
        return message
    for pattern, indonesian in templates():
        if match := pattern.match(message):
            return indonesian % match.groupdict()
    return message


def explain(error: Exception | str) -> str:
    """A service's message (a ValidationError or its text) in the language of this request."""
    return translate(str(error), str(get_locale() or "id"))
