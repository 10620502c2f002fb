"""Owner policy: configurable tag keys, placeholders and recorded owners; invalid owner
configuration is exit 2 naming the key; the inventory and the checks give the same answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_outputs import nhigate

ROLE = 'resource "aws_iam_role" "ingest" {{\n  name = "ingest"\n  assume_role_policy = "{{}}"\n  tags = {tags}\n}}\n'


def _owner_findings(root: Path) -> list[tuple[int, str]]:
    result = nhigate("scan", ".", "--format", "json", "--check", "NHI401", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return [(f["line"], f["message"]) for f in json.loads(result.stdout)["findings"]]


def test_default_policy_accepts_only_owner(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ROLE.format(tags='{ team = "data" }'))
    found = _owner_findings(tmp_path)
    assert len(found) == 1 and "accepted tags: owner" in found[0][1]


def test_configured_tag_keys_count_as_owner(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ROLE.format(tags='{ Team = "data" }'))
    (tmp_path / ".nhigate.yaml").write_text("owners:\n  tag_keys: [owner, team]\n")
    assert _owner_findings(tmp_path) == []


def test_configured_placeholders_replace_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ROLE.format(tags='{ owner = "nobody" }'))
    assert _owner_findings(tmp_path) == []
    (tmp_path / ".nhigate.yaml").write_text("owners:\n  placeholders: [nobody, tbd]\n")
    found = _owner_findings(tmp_path)
    assert len(found) == 1 and "placeholder" in found[0][1] and "'nobody'" in found[0][1]


def test_recorded_owner_by_glob(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "google_service_account" "etl" {\n  account_id = "etl-nightly"\n}\n')
    assert len(_owner_findings(tmp_path)) == 1
    (tmp_path / ".nhigate.yaml").write_text("owners:\n  recorded:\n    'etl-*': data-platform\n")
    assert _owner_findings(tmp_path) == []
    inventory = json.loads(nhigate("inventory", ".", "--format", "json", cwd=tmp_path).stdout)
    assert [i["owner"] for i in inventory["identities"]] == ["data-platform"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("owners:\n  tag_keys: []\n", "owners.tag_keys"),
        ("owners:\n  tag_keys: owner\n", "owners.tag_keys"),
        ("owners:\n  colour: blue\n", "owners"),
        ("owners:\n  recorded:\n    'etl-*': ''\n", "owners.recorded"),
    ],
)
def test_invalid_owner_configuration_is_exit_2_naming_the_key(tmp_path: Path, config: str, expected: str) -> None:
    (tmp_path / "main.tf").write_text(ROLE.format(tags="{}"))
    (tmp_path / ".nhigate.yaml").write_text(config)
    result = nhigate("scan", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert ".nhigate.yaml" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_inventory_agrees_with_the_checks(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        ROLE.format(tags='{ owner = "tbd" }')
        + 'resource "aws_iam_role" "ok" {\n  name = "ok"\n  assume_role_policy = "{}"\n  tags = { Owner = "ops" }\n}\n'
        + 'variable "tags" {\n  type = map(string)\n}\n'
        + 'resource "aws_iam_role" "unknown" {\n  name = "u"\n  assume_role_policy = "{}"\n  tags = var.tags\n}\n'
    )
    inventory = json.loads(nhigate("inventory", ".", "--format", "json", cwd=tmp_path).stdout)
    owners = {i["address"]: i["owner"] for i in inventory["identities"]}
    assert owners == {
        "aws_iam_role.ingest": "none (placeholder 'tbd')",
        "aws_iam_role.ok": "ops",
        "aws_iam_role.unknown": "unknown (tags is not known)",
    }
    assert (inventory["totals"]["owners_known"], inventory["totals"]["owners_missing"]) == (1, 1)
    assert inventory["totals"]["owners_unknown"] == 1
    flagged = {i["address"] for i in inventory["identities"] if "NHI401" in i["findings"]}
    assert flagged == {"aws_iam_role.ingest"}
