"""The security-framework control catalog nhigate maps its findings to.

Read from ``nhigate/data/frameworks.json``, which ``tools/build_frameworks.py`` generates from the
shared ``frameworks/controls.yaml`` (IDs and titles exactly as published) and
``frameworks/mapping.md`` (family -> control mapping).  Used for SARIF ``runs[].taxonomies``,
rule tags (``owasp-nhi/NHI7:2025``) and ``nhigate explain``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

FAMILIES = (
    "long-lived-credential",
    "hardcoded-secret",
    "shared-identity",
    "missing-owner",
    "missing-rotation",
    "cross-environment-reuse",
)

Pair = tuple[str, str]


@dataclass(frozen=True)
class Control:
    """One control (taxon) of a framework; ``id`` and ``title`` exactly as the framework writes them."""

    framework: str
    id: str
    title: str
    url: str | None
    summary: str


@dataclass(frozen=True)
class Framework:
    """One framework (SARIF taxonomy).  For CIS benchmarks ``version`` is the pinned version."""

    key: str
    name: str
    version: str | None
    url: str | None
    guid: str
    controls: dict[str, Control]


@dataclass(frozen=True)
class FamilyMapping:
    """A finding family's controls as ``(framework_key, control_id)`` pairs.

    ``primary``: emit on every finding of the family; ``secondary``: when the specific sub-case
    applies; ``agentic``: only for AI-agent resources and model-API credentials.
    """

    primary: tuple[Pair, ...]
    secondary: tuple[Pair, ...]
    agentic: tuple[Pair, ...]


@functools.lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    text = resources.files("nhigate").joinpath("data", "frameworks.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@functools.lru_cache(maxsize=1)
def frameworks() -> dict[str, Framework]:
    """Every framework by key, in catalog order (the order of SARIF taxonomies)."""
    out: dict[str, Framework] = {}
    for entry in _document()["frameworks"]:
        key = str(entry["key"])
        controls = {
            str(c["id"]): Control(
                framework=key,
                id=str(c["id"]),
                title=str(c["title"]),
                url=c["url"],
                summary=str(c["summary"]),
            )
            for c in entry["controls"]
        }
        out[key] = Framework(
            key=key,
            name=str(entry["name"]),
            version=entry["version"],
            url=entry["url"],
            guid=str(entry["guid"]),
            controls=controls,
        )
    return out


def framework(framework_key: str) -> Framework:
    """One framework; :class:`KeyError` naming the known keys if there is no such framework."""
    catalog = frameworks()
    try:
        return catalog[framework_key]
    except KeyError:
        raise KeyError(f"unknown framework {framework_key!r} (known: {', '.join(catalog)})") from None


def control(framework_key: str, control_id: str) -> Control:
    """One control; :class:`KeyError` with a clear message if the framework or control is unknown."""
    fw = framework(framework_key)
    try:
        return fw.controls[control_id]
    except KeyError:
        raise KeyError(
            f"unknown control {control_id!r} in framework {framework_key!r} "
            f"({fw.name}{' ' + fw.version if fw.version else ''}; known: {', '.join(fw.controls)})"
        ) from None


def _pairs(raw: list[list[str]]) -> tuple[Pair, ...]:
    return tuple((str(fw), str(cid)) for fw, cid in raw)


@functools.lru_cache(maxsize=16)
def family_controls(family: str) -> FamilyMapping:
    """The mapping for one finding family; :class:`KeyError` if the family is unknown."""
    families = _document()["families"]
    if family not in families:
        raise KeyError(f"unknown finding family {family!r} (known: {', '.join(FAMILIES)})")
    entry = families[family]
    return FamilyMapping(
        primary=_pairs(entry["primary"]),
        secondary=_pairs(entry["secondary"]),
        agentic=_pairs(entry["agentic"]),
    )


def tag_for(framework_key: str, control_id: str) -> str:
    """The SARIF tag for a control, e.g. ``owasp-nhi/NHI7:2025``; :class:`KeyError` if unknown."""
    found = control(framework_key, control_id)
    return f"{found.framework}/{found.id}"
