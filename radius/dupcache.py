"""RFC 5080 duplicate detection: a retransmitted request gets the same reply, and is not processed twice.

Keyed by (source IP, source port, Identifier, Request Authenticator, NAS id):
routers behind one NAT share the address, and each is its own client. A request
still being processed is remembered too, so a retransmission that arrives
before the answer is simply dropped (the answer is on its way). Entries expire
after `ttl` seconds and the cache never holds more than `max_entries`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

PENDING = b""

Key = tuple[str, int, int, bytes, int]


class DuplicateCache:
    def __init__(self, ttl: float = 30.0, max_entries: int = 65536, clock=time.monotonic):
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Key, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: Key) -> bytes | None:
        """None if the request is new (now marked pending); else the cached reply, or PENDING."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            entry = self._entries.get(key)
            if entry is not None:
                return entry[1]
            self._entries[key] = (now, PENDING)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
            return None

    def answer(self, key: Key, reply: bytes) -> None:
        """Remember the reply sent for a request."""
        with self._lock:
            if key in self._entries:
                self._entries[key] = (self._entries[key][0], reply)

    def forget(self, key: Key) -> None:
        """A request that got no answer (dropped): its retransmission is processed afresh."""
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _expire(self, now: float) -> None:
        while self._entries:
            key, (stamp, _) = next(iter(self._entries.items()))
            if now - stamp < self._ttl:
                break
            del self._entries[key]
