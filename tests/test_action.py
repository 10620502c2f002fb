"""The composite GitHub Action: well-formed, and its scan step runs the real nhigate."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from conftest import REPO

KEY = 'resource "aws_iam_access_key" "ci" {\n  user = "ci"\n}\n'


def action() -> dict:  # type: ignore[type-arg]
    loaded: dict = yaml.safe_load((REPO / "action.yml").read_text())  # type: ignore[type-arg]
    return loaded


def test_action_is_a_composite_that_uploads_sarif_and_gates() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    uses = [s.get("uses", "") for s in data["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert {"paths", "baseline", "diff-base", "fail-on", "sarif-file"} <= set(data["inputs"])
    assert data["runs"]["steps"][-1]["run"].strip() == "exit ${{ steps.scan.outputs.exit-code }}"


def test_scan_step_script_runs_and_reports_the_exit_code(tmp_path: Path) -> None:
    step = next(s for s in action()["runs"]["steps"] if s.get("id") == "scan")
    (tmp_path / "main.tf").write_text(KEY)
    output, summary = tmp_path / "github_output", tmp_path / "summary.md"
    env = {
        **os.environ,
        "NHIGATE_PATHS": ".",
        "NHIGATE_BASELINE": "",
        "NHIGATE_DIFF_BASE": "",
        "NHIGATE_FAIL_ON": "",
        "NHIGATE_CONFIG": "",
        "NHIGATE_SARIF": "out.sarif",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": str(Path(os.sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),  # type: ignore[attr-defined]
    }
    result = subprocess.run(
        ["bash", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr  # the step itself succeeds; the gate step fails later
    assert output.read_text().strip() == "exit-code=1"
    assert (tmp_path / "out.sarif").exists()
    assert "## nhigate: gate failed" in summary.read_text()
