"""A small value read from the database at most every few seconds per process.

The portal's hottest paths need a few rows that admins change rarely (the access
points, the free plan). Reading them on every request costs a query each; keeping
them for a few seconds (`radius_client_reload_seconds`, as the RADIUS server does
for its clients) saves that, while an admin's change still shows up quickly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


class Reloading(Generic[T]):
    """`load(db)`'s answer, kept for `ttl` seconds; what it returns must be detached, read-only data."""

    def __init__(self, session_factory: sessionmaker[Session], load: Callable[[Session], T], ttl: float):
        self._session_factory = session_factory
        self._load = load
        self._ttl = ttl
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at: float | None = None

    def get(self) -> T:
        with self._lock:
            if self._loaded_at is None or time.monotonic() - self._loaded_at >= self._ttl:
                with self._session_factory() as db:
                    self._value = self._load(db)
                self._loaded_at = time.monotonic()
            return self._value
