"""Exceptions to the gate: inline suppressions and configured ignores, each with a reason.

Inline syntax (a comment anywhere inside the Terraform block or CloudFormation resource)::

    # nhigate:ignore NHI101,NHI103 reason="vendor needs a static key" approved_by="platform" expires=2027-03-31

(``//`` works in HCL too; CloudFormation JSON uses ``Metadata: {"nhigate": {"ignore": [{"id": ...,
"reason": ..., "approved_by": ..., "expires": ...}]}}`` on the resource.)  A suppression without a
reason, with an unknown check ID or a malformed date does not apply and is itself a finding
(NHI002); one past its ``expires`` date stops applying and the finding says so; one that matches
nothing is reported (NHI003) so stale exceptions get cleaned up.  Suppressed findings are kept,
marked, in every output: an exception is recorded, never hidden.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from nhigate.config import Config
from nhigate.findings import Finding
from nhigate.model import Block, Span

_MARKER = re.compile(r"nhigate:ignore\b(.*)", re.IGNORECASE)
_RULES = re.compile(r"\s*((?:NHI\d{3})(?:\s*,\s*NHI\d{3})*)")
_PAIR = re.compile(r"""(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))""")


@dataclass
class Suppression:
    """One exception, where it is written and whether it was valid and used."""

    rules: tuple[str, ...]
    file: str
    line: int
    address: str
    kind: str  # "inSource" (a comment or resource Metadata) or "external" (configuration)
    reason: str | None = None
    approved_by: str | None = None
    expires: dt.date | None = None
    problem: str | None = None
    used: bool = False
    path_glob: str | None = None
    resource_glob: str | None = None

    def justification(self) -> str:
        parts = [self.reason or ""]
        if self.approved_by:
            parts.append(f"approved by {self.approved_by}")
        if self.expires:
            parts.append(f"expires {self.expires.isoformat()}")
        return "; ".join(p for p in parts if p)

    def record(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "justification": self.justification(),
            "reason": self.reason,
            "approved_by": self.approved_by,
            "expires": self.expires.isoformat() if self.expires else None,
            "location": f"{self.file}:{self.line}" if self.kind == "inSource" else self.file,
        }


@dataclass
class SuppressionIndex:
    inline: dict[tuple[str, str], list[Suppression]] = field(default_factory=dict)
    configured: list[Suppression] = field(default_factory=list)

    def all(self) -> list[Suppression]:
        return [s for group in self.inline.values() for s in group] + self.configured


def parse_comment(text: str) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """``NHI101,NHI102 reason="..." expires=...`` -> (rules, fields); None if not a suppression."""
    marker = _MARKER.search(text)
    if marker is None:
        return None
    rest = marker.group(1)
    rules_match = _RULES.match(rest)
    rules = tuple(r.strip().upper() for r in rules_match.group(1).split(",")) if rules_match else ()
    tail = rest[rules_match.end() :] if rules_match else rest
    fields = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _PAIR.finditer(tail)}
    return rules, fields


def _from_fields(
    rules: tuple[str, ...],
    fields: dict[str, str],
    file: str,
    line: int,
    address: str,
    kind: str,
    known_rules: set[str],
    require_approver: bool,
) -> Suppression:
    suppression = Suppression(rules, file, line, address, kind, fields.get("reason") or None, fields.get("approved_by"))
    if not rules:
        suppression.problem = 'names no check ID (write e.g. `nhigate:ignore NHI101 reason="..."`)'
    elif unknown := [r for r in rules if r not in known_rules]:
        suppression.problem = f"names unknown check ID(s) {', '.join(unknown)}"
    elif not suppression.reason:
        suppression.problem = 'has no reason; a suppression must say why (reason="...")'
    elif require_approver and not suppression.approved_by:
        suppression.problem = "has no approved_by, which this repository's configuration requires"
    if "expires" in fields:
        try:
            suppression.expires = dt.date.fromisoformat(fields["expires"])
        except ValueError:
            suppression.problem = (
                suppression.problem or f"has an invalid expires date {fields['expires']!r} (YYYY-MM-DD)"
            )
    return suppression


def collect(blocks: list[Block], config: Config, known_rules: set[str]) -> SuppressionIndex:
    """Every suppression written in the scanned blocks and the configuration."""
    index = SuppressionIndex()
    if config.inline_suppressions:
        for block in blocks:
            found: list[Suppression] = []
            for line, text in block.comments:
                parsed = parse_comment(text)
                if parsed is not None:
                    rules, fields = parsed
                    found.append(
                        _from_fields(
                            rules,
                            fields,
                            block.file,
                            line,
                            block.address,
                            "inSource",
                            known_rules,
                            config.require_approver,
                        )
                    )
            if found:
                index.inline[(block.file, block.address)] = found
    for rule in config.ignore:
        fields = {"reason": rule.reason, **({"approved_by": rule.approved_by} if rule.approved_by else {})}
        suppression = _from_fields(
            rule.rules,
            fields,
            config.source or "configuration",
            0,
            "",
            "external",
            known_rules,
            config.require_approver,
        )
        suppression.expires = rule.expires
        suppression.path_glob, suppression.resource_glob = rule.path, rule.resource
        index.configured.append(suppression)
    return index


def apply(findings: list[Finding], index: SuppressionIndex, today: dt.date) -> None:
    """Mark suppressed findings; note expired suppressions in the finding's message."""
    for finding in findings:
        candidates = list(index.inline.get((finding.file, finding.local_address), ()))
        candidates += [s for s in index.configured if _config_matches(s, finding)]
        for suppression in candidates:
            if suppression.problem is not None or finding.rule_id not in suppression.rules:
                continue
            suppression.used = True
            if suppression.expires is not None and suppression.expires < today:
                finding.message += f" (suppression expired on {suppression.expires.isoformat()})"
                continue
            finding.suppression = suppression.record()
            break


def _config_matches(suppression: Suppression, finding: Finding) -> bool:
    if suppression.path_glob is None or not fnmatch.fnmatch(finding.file, suppression.path_glob):
        return False
    return suppression.resource_glob is None or fnmatch.fnmatch(finding.address, suppression.resource_glob)


def problem_findings(index: SuppressionIndex) -> list[Finding]:
    """NHI002 for invalid inline suppressions and NHI003 for unused ones."""
    out = []
    for suppression in index.all():
        if suppression.kind != "inSource":
            continue
        span = Span.at_line(suppression.line)
        # The fingerprint names the suppressed rules, not the line, like every other finding.
        path = ("nhigate:ignore", ",".join(suppression.rules) or "-")
        if suppression.problem is not None:
            message = f"suppression {suppression.problem}; it does not apply"
            out.append(Finding("NHI002", "medium", message, suppression.file, span, suppression.address, path, ""))
        elif not suppression.used:
            message = f"suppression of {', '.join(suppression.rules)} matches no finding on this block; remove it"
            out.append(Finding("NHI003", "low", message, suppression.file, span, suppression.address, path, ""))
    return out


def unused_configured(index: SuppressionIndex) -> list[str]:
    """Messages for configured ignores that are invalid or matched nothing."""
    out = []
    for suppression in index.configured:
        where = f"{suppression.file}: ignore {suppression.path_glob} {','.join(suppression.rules)}"
        if suppression.problem is not None:
            out.append(f"{where}: {suppression.problem}")
        elif not suppression.used:
            out.append(f"{where}: matches no finding; remove it")
    return out
