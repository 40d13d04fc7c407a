"""Long coverage-guided fuzzing of the RADIUS packet path with atheris (libFuzzer), for hours, not for CI.

Each input becomes one datagram (testbed/hostile_packets.py: raw, mutated
or built and signed from the input's bytes), from a known router, a strict one
or a stranger, on the auth or the accounting port; it goes through
`Handler.screen`, then `Handler.decide_auth` or the accounting
`Batcher.process` on a SQLite database, and a valid accounting packet and a
Status-Server must still be answered after it (testbed/fuzz_rig.py). Any
exception is a crash that libFuzzer reports with the input that caused it.
atheris is installed into the virtualenv on the first run.

    .venv/bin/python bench/fuzz_radius.py -runs=1000000       # libFuzzer options pass through
    .venv/bin/python bench/fuzz_radius.py -max_total_time=3600 corpus/
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

from prerequisites import missing_python

SOURCES = ("127.0.0.1", "127.0.0.4", "127.0.0.9")
PORTS = ("auth", "acct")


def main() -> int:
    if problem := missing_python("atheris", "atheris"):
        print(problem, file=sys.stderr)
        return 2
    import atheris

    # The script's directory comes first on sys.path, and its radius.py (the RADIUS benchmark) would
    # hide the server's radius package.
    sys.path.remove(str(Path(__file__).resolve().parent))
    # Imported under instrumentation, so that libFuzzer sees coverage of the server's code.
    with atheris.instrument_imports(include=["radius", "pyrad", "hotspot"]):
        from testbed.fuzz_rig import Rig
        from testbed.hostile_packets import datagram

    logging.disable(logging.CRITICAL)  # every drop is logged; libFuzzer's own output is what matters here
    workdir = Path(tempfile.mkdtemp(prefix="hotspot-fuzz-"))
    rig = Rig(workdir, f"sqlite:///{workdir / 'fuzz.db'}")

    def one_input(data: bytes) -> None:
        if len(data) < 2:
            return
        port = PORTS[data[0] & 1]
        rig.feed([(datagram(data[2:], port), SOURCES[data[1] % 3], 1024 + data[1])], port)

    for corpus in (Path(arg) for arg in sys.argv[1:] if not arg.startswith("-")):
        if not corpus.exists():  # libFuzzer keeps new inputs in a corpus directory but will not create one
            corpus.mkdir(parents=True)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
