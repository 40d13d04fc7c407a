"""Files that hold personal data or secrets are readable by the service's own user only.

The SQLite database (and its -wal and -shm files, which SQLite creates with the database file's mode),
backups, the RADIUS journal and the generated secret key are created 0600 whatever the umask, so that
another local user or a web server sharing the machine cannot read phone numbers and MACs.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm")


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 when missing, or take group and other access away when present."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
    except FileExistsError:
        os.chmod(path, PRIVATE_MODE)
    return path


def private_sqlite(path: Path) -> Path:
    """The database file made private, and its WAL companions too when an older install left them open."""
    private_file(path)
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.chmod(companion, PRIVATE_MODE)
    return path
