"""nhigate's own JSON report: everything in the scan, in a stable, documented shape."""

from __future__ import annotations

from typing import Any

from nhigate import __version__
from nhigate.engine import ScanResult
from nhigate.findings import Finding, path_text
from nhigate.gate import Gate

REPORT_VERSION = 1


def finding_data(finding: Finding, scan: ScanResult) -> dict[str, Any]:
    check = scan.catalog[finding.rule_id]
    data: dict[str, Any] = {
        "rule_id": finding.rule_id,
        "rule_name": check.name,
        "title": check.title,
        "family": check.family,
        "severity": finding.severity,
        "message": finding.message,
        "file": finding.file,
        "line": finding.span.line,
        "column": finding.span.column,
        "end_line": finding.span.end_line,
        "end_column": finding.span.end_column,
        "resource": finding.address,
        "resource_type": finding.resource_type,
        "attribute": path_text(finding.path),
        "fingerprint": finding.fingerprint,
        "agentic": finding.agentic,
        "frameworks": [f"{fw}/{cid}" for fw, cid in check.framework_pairs(agentic=finding.agentic)],
        "suppression": finding.suppression,
        "baseline_state": finding.baseline_state,
    }
    if finding.related:
        data["related"] = [{"file": r.file, "line": r.span.line, "message": r.message} for r in finding.related]
    return data


def build_json(scan: ScanResult, gate: Gate) -> dict[str, Any]:
    by_severity: dict[str, int] = {}
    by_family: dict[str, int] = {}
    for finding in scan.findings:
        by_severity[finding.severity] = by_severity.get(finding.severity, 0) + 1
        family = scan.catalog[finding.rule_id].family
        by_family[family] = by_family.get(family, 0) + 1
    return {
        "version": REPORT_VERSION,
        "tool": {"name": "nhigate", "version": __version__},
        "summary": {
            "files": len(scan.files),
            "files_scanned": sum(1 for f in scan.files if f.status == "scanned"),
            "files_failed": sum(1 for f in scan.files if f.status == "failed"),
            "resources_checked": scan.resources_checked,
            "findings": len(scan.findings),
            "suppressed": sum(1 for f in scan.findings if f.suppression is not None),
            "new": sum(1 for f in scan.findings if f.baseline_state == "new"),
            "fixed": len(scan.fixed),
            "by_severity": dict(sorted(by_severity.items())),
            "by_family": dict(sorted(by_family.items())),
            "fail_on": gate.fail_on,
            "gate": "failed" if gate.failed else "passed",
        },
        "findings": [finding_data(f, scan) for f in scan.findings],
        "fixed": scan.fixed,
        "files": [
            {"path": f.path, "format": f.format, "status": f.status, **({"error": f.error} if f.error else {})}
            for f in sorted(scan.files, key=lambda f: f.path)
        ],
        "notifications": [
            {"level": n.level, "message": n.message, "file": n.file, "line": n.line, "rule_id": n.rule_id}
            for n in scan.notifications
        ],
    }
