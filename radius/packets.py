"""The RADIUS wire format: the only module that knows pyrad and attribute names.

Received bytes become plain dataclasses (`AuthRequest`, `AccountingRequest`) that
the rest of the daemon works with; decisions become reply bytes in the vendor's
own attributes. Anything that does not parse raises `MalformedPacket` with a
short reason, so a bad packet is dropped and logged, never a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pyrad import packet as pyrad_packet
from pyrad import tools as pyrad_tools
from pyrad.dictionary import Dictionary

from hotspot.validation import is_mac, normalize_mac

MAX_PACKET = 4096
HEADER = 20
MESSAGE_AUTHENTICATOR = 80
PROXY_STATE = 33
ACCESS_REQUEST = pyrad_packet.AccessRequest
ACCOUNTING_REQUEST = pyrad_packet.AccountingRequest
STATUS_SERVER = pyrad_packet.StatusServer
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

    @property
    def mac(self) -> str | None:
        """The client's MAC from Calling-Station-Id, normalised, when it is one."""
        return normalize_mac(self.calling_station_id) if self.calling_station_id and is_mac(
            self.calling_station_id) else None

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
    def from_json(cls, data: dict) -> "AccountingRequest":
        return cls(**{**data, "event_time": datetime.fromisoformat(data["event_time"])})


@dataclass(frozen=True)
class Grant:
    """What an Access-Accept tells the router, in protocol units; None = no limit."""

    session_timeout: int | None
    idle_timeout: int | None
    interim_interval: int | None
    down_kbps: int | None
    up_kbps: int | None
    octets_left: int | None


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


def decode(raw: bytes, port: str, secret: bytes, dictionary: Dictionary) -> pyrad_packet.Packet:
    """A pyrad packet for a datagram whose framing `read_header` accepted."""
    kind = pyrad_packet.AuthPacket if port == "auth" else pyrad_packet.AcctPacket
    try:
        return kind(packet=raw, secret=secret, dict=dictionary)
    except (pyrad_packet.PacketError, struct.error, ValueError, KeyError, TypeError) as exc:
        raise MalformedPacket("undecodable", str(exc)) from exc


def has_message_authenticator(pkt: pyrad_packet.Packet) -> bool:
    return OrderedDict.__contains__(pkt, MESSAGE_AUTHENTICATOR)


def has_proxy_state(pkt: pyrad_packet.Packet) -> bool:
    return OrderedDict.__contains__(pkt, PROXY_STATE)


def message_authenticator_valid(pkt: pyrad_packet.Packet) -> bool:
    """HMAC-MD5 over the packet as sent (RFC 2869 section 5.14); call only when present."""
    return pkt.verify_message_authenticator()


def request_authenticator_valid(pkt: pyrad_packet.Packet) -> bool:
    """Accounting-Request authenticator = MD5(header + 16 zeros + attributes + secret) (RFC 2866 section 3)."""
    return pkt.VerifyAcctRequest()


def _values(pkt: pyrad_packet.Packet, name: str) -> list:
    """The decoded values of a standard attribute: its code looked up once, only present values decoded."""
    attribute = pkt.dict.attributes[name]
    raw = OrderedDict.get(pkt, attribute.code)
    if not raw:
        return []
    try:
        return [attribute.values.GetBackward(v) if attribute.values.HasBackward(v)
                else pyrad_tools.DecodeAttr(attribute.type, v) for v in raw]
    except (struct.error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise MalformedPacket("bad_attribute_value", f"{name}: {exc}") from exc


def _text(pkt: pyrad_packet.Packet, name: str, limit: int) -> str | None:
    """A text attribute as stored: NUL characters removed (PostgreSQL text cannot hold them), cut to `limit`."""
    values = _values(pkt, name)
    if not values:
        return None
    value = values[0]
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value).replace("\x00", "")[:limit]


def _number(pkt: pyrad_packet.Packet, name: str) -> int:
    values = _values(pkt, name)
    return int(values[0]) if values and isinstance(values[0], int) else 0


def _mac_or_text(value: str | None) -> str | None:
    return normalize_mac(value) if value and is_mac(value) else value


