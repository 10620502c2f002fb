"""Baselines: today's findings recorded so the gate fails only on new ones.

A baseline entry is identified by the finding's fingerprint — rule, file, resource address and
attribute path, never the line — so moving code or adding lines above a finding does not make it
new.  The file is versioned, sorted and free of timestamps, so it diffs cleanly in review, and
each entry has room for a justification that survives regenerating the file.  Unparsable files
(NHI001) are never baselined: a file nhigate cannot read must be fixed or excluded.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nhigate.findings import Finding, path_text

BASELINE_VERSION = 1
NOT_BASELINED = frozenset({"NHI001"})


class BaselineError(Exception):
    """A baseline file that cannot be read or has the wrong shape (exit code 2)."""


@dataclass
class Baseline:
    source: str
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    guid: str = ""


def entry_for(finding: Finding) -> dict[str, Any]:
    return {
        "fingerprint": finding.fingerprint,
        "rule_id": finding.rule_id,
        "file": finding.file,
        "resource": finding.local_address,
        "attribute": path_text(finding.path),
        "justification": "",
    }


def build(findings: list[Finding], previous: Baseline | None = None) -> dict[str, Any]:
    """The baseline document for these findings, keeping justifications already written."""
    entries: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if finding.rule_id in NOT_BASELINED or finding.suppression is not None:
            continue
        entry = entry_for(finding)
        if previous is not None and finding.fingerprint in previous.entries:
            entry["justification"] = previous.entries[finding.fingerprint].get("justification", "")
        entries[finding.fingerprint] = entry
    ordered = sorted(entries.values(), key=lambda e: (e["file"], e["rule_id"], e["resource"], e["attribute"]))
    return {"version": BASELINE_VERSION, "tool": "nhigate", "findings": ordered}


def load(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise BaselineError(f"{path}: not valid JSON") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: version: expected {BASELINE_VERSION} (a file written by `nhigate baseline`)")
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{path}: findings: expected a list")
    entries: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(findings):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError(f"{path}: findings.{index}.fingerprint: expected a string")
        entries[entry["fingerprint"]] = entry
    return Baseline(str(path), entries, str(uuid.uuid5(uuid.NAMESPACE_OID, text)))


def compare(findings: list[Finding], baseline: Baseline) -> list[dict[str, Any]]:
    """Mark findings ``unchanged`` (and suppressed, kind external) or ``new``; return fixed entries."""
    seen: set[str] = set()
    for finding in findings:
        entry = baseline.entries.get(finding.fingerprint)
        if entry is None or finding.rule_id in NOT_BASELINED:
            finding.baseline_state = "new"
            continue
        seen.add(finding.fingerprint)
        finding.baseline_state = "unchanged"
        if finding.suppression is None:
            reason = entry.get("justification") or f"recorded in baseline {baseline.source}"
            finding.suppression = {
                "kind": "external",
                "justification": reason,
                "reason": reason,
                "approved_by": entry.get("approved_by"),
                "expires": entry.get("expires"),
                "location": baseline.source,
            }
    return [entry for fp, entry in sorted(baseline.entries.items()) if fp not in seen]
