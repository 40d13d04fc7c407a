"""RFC 5176 Disconnect and CoA client: tell a hotspot router to end or change a session.

Used by the admin console (the Disconnect button) and by the RADIUS daemon's
quota enforcement. It lives in the shared core because the portal must not
import the daemon. Requests carry User-Name, Acct-Session-Id, Framed-IP-Address
(MikroTik matches on it) and Message-Authenticator; the router's ACK or NAK,
with its Error-Cause, is returned for the admin to read.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from pyrad import packet
from pyrad.client import Client, Timeout

from hotspot.crypto import SecretBox
from hotspot.models import Nas
from hotspot.radius_dictionary import load_dictionary
from hotspot.settings import Settings

log = logging.getLogger(__name__)

REPLY_NAMES = {
    packet.DisconnectACK: "Disconnect-ACK",
    packet.DisconnectNAK: "Disconnect-NAK",
    packet.CoAACK: "CoA-ACK",
    packet.CoANAK: "CoA-NAK",
}


@dataclass(frozen=True)
class CoaResult:
    """What the router answered: ACK, NAK (with Error-Cause) or nothing at all."""

    acknowledged: bool
    code: str
    error_cause: int | None = None
    error_text: str | None = None

    def describe(self) -> str:
        if self.error_cause is None:
            return self.code
        return f"{self.code}: {self.error_text or 'Error-Cause'} ({self.error_cause})"


def rate_attributes(vendor: str, down_kbps: int | None, up_kbps: int | None) -> list[tuple[str, int | str]]:
    """A rate limit in the vendor's own attributes, for Access-Accept and CoA-Request alike.

    MikroTik: Mikrotik-Rate-Limit "rx/tx" from the router's side (rx = the client's upload);
    CoovaChilli: ChilliSpot-Bandwidth-Max-Up/Down in kbit/s; others: WISPr-Bandwidth-Max-Up/Down in bit/s."""
    up, down = up_kbps, down_kbps
    if vendor == "mikrotik":
        return [("Mikrotik-Rate-Limit", f"{up or 0}k/{down or 0}k")] if up or down else []
    if vendor == "chilli":
        return [
            (name, value)
            for name, value in (("ChilliSpot-Bandwidth-Max-Up", up), ("ChilliSpot-Bandwidth-Max-Down", down))
            if value
        ]
    return [
        (name, value * 1000)
        for name, value in (("WISPr-Bandwidth-Max-Up", up), ("WISPr-Bandwidth-Max-Down", down))
        if value
    ]


class CoaTargetError(ValueError):
    """The router's address for Dynamic Authorization is not known."""


def target_address(nas: Nas, nas_address: str | None) -> str:
    """Where to send: for a router known by its identifier, the address it last spoke from (behind NAT or
    on LTE it moves); else the address the session's packets came from, else the NAS's single IP."""
    if nas.identifier and nas.last_address:
        return nas.last_address
    if nas_address:
        return nas_address
    network = ipaddress.ip_network(nas.ip_range)
    if network.num_addresses == 1:
        return str(network.network_address)
    raise CoaTargetError(f"NAS {nas.name!r} covers {nas.ip_range}; no single address to send a Disconnect to")


def _send(
    settings: Settings, nas: Nas, box: SecretBox, code: int, nas_address: str | None, attributes: dict
) -> CoaResult:
    address = target_address(nas, nas_address)
    dictionary = load_dictionary(settings.radius_dictionary_dir)
    client = Client(
        server=address,
        coaport=nas.coa_port,
        secret=box.decrypt(nas.secret_encrypted).encode(),
        dict=dictionary,
        retries=settings.coa_retries + 1,
        timeout=settings.coa_timeout_seconds,
    )
    request = client.CreateCoAPacket(code=code, message_authenticator=True)
    for name, value in attributes.items():
        if value is not None:
            request[name] = value
    try:
        reply = client.SendPacket(request)
    except Timeout:
        log.warning("dynamic authorization to %s (%s:%d) timed out", nas.name, address, nas.coa_port)
        return CoaResult(False, "timeout", None, "no answer from the router")
    finally:
        client._CloseSocket()  # pyrad has no public close; keeps the socket from leaking
    error_cause = error_text = None
    if 101 in reply:  # Error-Cause, read raw so unknown codes still show as numbers
        error_cause = int.from_bytes(reply[101][0], "big")
        named = reply["Error-Cause"][0]
        error_text = named if isinstance(named, str) else "Error-Cause"
    result = CoaResult(
        reply.code in (packet.DisconnectACK, packet.CoAACK),
        REPLY_NAMES.get(reply.code, f"code {reply.code}"),
        error_cause,
        error_text,
    )
    log.info("dynamic authorization to %s (%s): %s", nas.name, address, result.describe())
    return result


def disconnect(
    settings: Settings,
    nas: Nas,
    box: SecretBox,
    *,
    username: str,
    acct_session_id: str,
    framed_ip: str | None,
    calling_station_id: str | None = None,
    nas_address: str | None = None,
) -> CoaResult:
    """Send a Disconnect-Request for one session and return the router's answer."""
    return _send(
        settings,
        nas,
        box,
        packet.DisconnectRequest,
        nas_address,
        {
            "User-Name": username,
            "Acct-Session-Id": acct_session_id,
            "Framed-IP-Address": framed_ip,
            "Calling-Station-Id": calling_station_id,
        },
    )


def change_authorization(
    settings: Settings,
    nas: Nas,
    box: SecretBox,
    *,
    username: str,
    acct_session_id: str,
    framed_ip: str | None,
    changes: dict,
    nas_address: str | None = None,
) -> CoaResult:
    """Send a CoA-Request (e.g. a new Session-Timeout or rate limit) for one session."""
    return _send(
        settings,
        nas,
        box,
        packet.CoARequest,
        nas_address,
        {
            "User-Name": username,
            "Acct-Session-Id": acct_session_id,
            "Framed-IP-Address": framed_ip,
            **changes,
        },
    )
