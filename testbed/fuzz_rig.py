"""A RADIUS worker's packet path without sockets, for fuzzing: handler, accounting batcher, a canary session.

`Rig.feed` screens hostile datagrams, authenticates or commits whatever gets
through (the real `Handler.decide_auth` and `Batcher.process`), then proves
that a valid Accounting-Request and a valid Status-Server are still answered
correctly. Used by tests/fuzz/test_packet_fuzz.py (hypothesis) and
bench/fuzz_radius.py (atheris).
"""

from __future__ import annotations

import os

from pyrad import packet as pyrad_packet
from sqlalchemy import event, func, select

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.db import make_engine, make_session_factory
from hotspot.models import Base, RadiusSession, Voucher
from hotspot.services.nas import NasSpec, add_nas
from hotspot.services.plans import PlanSpec, add_plan
from hotspot.settings import Settings
from radius.authlog import write_events
from radius.batcher import Batcher
from radius.clients import ClientTable
from radius.handler import AcctJob, AuthJob, Drop, Handler, Reply
from radius.journal import Journal
from radius.metrics import Metrics
from testbed.hostile_packets import SECRET, STATUS_SERVER, assemble
from testbed.radius_packets import DICTIONARY, access_request, accounting_request, decode_reply

VOUCHER = "VOUCHER23"


def _no_commit_flush(dbapi_connection, _record) -> None:
    """Fuzzing needs commits, not their durability: PostgreSQL may answer before the WAL flush."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    dbapi_connection.commit()


class Rig:
    """A handler and an accounting batcher on a real database, as one worker has them, with a canary
    session."""

    def __init__(self, directory, url: str):
        settings_ = Settings().with_overrides(database_url=url, secret_key="fuzz-key", var_dir=str(directory))
        self.engine = make_engine(settings_)
        if self.engine.dialect.name == "postgresql":
            event.listen(self.engine, "connect", _no_commit_flush)
        Base.metadata.create_all(self.engine)
        box = SecretBox(settings_.secret_key)
        with make_session_factory(self.engine)() as db:
            add_nas(db, box, NasSpec("generic", "127.0.0.1", SECRET.decode()))
            add_nas(
                db,
                box,
                NasSpec(
                    "strict",
                    "127.0.0.4",
                    SECRET.decode(),
                    vendor="mikrotik",
                    require_message_authenticator=True,
                ),
            )
            plan = add_plan(
                db, PlanSpec("Acara", daily_minutes=600, valid_days=3, down_kbps=512, up_kbps=256)
            )
            db.add(Voucher(code=VOUCHER, plan_id=plan.id, batch="fuzz"))
            db.commit()
        self.handler = Handler(
            self.engine,
            ClientTable(self.engine, box, 3600),
            DICTIONARY,
            Metrics(),
            settings_.timezone,
            self._log_auth,
        )
        self.journal = Journal(directory / "journal", 0)
        self.answered: list[AcctJob] = []
        self.batcher = Batcher(
            self.engine,
            self.journal,
            self.handler.metrics,
            batch_max=200,
            wait_ms=5,
            stale_grace=120,
            answer=self._answer,
            drop=self._drop,
            unanswered=self._unanswered,
        )
        self.canary_time = 0

    def _answer(self, job: AcctJob) -> None:
        self.handler.duplicates.answer(job.key, job.reply)
        self.answered.append(job)

    def _log_auth(self, event: dict) -> None:
        """The auth-log thread's write, done at once: hostile User-Names must fit the AuthEvent table too."""
        with self.engine.begin() as conn:
            write_events(conn, [event])

    def _drop(self, job: AcctJob, reason: str) -> None:
        self.handler.drop(reason, (job.key[0], job.key[1]), key=job.key)

    def _unanswered(self, jobs: list[AcctJob], reason: str) -> None:
        for job in jobs:
            self._drop(job, reason)

    def feed(self, datagrams: list[tuple[bytes, str, int]], port: str) -> None:
        """Screen and process hostile datagrams, then prove a valid packet of each kind is still served."""
        now = utcnow()
        jobs, auth_jobs = [], []
        for raw, source, source_port in datagrams:
            outcome = self.handler.screen(raw, (source, source_port), port, now)
            assert isinstance(outcome, (Drop, Reply, AuthJob, AcctJob))
            if isinstance(outcome, AuthJob):
                auth_jobs.append(outcome)
            elif isinstance(outcome, AcctJob):
                jobs.append(outcome)
        if auth_jobs:  # decided together, as the server decides whatever is queued
            outcomes = self.handler.decide_auth(auth_jobs, now)
            assert len(outcomes) == len(auth_jobs) and all(isinstance(o, (Reply, Drop)) for o in outcomes)
        self.canary_time += 1
        canary = accounting_request(
            SECRET,
            "Interim-Update",
            "canary",
            "canary-user",
            identifier=self.canary_time % 256,
            Acct_Session_Time=self.canary_time,
        )
        job = self.handler.screen(canary, ("127.0.0.1", 1), "acct", now)
        assert isinstance(job, AcctJob), job
        self.answered.clear()
        self.batcher.process(jobs + [job])
        assert job in self.answered
        assert decode_reply(job.reply, SECRET, canary).code == pyrad_packet.AccountingResponse
        status = assemble(STATUS_SERVER, self.canary_time % 256, os.urandom(16), b"", signed=True)
        reply = self.handler.screen(status, ("127.0.0.1", 2), port, now)
        assert isinstance(reply, Reply) and decode_reply(reply.data, SECRET, status).code in (
            pyrad_packet.AccessAccept,
            pyrad_packet.AccountingResponse,
        )

    def voucher_still_accepted(self) -> None:
        request = access_request(SECRET, VOUCHER.lower(), VOUCHER.lower(), signed=True, identifier=99)
        job = self.handler.screen(request, ("127.0.0.1", 3), "auth", utcnow())
        assert isinstance(job, AuthJob), job
        [reply] = self.handler.decide_auth([job], utcnow())
        assert isinstance(reply, Reply)
        decoded = decode_reply(reply.data, SECRET, request)
        assert decoded.code == pyrad_packet.AccessAccept
        assert decoded["WISPr-Bandwidth-Max-Down"] == [512_000]
        self.handler.duplicates.forget(job.key)

    def canary_stored(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            return tuple(
                conn.execute(
                    select(func.count(), func.max(RadiusSession.session_time)).where(
                        RadiusSession.acct_session_id == "canary"
                    )
                ).one()
            )

    def close(self) -> None:
        self.journal.close()
        self.engine.dispose()
