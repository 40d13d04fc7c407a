"""`kill -9` of a gunicorn worker while citizens load the splash page: gunicorn replaces it, nobody sees a
5xx.

Four client threads request the MikroTik splash page back to back (a new
connection each time). At most the requests in flight on the killed worker
at the moment of the kill may fail (a reset connection); every other request
is a 200 with the hotspot's name on it.
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from dataclasses import dataclass

import pytest

from testbed.helpers import child_pids, gunicorn_master, wait_for
from testbed.servers import portal_server
from tests.support.splash import add_city

SPLASH = "/?mac=02:00:00:00:00:09&link-login-only=http://10.5.50.1/login&identity=taman-tirosa"
CLIENTS = 4


@dataclass
class Outcome:
    started: float
    ended: float
    status: int | None
    error: str = ""


def citizen(port: int, stop: threading.Event, outcomes: list[Outcome]) -> None:
    while not stop.is_set():
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", SPLASH, headers={"Connection": "close"})
            response = connection.getresponse()
            body = response.read()
            ok = response.status != 200 or b"Taman Tirosa" in body
            outcomes.append(Outcome(started, time.monotonic(), response.status, "" if ok else "wrong page"))
        except (OSError, http.client.HTTPException) as exc:  # a response cut off by the kill is in flight too
            outcomes.append(Outcome(started, time.monotonic(), None, repr(exc)))
        finally:
            connection.close()


@pytest.mark.slow
def test_killed_portal_worker_is_replaced_and_no_citizen_sees_an_error(db, settings, engine, tmp_path):
    add_city(db, settings)
    with portal_server(settings, tmp_path / "portal.log", workers=2) as url:
        master = gunicorn_master()
        workers = wait_for(lambda: len(child_pids(master)) == 2 and child_pids(master), what="two workers")
        stop, outcomes = threading.Event(), []
        threads = [
            threading.Thread(target=citizen, args=(int(url.rsplit(":", 1)[1]), stop, outcomes))
            for _ in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2)
            killed_at = time.monotonic()
            os.kill(workers[0], signal.SIGKILL)
            replaced = wait_for(
                lambda: (
                    len(child_pids(master)) == 2
                    and workers[0] not in child_pids(master)
                    and child_pids(master)
                ),
                timeout=20,
                what="gunicorn to replace the worker",
            )
            time.sleep(2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(15)

    assert workers[1] in replaced
    errors = [o for o in outcomes if o.status is None or o.error]
    server_errors = [o for o in outcomes if o.status is not None and o.status >= 500]
    assert server_errors == []
    assert len(errors) <= CLIENTS
    assert all(o.started <= killed_at <= o.ended for o in errors), errors
    assert all(o.status == 200 for o in outcomes if o not in errors)
    after = [o for o in outcomes if o.started > killed_at + 0.5]
    assert len(after) > 20 and all(o.status == 200 for o in after)
    assert len(outcomes) > 100
