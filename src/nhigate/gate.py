"""The gate decision: which findings fail the run, given ``--fail-on``."""

from __future__ import annotations

from dataclasses import dataclass

from nhigate.catalog import SEVERITIES
from nhigate.findings import Finding

FAIL_ON_CHOICES = (*SEVERITIES, "never")


@dataclass(frozen=True)
class Gate:
    fail_on: str
    failing: tuple[Finding, ...]
    engine_errors: int = 0
    """Checks that crashed on some block: what they would have said is unknown, so the gate fails."""

    @property
    def failed(self) -> bool:
        return bool(self.failing) or self.engine_errors > 0


def evaluate_gate(findings: list[Finding], fail_on: str, engine_errors: int = 0) -> Gate:
    """Unsuppressed findings at or above ``fail_on`` fail the gate; so does any unparsable file
    (NHI001), whatever its severity, and any engine fault, unless ``fail_on`` is ``never``
    (report-only runs)."""
    if fail_on == "never":
        return Gate(fail_on, ())
    threshold = SEVERITIES.index(fail_on)
    failing = tuple(
        f
        for f in findings
        if f.suppression is None and (f.rule_id == "NHI001" or SEVERITIES.index(f.severity) <= threshold)
    )
    return Gate(fail_on, failing, engine_errors)
