"""The project's RADIUS dictionary (config/dictionary), parsed once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pyrad.dictionary import Dictionary


@lru_cache(maxsize=4)
def load_dictionary(directory: str) -> Dictionary:
    """pyrad Dictionary from the root `dictionary` file of the given folder."""
    return Dictionary(str(Path(directory) / "dictionary"))
