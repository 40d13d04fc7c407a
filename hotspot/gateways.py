"""The two hotspot gateways' hand-off formats: what the router sends the browser, what it expects back.

Pure functions shared by the splash page (which answers the router) and the
router simulator (which plays the router): MikroTik Hotspot's octal-escaped
CHAP material and CoovaChilli's UAM challenge, `md` signature and CHAP/PAP
responses. No Flask, no database: the formats are in DESIGN.md "Gateway handoff".
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass, fields
from urllib.parse import urlencode, urlsplit

from hotspot.validation import ValidationError, normalize_mac

VENDORS = ("mikrotik", "chilli")
CHILLI_RESULTS = ("notyet", "success", "failed", "already", "logoff")
MAX_URL_LENGTH = 1024
MAX_TEXT_LENGTH = 128

_OCTAL_OR_CHAR = re.compile(r"\\([0-7]{1,3})|\\(\\)|(.)", re.DOTALL)
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


class HandoffError(ValidationError):
    """A gateway parameter is missing, too long, malformed or not signed correctly."""


def md5(*parts: bytes) -> bytes:
    return hashlib.md5(b"".join(parts)).digest()


# MikroTik Hotspot


def decode_octal(text: str) -> bytes:
    """MikroTik's `$(chap-id)` / `$(chap-challenge)`: bytes written as `\\ooo` escapes."""
    out = bytearray()
    for octal, backslash, char in _OCTAL_OR_CHAR.findall(text):
        if octal:
            value = int(octal, 8)
            if value > 255:
                raise HandoffError(f"bad octal escape \\{octal}")
            out.append(value)
        elif backslash:
            out.append(0x5C)
        else:
            code = ord(char)
            if code > 255:
                raise HandoffError("CHAP material must be bytes")
            out.append(code)
    return bytes(out)


def encode_octal(data: bytes) -> str:
    """The router's own spelling of CHAP material: every byte as a three-digit octal escape."""
    return "".join(f"\\{byte:03o}" for byte in data)


def mikrotik_chap_password(chap_id: bytes, cleartext: str, chap_challenge: bytes) -> str:
    """What MikroTik's login form POSTs as `password`: lowercase hex MD5(chap-id + cleartext + challenge)."""
    return md5(chap_id, cleartext.encode(), chap_challenge).hex()


# CoovaChilli UAM


def chilli_md(url_before_md: str, uam_secret: str) -> str:
    """Chilli's signature of its redirect URL: UPPER_HEX(MD5(url up to "&md=" + uamsecret))."""
    return md5(url_before_md.encode(), uam_secret.encode()).hex().upper()


def chilli_md_valid(url: str, uam_secret: str) -> bool:
    """Whether the redirect URL carries the `md` that Chilli computes with this uamsecret."""
    cut = url.find("&md=")
    if cut < 0:
        return False
    given = url[cut + 4 :].split("&", 1)[0]
    return hmac.compare_digest(given.upper().encode(), chilli_md(url[:cut], uam_secret).encode())


def signed_query(query: str) -> str:
    """The part of a redirect's query Chilli signs: everything before `&md=`; what follows is not Chilli's."""
    cut = query.find("&md=")
    return query if cut < 0 else query[:cut]


def chilli_new_challenge(challenge: bytes, uam_secret: str | None) -> bytes:
    """The CHAP challenge Chilli really uses: MD5(challenge + uamsecret), or the raw one without a secret."""
    return md5(challenge, uam_secret.encode()) if uam_secret else challenge


def chilli_chap_response(password: str, new_challenge: bytes) -> str:
    """The `response` for Chilli's /logon: hex MD5(0x00 + password + newchal) (CHAP ident 0)."""
    return md5(b"\x00", password.encode(), new_challenge).hex()


def chilli_pap_password(password: str, new_challenge: bytes) -> str:
    """The `password` for Chilli's /logon in PAP mode: hex(password XOR newchal, repeated per 16 bytes)."""
    data = password.encode()
    return bytes(b ^ new_challenge[i % len(new_challenge)] for i, b in enumerate(data)).hex()


# One hand-off from either gateway


