"""The RADIUS clients (routers) this server answers, read from the `nas` table.

Looked up by the packet's source address: an exact IP or a CIDR block, the
most specific match wins. Secrets are decrypted once per reload; the table is
re-read every few seconds so an admin's change needs no restart.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select

from hotspot.crypto import SecretBox
from hotspot.models import Nas

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Client:
    """One router as the daemon needs it: who it is, its secret, how to talk to it."""

    nas_id: int
    name: str
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    secret: bytes
    vendor: str
    require_message_authenticator: bool
    coa_port: int


def load_clients(engine: Engine, box: SecretBox) -> list[Client]:
    """Every active NAS, most specific network first; a NAS whose secret cannot be read is skipped and logged."""
    clients = []
    with engine.connect() as conn:
        rows = conn.execute(select(Nas.id, Nas.name, Nas.ip_range, Nas.secret_encrypted, Nas.vendor,
                                   Nas.require_message_authenticator, Nas.coa_port).where(Nas.active.is_(True)))
        for nas_id, name, ip_range, secret, vendor, require_ma, coa_port in rows:
            try:
                network = ipaddress.ip_network(ip_range, strict=False)
                plain = box.decrypt(secret).encode()
            except ValueError as exc:
                log.error("nas_skipped nas=%s reason=%s", name, exc)
                continue
            clients.append(Client(nas_id, name, network, plain, vendor, bool(require_ma), coa_port or 3799))
    clients.sort(key=lambda c: c.network.prefixlen, reverse=True)
    return clients


class ClientTable:
    """The NAS list in memory, refreshed from the database at most every `reload_seconds`."""

    def __init__(self, engine: Engine, box: SecretBox, reload_seconds: float):
        self._engine = engine
        self._box = box
        self._reload_seconds = reload_seconds
        self._clients: list[Client] = []
        self._known: dict[str, Client] = {}  # address -> client, filled by lookups (strangers are not kept)
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Re-read the table now; on a database error keep the last good list."""
        try:
            clients = load_clients(self._engine, self._box)
        except Exception as exc:  # the database may be away; routers keep being served
            log.warning("nas_reload_failed error=%s", exc.__class__.__name__)
            self._loaded_at = time.monotonic()
            return
        self._clients, self._known = clients, {}
        self._loaded_at = time.monotonic()

    def lookup(self, address: str) -> Client | None:
        """The router a packet from `address` belongs to, or None for a stranger."""
        if time.monotonic() - self._loaded_at >= self._reload_seconds:
            with self._lock:
                if time.monotonic() - self._loaded_at >= self._reload_seconds:
                    self.refresh()
        known = self._known.get(address)
        if known is not None:
            return known
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        for client in self._clients:
            if ip.version == client.network.version and ip in client.network:
                self._known[address] = client
                return client
        return None

    def by_id(self, nas_id: int) -> Client | None:
        return next((c for c in self._clients if c.nas_id == nas_id), None)
