"""Shard results: a scan split over machines, merged back into one analysis.

``nhigate scan PATH --shard K/N`` parses only the K-th of N parts of the estate (split by
directory, so a root module stays in one part) and writes what it parsed to a shard file;
``nhigate merge`` loads every part and runs the analysis — module instantiation, every check and
the project-wide checks — over the union, so the merged result equals a single scan.  Shard files
hold nhigate's model only and are read with the same restricted unpickler as the parse cache.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from nhigate import __version__
from nhigate.engine import Parsed
from nhigate.model import ModelUnpickler

SHARD_FORMAT = "nhigate-shard/1"


class ShardError(Exception):
    """A shard file that cannot be merged (wrong format, version, or an incomplete set)."""


def parse_spec(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4)."""
    try:
        number, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ShardError(f"--shard: expected K/N such as 1/4, got {text!r}") from None
    if not 1 <= number <= count:
        raise ShardError(f"--shard: K must be between 1 and N, got {text!r}")
    return number, count


def write(path: Path, parsed: Parsed, shard: tuple[int, int]) -> None:
    document = {
        "format": SHARD_FORMAT,
        "nhigate": __version__,
        "shard": list(shard),
        "displays": parsed.displays,
        "results": parsed.results,
        "problems": parsed.problems,
    }
    path.write_bytes(pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL))


def _read(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ShardError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        document = ModelUnpickler(io.BytesIO(data)).load()
    except Exception:
        raise ShardError(f"{path}: not a shard result written by `nhigate scan --shard`") from None
    if not isinstance(document, dict) or document.get("format") != SHARD_FORMAT:
        raise ShardError(f"{path}: not a shard result written by `nhigate scan --shard`")
    if document.get("nhigate") != __version__:
        raise ShardError(f"{path}: written by nhigate {document.get('nhigate')}, this is {__version__}")
    return document


def merge(paths: list[Path]) -> tuple[Parsed, list[str]]:
    """The union of shard results, and warnings (missing shards)."""
    documents = [_read(p) for p in paths]
    counts = {d["shard"][1] for d in documents}
    if len(counts) != 1:
        raise ShardError(f"shard results come from different splits (N = {sorted(counts)})")
    count = counts.pop()
    present = {d["shard"][0] for d in documents}
    warnings = [
        f"shard {k}/{count} is missing: its files are not in this result"
        for k in range(1, count + 1)
        if k not in present
    ]
    merged: dict[str, Any] = {}
    problems: list[str] = []
    for document in documents:
        for display, result in zip(document["displays"], document["results"], strict=True):
            merged.setdefault(display, result)
        problems += [p for p in document["problems"] if p not in problems]
    displays = sorted(merged)
    return Parsed(displays, [merged[d] for d in displays], problems), warnings
