"""Gate ergonomics: configuration, suppressions with reasons and expiry, configured ignores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from test_outputs import nhigate, sarif_schema

KEY = 'resource "aws_iam_access_key" "vendor" {\n  user    = "vendor-bot"\n  pgp_key = "keybase:ops"\n}\n'


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def sarif(root: Path, *args: str) -> dict[str, Any]:
    result = nhigate("scan", ".", "--format", "sarif", *args, cwd=root)
    assert result.returncode in (0, 1), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(data)
    return data


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("fail_on: sometimes\n", r"\.nhigate\.yaml: fail_on: 'sometimes' is not allowed; expected one of: critical"),
        ("checks:\n  skip: [NHI999]\n", r"\.nhigate\.yaml: checks\.skip: unknown check ID NHI999"),
        ("colour: blue\n", r"\.nhigate\.yaml: \(top level\): Additional properties are not allowed \('colour'"),
        ("parameters:\n  NHI105:\n    max_days: soon\n", r"parameters\.NHI105\.max_days: expected integer, got 'soon'"),
        (
            "parameters:\n  NHI105:\n    max_age: 3\n",
            r"parameters\.NHI105\.max_age: unknown parameter; expected one of: max_days",
        ),
        ("ignore:\n  - path: '*.tf'\n    rules: [NHI101]\n", r"ignore\.0: 'reason' is a required property"),
        ("fail_on: [\n", r"\.nhigate\.yaml: not valid YAML"),
    ],
)
def test_invalid_configuration_is_exit_2_with_file_and_key(tmp_path: Path, config: str, expected: str) -> None:
    import re

    write(tmp_path, {".nhigate.yaml": config, "main.tf": KEY})
    result = nhigate("scan", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert re.search(expected, result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_configuration_is_found_upward_and_in_pyproject(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.nhigate]\nfail_on = 'critical'\n", "infra/main.tf": KEY})
    assert nhigate("scan", ".", cwd=tmp_path / "infra").returncode == 0  # the key is high, not critical
    write(tmp_path, {"infra/.nhigate.yaml": "fail_on: high\n"})
    assert nhigate("scan", ".", cwd=tmp_path / "infra").returncode == 1  # nearer file wins
    assert nhigate("scan", ".", "--fail-on", "critical", cwd=tmp_path / "infra").returncode == 0  # flag wins


def test_parameters_excludes_and_check_selection_from_config(tmp_path: Path) -> None:
    secret = 'resource "azuread_application_password" "p" {\n  application_id = "a"\n  end_date_relative = "1440h"\n}\n'
    write(tmp_path, {"main.tf": secret, "vendor/main.tf": KEY})
    assert nhigate("scan", ".", cwd=tmp_path).returncode == 1  # 60 days is fine, the vendor key is not
    write(tmp_path, {".nhigate.yaml": "exclude: ['vendor/*']\nparameters:\n  NHI105:\n    max_days: 30\n"})
    report = json.loads(nhigate("scan", ".", "--format", "json", cwd=tmp_path).stdout)
    assert {f["rule_id"] for f in report["findings"]} == {"NHI105"}
    assert all(not f["path"].startswith("vendor/") for f in report["files"])
    write(tmp_path, {".nhigate.yaml": "checks:\n  skip: [NHI105]\nexclude: ['vendor/*']\n"})
    assert nhigate("scan", ".", cwd=tmp_path).returncode == 0


def test_inline_suppression_is_kept_in_sarif_and_json(tmp_path: Path) -> None:
    suppressed = KEY.replace(
        "{\n", '{\n  # nhigate:ignore NHI101 reason="vendor only takes keys" approved_by="sec" expires=2099-01-01\n', 1
    )
    write(tmp_path, {"main.tf": suppressed})
    data = sarif(tmp_path)
    results = data["runs"][0]["results"]
    assert len(results) == 1
    suppression = results[0]["suppressions"][0]
    assert suppression["kind"] == "inSource" and suppression["status"] == "accepted"
    assert (
        "vendor only takes keys" in suppression["justification"] and "approved by sec" in suppression["justification"]
    )
    report = json.loads(nhigate("scan", ".", "--format", "json", cwd=tmp_path).stdout)
    assert report["findings"][0]["suppression"]["approved_by"] == "sec"
    assert report["summary"]["gate"] == "passed"
    console = nhigate("scan", ".", cwd=tmp_path)
    assert console.returncode == 0 and "1 suppressed" in console.stdout


def test_configured_ignore_is_an_external_suppression_and_expires(tmp_path: Path) -> None:
    config = (
        "ignore:\n  - path: 'legacy/*'\n    rules: [NHI101]\n    reason: legacy vendor\n    expires: '2099-12-31'\n"
    )
    write(tmp_path, {".nhigate.yaml": config, "legacy/main.tf": KEY, "new/main.tf": KEY})
    results = sarif(tmp_path)["runs"][0]["results"]
    kinds = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["suppressions"] for r in results}
    assert kinds["legacy/main.tf"][0]["kind"] == "external"
    assert kinds["new/main.tf"] == []
    write(tmp_path, {".nhigate.yaml": config.replace("2099-12-31", "2020-01-01")})
    report = json.loads(nhigate("scan", ".", "--format", "json", cwd=tmp_path).stdout)
    legacy = next(f for f in report["findings"] if f["file"] == "legacy/main.tf")
    assert legacy["suppression"] is None and "suppression expired on 2020-01-01" in legacy["message"]


def test_unused_configured_ignore_is_reported(tmp_path: Path) -> None:
    config = "ignore:\n  - path: 'nowhere/*'\n    rules: [NHI101]\n    reason: stale\n"
    write(tmp_path, {".nhigate.yaml": config, "main.tf": 'resource "aws_iam_role" "r" {\n  name = "r"\n}\n'})
    report = json.loads(nhigate("scan", ".", "--format", "json", cwd=tmp_path).stdout)
    assert any("matches no finding" in n["message"] for n in report["notifications"])


def test_require_approver_and_disabling_inline_suppressions(tmp_path: Path) -> None:
    suppressed = KEY.replace("{\n", '{\n  # nhigate:ignore NHI101 reason="vendor only takes keys"\n', 1)
    write(tmp_path, {"main.tf": suppressed})
    assert nhigate("scan", ".", cwd=tmp_path).returncode == 0
    write(tmp_path, {".nhigate.yaml": "require_approver: true\n"})
    report = json.loads(nhigate("scan", ".", "--format", "json", cwd=tmp_path).stdout)
    assert {f["rule_id"] for f in report["findings"]} == {"NHI101", "NHI002"}
    write(tmp_path, {".nhigate.yaml": "inline_suppressions: false\n"})
    report = json.loads(nhigate("scan", ".", "--format", "json", cwd=tmp_path).stdout)
    assert [f["rule_id"] for f in report["findings"]] == ["NHI101"]
    assert report["findings"][0]["suppression"] is None


def test_config_schema_command_prints_the_schema() -> None:
    result = nhigate("config", "--schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert {"fail_on", "ignore", "parameters", "exclude"} <= set(schema["properties"])


def test_baseline_records_fingerprints_and_fails_only_on_new_findings(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": KEY, "broken.tf": 'resource "x" "y" {\n  a = ??\n}\n'})
    created = nhigate("baseline", ".", "--output", ".nhigate-baseline.json", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    document = json.loads((tmp_path / ".nhigate-baseline.json").read_text())
    assert document["version"] == 1
    assert [e["rule_id"] for e in document["findings"]] == ["NHI101"]  # NHI001 is never baselined
    assert "line" not in document["findings"][0]
    (tmp_path / "broken.tf").unlink()

    # Lines added above the finding and the block moved down: still the same finding.
    write(tmp_path, {"main.tf": "# a comment\n\nlocals {\n  x = 1\n}\n\n" + KEY})
    data = sarif(tmp_path, "--baseline", ".nhigate-baseline.json")
    run = data["runs"][0]
    (result,) = run["results"]
    assert result["baselineState"] == "unchanged"
    assert result["suppressions"][0]["kind"] == "external"
    assert run["baselineGuid"]
    assert nhigate("scan", ".", "--baseline", ".nhigate-baseline.json", cwd=tmp_path).returncode == 0

    # A new key fails the gate; only it is "new".
    write(tmp_path, {"other.tf": KEY.replace('"vendor"', '"second"')})
    gated = nhigate("scan", ".", "--baseline", ".nhigate-baseline.json", "--format", "json", cwd=tmp_path)
    assert gated.returncode == 1
    states = {f["resource"]: f["baseline_state"] for f in json.loads(gated.stdout)["findings"]}
    assert states == {"aws_iam_access_key.vendor": "unchanged", "aws_iam_access_key.second": "new"}

    # The baselined key is fixed: it is listed so the baseline can shrink.
    (tmp_path / "main.tf").write_text("")
    report = json.loads(
        nhigate("scan", ".", "--baseline", ".nhigate-baseline.json", "--format", "json", cwd=tmp_path).stdout
    )
    assert [e["resource"] for e in report["fixed"]] == ["aws_iam_access_key.vendor"]
    console = nhigate("scan", ".", "--baseline", ".nhigate-baseline.json", cwd=tmp_path).stdout
    assert "no longer occur" in console


def test_regenerating_a_baseline_keeps_justifications(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": KEY})
    nhigate("baseline", ".", "-o", "base.json", cwd=tmp_path)
    document = json.loads((tmp_path / "base.json").read_text())
    document["findings"][0]["justification"] = "vendor contract until 2027"
    (tmp_path / "base.json").write_text(json.dumps(document))
    nhigate("baseline", ".", "-o", "base.json", cwd=tmp_path)
    again = json.loads((tmp_path / "base.json").read_text())
    assert again["findings"][0]["justification"] == "vendor contract until 2027"
    result = sarif(tmp_path, "--baseline", "base.json")["runs"][0]["results"][0]
    assert result["suppressions"][0]["justification"] == "vendor contract until 2027"


def test_bad_baseline_is_exit_2(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": KEY, "base.json": '{"version": 99}'})
    result = nhigate("scan", ".", "--baseline", "base.json", cwd=tmp_path)
    assert result.returncode == 2 and "base.json: version" in result.stderr


def test_junit_has_a_case_per_check_and_file(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    write(
        tmp_path,
        {
            "keys.tf": KEY,
            "roles.tf": 'resource "aws_iam_access_key" "off" {\n  user = "u"\n  status = "Inactive"\n}\n',
            "broken.tf": "resource {\n",
        },
    )
    result = nhigate("scan", ".", "--junit", "report.xml", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    root = ET.parse(tmp_path / "report.xml").getroot()
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert ("nhigate.NHI101", "keys.tf") in cases and ("nhigate.NHI101", "roles.tf") in cases
    assert cases[("nhigate.NHI101", "keys.tf")].find("failure") is not None
    assert cases[("nhigate.NHI101", "roles.tf")].find("failure") is None  # checked, passed
    assert cases[("nhigate.NHI001", "broken.tf")].find("failure") is not None
    assert root.get("failures") == "2"


def test_markdown_summary_lists_new_findings_with_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"main.tf": KEY})
    nhigate("baseline", ".", "-o", "base.json", cwd=tmp_path)
    write(tmp_path, {"new.tf": KEY.replace('"vendor"', '"second"')})
    summary = tmp_path / "summary.md"
    summary.write_text("previous step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    monkeypatch.setenv("GITHUB_REPOSITORY", "org/infra")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    result = nhigate("scan", ".", "--baseline", "base.json", "--markdown", str(summary), cwd=tmp_path)
    assert result.returncode == 1
    text = summary.read_text()
    assert text.startswith("previous step\n## nhigate: gate failed")  # appended, not overwritten
    assert "1 new" in text and "### New findings" in text
    assert "[new.tf:1](https://github.example/org/infra/blob/abc123/new.tf#L1)" in text
    assert "main.tf" not in text.split("### New findings")[1].split("### Top")[0]
    assert "### Top remediation" in text and "NHI101" in text


def test_changed_files_mode_reports_only_those_files_but_evaluates_the_module(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "variables.tf": 'variable "lifetime" {\n  default = "8760h"\n}\n',
            "secret.tf": 'resource "azuread_application_password" "p" {\n  application_id = "a"\n'
            "  end_date_relative = var.lifetime\n}\n",
            "keys.tf": KEY,
        },
    )
    # The lifetime comes from another file of the module: same answer as a full scan.
    only_secret = json.loads(nhigate("scan", "secret.tf", "--format", "json", cwd=tmp_path).stdout)
    assert [(f["file"], f["rule_id"]) for f in only_secret["findings"]] == [("secret.tf", "NHI105")]
    statuses = {f["path"]: f["status"] for f in only_secret["files"]}
    assert statuses == {"secret.tf": "scanned", "variables.tf": "context", "keys.tf": "context"}
    full = json.loads(nhigate("scan", ".", "--format", "json", cwd=tmp_path).stdout)
    assert {(f["file"], f["rule_id"]) for f in full["findings"]} == {("secret.tf", "NHI105"), ("keys.tf", "NHI101")}
    assert nhigate("scan", "variables.tf", cwd=tmp_path).returncode == 0


def test_exception_register_lists_every_exception_sorted_by_expiry(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.tf": KEY.replace(
                "{\n", '{\n  # nhigate:ignore NHI101 reason="vendor" approved_by="sec-team" expires=2027-01-01\n', 1
            ),
            "b.tf": KEY.replace('"vendor"', '"b"').replace(
                "{\n", '{\n  # nhigate:ignore NHI101 reason="soon" approved_by="cto" expires=2026-12-01\n', 1
            ),
            "c.tf": 'resource "aws_iam_role" "c" {\n  # nhigate:ignore NHI101 reason="stale"\n  name = "c"\n}\n',
            ".nhigate.yaml": "ignore:\n  - path: 'legacy/*'\n    rules: [NHI103]\n    reason: legacy project\n    approved_by: platform\n",
        },
    )
    result = nhigate("suppressions", ".", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    table = json.loads(result.stdout)
    assert [row["location"] for row in table][:2] == ["b.tf:2", "a.tf:2"]  # soonest expiry first
    first = table[0]
    assert first["approved_by"] == "cto" and first["days_left"] == 9 and first["status"] == "active"
    statuses = {row["location"]: row["status"] for row in table}
    assert statuses["c.tf:2"] == "unused"
    assert any(row["kind"] == "config" and row["approved_by"] == "platform" for row in table)
    markdown = nhigate("suppressions", ".", "--format", "markdown", cwd=tmp_path).stdout
    assert "| NHI101 | inline | b.tf:2 |" in markdown
    assert "exception register" in nhigate("suppressions", ".", cwd=tmp_path).stdout
