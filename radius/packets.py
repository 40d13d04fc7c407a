"""The RADIUS wire format: the only module that knows pyrad and attribute names.

Received bytes become plain dataclasses (`AuthRequest`, `AccountingRequest`) that
the rest of the daemon works with; decisions become reply bytes in the vendor's
own attributes. Anything that does not parse raises `MalformedPacket` with a
short reason, so a bad packet is dropped and logged, never a crash.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyrad import packet as pyrad_packet
from pyrad.dictionary import Dictionary

from hotspot.coa import rate_attributes
from hotspot.validation import is_mac, normalize_mac

MAX_PACKET = 4096
HEADER = 20
MESSAGE_AUTHENTICATOR = 80
ACCESS_REQUEST = pyrad_packet.AccessRequest
ACCOUNTING_REQUEST = pyrad_packet.AccountingRequest
STATUS_SERVER = pyrad_packet.StatusServer
ACCESS_ACCEPT = pyrad_packet.AccessAccept
ACCESS_REJECT = pyrad_packet.AccessReject
ACCOUNTING_RESPONSE = pyrad_packet.AccountingResponse
PORT_CODES = {"auth": {ACCESS_REQUEST, STATUS_SERVER}, "acct": {ACCOUNTING_REQUEST, STATUS_SERVER}}
MAX_DELAY = timedelta(days=1)
CLOCK_TOLERANCE = timedelta(minutes=5)
MAX_32 = 0xFFFFFFFF


class MalformedPacket(Exception):
    """A packet that cannot be trusted or decoded; `reason` is a short label for logs and metrics."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Header:
    """What a packet's first 20 octets say: enough to route, deduplicate and pick the secret."""

    code: int
    identifier: int
    authenticator: bytes


@dataclass(frozen=True)
class AuthRequest:
    """An Access-Request reduced to what authentication needs."""

    username: str
    password: str | None
    chap_password: bytes | None
    chap_challenge: bytes
    calling_station_id: str | None
    called_station_id: str | None = None

    @property
    def mac(self) -> str | None:
        """The client's MAC from Calling-Station-Id, normalised, when it is one."""
        return (
            normalize_mac(self.calling_station_id)
            if self.calling_station_id and is_mac(self.calling_station_id)
            else None
        )

    def password_matches(self, secret: str) -> bool:
        """PAP: the decrypted password; CHAP: MD5(ident + secret + challenge) (RFC 2865 section 2.2)."""
        if self.chap_password is not None:
            ident, response = self.chap_password[:1], self.chap_password[1:]
            expected = hashlib.md5(ident + secret.encode() + self.chap_challenge).digest()
            return hmac.compare_digest(response, expected)
        if self.password is None:
            return False
        return hmac.compare_digest(self.password.encode(), secret.encode())


@dataclass(frozen=True)
class AccountingRequest:
    """An Accounting-Request reduced to what the session table and roll-ups need.

    Plain values only (the journal writes it as JSON); `event_time` is decided
    once, on arrival, from Event-Timestamp or the arrival time minus Acct-Delay-Time.
    """

    status: str
    acct_session_id: str
    username: str
    calling_station_id: str | None
    called_station_id: str | None
    nas_port_id: str | None
    framed_ip: str | None
    session_time: int
    input_octets: int
    output_octets: int
    terminate_cause: str | None
    event_time: datetime

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["event_time"] = self.event_time.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> AccountingRequest:
        return cls(**{**data, "event_time": datetime.fromisoformat(data["event_time"])})


@dataclass(frozen=True)
class AcceptLimits:
    """What an Access-Accept tells the router, in protocol units; None = no limit."""

    session_timeout: int | None
    idle_timeout: int | None
    interim_interval: int | None
    down_kbps: int | None
    up_kbps: int | None
    octets_left: int | None
    message: str | None = None  # Reply-Message, e.g. that the login is slowed to the throttle rate


