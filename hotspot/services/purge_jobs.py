"""The retention purge started from the console runs as a background job, so that a large purge cannot
time out the page (gunicorn gives a request 30 seconds); the job's row holds its progress for the page.

One job at a time: a second start while one runs is refused. A job whose process died (a worker restart)
stops being "running" once it has made no progress for STALLED_MINUTES, so a new one can start.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from hotspot.clock import utcnow
from hotspot.db import make_session_factory
from hotspot.models import PurgeJob
from hotspot.services import retention
from hotspot.validation import ValidationError

log = logging.getLogger(__name__)
STALLED_MINUTES = 10


class AlreadyRunning(ValidationError):
    """One purge at a time."""


def running_job(db: Session, now: datetime) -> PurgeJob | None:
    """The job still at work, if any (a job silent for STALLED_MINUTES is taken as dead)."""
    job = latest_job(db)
    if job is None or job.status != "running":
        return None
    if job.updated_at <= now - timedelta(minutes=STALLED_MINUTES):
        return None
    return job


def latest_job(db: Session) -> PurgeJob | None:
    return db.scalar(select(PurgeJob).order_by(PurgeJob.id.desc()).limit(1))


def start(engine: Engine, secret_key: str, older_than_days: int, actor: str, now: datetime) -> int:
    """Record a new job and run it in a thread of this process; returns the job's id."""
    factory = make_session_factory(engine)
    with factory() as db:
        if running_job(db, now) is not None:
            raise AlreadyRunning("a purge is already running")
        job = PurgeJob(
            actor=actor,
            older_than_days=older_than_days,
            started_at=now,
            updated_at=now,
            status="running",
            progress="{}",
        )
        db.add(job)
        db.commit()
        job_id = job.id
    threading.Thread(
        target=_run,
        args=(factory, job_id, secret_key, older_than_days, actor, now),
        name=f"purge-{job_id}",
        daemon=True,
    ).start()
    return job_id


def wait(db: Session, job_id: int, seconds: float) -> None:
    """Wait up to `seconds` for the job to end (a small purge is then done before the page answers)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.expire_all()
        if db.get(PurgeJob, job_id).status != "running":
            return
        db.rollback()
        time.sleep(0.1)


def _run(factory, job_id: int, secret_key: str, older_than_days: int, actor: str, now: datetime) -> None:
    with factory() as db, factory() as progress_db:

        def report(result: retention.PurgeResult) -> None:
            _set(progress_db, job_id, progress=json.dumps(result.rows), updated_at=utcnow())

        try:
            result = retention.purge(db, secret_key, older_than_days, now, actor=actor, on_progress=report)
        except Exception as exc:  # whatever broke, the page must stop saying "running"
            db.rollback()
            log.exception("purge job %s failed", job_id)
            _set(
                progress_db,
                job_id,
                status="failed",
                error=f"{exc.__class__.__name__}: {exc}"[:255],
                finished_at=utcnow(),
                updated_at=utcnow(),
            )
            return
        _set(
            progress_db,
            job_id,
            status="done",
            progress=json.dumps(result.rows),
            finished_at=utcnow(),
            updated_at=utcnow(),
        )


def _set(db: Session, job_id: int, **values) -> None:
    db.execute(update(PurgeJob).where(PurgeJob.id == job_id).values(**values))
    db.commit()


def rows(job: PurgeJob) -> dict[str, int]:
    """Rows the job anonymised or deleted so far, per table (every table named, zero when untouched)."""
    return {**retention.PurgeResult().rows, **json.loads(job.progress or "{}")}
