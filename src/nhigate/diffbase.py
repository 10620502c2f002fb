"""``--diff-base REF``: fail only on what a pull request introduces, without a baseline file.

The scanned paths are read at ``REF`` from git objects (``git archive``) into a temporary
directory — the working tree and the index are never touched, and nothing is fetched — and
scanned with the same options, from the matching folder so that file paths compare equal.
Findings are matched by fingerprint (rule, file, resource address, attribute path); files renamed
since ``REF`` are matched under their new name (git's rename detection).  A finding that existed at
``REF`` is ``unchanged`` and does not fail the gate unless it got worse (a higher severity, or
more consumers/locations for a project-wide finding), which makes it ``updated``; everything else
is ``new``.  Findings at ``REF`` that are gone are listed as fixed.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from nhigate.catalog import SEVERITIES
from nhigate.engine import ScanOptions, ScanResult, scan
from nhigate.findings import Finding, fingerprint, path_text


class DiffBaseError(Exception):
    """The base ref cannot be used (not a git repository, ref missing); exit code 2."""


def _git(repo: Path, *args: str, binary: bool = False) -> Any:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, check=False, timeout=300, text=not binary
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DiffBaseError(f"cannot run git: {exc}") from None
    return completed


def repository_root(cwd: Path) -> Path:
    result = _git(cwd, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise DiffBaseError(f"--diff-base needs a git repository, and {cwd} is not inside one")
    return Path(result.stdout.strip())


def resolve_ref(root: Path, ref: str) -> str:
    result = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if result.returncode != 0:
        shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
        hint = f"fetch it first, e.g. `git fetch --no-tags origin {ref.removeprefix('origin/')}`" + (
            " (this is a shallow clone: `fetch-depth: 0` in actions/checkout also works)" if shallow else ""
        )
        raise DiffBaseError(f"base ref {ref!r} is not in this repository; {hint}")
    return str(result.stdout.strip())


def renames(root: Path, commit: str) -> dict[str, str]:
    """Files renamed between ``commit`` and the working tree: old repo path -> new repo path."""
    result = _git(root, "diff", "--name-status", "-M", commit, "--")
    mapping: dict[str, str] = {}
    if result.returncode == 0:
        for line in result.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[0].startswith("R"):
                mapping[parts[1]] = parts[2]
    return mapping


def export(root: Path, commit: str, pathspecs: list[str], target: Path) -> None:
    """Write the files under ``pathspecs`` at ``commit`` into ``target`` (git objects only)."""
    existing = [p for p in pathspecs if p == "." or _git(root, "cat-file", "-e", f"{commit}:{p}").returncode == 0]
    if not existing:
        return
    archive = _git(root, "archive", "--format=tar", commit, "--", *existing, binary=True)
    if archive.returncode != 0:
        raise DiffBaseError(f"cannot read {commit[:12]} from git: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")  # the data filter refuses links out of the tree


def scan_base(options: ScanOptions, ref: str) -> tuple[ScanResult, str, dict[str, str]]:
    """Scan the same paths at ``ref``; returns the result, the commit and the rename map (in
    display paths relative to the working directory)."""
    cwd = Path(os.path.abspath(options.cwd or Path.cwd()))
    root = repository_root(cwd)
    commit = resolve_ref(root, ref)
    within = os.path.relpath(cwd, root)
    pathspecs = []
    for path in options.paths:
        absolute = Path(os.path.abspath(cwd / path))
        relative = os.path.relpath(absolute, root)
        if relative.startswith(".."):
            raise DiffBaseError(f"{path} is outside the git repository {root}")
        pathspecs.append(Path(relative).as_posix())
    with tempfile.TemporaryDirectory(prefix="nhigate-base-") as tmp:
        export(root, commit, pathspecs, Path(tmp))
        base_cwd = Path(tmp) / within
        base_cwd.mkdir(parents=True, exist_ok=True)
        base_paths = [base_cwd / p for p in options.paths if (base_cwd / p).exists()]
        if base_paths:
            result = scan(replace(options, paths=base_paths, cwd=base_cwd))
        else:
            result = ScanResult([], [], [], {}, [])
    to_display = {}
    for old, new in renames(root, commit).items():
        to_display[os.path.relpath(root / old, cwd).replace(os.sep, "/")] = os.path.relpath(root / new, cwd).replace(
            os.sep, "/"
        )
    return result, commit, to_display


def _worse(current: Finding, base: Finding) -> bool:
    if SEVERITIES.index(current.severity) < SEVERITIES.index(base.severity):
        return True
    before = {(r.file, r.message) for r in base.related}
    return any((r.file, r.message) not in before for r in current.related)


def compare_with_base(current: ScanResult, base: ScanResult, ref: str, renamed: dict[str, str]) -> None:
    """Mark current findings new/unchanged/updated against the base scan; list what was fixed."""
    previous: dict[str, Finding] = {}
    for finding in base.findings:
        if finding.rule_id == "NHI001":
            continue
        file = renamed.get(finding.file, finding.file)
        previous[fingerprint(finding.rule_id, file, finding.local_address, finding.path)] = finding
    seen: set[str] = set()
    for finding in current.findings:
        before = previous.get(finding.fingerprint)
        if before is None or finding.rule_id == "NHI001":
            finding.baseline_state = "new"
            continue
        seen.add(finding.fingerprint)
        if _worse(finding, before):
            finding.baseline_state = "updated"
            finding.message += f" (worse than at {ref})"
            continue
        finding.baseline_state = "unchanged"
        if finding.suppression is None:
            finding.suppression = {
                "kind": "external",
                "justification": f"already present at {ref}",
                "reason": f"already present at {ref}",
                "approved_by": None,
                "expires": None,
                "location": ref,
            }
    current.fixed = [
        {
            "fingerprint": key,
            "rule_id": f.rule_id,
            "file": renamed.get(f.file, f.file),
            "resource": f.local_address,
            "attribute": path_text(f.path),
        }
        for key, f in sorted(previous.items())
        if key not in seen
    ]
