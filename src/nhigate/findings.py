"""Findings: what a check reported, where, and how it is identified across edits.

The fingerprint is a hash of (rule, file, resource address, attribute path) and deliberately not
the line, so a baseline survives code moving around (the lesson bandit and detect-secrets learnt).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from nhigate.model import AttrPath, Span


def path_text(path: AttrPath) -> str:
    """``("tags", "owner")`` -> ``tags.owner``; ``("rule", 0, "x")`` -> ``rule[0].x``."""
    out = ""
    for element in path:
        out += f"[{element}]" if isinstance(element, int) else (f".{element}" if out else element)
    return out


def fingerprint(rule_id: str, file: str, address: str, path: AttrPath) -> str:
    material = "\x1f".join((rule_id, file, address, path_text(path)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Violation:
    """What a check returns: the attribute path that is wrong and a message about it.

    ``severity`` overrides the check's default when one case is worse than the other (an
    access key whose secret lands in state unencrypted).  ``agentic`` marks a finding about an AI
    resource or a model-API credential, which adds the agentic framework mappings.
    """

    path: AttrPath
    message: str
    severity: str | None = None
    agentic: bool = False


@dataclass(frozen=True, slots=True)
class Location:
    file: str
    span: Span
    message: str = ""


@dataclass(frozen=True)
class ProjectViolation:
    """What a project-wide check returns: the block the finding is reported on, the attribute
    path, the message, and the other places involved (consumers, environments)."""

    view: Any
    path: AttrPath
    message: str
    related: tuple[Location, ...] = ()
    severity: str | None = None
    agentic: bool = False


@dataclass
class Finding:
    rule_id: str
    severity: str
    message: str
    file: str
    span: Span
    address: str
    path: AttrPath
    resource_type: str
    agentic: bool = False
    related: list[Location] = field(default_factory=list)
    fingerprint: str = ""
    suppression: dict[str, Any] | None = None
    local_address: str = ""
    """The block's address inside its own module (``address`` adds ``module.x.`` for instances)."""
    baseline_state: str | None = None
    """``new`` or ``unchanged`` when the scan compares against a baseline or a git ref."""
    instances: set[str] = field(default_factory=set, compare=False, repr=False)
    """Every address (module instance) the violation was found on; ``address`` is the first.
    Reports show one finding per block; the inventory lists it on each of these."""

    def __post_init__(self) -> None:
        if not self.local_address:
            self.local_address = self.address
        if not self.fingerprint:
            self.fingerprint = fingerprint(self.rule_id, self.file, self.local_address, self.path)
        self.instances.add(self.address)

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        return (self.file, self.span.line, self.span.column, self.rule_id, self.address, path_text(self.path))
