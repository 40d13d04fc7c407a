"""Keyed pseudonyms for personal values past the retention period (and for a citizen's deleted account).

A pseudonym is `anon-` and 16 hex digits of HMAC-SHA256 under a key derived from the secret key: without
the key nobody can recompute one from a guessed phone number or MAC (an unsalted hash of the ten million
Indonesian mobile numbers is a table anyone can build), and under one key the same value always gives the
same pseudonym, so reports still count distinct devices and users. A MAC is hashed in its one spelling
(AA:BB:CC:DD:EE:FF) and a phone in E.164, so a device's pseudonym is the same in every table.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

from hotspot.validation import PSEUDONYM_PREFIX, ValidationError, normalize_mac, normalize_phone

KEY_PURPOSE = b"hotspot-retention-pseudonym"
# A MAC in any common spelling, a phone number (E.164 or the local 08... form), an IPv4 or IPv6 address.
PERSONAL_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{2}[:.-]?){5}[0-9A-Fa-f]{2}(?![0-9A-Za-z])"
    r"|(?<![\w.])\+?\d{9,15}(?!\w)"
    r"|(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
    r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"
)


def canonical(value: str) -> str:
    """The one spelling a value is hashed in: digits are a phone (E.164), else a MAC, else as written."""
    try:
        if re.fullmatch(r"\+?\d+", value):
            return normalize_phone(value)
        return normalize_mac(value)
    except ValidationError:
        return value


class Pseudonyms:
    """Keyed, one-way pseudonyms: the same value gives the same pseudonym under one secret key."""

    def __init__(self, secret_key: str):
        self._key = hmac.new(secret_key.encode(), KEY_PURPOSE, hashlib.sha256).digest()

    def __call__(self, value: str | None) -> str | None:
        if value is None or value.startswith(PSEUDONYM_PREFIX):
            return value
        digest = hmac.new(self._key, canonical(value).encode(), hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:16]

    def scrub(self, text: str) -> str:
        """Text with every MAC, phone number and IP address in it replaced by its pseudonym."""
        return PERSONAL_TEXT.sub(lambda match: self(match.group(0)), text)

    def scrub_json(self, text: str) -> str:
        """A JSON document (an audit entry's detail) with its strings scrubbed; numbers are left alone."""
        try:
            document = json.loads(text or "{}")
        except ValueError:
            return self.scrub(text)
        cleaned = self._scrub_value(document)
        return text if cleaned == document else json.dumps(cleaned, sort_keys=True)

    def _scrub_value(self, value):
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self._scrub_value(item) for item in value]
        if isinstance(value, dict):
            return {key: self._scrub_value(item) for key, item in value.items()}
        return value
