"""Hostile RADIUS datagrams: random, built attribute by attribute with lying lengths, or mutated from real
ones.

`datagram(seed, port)` turns fuzzer bytes into one datagram, the way a
fuzzing engine's data provider does: the seed's bytes pick the shape (raw
bytes, a famous bad size, a packet built attribute by attribute, or a real
packet from pyrad's encoder then mutated) and every length, code and value.
Deriving everything from one byte string keeps hypothesis fast (one draw per
datagram, still shrinkable) and lets bench/fuzz_radius.py (atheris) use the
same generator. A built packet may carry a correct Request Authenticator and
Message-Authenticator for the test secret, so that it passes the server's
cryptographic checks and reaches the decoders behind them.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

from testbed.radius_packets import access_request, accounting_request, status_server

SECRET = b"fuzz-secret-1"
ACCESS_REQUEST, ACCOUNTING_REQUEST, STATUS_SERVER = 1, 4, 12
PORT_CODES = {"auth": (ACCESS_REQUEST, STATUS_SERVER), "acct": (ACCOUNTING_REQUEST, STATUS_SERVER)}
VENDORS = (14988, 14122, 14559, 9, 0)
# Attributes the server reads or checks and their dictionary neighbours (string, octets, integer, ipaddr,
# date, ipv6addr, ipv6prefix, ifid, encrypt=1 User-Password), Proxy-State, EAP-Message, Message-Authenticator.
INTERESTING = (
    1,
    2,
    3,
    4,
    5,
    6,
    8,
    18,
    24,
    25,
    27,
    28,
    30,
    31,
    32,
    33,
    40,
    41,
    42,
    43,
    44,
    45,
    46,
    47,
    48,
    49,
    50,
    52,
    53,
    55,
    60,
    61,
    79,
    80,
    85,
    87,
    95,
    96,
    97,
    101,
    123,
    168,
)
NASTY_VALUES = (
    b"",
    b"\x00",
    b"\x00\x00\x00",
    b"\x00\x00\x00\x03",
    b"\xff" * 4,
    b"\xff" * 8,
    bytes(16),
    b"\x00\x80" + bytes(16),
    b"\xed\xb3\xbf\xc3",
    b"%s%n{}'\"<",
    b"\x00" * 253,
    b"\x80" * 17,
)
FAMOUS_SIZES = (  # the largest is the largest UDP datagram
    b"",
    b"\x01",
    bytes(19),
    bytes(20),
    b"\x04" + bytes(19),
    b"\x01\x00\x00\x14" + bytes(16),
    b"\x04\x00\x10\x00" + bytes(4092),
    b"\x04\x00\xff\xff" + bytes(65503),
    b"\x01\x00\x10\x00" + bytes(4092),
    b"\x0c\x00\x00\x14" + bytes(16),
    b"\x04\x00\x10\x01" + bytes(4093),
)


def _valid_packets() -> list[bytes]:
    """Real packets from pyrad's encoder, one of each kind the server takes, built once."""
    made = []
    for n in range(6):
        made.append(
            access_request(
                SECRET,
                f"t-{n}",
                "pw" * n,
                signed=n % 2 == 0,
                NAS_Identifier="fuzz",
                Calling_Station_Id="AA-BB-CC-00-00-01",
            )
        )
        made.append(
            access_request(
                SECRET,
                "VOUCHER23",
                chap="VOUCHER23",
                challenge=bytes(range(16)),
                proxy_state=b"p" * n if n % 3 == 0 else None,
                signed=n % 3 == 0,
            )
        )
        made.append(
            accounting_request(
                SECRET,
                ("Start", "Interim-Update", "Stop")[n % 3],
                f"fz{n}",
                "VOUCHER23",
                Acct_Input_Octets=n,
                Acct_Input_Gigawords=1,
                Acct_Session_Time=n,
                Event_Timestamp=1_790_000_000 + n,
                Framed_IP_Address="10.5.50.7",
                Mikrotik_Rate_Limit="1k/1k",
                Acct_Terminate_Cause="Lost-Carrier",
            )
        )
        made.append(accounting_request(SECRET, "Accounting-On" if n % 2 else "Accounting-Off", "", ""))
        made.append(status_server(SECRET, "auth" if n % 2 else "acct"))
    return made


VALID = _valid_packets()


class Choices:
    """Reads decisions from fuzzer bytes; zeros once they run out."""

    def __init__(self, data: bytes):
        self.data = data
        self.position = 0

    def byte(self) -> int:
        self.position += 1
        return self.data[self.position - 1] if self.position <= len(self.data) else 0

    def below(self, n: int) -> int:
        return (self.byte() << 8 | self.byte()) % n

    def pick(self, options):
        return options[self.below(len(options))]

    def take(self, n: int) -> bytes:
        chunk = self.data[self.position : self.position + n]
        self.position += n
        return chunk.ljust(n, b"\x00")

    def rest(self) -> bytes:
        chunk = self.data[self.position :]
        self.position = len(self.data)
        return chunk


