"""Normalising what routers, citizens and admins type: MAC addresses, phone numbers, networks.

One spelling per value in the database, so a device is the same device whether
MikroTik, CoovaChilli or an admin wrote its MAC.
"""

from __future__ import annotations

import functools
import ipaddress
import re

_HEX = re.compile(r"[0-9a-fA-F]")
_MAC_SPELLINGS = re.compile(
    r"^(?:[0-9a-fA-F]{2}([:\-.]?)){5}[0-9a-fA-F]{2}$|^(?:[0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$"
)


MAX_DATABASE_ID = 2**63 - 1
# What the retention purge writes in place of a MAC, phone, IP or user name (hotspot.pseudonyms).
PSEUDONYM_PREFIX = "anon-"


class ValidationError(ValueError):
    """A value typed by a person or sent by a router is not acceptable; the message says why."""


def database_id(value: str) -> int:
    """A row id from a URL: a whole number both databases can compare (SQLite refuses anything past 64
    bits)."""
    number = int(value)
    if not 0 <= number <= MAX_DATABASE_ID:
        raise ValidationError(f"not a row id: {value!r}")
    return number


@functools.lru_cache(maxsize=65536)  # RADIUS asks for the same phones' MACs many times a second
def normalize_mac(value: str) -> str:
    """Accept AA:BB:.., aa-bb-.., aabb.ccdd.eeff or aabbccddeeff; return AA:BB:CC:DD:EE:FF."""
    text = (value or "").strip()
    if not _MAC_SPELLINGS.match(text):
        raise ValidationError(f"not a MAC address: {value!r}")
    digits = "".join(_HEX.findall(text)).upper()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def searchable(value: str, normalize) -> str:
    """A console or API filter value: a pseudonym as the purge wrote it, anything else `normalize`d."""
    return value if value.startswith(PSEUDONYM_PREFIX) else normalize(value)


def is_mac(value: str) -> bool:
    try:
        normalize_mac(value)
    except ValidationError:
        return False
    return True


def normalize_phone(value: str, default_country: str = "62") -> str:
    """E.164 phone number; an Indonesian 08… number becomes +628…."""
    text = re.sub(r"[\s\-().]", "", value or "")
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("0"):
        text = "+" + default_country + text[1:]
    elif text.startswith(default_country) and not text.startswith("+"):
        text = "+" + text
    if not re.fullmatch(r"\+[1-9]\d{7,14}", text):
        raise ValidationError(f"not a phone number: {value!r}")
    if text.startswith("+62") and not re.fullmatch(r"\+62[2-9]\d{7,12}", text):
        raise ValidationError(f"not an Indonesian phone number: {value!r}")
    return text


def parse_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An IP address or a CIDR block; a single address becomes a /32 (or /128)."""
    try:
        return ipaddress.ip_network((value or "").strip(), strict=True)
    except ValueError as exc:
        raise ValidationError(f"not an IP address or CIDR block: {value!r}") from exc


def is_random_mac(mac: str | None) -> bool:
    """Whether a MAC is locally administered (bit 1 of the first octet): the private address a phone makes
    up per network (Android "randomized", iOS "Private Wi-Fi Address") instead of its own."""
    if not mac or not is_mac(mac):
        return False
    return bool(int(normalize_mac(mac)[:2], 16) & 0x02)


@functools.lru_cache(maxsize=4096)  # RADIUS asks for every packet; a city has a few hundred radios
def radio_of(called_station_id: str | None) -> str:
    """The radio a Called-Station-Id names: the MAC of `RADIO-MAC:SSID` (any spelling), else the whole
    value (MikroTik sends its hotspot server's name, one per router)."""
    text = (called_station_id or "").strip()
    for length in (17, 14, 12):
        head, tail = text[:length], text[length:]
        if (not tail or tail.startswith(":")) and is_mac(head):
            return normalize_mac(head)
    return text[:64]


MIN_PASSWORD_LENGTH = 8


def check_password_strength(password: str) -> None:
    """The one rule for a new password, an admin's or a citizen's."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
