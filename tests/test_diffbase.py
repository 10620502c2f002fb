"""--diff-base REF: small git repositories with a base commit and a pull-request change."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from test_outputs import nhigate

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is required")

KEY = 'resource "aws_iam_access_key" "{name}" {{\n  user    = "{name}-bot"\n  pgp_key = "keybase:ops"\n}}\n'


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout


def make_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ci@example.invalid")
    git(repo, "config", "user.name", "CI")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def scan_diff(repo: Path, *args: str, cwd: Path | None = None) -> tuple[int, dict[str, Any]]:
    result = nhigate("scan", *(args or (".",)), "--diff-base", "main", "--format", "sarif", cwd=cwd or repo)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def states(sarif: dict[str, Any]) -> dict[tuple[str, str], str]:
    out = {}
    for result in sarif["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        out[(uri, result["properties"].get("resource", ""))] = result["baselineState"]
    return out


def test_new_finding_fails_untouched_old_finding_does_not(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"infra/old.tf": KEY.format(name="old")})
    git(repo, "checkout", "-q", "-b", "pr")
    code, sarif = scan_diff(repo)
    assert code == 0 and states(sarif) == {("infra/old.tf", "aws_iam_access_key.old"): "unchanged"}
    (repo / "infra" / "new.tf").write_text(KEY.format(name="new"))
    code, sarif = scan_diff(repo)
    assert code == 1
    assert states(sarif) == {
        ("infra/old.tf", "aws_iam_access_key.old"): "unchanged",
        ("infra/new.tf", "aws_iam_access_key.new"): "new",
    }
    assert git(repo, "status", "--porcelain") == "?? infra/new.tf\n"  # working tree and index untouched


def test_fixed_finding_is_listed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"old.tf": KEY.format(name="old")})
    (repo / "old.tf").write_text('resource "aws_iam_role" "old" {\n  name = "old"\n  tags = { owner = "ops" }\n}\n')
    result = nhigate("scan", ".", "--diff-base", "main", "--format", "json", cwd=repo)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert [e["resource"] for e in report["fixed"]] == ["aws_iam_access_key.old"]
    console = nhigate("scan", ".", "--diff-base", "main", cwd=repo)
    assert "no longer occur" in console.stdout
    markdown = nhigate("scan", ".", "--diff-base", "main", "--format", "markdown", cwd=repo)
    assert "### Fixed (1)" in markdown.stdout


def test_moved_block_and_renamed_file_stay_unchanged(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"keys.tf": KEY.format(name="vendor") + KEY.format(name="other")})
    (repo / "keys.tf").write_text("# moved around\n\n" + KEY.format(name="other") + "\n\n" + KEY.format(name="vendor"))
    code, sarif = scan_diff(repo)
    assert code == 0 and set(states(sarif).values()) == {"unchanged"}
    git(repo, "commit", "-qam", "move")
    git(repo, "mv", "keys.tf", "credentials.tf")
    code, sarif = scan_diff(repo)
    assert code == 0, states(sarif)
    assert set(states(sarif)) == {
        ("credentials.tf", "aws_iam_access_key.vendor"),
        ("credentials.tf", "aws_iam_access_key.other"),
    }
    assert set(states(sarif).values()) == {"unchanged"}


def test_a_finding_that_got_worse_is_updated_and_fails(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"keys.tf": KEY.format(name="vendor")})
    (repo / "keys.tf").write_text('resource "aws_iam_access_key" "vendor" {\n  user = "vendor-bot"\n}\n')
    code, sarif = scan_diff(repo)
    assert code == 1
    (result,) = sarif["runs"][0]["results"]
    assert result["baselineState"] == "updated" and result["properties"]["severity"] == "critical"
    assert "worse than at main" in result["message"]["text"]


def test_missing_base_ref_is_exit_2_with_a_fetch_hint(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"keys.tf": KEY.format(name="vendor")})
    result = nhigate("scan", ".", "--diff-base", "origin/develop", cwd=repo)
    assert result.returncode == 2
    assert "git fetch" in result.stderr and "origin/develop" in result.stderr
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    (outside / "k.tf").write_text(KEY.format(name="k"))
    assert nhigate("scan", ".", "--diff-base", "main", cwd=outside).returncode == 2


def test_base_side_file_that_no_longer_parses(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"keys.tf": KEY.format(name="vendor"), "broken.tf": "resource {\n"})
    (repo / "broken.tf").write_text(
        'resource "aws_iam_role" "fixed" {\n  name = "fixed"\n  tags = { owner = "ops" }\n}\n'
    )
    code, sarif = scan_diff(repo)
    assert code == 0 and states(sarif) == {("keys.tf", "aws_iam_access_key.vendor"): "unchanged"}


def test_scanning_a_subfolder_from_a_subdirectory(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path, {"live/prod/keys.tf": KEY.format(name="vendor"), "live/dev/keys.tf": KEY.format(name="dev")}
    )
    (repo / "live" / "prod" / "new.tf").write_text(KEY.format(name="new"))
    code, sarif = scan_diff(repo, "prod", cwd=repo / "live")
    assert code == 1
    assert states(sarif) == {
        ("prod/keys.tf", "aws_iam_access_key.vendor"): "unchanged",
        ("prod/new.tf", "aws_iam_access_key.new"): "new",
    }


def test_baseline_and_diff_base_are_exclusive(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"keys.tf": KEY.format(name="vendor")})
    (repo / "b.json").write_text('{"version": 1, "findings": []}')
    assert nhigate("scan", ".", "--diff-base", "main", "--baseline", "b.json", cwd=repo).returncode == 2


def test_a_project_wide_finding_with_a_new_consumer_is_updated() -> None:
    from nhigate.diffbase import compare_with_base
    from nhigate.engine import ScanResult
    from nhigate.findings import Finding, Location
    from nhigate.model import Span

    def shared(consumers: list[str]) -> Finding:
        related = [Location("main.tf", Span.at_line(i + 10), f"used by {c}") for i, c in enumerate(consumers)]
        return Finding("NHI501", "high", "role shared", "main.tf", Span.at_line(1), "aws_iam_role.app", (), "aws_iam_role",
                       related=related)  # fmt: skip

    base = ScanResult([], [shared(["a", "b"])], [], {}, [])
    same = ScanResult([], [shared(["b", "a"])], [], {}, [])
    compare_with_base(same, base, "main", {})
    assert same.findings[0].baseline_state == "unchanged"
    worse = ScanResult([], [shared(["a", "b", "c"])], [], {}, [])
    compare_with_base(worse, base, "main", {})
    assert worse.findings[0].baseline_state == "updated" and worse.findings[0].suppression is None