@dataclass(frozen=True)
class GatewayHandoff:
    """What a router told the splash page about the client and how to log it in."""

    vendor: str
    mac: str | None = None
    ip: str | None = None
    nas_id: str | None = None
    called: str | None = None
    login_url: str | None = None
    original_url: str | None = None
    error: str | None = None
    res: str | None = None
    chap_id: bytes | None = None
    chap_challenge: bytes | None = None
    uam_ip: str | None = None
    uam_port: int | None = None
    session_id: str | None = None

    @property
    def login_origin(self) -> str | None:
        """scheme://host[:port] of the router's login address."""
        if self.vendor == "chilli":
            return f"http://{_host_for_url(self.uam_ip)}:{self.uam_port}" if self.uam_ip else None
        if not self.login_url:
            return None
        parts = urlsplit(self.login_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def login_host(self) -> str | None:
        """The host name or IP of the router's login address."""
        if self.vendor == "chilli":
            return self.uam_ip
        return urlsplit(self.login_url).hostname if self.login_url else None

    @property
    def logout_url(self) -> str | None:
        """Where the citizen ends the session: MikroTik /logout, Chilli /logoff."""
        origin = self.login_origin
        if origin is None:
            return None
        return origin + ("/logoff" if self.vendor == "chilli" else "/logout")

    def to_dict(self) -> dict:
        """Plain strings for a signed cookie."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value.hex() if isinstance(value, bytes) else value
        return out

    @classmethod
    def from_dict(cls, data: dict) -> GatewayHandoff:
        values = {f.name: data.get(f.name) for f in fields(cls)}
        for name in ("chap_id", "chap_challenge"):
            if values[name] is not None:
                values[name] = bytes.fromhex(values[name])
        return cls(**values)


MIKROTIK_KEYS = (
    "link-login-only",
    "link-login",
    "chap-id",
    "chap-challenge",
    "link-orig",
    "server-name",
    "identity",
)
CHILLI_KEYS = ("uamip", "uamport", "challenge", "res", "nasid", "userurl")


def detect_vendor(params) -> str | None:
    """Which gateway redirected here, from the parameters it sends; None for a plain visit."""
    if any(key in params for key in ("uamip", "uamport", "challenge")) or params.get("res") in CHILLI_RESULTS:
        return "chilli"
    if any(key in params for key in MIKROTIK_KEYS):
        return "mikrotik"
    return None


def _text(params, key: str, limit: int = MAX_TEXT_LENGTH) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if len(value) > limit:
        raise HandoffError(f"parameter {key!r} is longer than {limit} characters")
    if any(ord(ch) < 32 for ch in value):
        raise HandoffError(f"parameter {key!r} contains control characters")
    return value


def _mac(params, key: str = "mac") -> str | None:
    value = _text(params, key, 32)
    if value is None:
        return None
    try:
        return normalize_mac(value)
    except ValidationError as exc:
        raise HandoffError(f"parameter {key!r} is not a MAC address") from exc


def _ip(params, key: str) -> str | None:
    value = _text(params, key, 45)
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError as exc:
        raise HandoffError(f"parameter {key!r} is not an IP address") from exc


def _http_url(params, key: str) -> str | None:
    """An http(s) URL with a host, or None when absent; anything else (javascript:, data:) is refused."""
    value = _text(params, key, MAX_URL_LENGTH)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HandoffError(f"parameter {key!r} is not an http(s) URL")
    return value


def _original_url(params, key: str) -> str | None:
    """The page the phone first asked for: kept as a link when it is http(s), dropped otherwise."""
    try:
        return _http_url(params, key)
    except HandoffError:
        return None


def parse_handoff(params) -> GatewayHandoff | None:
    """Read a gateway's query parameters into one hand-off; None when no gateway sent the visit."""
    vendor = detect_vendor(params)
    if vendor == "mikrotik":
        return _parse_mikrotik(params)
    if vendor == "chilli":
        return _parse_chilli(params)
    return None


def _parse_mikrotik(params) -> GatewayHandoff:
    login_url = _http_url(params, "link-login-only") or _http_url(params, "link-login")
    chap_id = chap_challenge = None
    if params.get("chap-id") or params.get("chap-challenge"):
        chap_id = decode_octal(_text(params, "chap-id", 16) or "")
        chap_challenge = decode_octal(_text(params, "chap-challenge", 256) or "")
        if len(chap_id) != 1 or not 1 <= len(chap_challenge) <= 64:
            raise HandoffError("chap-id must be one byte and chap-challenge 1 to 64 bytes")
    return GatewayHandoff(
        vendor="mikrotik",
        mac=_mac(params),
        ip=_ip(params, "ip"),
        nas_id=_text(params, "identity"),
        called=_text(params, "server-name"),
        login_url=login_url,
        original_url=_original_url(params, "link-orig"),
        error=_text(params, "error", 256),
        chap_id=chap_id,
        chap_challenge=chap_challenge,
    )


def _parse_chilli(params) -> GatewayHandoff:
    res = _text(params, "res", 16)
    if res is not None and res not in CHILLI_RESULTS:
        raise HandoffError(f"unknown res {res!r}")
    challenge = _text(params, "challenge", 64)
    if challenge is not None and not _HEX32.match(challenge):
        raise HandoffError("challenge must be 32 hex digits")
    port_text = _text(params, "uamport", 5)
    port = None
    if port_text is not None:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise HandoffError("uamport must be a port number")
        port = int(port_text)
    uam_ip = _ip(params, "uamip")
    if (uam_ip is None) != (port is None):
        raise HandoffError("uamip and uamport come together")
    return GatewayHandoff(
        vendor="chilli",
        mac=_mac(params),
        ip=_ip(params, "ip"),
        nas_id=_text(params, "nasid"),
        called=_text(params, "called"),
        original_url=_original_url(params, "userurl"),
        error=_text(params, "reply", 256),
        res=res,
        chap_challenge=bytes.fromhex(challenge) if challenge else None,
        uam_ip=uam_ip,
        uam_port=port,
        session_id=_text(params, "sessionid", 64),
    )


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# Where a NAS that names no login host of its own logs citizens in: the address its kind of router
# serves the hotspot on out of the box (MikroTik `/ip hotspot setup`, CoovaChilli HS_UAMLISTEN).
FACTORY_LOGIN_HOSTS = {"mikrotik": "10.5.50.1", "chilli": "10.1.0.1"}


def router_login_host(vendor: str, configured_login_host: str | None) -> str | None:
    """The one host a NAS's login address may name: its configured login host (a hotspot DNS name or the
    router's hotspot gateway IP), else its vendor's factory address; None for a router with no splash page."""
    return configured_login_host or FACTORY_LOGIN_HOSTS.get(vendor)


def is_private_address(host: str | None) -> bool:
    """A private or loopback IP: where some router's login address may plausibly be (not which router's)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return (address.is_private or address.is_loopback) and not (
        address.is_unspecified or address.is_multicast
    )


def _login_address_plain(handoff: GatewayHandoff) -> bool:
    """A login address without user-info tricks (`10.5.50.1@evil`, backslashes)."""
    if handoff.vendor == "chilli":
        return handoff.uam_ip is not None
    if not handoff.login_url:
        return False
    parts = urlsplit(handoff.login_url)
    return parts.username is None and parts.password is None and "\\" not in parts.netloc


def login_target_plausible(handoff: GatewayHandoff) -> bool:
    """Before the router is known: its login address must at least be a plain private/loopback address."""
    return _login_address_plain(handoff) and is_private_address(handoff.login_host)


def login_target_allowed(handoff: GatewayHandoff, vendor: str, configured_login_host: str | None) -> bool:
    """Whether the hand-off's login address is this NAS's own (`router_login_host`), so it may receive a
    ticket: any other address, even a private one on the hotspot LAN, could be a neighbour's."""
    expected = router_login_host(vendor, configured_login_host)
    host = handoff.login_host
    return (
        _login_address_plain(handoff)
        and expected is not None
        and host is not None
        and host.lower() == expected.lower()
    )


@dataclass(frozen=True)
class LoginForm:
    """What the browser hands to the router: a POST form (MikroTik) or a GET redirect (Chilli)."""

    method: str
    url: str
    fields: dict[str, str]

    @property
    def redirect_url(self) -> str:
        return f"{self.url}?{urlencode(self.fields)}"


def login_form(
    handoff: GatewayHandoff, username: str, password: str, dst: str | None, uam_secret: str | None = None
) -> LoginForm:
    """The gateway's own login request for a ticket, CHAP computed here (no JavaScript needed)."""
    if handoff.vendor == "mikrotik":
        if handoff.chap_id is not None and handoff.chap_challenge is not None:
            secret = mikrotik_chap_password(handoff.chap_id, password, handoff.chap_challenge)
        else:
            secret = password
        fields_ = {"username": username, "password": secret, "dst": dst or "", "popup": "true"}
        return LoginForm("post", handoff.login_url, fields_)
    if handoff.chap_challenge is None:
        raise HandoffError("CoovaChilli sent no challenge; the login cannot be handed over")
    new_challenge = chilli_new_challenge(handoff.chap_challenge, uam_secret)
    fields_ = {"username": username, "response": chilli_chap_response(password, new_challenge)}
    if dst:
        fields_["userurl"] = dst
    return LoginForm("get", f"{handoff.login_origin}/logon", fields_)
