"""Real RADIUS request bytes for tests, built with pyrad the way a router would send them."""

from __future__ import annotations

import hashlib

from pyrad import packet

from hotspot.radius_dictionary import load_dictionary
from hotspot.settings import Settings

DICTIONARY = load_dictionary(Settings().radius_dictionary_dir)


def access_request(
    secret: bytes,
    username: str,
    password: str | None = None,
    *,
    chap: str | None = None,
    challenge: bytes | None = None,
    signed: bool = False,
    proxy_state: bytes | None = None,
    identifier: int = 7,
    **attributes,
) -> bytes:
    """An Access-Request with PAP (`password`) or CHAP (`chap` = cleartext), optionally signed."""
    pkt = packet.AuthPacket(code=packet.AccessRequest, id=identifier, secret=secret, dict=DICTIONARY)
    pkt.authenticator = pkt.CreateAuthenticator()
    pkt["User-Name"] = username
    if password is not None:
        pkt["User-Password"] = pkt.PwCrypt(password)
    if chap is not None:
        ident = b"\x2a"
        if challenge is not None:
            pkt["CHAP-Challenge"] = challenge
        pkt["CHAP-Password"] = (
            ident + hashlib.md5(ident + chap.encode() + (challenge or pkt.authenticator)).digest()
        )
    for name, value in attributes.items():
        pkt[name.replace("_", "-")] = value
    if proxy_state is not None:
        pkt["Proxy-State"] = proxy_state
    if signed:
        pkt.add_message_authenticator()
    return pkt.RequestPacket()


def accounting_request(
    secret: bytes,
    status: str,
    session_id: str,
    username: str = "t-user",
    *,
    identifier: int = 9,
    **attributes,
) -> bytes:
    """An Accounting-Request; attribute names with `_` for `-`, e.g. Acct_Input_Octets=10."""
    pkt = packet.AcctPacket(code=packet.AccountingRequest, id=identifier, secret=secret, dict=DICTIONARY)
    pkt["Acct-Status-Type"] = status
    if session_id:
        pkt["Acct-Session-Id"] = session_id
    if username:
        pkt["User-Name"] = username
    for name, value in attributes.items():
        pkt[name.replace("_", "-")] = value
    return pkt.RequestPacket()


def status_server(secret: bytes, port: str, signed: bool = True) -> bytes:
    kind = packet.AuthPacket if port == "auth" else packet.AcctPacket
    pkt = kind(code=packet.StatusServer, id=3, secret=secret, dict=DICTIONARY)
    pkt.message_authenticator = signed
    pkt.authenticator = pkt.CreateAuthenticator()
    if signed:
        pkt.add_message_authenticator()
    return pkt.RequestPacket()


def decode_reply(raw: bytes, secret: bytes, request: bytes):
    """Decode a reply and check its Response Authenticator and Message-Authenticator against the request."""
    req = packet.Packet(packet=request, secret=secret, dict=DICTIONARY)
    reply = packet.Packet(packet=raw, secret=secret, dict=DICTIONARY)
    assert req.VerifyReply(reply, raw), "reply authenticators do not verify"
    return reply
