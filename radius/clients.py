"""The RADIUS clients (routers) this server answers, read from the `nas` table.

A packet's source address gives the candidates: every NAS row whose IP or
CIDR block holds it. A router behind NAT or on a changing address (LTE,
CGNAT) cannot be told apart by address, so it is told apart by the
NAS-Identifier it sends. The rule, in this one place:

- a row is *named*, identified by its identifier rather than its address,
  when it has an identifier and its range is shared: wider than one address,
  or the very range of another active row;
- among the candidates, the one whose identifier equals the packet's
  NAS-Identifier is chosen (the most specific if several);
- otherwise the most specific candidate that is not named is chosen (a row
  without identifier, or a one-address row whose identifier is only a label);
- otherwise nobody: the packet is dropped.

The chosen row's secret must verify the packet, and a named row's
Access-Requests must carry Message-Authenticator. Secrets are decrypted once
per reload; the table is re-read every few seconds so an admin's change needs
no restart.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, select

from hotspot.crypto import SecretBox
from hotspot.models import Nas

log = logging.getLogger(__name__)
KNOWN_ADDRESSES = 65536  # wide ranges hold every address: a flood of spoofed sources must not grow it


@dataclass(frozen=True)
class Client:
    """One router as the daemon needs it: who it is, its secret, how to talk to it."""

    nas_id: int
    name: str
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    secret: bytes
    vendor: str
    require_message_authenticator: bool
    identifier: str | None = None
    named: bool = False


@dataclass(frozen=True)
class Candidates:
    """The NAS rows whose range holds one source address, ready for the choice by NAS-Identifier."""

    by_identifier: dict[str, Client]
    fallback: Client | None

    @property
    def expects_identifier(self) -> bool:
        """Whether the packet's NAS-Identifier can change the choice (else it need not be read)."""
        return bool(self.by_identifier)

    def choose(self, nas_identifier: str | None) -> Client | None:
        """The row whose identifier the packet names, else the fallback (see the module's rule)."""
        if nas_identifier:
            chosen = self.by_identifier.get(nas_identifier)
            if chosen is not None:
                return chosen
        return self.fallback


def _named(identifier: str | None, network, ranges: Counter) -> bool:
    return bool(identifier) and (network.num_addresses > 1 or ranges[network] > 1)


def load_clients(engine: Engine, box: SecretBox) -> list[Client]:
    """Every active NAS, most specific network first; one with an unreadable secret is skipped and logged."""
    readable = []
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Nas.id,
                Nas.name,
                Nas.ip_range,
                Nas.secret_encrypted,
                Nas.vendor,
                Nas.require_message_authenticator,
                Nas.identifier,
            )
            .where(Nas.active.is_(True))
            .order_by(Nas.id)
        )
        for nas_id, name, ip_range, secret, vendor, require_ma, identifier in rows:
            try:
                network = ipaddress.ip_network(ip_range, strict=False)
                plain = box.decrypt(secret).encode()
            except ValueError as exc:
                log.error("nas_skipped nas=%s reason=%s", name, exc)
                continue
            readable.append((nas_id, name, network, plain, vendor, bool(require_ma), identifier or None))
    ranges = Counter(row[2] for row in readable)
    clients = []
    for nas_id, name, network, plain, vendor, require_ma, identifier in readable:
        named = _named(identifier, network, ranges)
        clients.append(Client(nas_id, name, network, plain, vendor, require_ma or named, identifier, named))
    clients.sort(key=lambda c: c.network.prefixlen, reverse=True)
    return clients


def candidates_for(clients: list[Client], ip) -> Candidates | None:
    """The candidates for one address among `clients` (most specific first); None when no range holds it."""
    by_identifier: dict[str, Client] = {}
    fallback = None
    held = False
    for client in clients:
        if ip.version != client.network.version or ip not in client.network:
            continue
        held = True
        if client.identifier:
            by_identifier.setdefault(client.identifier, client)
        if fallback is None and not client.named:
            fallback = client
    return Candidates(by_identifier, fallback) if held else None


class ClientTable:
    """The NAS list in memory, refreshed from the database at most every `reload_seconds`."""

    def __init__(self, engine: Engine, box: SecretBox, reload_seconds: float):
        self._engine = engine
        self._box = box
        self._reload_seconds = reload_seconds
        self._clients: list[Client] = []
        self._known: dict[str, Candidates] = {}  # filled by lookups (strangers are not kept)
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

    def candidates(self, address: str) -> Candidates | None:
        """The NAS rows a packet from `address` may belong to, or None for a stranger."""
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
        found = candidates_for(self._clients, ip)
        if found is not None:
            if len(self._known) >= KNOWN_ADDRESSES:
                self._known = {}
            self._known[address] = found
        return found

    def lookup(self, address: str, nas_identifier: str | None = None) -> Client | None:
        """The router a packet from `address` naming itself `nas_identifier` belongs to, or None."""
        found = self.candidates(address)
        return found.choose(nas_identifier) if found is not None else None
