"""A secret nhigate finds never appears in any output: console, JSON, SARIF, JUnit, Markdown,
inventory, the exception register, or an error message about a file that does not parse."""

from __future__ import annotations

import json
import random
import shutil
import string
from pathlib import Path

import pytest

from test_outputs import nhigate

# Assembled from parts so this repository holds no contiguous token shapes.
AWS_KEY_ID = "AKIA" + "Q7ZX" + "W2MK" + "R5TV" + "J3NB"
GITHUB_TOKEN = "gh" + "p_" + "Zr8Kq2Wm5Xv9Lp3Tn7Bc" + "4Hd6Jf1Gs0Ay"
_RANDOM = random.Random(4711)


def _planted() -> str:
    """A random, unique, password-like value: any 8-character slice of it in an output is a leak."""
    return "".join(_RANDOM.choices(string.ascii_letters + string.digits, k=22)) + "!#"


SECRETS = {label: _planted() for label in (
    "provider", "attribute", "env", "default", "local", "tfvars", "module", "cfn_param", "cfn_prop", "plan", "broken",
)}  # fmt: skip
SECRETS["aws_key"] = AWS_KEY_ID
SECRETS["github"] = GITHUB_TOKEN


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leaks")
    (root / "tf").mkdir()
    (root / "tf" / "main.tf").write_text(
        f'provider "azurerm" {{\n  client_secret = "{SECRETS["provider"]}"\n}}\n'
        f'variable "db_password" {{\n  default = "{SECRETS["default"]}"\n}}\n'
        f'locals {{\n  admin_password = "{SECRETS["local"]}"\n}}\n'
        f'resource "aws_db_instance" "db" {{\n  password = "{SECRETS["attribute"]}"\n}}\n'
        'resource "aws_lambda_function" "f" {\n  environment {\n'
        f'    variables = {{ API_SECRET = "{SECRETS["env"]}", KEY = "{SECRETS["aws_key"]}" }}\n  }}\n}}\n'
        f'resource "github_actions_secret" "s" {{\n  plaintext_value = "{SECRETS["github"]}"\n}}\n'
        f'module "m" {{\n  source = "./m"\n  api_token = "{SECRETS["module"]}"\n}}\n'
        '# nhigate:ignore NHI101 reason="unused, for the register"\n'
    )
    (root / "tf" / "prod.tfvars").write_text(f'api_token = "{SECRETS["tfvars"]}"\n')
    (root / "tf" / "broken.tf").write_text(f'resource "x" "y" {{\n  password = "{SECRETS["broken"]}" ??\n}}\n')
    (root / "stack.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  DbPassword:\n    Type: String\n    NoEcho: true\n'
        f'    Default: "{SECRETS["cfn_param"]}"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n'
        f'      MasterUserPassword: "{SECRETS["cfn_prop"]}"\n'
    )
    (root / "broken.yaml").write_text(
        f'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  A: {{Type: "AWS::IAM::User", x: "{SECRETS["broken"]}"\n'
    )
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{
            "address": "aws_db_instance.p", "mode": "managed", "type": "aws_db_instance", "name": "p",
            "values": {"password": SECRETS["plan"]},
        }]}},
    }  # fmt: skip
    (root / "plan.json").write_text(json.dumps(plan, indent=2))
    (root / "broken.plan.json").write_text(
        '{"format_version": "1.2", "planned_values": {"x": "' + SECRETS["broken"] + '" ,,}'
    )
    return root


def outputs(root: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    scan = nhigate("scan", ".", "--sarif", "o.sarif", "--json", "o.json", "--junit", "o.xml", "--markdown", "o.md",
                   "--debug", cwd=root)  # fmt: skip
    assert scan.returncode == 1, scan.stderr
    texts["console"] = scan.stdout + scan.stderr
    for name in ("o.sarif", "o.json", "o.xml", "o.md"):
        texts[name] = (root / name).read_text()
    for fmt in ("json", "sarif", "junit", "markdown"):
        result = nhigate("scan", ".", "--format", fmt, cwd=root)
        texts[f"--format {fmt}"] = result.stdout + result.stderr
    for command in (
        ("inventory", ".", "--format", "json"),
        ("inventory", "."),
        ("suppressions", ".", "--format", "json"),
    ):
        result = nhigate(*command, cwd=root)
        texts[" ".join(command)] = result.stdout + result.stderr
    baseline = nhigate("baseline", ".", "-o", "b.json", cwd=root)
    texts["baseline"] = baseline.stdout + baseline.stderr + (root / "b.json").read_text()
    return texts


def test_planted_secrets_are_found(estate: Path) -> None:
    report = json.loads(nhigate("scan", ".", "--format", "json", cwd=estate).stdout)
    secret_findings = [f for f in report["findings"] if f["rule_id"] in ("NHI201", "NHI202")]
    assert len(secret_findings) >= 10
    assert all("sha256:" in f["message"] for f in secret_findings)
    assert {f["file"] for f in report["findings"] if f["rule_id"] == "NHI001"} == {
        "tf/broken.tf", "broken.yaml", "broken.plan.json",
    }  # fmt: skip


def test_no_output_contains_a_planted_secret(estate: Path) -> None:
    for where, text in outputs(estate).items():
        for label, secret in SECRETS.items():
            assert secret not in text, f"{label} secret leaked into {where}"
            for start in range(0, len(secret) - 8, 4):  # nor any 8-character slice of it
                assert secret[start : start + 8] not in text, f"part of the {label} secret leaked into {where}"
    shutil.rmtree(estate / "o.sarif", ignore_errors=True)
