"""The console report: one table per file, worst first, with the fix on one line."""

from __future__ import annotations

from typing import TextIO

from nhigate.engine import ScanResult
from nhigate.findings import path_text
from nhigate.gate import Gate
from nhigate.report.text import one_line_fix

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def render_console(scan: ScanResult, gate: Gate, stream: TextIO) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=stream, highlight=False, soft_wrap=False, width=None if stream.isatty() else 160)
    by_file: dict[str, list[int]] = {}
    for index, finding in enumerate(scan.findings):
        by_file.setdefault(finding.file, []).append(index)
    for file, indexes in by_file.items():
        table = Table(title=escape(file), title_justify="left", show_lines=True, expand=True)
        table.add_column("Line", justify="right", no_wrap=True)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Rule", no_wrap=True)
        table.add_column("Finding", overflow="fold", ratio=1)
        for index in indexes:
            finding = scan.findings[index]
            check = scan.catalog[finding.rule_id]
            where = finding.address + (f" ({path_text(finding.path)})" if finding.path else "")
            state = " [dim](suppressed)[/dim]" if finding.suppression else ""
            if finding.baseline_state == "new":
                state += " [bold]NEW[/bold]"
            message = (
                f"[bold]{escape(check.title)}[/bold]{state}\n"
                f"{escape(where or '(whole file)')}: {escape(finding.message)}\n"
                f"[dim]Fix: {escape(one_line_fix(check))}[/dim]"
            )
            table.add_row(
                str(finding.span.line),
                f"[{_STYLE[finding.severity]}]{finding.severity}[/]",
                f"{finding.rule_id}\n[dim]{check.name}[/dim]",
                message,
            )
        console.print(table)
    scanned = sum(1 for f in scan.files if f.status == "scanned")
    failed = sum(1 for f in scan.files if f.status == "failed")
    suppressed = sum(1 for f in scan.findings if f.suppression)
    summary = (
        f"{len(scan.findings)} finding(s) in {scanned} scanned file(s)"
        + (f", {failed} file(s) could not be parsed" if failed else "")
        + (f", {suppressed} suppressed" if suppressed else "")
        + f", {scan.resources_checked} resource(s) checked."
    )
    console.print(summary)
    if scan.fixed:
        console.print(
            f"[green]{len(scan.fixed)} baselined finding(s) no longer occur[/green] (fixed; the baseline can shrink):"
        )
        for entry in scan.fixed:
            console.print("  " + escape(" ".join(str(entry.get(k, "")) for k in ("rule_id", "file", "resource"))))
    for problem in scan.problems:
        console.print(f"[yellow]warning:[/yellow] {escape(problem)}")
    for note in scan.notifications:
        if note.level == "error" and note.rule_id != "NHI001":
            where = f"{note.file}:{note.line}: " if note.file else ""
            console.print(f"[red]internal error:[/red] {escape(where + note.message)}")
    if gate.engine_errors:
        console.print(
            f"[bold red]Gate failed[/bold red]: nhigate itself failed {gate.engine_errors} time(s) (see above)."
        )
    elif gate.failed:
        console.print(f"[bold red]Gate failed[/bold red]: {len(gate.failing)} finding(s) at or above '{gate.fail_on}'.")
    else:
        console.print(f"[green]Gate passed[/green] (fail-on: {gate.fail_on}).")