def auth_request(pkt: pyrad_packet.AuthPacket) -> AuthRequest:
    """Decode an Access-Request: User-Name, the PAP password or CHAP response, the client's MAC."""
    username = _text(pkt, "User-Name", 253)
    if not username:
        raise MalformedPacket("missing_attribute", "User-Name")
    password = chap = None
    if OrderedDict.__contains__(pkt, 3):
        chap = OrderedDict.__getitem__(pkt, 3)[0]
        if len(chap) != 17:
            raise MalformedPacket("bad_attribute_value", "CHAP-Password is not 17 octets")
    elif OrderedDict.__contains__(pkt, 2):
        try:
            password = pkt.PwDecrypt(OrderedDict.__getitem__(pkt, 2)[0])
        except pyrad_packet.PacketError as exc:
            raise MalformedPacket("bad_attribute_value", str(exc)) from exc
    challenge = OrderedDict.get(pkt, 60, [pkt.authenticator])[0]
    return AuthRequest(
        username=username,
        password=password,
        chap_password=chap,
        chap_challenge=challenge,
        calling_station_id=_text(pkt, "Calling-Station-Id", 64),
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
        stamp = datetime.fromtimestamp(event_timestamp, timezone.utc)
        if abs(stamp - arrival) <= CLOCK_TOLERANCE:
            return stamp
    return arrival


def accounting_request(pkt: pyrad_packet.AcctPacket, now: datetime) -> AccountingRequest:
    """Decode an Accounting-Request; octets are 64-bit: octets + (gigawords << 32)."""
    status = _values(pkt, "Acct-Status-Type")
    if not status:
        raise MalformedPacket("missing_attribute", "Acct-Status-Type")
    status_name = str(status[0])
    session_id = _text(pkt, "Acct-Session-Id", 64)
    if not session_id and status_name not in ("Accounting-On", "Accounting-Off"):
        raise MalformedPacket("missing_attribute", "Acct-Session-Id")
    stamp = _values(pkt, "Event-Timestamp")
    cause = _values(pkt, "Acct-Terminate-Cause")
    return AccountingRequest(
        status=status_name,
        acct_session_id=session_id or "",
        username=_text(pkt, "User-Name", 64) or "",
        calling_station_id=_mac_or_text(_text(pkt, "Calling-Station-Id", 32)),
        called_station_id=_text(pkt, "Called-Station-Id", 128),
        nas_port_id=_text(pkt, "NAS-Port-Id", 64),
        framed_ip=_text(pkt, "Framed-IP-Address", 45),
        session_time=_number(pkt, "Acct-Session-Time"),
        input_octets=_number(pkt, "Acct-Input-Octets") + (_number(pkt, "Acct-Input-Gigawords") << 32),
        output_octets=_number(pkt, "Acct-Output-Octets") + (_number(pkt, "Acct-Output-Gigawords") << 32),
        terminate_cause=str(cause[0])[:32] if cause else None,
        event_time=event_time(stamp[0] if stamp and isinstance(stamp[0], int) else None,
                              _number(pkt, "Acct-Delay-Time"), now),
    )


def _vendor_attributes(vendor: str, grant: Grant) -> list[tuple[str, int | str]]:
    attributes: list[tuple[str, int | str]] = []
    up, down, octets = grant.up_kbps, grant.down_kbps, grant.octets_left
    if vendor == "mikrotik":
        if up or down:
            attributes.append(("Mikrotik-Rate-Limit", f"{up or 0}k/{down or 0}k"))
        if octets is not None:
            attributes += [("Mikrotik-Total-Limit", octets & MAX_32), ("Mikrotik-Total-Limit-Gigawords", octets >> 32)]
    elif vendor == "chilli":
        if up:
            attributes.append(("ChilliSpot-Bandwidth-Max-Up", up))
        if down:
            attributes.append(("ChilliSpot-Bandwidth-Max-Down", down))
        if octets is not None:
            attributes += [("ChilliSpot-Max-Total-Octets", octets & MAX_32),
                           ("CoovaChilli-Max-Total-Gigawords", octets >> 32)]
    else:
        if up:
            attributes.append(("WISPr-Bandwidth-Max-Up", up * 1000))
        if down:
            attributes.append(("WISPr-Bandwidth-Max-Down", down * 1000))
    return attributes


def access_accept(pkt: pyrad_packet.AuthPacket, vendor: str, grant: Grant) -> bytes:
    """Access-Accept with Message-Authenticator first, the standard timers and the vendor's limits."""
    reply = pkt.CreateReply()
    reply.code = pyrad_packet.AccessAccept
    for name, value in (("Session-Timeout", grant.session_timeout), ("Idle-Timeout", grant.idle_timeout),
                        ("Acct-Interim-Interval", grant.interim_interval)):
        if value is not None:
            reply.AddAttribute(name, min(value, MAX_32))
    for name, value in _vendor_attributes(vendor, grant):
        reply.AddAttribute(name, value)
    return reply.ReplyPacket()


def access_reject(pkt: pyrad_packet.AuthPacket, message: str) -> bytes:
    """Access-Reject with Message-Authenticator first and a Reply-Message the citizen can read."""
    reply = pkt.CreateReply()
    reply.code = pyrad_packet.AccessReject
    reply.AddAttribute("Reply-Message", message.encode()[:253])
    return reply.ReplyPacket()


def accounting_response(pkt: pyrad_packet.AcctPacket) -> bytes:
    reply = pkt.CreateReply()
    return reply.ReplyPacket()


def status_reply(pkt: pyrad_packet.Packet) -> bytes:
    """RFC 5997: Access-Accept on the auth port, Accounting-Response on the accounting port, signed."""
    reply = pkt.CreateReply()
    if isinstance(pkt, pyrad_packet.AuthPacket):
        reply.code = pyrad_packet.AccessAccept
    reply.message_authenticator = True
    return reply.ReplyPacket()