def read_header(raw: bytes, port: str) -> Header:
    """Check the framing of a datagram (size, Length field, attribute lengths) before any crypto."""
    if len(raw) > MAX_PACKET:
        raise MalformedPacket("too_long", f"{len(raw)} octets")
    if len(raw) < HEADER:
        raise MalformedPacket("truncated", f"{len(raw)} octets")
    code, identifier, length = struct.unpack("!BBH", raw[:4])
    if length < HEADER or length > len(raw) or length > MAX_PACKET:
        raise MalformedPacket("bad_length", f"Length field {length}, datagram {len(raw)}")
    if code not in PORT_CODES[port]:
        raise MalformedPacket("unexpected_code", f"code {code} on the {port} port")
    _check_attributes(raw[HEADER:length])
    return Header(code, identifier, raw[4:20])


def _check_attributes(data: bytes) -> None:
    position, authenticators = 0, 0
    while position < len(data):
        if len(data) - position < 2:
            raise MalformedPacket("bad_attribute_length", "attribute header cut off")
        code, length = data[position], data[position + 1]
        if length < 2 or position + length > len(data):
            raise MalformedPacket("bad_attribute_length", f"attribute {code} length {length}")
        if code == MESSAGE_AUTHENTICATOR:
            authenticators += 1
            if length != 18 or authenticators > 1:
                raise MalformedPacket("bad_message_authenticator", "wrong length or repeated")
        position += length


class Vocabulary:
    """Attribute codes, types and enumerated values the hot path uses, read once from the pyrad dictionary."""

    def __init__(self, dictionary: Dictionary):
        self.dictionary = dictionary
        attributes = dictionary.attributes
        self.code = {name: attributes[name].code for name in STANDARD_NAMES}
        self.type = {attributes[name].code: attributes[name].type for name in STANDARD_NAMES}
        self.names = {
            name: {
                int.from_bytes(raw, "big"): label for raw, label in attributes[name].values.backward.items()
            }
            for name in ENUMERATED_NAMES
        }
        self.vendor = {
            name: (
                dictionary.vendors.GetForward(attributes[name].vendor),
                attributes[name].code,
                attributes[name].type,
            )
            for name in VENDOR_NAMES
        }
        view = attributes["ChilliSpot-Acct-View-Point"]
        self.client_view = int.from_bytes(view.values.GetForward("ChilliSpot-Client-View-Point"), "big")


STANDARD_NAMES = (
    "User-Name",
    "User-Password",
    "CHAP-Password",
    "CHAP-Challenge",
    "Calling-Station-Id",
    "Called-Station-Id",
    "NAS-Port-Id",
    "Framed-IP-Address",
    "Acct-Status-Type",
    "Acct-Session-Id",
    "Acct-Session-Time",
    "Acct-Input-Octets",
    "Acct-Output-Octets",
    "Acct-Input-Gigawords",
    "Acct-Output-Gigawords",
    "Acct-Terminate-Cause",
    "Event-Timestamp",
    "Acct-Delay-Time",
    "Proxy-State",
    "Reply-Message",
    "Session-Timeout",
    "Idle-Timeout",
    "Acct-Interim-Interval",
    "Vendor-Specific",
    "NAS-Identifier",
)
ENUMERATED_NAMES = ("Acct-Status-Type", "Acct-Terminate-Cause")
VENDOR_NAMES = (
    "ChilliSpot-Acct-View-Point",
    "Mikrotik-Rate-Limit",
    "Mikrotik-Total-Limit",
    "Mikrotik-Total-Limit-Gigawords",
    "ChilliSpot-Bandwidth-Max-Up",
    "ChilliSpot-Bandwidth-Max-Down",
    "ChilliSpot-Max-Total-Octets",
    "CoovaChilli-Max-Total-Gigawords",
    "WISPr-Bandwidth-Max-Up",
    "WISPr-Bandwidth-Max-Down",
)


