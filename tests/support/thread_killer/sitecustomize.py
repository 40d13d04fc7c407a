"""Loaded by a `hotspot radius` that a fault test starts with this folder on PYTHONPATH.

SIGUSR2 makes the thread named by HOTSPOT_TEST_KILL_THREAD raise SystemExit, as
any unforeseen failure would end it, so the test can watch the supervisor
notice. A signal from the test, not gdb: gdb cannot call into a process on
CPUs with AMX state (its register write fails with "Bad address"). Forked
workers inherit the handler; the daemon installs none for SIGUSR2.
"""

import ctypes
import os
import signal
import threading


def _end_named_thread(_signum, _frame) -> None:
    name = os.environ.get("HOTSPOT_TEST_KILL_THREAD")
    for thread in threading.enumerate():
        if thread.name == name:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(thread.ident), ctypes.py_object(SystemExit)
            )


if os.environ.get("HOTSPOT_TEST_KILL_THREAD"):
    signal.signal(signal.SIGUSR2, _end_named_thread)
