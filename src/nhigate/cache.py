"""The user cache directory and safe, atomic cache files.

Everything cached is keyed by a content hash and is only ever an optimisation: a missing,
unreadable or corrupted entry is ignored and rebuilt, never trusted.  Writes go to a temporary
file and are renamed into place, so concurrent runs cannot see half-written entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from nhigate import __version__


def cache_root() -> Path:
    """``$NHIGATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/nhigate``, else ``~/.cache/nhigate``."""
    explicit = os.environ.get("NHIGATE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nhigate"


def content_key(*parts: bytes) -> str:
    digest = hashlib.sha256(__version__.encode())
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def read_json(name: str) -> Any | None:
    try:
        with open(cache_root() / name, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def write_json(name: str, data: Any) -> None:
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, root / name)
    except OSError:
        pass  # a read-only home or full disk only costs speed