@functools.lru_cache(maxsize=4)
def vocabulary(dictionary: Dictionary) -> Vocabulary:
    return Vocabulary(dictionary)


class Datagram:
    """A received request: its header, its attributes by code (raw values, in order), and the secret.

    Only what the hot path reads is ever decoded, and nothing is re-encoded:
    the authenticators are checked over the octets as they were sent.
    """

    __slots__ = (
        "raw",
        "port",
        "code",
        "identifier",
        "authenticator",
        "secret",
        "words",
        "attributes",
        "signature_at",
    )

    def __init__(self, raw: bytes, port: str, secret: bytes, words: Vocabulary):
        length = int.from_bytes(raw[2:4], "big")
        if length < HEADER or length > len(raw):
            raise MalformedPacket("undecodable", f"Length field {length}, datagram {len(raw)}")
        self.raw = raw = raw[:length]
        self.port = port
        self.code, self.identifier = raw[0], raw[1]
        self.authenticator = raw[4:20]
        self.secret = secret
        self.words = words
        self.signature_at: int | None = None
        attributes: dict[int, list[bytes]] = {}
        position = HEADER
        while position < length:
            if length - position < 2:
                raise MalformedPacket("undecodable", "attribute header cut off")
            code, size = raw[position], raw[position + 1]
            if size < 2 or position + size > length:
                raise MalformedPacket("undecodable", f"attribute {code} length {size}")
            if code == MESSAGE_AUTHENTICATOR:
                if size != 18 or self.signature_at is not None:
                    raise MalformedPacket("bad_message_authenticator", "wrong length or repeated")
                self.signature_at = position + 2
            attributes.setdefault(code, []).append(raw[position + 2 : position + size])
            position += size
        self.attributes = attributes

    def first(self, name: str) -> bytes | None:
        values = self.attributes.get(self.words.code[name])
        return values[0] if values else None

    def vendor_value(self, name: str) -> bytes | None:
        """A vendor attribute's first value (RFC 2865 section 5.26 layout); malformed ones are ignored."""
        vendor, wanted, _ = self.words.vendor[name]
        for data in self.attributes.get(self.words.code["Vendor-Specific"], ()):
            if len(data) < 6 or int.from_bytes(data[:4], "big") != vendor:
                continue
            position = 4
            while position + 2 <= len(data):
                code, size = data[position], data[position + 1]
                if size < 2 or position + size > len(data):
                    break
                if code == wanted:
                    return data[position + 2 : position + size]
                position += size
        return None


def decode(raw: bytes, port: str, secret: bytes, dictionary: Dictionary) -> Datagram:
    """The attributes of a datagram whose framing `read_header` accepted, nothing decoded yet.

    The secret may be set later (`pkt.secret`): which NAS, hence which secret,
    can depend on the NAS-Identifier inside; nothing here uses it.
    """
    return Datagram(raw, port, secret, vocabulary(dictionary))


def nas_identifier(pkt: Datagram) -> str | None:
    """The NAS-Identifier the router names itself with (MikroTik identity, Chilli nasid), or None."""
    return _text(pkt, "NAS-Identifier", 253) or None


def has_message_authenticator(pkt: Datagram) -> bool:
    return pkt.signature_at is not None


def has_proxy_state(pkt: Datagram) -> bool:
    return pkt.words.code["Proxy-State"] in pkt.attributes


def _signing_vector(pkt: Datagram) -> bytes:
    """RFC 2869 section 5.14, RFC 3579 section 3.2: an Accounting-Request signs with 16 zeros."""
    return bytes(16) if pkt.code == ACCOUNTING_REQUEST else pkt.authenticator


def message_authenticator_valid(pkt: Datagram) -> bool:
    """HMAC-MD5 over the packet as sent, signature zeroed (RFC 2869 section 5.14); only when present."""
    at, raw = pkt.signature_at, pkt.raw
    signed = raw[:4] + _signing_vector(pkt) + raw[HEADER:at] + bytes(16) + raw[at + 16 :]
    expected = hmac.new(pkt.secret, signed, hashlib.md5).digest()
    return hmac.compare_digest(raw[at : at + 16], expected)


def request_authenticator_valid(pkt: Datagram) -> bool:
    """Accounting-Request authenticator = MD5(header + 16 zeros + attributes + secret) (RFC 2866 section 3).

    A Status-Server's authenticator is random (RFC 5997 section 3): its Message-Authenticator is checked.
    """
    if pkt.code == STATUS_SERVER:
        return has_message_authenticator(pkt) and message_authenticator_valid(pkt)
    expected = hashlib.md5(pkt.raw[:4] + bytes(16) + pkt.raw[HEADER:] + pkt.secret).digest()
    return hmac.compare_digest(expected, pkt.authenticator)


def _value(pkt: Datagram, name: str):
    """A standard attribute's first value decoded by its dictionary type; None when absent."""
    raw = pkt.first(name)
    if raw is None:
        return None
    kind = pkt.words.type[pkt.words.code[name]]
    if kind == "string":
        return raw.decode("utf-8", errors="replace")
    if kind in ("integer", "date"):
        if len(raw) != 4:
            raise MalformedPacket("bad_attribute_value", f"{name}: {len(raw)} octets, not 4")
        return int.from_bytes(raw, "big")
    if kind == "ipaddr":
        if len(raw) != 4:
            raise MalformedPacket("bad_attribute_value", f"{name}: {len(raw)} octets, not 4")
        return ".".join(map(str, raw))
    return raw


def _text(pkt: Datagram, name: str, limit: int) -> str | None:
    """A text attribute as stored: NUL characters removed (PostgreSQL text cannot hold them), cut to
    `limit`."""
    value = _value(pkt, name)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value).replace("\x00", "")[:limit]


def _number(pkt: Datagram, name: str) -> int:
    value = _value(pkt, name)
    return value if isinstance(value, int) else 0


def _label(pkt: Datagram, name: str) -> str | None:
    """An enumerated attribute as its dictionary name (the number when the dictionary has none)."""
    value = _value(pkt, name)
    return None if value is None else pkt.words.names[name].get(value, str(value))


def _mac_or_text(value: str | None) -> str | None:
    return normalize_mac(value) if value and is_mac(value) else value


def _password(pkt: Datagram, hidden: bytes) -> str:
    """Reveal a User-Password (RFC 2865 section 5.2); invalid UTF-8 (a wrong secret) is ignored, not fatal."""
    if len(hidden) % 16:
        raise MalformedPacket("bad_attribute_value", f"User-Password of {len(hidden)} octets")
    clear, last = bytearray(), pkt.authenticator
    for start in range(0, len(hidden), 16):
        block = hidden[start : start + 16]
        pad = hashlib.md5(pkt.secret + last).digest()
        clear += bytes(a ^ b for a, b in zip(pad, block))
        last = block
    return bytes(clear).rstrip(b"\x00").decode("utf-8", errors="ignore")


def auth_request(pkt: Datagram) -> AuthRequest:
    """Decode an Access-Request: User-Name, the PAP password or CHAP response, the client's MAC."""
    username = _text(pkt, "User-Name", 253)
    if not username:
        raise MalformedPacket("missing_attribute", "User-Name")
    password = None
    chap = pkt.first("CHAP-Password")
    if chap is not None:
        if len(chap) != 17:
            raise MalformedPacket("bad_attribute_value", "CHAP-Password is not 17 octets")
    else:
        hidden = pkt.first("User-Password")
        if hidden is not None:
            password = _password(pkt, hidden)
    challenge = pkt.first("CHAP-Challenge")
    return AuthRequest(
        username=username,
        password=password,
        chap_password=chap,
        chap_challenge=pkt.authenticator if challenge is None else challenge,
        calling_station_id=_text(pkt, "Calling-Station-Id", 64),
        called_station_id=_text(pkt, "Called-Station-Id", 128),
    )


def event_time(event_timestamp: int | None, delay: int, now: datetime) -> datetime:
    """When the event happened, by our clock: now - Acct-Delay-Time, or Event-Timestamp when it agrees.

    The router's Event-Timestamp is used only within a few minutes of that: a
    router without NTP, or one that sends local time as UTC, is hours off, and
    trusting it would put its sessions hours in the future (never swept as
    stale) or in the past (swept as stale while still running).
    """
    arrival = now - timedelta(seconds=min(max(delay, 0), MAX_DELAY.total_seconds()))
    if event_timestamp:
        stamp = datetime.fromtimestamp(event_timestamp, UTC)
        if abs(stamp - arrival) <= CLOCK_TOLERANCE:
            return stamp
    return arrival


def reboot_time(event_timestamp: int | None, delay: int, now: datetime) -> datetime:
    """When a router says it (re)started: as `event_time`, but a past Event-Timestamp within a day counts too.

    An Accounting-On/Off closes only the sessions not updated since it. A
    replayed old one carries its old timestamp: taken at face value it closes
    nothing that is still running. Erring early only leaves sessions open for
    the stale sweep, never closes a live one (which would end its quota checks).
    """
    arrival = now - timedelta(seconds=min(max(delay, 0), MAX_DELAY.total_seconds()))
    if event_timestamp:
        stamp = datetime.fromtimestamp(event_timestamp, UTC)
        if arrival - MAX_DELAY <= stamp <= arrival + CLOCK_TOLERANCE:
            return stamp
    return arrival


def accounting_request(pkt: Datagram, now: datetime) -> AccountingRequest:
    """Decode an Accounting-Request; octets are 64-bit: octets + (gigawords << 32).

    Input is what the client sent, output what it received (the NAS's view,
    RFC 2866). CoovaChilli counts from the client's side by default and says so
    with ChilliSpot-Acct-View-Point: then its input and output are swapped back.
    """
    status = _label(pkt, "Acct-Status-Type")
    if status is None:
        raise MalformedPacket("missing_attribute", "Acct-Status-Type")
    session_id = _text(pkt, "Acct-Session-Id", 64)
    nas_event = status in ("Accounting-On", "Accounting-Off")
    if not session_id and not nas_event:
        raise MalformedPacket("missing_attribute", "Acct-Session-Id")
    received = _number(pkt, "Acct-Input-Octets") + (_number(pkt, "Acct-Input-Gigawords") << 32)
    sent = _number(pkt, "Acct-Output-Octets") + (_number(pkt, "Acct-Output-Gigawords") << 32)
    if _client_view(pkt):
        received, sent = sent, received
    cause = _label(pkt, "Acct-Terminate-Cause")
    return AccountingRequest(
        status=status,
        acct_session_id=session_id or "",
        username=_text(pkt, "User-Name", 64) or "",
        calling_station_id=_mac_or_text(_text(pkt, "Calling-Station-Id", 32)),
        called_station_id=_text(pkt, "Called-Station-Id", 128),
        nas_port_id=_text(pkt, "NAS-Port-Id", 64),
        framed_ip=_text(pkt, "Framed-IP-Address", 45),
        session_time=_number(pkt, "Acct-Session-Time"),
        input_octets=received,
        output_octets=sent,
        terminate_cause=cause[:32] if cause else None,
        event_time=(reboot_time if nas_event else event_time)(
            _value(pkt, "Event-Timestamp"), _number(pkt, "Acct-Delay-Time"), now
        ),
    )


def _client_view(pkt: Datagram) -> bool:
    raw = pkt.vendor_value("ChilliSpot-Acct-View-Point")
    return raw is not None and len(raw) == 4 and int.from_bytes(raw, "big") == pkt.words.client_view


def _attribute(code: int, value: bytes) -> bytes:
    return bytes((code, 2 + len(value))) + value


def _encoded(kind: str, value: int | str) -> bytes:
    return value.encode() if kind == "string" else int(value).to_bytes(4, "big")


def _vendor_attribute(words: Vocabulary, name: str, value: int | str) -> bytes:
    vendor, code, kind = words.vendor[name]
    inner = _attribute(code, _encoded(kind, value))
    return _attribute(words.code["Vendor-Specific"], vendor.to_bytes(4, "big") + inner)


def _reply(pkt: Datagram, code: int, attributes: bytes, signed: bool) -> bytes:
    """Reply bytes: Message-Authenticator first when `signed`, Proxy-State copied (RFC 2865 section 5.33)."""
    proxy = b"".join(
        _attribute(pkt.words.code["Proxy-State"], v)
        for v in pkt.attributes.get(pkt.words.code["Proxy-State"], ())
    )
    body = proxy + attributes
    length = HEADER + len(body) + (18 if signed else 0)
    header = bytes((code, pkt.identifier)) + length.to_bytes(2, "big")
    if signed:
        zeroed = bytes((MESSAGE_AUTHENTICATOR, 18)) + bytes(16)
        signature = hmac.new(pkt.secret, header + pkt.authenticator + zeroed + body, hashlib.md5).digest()
        body = zeroed[:2] + signature + body
    return header + hashlib.md5(header + pkt.authenticator + body + pkt.secret).digest() + body


def _vendor_attributes(vendor: str, limits: AcceptLimits) -> list[tuple[str, int | str]]:
    attributes = rate_attributes(vendor, limits.down_kbps, limits.up_kbps)
    octets = limits.octets_left
    if vendor == "mikrotik" and octets is not None:
        attributes += [
            ("Mikrotik-Total-Limit", octets & MAX_32),
            ("Mikrotik-Total-Limit-Gigawords", octets >> 32),
        ]
    elif vendor == "chilli" and octets is not None:
        attributes += [
            ("ChilliSpot-Max-Total-Octets", octets & MAX_32),
            ("CoovaChilli-Max-Total-Gigawords", octets >> 32),
        ]
    return attributes


def access_accept(pkt: Datagram, vendor: str, limits: AcceptLimits) -> bytes:
    """Access-Accept with Message-Authenticator first, the standard timers and the vendor's limits."""
    words = pkt.words
    timers = (
        ("Session-Timeout", limits.session_timeout),
        ("Idle-Timeout", limits.idle_timeout),
        ("Acct-Interim-Interval", limits.interim_interval),
    )
    body = b"".join(
        _attribute(words.code[name], min(value, MAX_32).to_bytes(4, "big"))
        for name, value in timers
        if value is not None
    )
    body += b"".join(
        _vendor_attribute(words, name, value) for name, value in _vendor_attributes(vendor, limits)
    )
    if limits.message:
        body += _attribute(words.code["Reply-Message"], limits.message.encode()[:253])
    return _reply(pkt, ACCESS_ACCEPT, body, signed=True)


def access_reject(pkt: Datagram, message: str) -> bytes:
    """Access-Reject with Message-Authenticator first and a Reply-Message the citizen can read."""
    body = _attribute(pkt.words.code["Reply-Message"], message.encode()[:253])
    return _reply(pkt, ACCESS_REJECT, body, signed=True)


def accounting_response(pkt: Datagram) -> bytes:
    return _reply(pkt, ACCOUNTING_RESPONSE, b"", signed=False)


def status_reply(pkt: Datagram) -> bytes:
    """RFC 5997: Access-Accept on the auth port, Accounting-Response on the accounting port, signed."""
    code = ACCESS_ACCEPT if pkt.port == "auth" else ACCOUNTING_RESPONSE
    return _reply(pkt, code, b"", signed=True)
