"""A content-addressed cache of parsed files, so a warm scan skips parsing.

Key: SHA-256 of nhigate's version, the parser versions, the file's display path and its bytes —
any change to any of them is a miss.  Entries are pickles of nhigate's own model (the parser's
raw trees are never kept), written to a temporary file and renamed into place so concurrent runs
never read half an entry, and read with an unpickler that only accepts nhigate's model classes
and plain builtins: a corrupted or tampered entry fails to load and is ignored, never trusted or
executed.  The cache is bounded (oldest entries pruned past ``MAX_CACHE_BYTES``).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from nhigate import __version__
from nhigate.cache import cache_root
from nhigate.model import ParsedFile, load_model

MAX_CACHE_BYTES = 512 * 1024 * 1024
# The modules whose code shapes or produces cached objects; their source is part of the key.
_PRODUCING_MODULES = (
    "model.py",
    "parsers/__init__.py",
    "parsers/hcl.py",
    "parsers/hcl_ts.py",
    "parsers/hclast.py",
    "parsers/located.py",
    "parsers/locdata.py",
    "parsers/cfn.py",
    "parsers/plan.py",
    "parsers/terraform.py",
    "secret_hint.py",
    "secrets.py",
    "checks/hardcoded.py",
    "findings.py",
)


@functools.lru_cache(maxsize=1)
def parser_versions() -> str:
    """Parser library versions and a hash of nhigate's model and parser modules: a change to the
    shape of cached objects or to how they are produced can never be served stale."""
    from importlib import metadata

    package = Path(__file__).resolve().parent
    sources = hashlib.sha256()
    for module in (package / name for name in _PRODUCING_MODULES):
        try:
            sources.update(module.read_bytes())
        except OSError:
            sources.update(module.name.encode())
    parts = [f"code={sources.hexdigest()[:16]}"]
    for distribution in ("python-hcl2", "PyYAML", "tree-sitter", "tree-sitter-hcl"):
        try:
            parts.append(f"{distribution}={metadata.version(distribution)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{distribution}=-")
    return ";".join(parts)


class ParseCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or cache_root()) / "parse"

    def key(self, display: str, data: bytes) -> str:
        digest = hashlib.sha256()
        for part in (__version__, parser_versions(), display):
            digest.update(part.encode("utf-8") + b"\0")
        digest.update(data)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pickle"

    def get(self, key: str, display: str) -> ParsedFile | None:
        try:
            with open(self._path(key), "rb") as handle:
                loaded = load_model(handle.read())
        except FileNotFoundError:
            return None
        except Exception:  # corrupted, truncated or tampered: a miss, never an error
            return None
        if isinstance(loaded, ParsedFile) and loaded.path == display:
            return loaded
        return None

    def put(self, key: str, parsed: ParsedFile) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(parsed, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except (OSError, pickle.PicklingError, RecursionError):
            pass  # an unwritable cache only costs speed

    def prune(self, limit: int = MAX_CACHE_BYTES) -> None:
        """Delete the least recently written entries until the cache fits in ``limit`` bytes."""
        entries: list[tuple[float, int, str]] = []
        try:
            with os.scandir(self.root) as shards:
                for shard in shards:
                    if not shard.is_dir(follow_symlinks=False):
                        continue
                    with os.scandir(shard.path) as files:
                        for entry in files:
                            if entry.name.endswith(".pickle"):
                                info = entry.stat(follow_symlinks=False)
                                entries.append((info.st_mtime, info.st_size, entry.path))
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        if total <= limit:
            return
        for _, size, path in sorted(entries):
            if total <= limit:
                break
            try:
                os.unlink(path)
                total -= size
            except OSError:
                pass
