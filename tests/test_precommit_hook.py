"""The real pre-commit framework runs the hook from this repository against a temporary repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is required")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _pre_commit(cwd: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "nhigate", "--files", *files],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_hook_fails_on_a_finding_and_passes_on_a_clean_file(tmp_path: Path) -> None:
    work = tmp_path / "infra"
    work.mkdir()
    _git(work, "init", "-q")
    (work / "keys.tf").write_text(
        'resource "aws_iam_user" "ci" {\n  name = "ci"\n}\n\n'
        'resource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n'
    )
    (work / "roles.tf").write_text(
        'resource "aws_iam_role" "ci" {\n  name = "ci"\n  assume_role_policy = "{}"\n  tags = { owner = "ci" }\n}\n'
    )
    (work / "package.json").write_text('{"name": "not-infrastructure"}\n')
    _git(work, "add", ".")
    home = tmp_path / "pre-commit-home"

    failing = _pre_commit(work, home, "keys.tf")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "NHI101" in failing.stdout
    assert "keys.tf" in failing.stdout

    passing = _pre_commit(work, home, "roles.tf", "package.json")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout
