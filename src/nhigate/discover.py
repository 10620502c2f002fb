"""Find the files to scan under the given paths.

Skips ``.terraform/``, ``.git/`` and configured excludes; follows no directory symlinks (so a
symlink loop cannot make the walk run forever) and reports every candidate exactly once, in a
stable order, with its display path relative to the working directory.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from nhigate.parsers import classify

ALWAYS_SKIPPED_DIRS = frozenset({".terraform", ".git", ".terragrunt-cache", "node_modules", ".venv", "__pycache__"})


@dataclass(frozen=True, order=True)
class Candidate:
    display: str
    path: Path


def display_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory with ``/`` separators, absolute if outside it."""
    absolute = os.path.abspath(path)
    base = str(cwd)
    if absolute.startswith(base.rstrip(os.sep) + os.sep):
        return absolute[len(base.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
    rel = os.path.relpath(absolute, base)
    return rel.replace(os.sep, "/") if not rel.startswith("..") else absolute.replace(os.sep, "/")


def is_excluded(display: str, patterns: tuple[str, ...]) -> bool:
    parts = display.split("/")
    for pattern in patterns:
        if fnmatch.fnmatch(display, pattern) or any(fnmatch.fnmatch(p, pattern) for p in parts):
            return True
    return False


def discover(
    paths: list[Path], excludes: tuple[str, ...] = (), cwd: Path | None = None
) -> tuple[list[Candidate], list[str]]:
    """Candidates to parse, and problems with the given paths (missing path)."""
    base = Path(os.path.abspath(cwd or Path.cwd()))
    found: dict[str, Candidate] = {}
    problems: list[str] = []
    for root in paths:
        if not root.exists():
            problems.append(f"{root}: no such file or directory")
            continue
        if root.is_file():
            display = display_path(root, base)
            if classify(display) is not None and not is_excluded(display, excludes):
                found.setdefault(display, Candidate(display, root))
            continue
        for directory, dirnames, filenames in os.walk(root, followlinks=False):
            # One display path per directory; its entries only append their names.
            here = display_path(Path(directory), base)
            prefix = "" if here == "." else here + "/"
            dirnames[:] = sorted(
                d for d in dirnames if d not in ALWAYS_SKIPPED_DIRS and not is_excluded(prefix + d, excludes)
            )
            for filename in sorted(filenames):
                display = prefix + filename
                if classify(display) is None or is_excluded(display, excludes):
                    continue
                found.setdefault(display, Candidate(display, Path(directory, filename)))
    return sorted(found.values()), problems