def attribute_bytes(code: int, value: bytes, length: int | None = None) -> bytes:
    """One attribute; `length` (0-255) may lie about the value's size."""
    value = value[:253]
    return bytes((code, 2 + len(value) if length is None else length)) + value


def assemble(
    code: int,
    identifier: int,
    authenticator: bytes,
    body: bytes,
    *,
    length: int | None = None,
    signed: bool = False,
    secret: bytes = SECRET,
) -> bytes:
    """Header + attributes. `signed`: a correct Message-Authenticator is appended and, for an
    Accounting-Request, the Request Authenticator is computed, both over the bytes as sent."""
    if signed:
        body += bytes((80, 18)) + bytes(16)
    size = 20 + len(body) if length is None else length
    header = struct.pack("!BBH", code, identifier, size & 0xFFFF)
    if signed:
        vector = bytes(16) if code == ACCOUNTING_REQUEST else authenticator
        body = body[:-16] + hmac.new(secret, header + vector + body, "md5").digest()
        if code == ACCOUNTING_REQUEST:
            authenticator = hashlib.md5(header + bytes(16) + body + secret).digest()
    return header + authenticator + body


def _value(c: Choices) -> bytes:
    return c.pick(NASTY_VALUES) if c.byte() < 64 else c.take(c.byte() % 64 if c.byte() < 200 else c.byte())


def _length(c: Choices) -> int | None:
    return c.byte() if c.byte() < 24 else None


def _attribute(c: Choices) -> bytes:
    if c.byte() < 50:
        inner = b"".join(
            attribute_bytes(c.byte(), c.take(c.byte() % 40), _length(c)) for _ in range(c.byte() % 4)
        )
        vendor = c.pick(VENDORS) if c.byte() < 200 else int.from_bytes(c.take(4), "big")
        return attribute_bytes(26, struct.pack("!I", vendor) + inner, _length(c))
    code = c.pick(INTERESTING) if c.byte() < 200 else c.byte()
    return attribute_bytes(code, _value(c), _length(c))


def _plausible_start(c: Choices, code: int) -> bytes:
    """Mostly, the attributes a request cannot do without, so that decoding goes past the first check."""
    if c.byte() < 64:
        return b""
    name = attribute_bytes(1, c.pick((b"VOUCHER23", b"voucher-23", b"t-1", b"AA-BB-CC-00-00-01", c.take(8))))
    if code == ACCOUNTING_REQUEST:
        status = struct.pack("!I", c.pick((1, 2, 3, 7, 8, 15, c.byte())))
        return attribute_bytes(40, status) + attribute_bytes(44, c.take(1 + c.byte() % 12)) + name
    if c.byte() < 128:
        return name + attribute_bytes(3, c.take(17))
    return name + attribute_bytes(2, c.take(16 * (1 + c.byte() % 3)))


def _built(c: Choices, port: str | None) -> bytes:
    code = c.pick(PORT_CODES[port]) if port and c.byte() < 240 else c.byte()
    identifier, authenticator = c.byte(), c.take(16)
    body = _plausible_start(c, code) + b"".join(_attribute(c) for _ in range(c.byte() % 13))
    length = c.below(0x10000) if c.byte() < 16 else None
    return assemble(code, identifier, authenticator, body, length=length, signed=c.byte() < 192)


def _mutated(c: Choices) -> bytes:
    raw = bytearray(c.pick(VALID))
    for _ in range(1 + c.byte() % 4):
        how = c.byte() % 6
        if how == 0 and raw:
            del raw[c.below(len(raw)) :]
        elif how == 1:
            raw += c.take(1 + c.byte())
        elif how == 2 and raw:
            raw[c.below(len(raw))] = c.byte()
        elif how == 3 and len(raw) >= 4:
            raw[2:4] = struct.pack("!H", c.below(0x10000) if c.byte() < 128 else c.byte() % 64)
        elif how == 4 and len(raw) > 21:
            raw[21 + c.below(len(raw) - 21)] = c.pick((0, 1, 2, 3, 6, 18, 255))
        elif how == 5:
            raw += _attribute(c)
    return bytes(raw)


def datagram(seed: bytes, port: str | None = None) -> bytes:
    """One hostile datagram chosen by the fuzzer's bytes; built ones are aimed at `port` ("auth"/"acct")."""
    c = Choices(seed)
    shape = c.byte() % 8
    if shape == 0:
        return c.rest()
    if shape == 1:
        return c.pick(FAMOUS_SIZES)
    if shape in (2, 3, 4):
        return _mutated(c)
    return _built(c, port)
