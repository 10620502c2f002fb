"""A short Markdown summary for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

Counts by severity and family, the findings that matter for this change (the new ones when a
baseline or base ref is used, otherwise every unsuppressed one) with file:line links, what was
fixed, and the remediation that would clear the most findings.  Links point at the blob on
GitHub when ``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and ``GITHUB_SHA`` are set (as in Actions),
else at the relative path.
"""

from __future__ import annotations

import os
from collections import Counter

from nhigate.catalog import SEVERITIES
from nhigate.engine import ScanResult
from nhigate.findings import Finding
from nhigate.gate import Gate
from nhigate.report.text import one_line_fix

MAX_ROWS = 50


def _link(finding: Finding) -> str:
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    target = f"{finding.file}#L{finding.span.line}"
    if server and repo and sha:
        target = f"{server}/{repo}/blob/{sha}/{target}"
    return f"[{finding.file}:{finding.span.line}]({target})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def build_markdown(scan: ScanResult, gate: Gate) -> str:
    active = [f for f in scan.findings if f.suppression is None]
    compared = any(f.baseline_state for f in scan.findings)
    shown = [f for f in active if f.baseline_state == "new"] if compared else active
    shown.sort(key=lambda f: (SEVERITIES.index(f.severity), f.file, f.span.line))
    status = "failed ❌" if gate.failed else "passed ✅"
    scanned = sum(1 for f in scan.files if f.status == "scanned")
    failed_files = sum(1 for f in scan.files if f.status == "failed")
    lines = [
        f"## nhigate: gate {status}",
        "",
        f"{len(active)} open finding(s)"
        + (f", {len(shown)} new" if compared else "")
        + f", {len(scan.findings) - len(active)} suppressed or baselined, {scanned} file(s) scanned"
        + (f", {failed_files} could not be parsed" if failed_files else "")
        + f" · fail-on: `{gate.fail_on}`",
        "",
    ]
    severities = Counter(f.severity for f in active)
    families = Counter(scan.catalog[f.rule_id].family for f in active)
    if active:
        lines += ["| Severity | Open |", "| --- | ---: |"]
        lines += [f"| {s} | {severities[s]} |" for s in SEVERITIES if severities[s]]
        lines += ["", "| Family | Open |", "| --- | ---: |"]
        lines += [f"| {family} | {count} |" for family, count in sorted(families.items())]
        lines.append("")
    if shown:
        title = "New findings" if compared else "Findings"
        lines += [
            f"### {title}",
            "",
            "| Severity | Rule | Location | Resource | Finding |",
            "| --- | --- | --- | --- | --- |",
        ]
        for finding in shown[:MAX_ROWS]:
            check = scan.catalog[finding.rule_id]
            lines.append(
                f"| {finding.severity} | {finding.rule_id} `{check.name}` | {_link(finding)} | "
                f"`{_cell(finding.address or '-')}` | {_cell(finding.message)} |"
            )
        if len(shown) > MAX_ROWS:
            lines.append(f"\n…and {len(shown) - MAX_ROWS} more (see the SARIF or JSON report).")
        lines.append("")
    if scan.fixed:
        lines += [f"### Fixed ({len(scan.fixed)})", ""]
        lines += [
            f"- {e.get('rule_id')} `{e.get('resource') or '-'}` in {e.get('file')}" for e in scan.fixed[:MAX_ROWS]
        ]
        lines.append("")
    if shown:
        top, count = Counter(f.rule_id for f in shown).most_common(1)[0]
        check = scan.catalog[top]
        lines += [
            "### Top remediation",
            "",
            f"**{top} {check.title}** ({count} finding(s)): {one_line_fix(check)}. "
            f"Run `nhigate explain {top}` for the before/after fix.",
            "",
        ]
    return "\n".join(lines)
