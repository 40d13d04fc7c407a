"""The RADIUS dictionary (attribute names, codes and types) pyrad decodes and encodes with.

Loaded once per worker from the project's own files in config/dictionary/, so
that every attribute the routers send or expect has one name in the code.
"""

from __future__ import annotations

from pathlib import Path

from pyrad.dictionary import Dictionary

ROOT_FILE = "dictionary"


def load_dictionary(directory: str | Path) -> Dictionary:
    """Read the root dictionary file (which includes the RFC and vendor files) from `directory`."""
    path = Path(directory) / ROOT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"RADIUS dictionary not found: {path}")
    return Dictionary(str(path))
