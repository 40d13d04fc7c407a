"""Which access point (radio) each RADIUS packet came through, as AccessPoint row ids.

A radio is its NAS plus `validation.radio_of(Called-Station-Id)` ("" when the router names none: the
NAS as a whole). A radio heard for the first time gets its row inside the packet's own transaction
(INSERT ... ON CONFLICT DO NOTHING, so two workers meeting it at once agree), and is remembered by
this thread only once that transaction has committed (`committed`): a rolled-back batch leaves nothing
remembered that the database does not hold. Known radios cost a dict lookup, and `last_seen_at` is written at
most once a minute per radio, like the NAS's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, tuple_, update

from hotspot.db import insert_for
from hotspot.models import AccessPoint
from radius.store import NasLiveness

POINTS = AccessPoint.__table__
Radio = tuple[int, str]  # (NAS id, radio)
TOUCH = update(POINTS).where(POINTS.c.id == bindparam("b_id")).values(last_seen_at=bindparam("b_now"))


class Radios:
    """One thread's memory of the access points it has met; not shared between threads."""

    def __init__(self):
        self._ids: dict[Radio, int] = {}
        self._pending: dict[Radio, int] = {}
        self._liveness = NasLiveness()

    def resolve(self, conn: Connection, heard: Iterable[Radio], now: datetime) -> dict[Radio, int]:
        """The access point id of each radio, creating the rows of new ones, and their last heard noted.

        Call `committed` once the transaction has."""
        wanted = set(heard)
        ids = {radio: self._ids[radio] for radio in wanted if radio in self._ids}
        new = sorted(wanted - ids.keys())
        if new:
            conn.execute(
                insert_for(conn.dialect.name)(POINTS).on_conflict_do_nothing(),
                [
                    {
                        "nas_id": nas_id,
                        "radio_mac": radio,
                        "name": "",
                        "location_name": "",
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                    for nas_id, radio in new
                ],
            )
            found = conn.execute(
                select(POINTS.c.nas_id, POINTS.c.radio_mac, POINTS.c.id).where(
                    tuple_(POINTS.c.nas_id, POINTS.c.radio_mac).in_(new)
                )
            )
            ids.update({(nas_id, radio): point for nas_id, radio, point in found})
        self._pending = {radio: ids[radio] for radio in new}
        due = self._liveness.due((point, None) for point in ids.values())
        if due:
            conn.execute(TOUCH, [{"b_id": point, "b_now": now} for point in sorted(due)])
            self._liveness.noted(due)
        return ids

    def committed(self) -> None:
        self._ids.update(self._pending)
        self._pending = {}

    def forget(self) -> None:
        """After a refused transaction: every radio (one deleted meanwhile, say) is looked up again."""
        self._ids.clear()
        self._pending = {}
        self._liveness = NasLiveness()
