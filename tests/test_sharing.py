"""Shared identities: the workload threshold is configurable, every consumer is a SARIF related
location, AI agents sharing a role carry the agentic mappings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_outputs import nhigate

LAMBDA = (
    'resource "aws_lambda_function" "{name}" {{\n  function_name = "{name}"\n  role = aws_iam_role.shared.arn\n'
    '  handler = "i.h"\n  runtime = "python3.12"\n  filename = "f.zip"\n}}\n'
)
ROLE = 'resource "aws_iam_role" "shared" {\n  name = "shared"\n  assume_role_policy = "{}"\n  tags = { owner = "apps" }\n}\n'


def _sarif(root: Path) -> dict[str, Any]:
    result = nhigate("scan", ".", "--format", "sarif", "--check", "NHI501", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_every_consumer_is_a_related_location(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ROLE + "".join(LAMBDA.format(name=n) for n in ("a", "b", "c")))
    results = _sarif(tmp_path)["runs"][0]["results"]
    assert len(results) == 1
    result = results[0]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    related = result["relatedLocations"]
    assert [r["message"]["text"] for r in related] == [f"runs as it: aws_lambda_function.{n}" for n in "abc"]
    assert {r["physicalLocation"]["artifactLocation"]["uri"] for r in related} == {"main.tf"}


def test_threshold_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ROLE + "".join(LAMBDA.format(name=n) for n in ("a", "b")))
    assert len(_sarif(tmp_path)["runs"][0]["results"]) == 1
    (tmp_path / ".nhigate.yaml").write_text("parameters:\n  NHI501:\n    min_workloads: 3\n")
    assert _sarif(tmp_path)["runs"][0]["results"] == []


def test_agents_sharing_a_role_carry_agentic_mappings(tmp_path: Path) -> None:
    agent = (
        'resource "aws_bedrockagent_agent" "{name}" {{\n  agent_name = "{name}"\n'
        '  agent_resource_role_arn = aws_iam_role.shared.arn\n  foundation_model = "m"\n'
        '  tags = {{ owner = "ai" }}\n}}\n'
    )
    (tmp_path / "main.tf").write_text(ROLE + agent.format(name="support") + agent.format(name="billing"))
    report = json.loads(nhigate("scan", ".", "--format", "json", "--check", "NHI501", cwd=tmp_path).stdout)
    [finding] = report["findings"]
    assert finding["agentic"] is True
    assert "AI agents among them" in finding["message"]
    assert any(f.startswith("owasp-agentic/") for f in finding["frameworks"])


def test_workloads_that_may_not_exist_do_not_count(tmp_path: Path) -> None:
    """Alternatives that exclude each other (``count = x ? 1 : 0`` / ``x ? 0 : 1``) are one workload
    whichever way ``x`` goes; a workload whose count is unknown may not exist at all."""
    alternatives = (
        'variable "use_a" {\n  default = true\n}\nvariable "mystery" {}\n'
        + LAMBDA.format(name="a").replace("{\n", "{\n  count = var.use_a ? 1 : 0\n", 1)
        + LAMBDA.format(name="b").replace("{\n", "{\n  count = var.use_a ? 0 : 1\n", 1)
    )
    (tmp_path / "main.tf").write_text(ROLE + alternatives)
    assert _sarif(tmp_path)["runs"][0]["results"] == []
    maybe = LAMBDA.format(name="c").replace("{\n", "{\n  count = var.mystery ? 1 : 0\n", 1)
    (tmp_path / "main.tf").write_text(ROLE + alternatives + maybe)
    assert _sarif(tmp_path)["runs"][0]["results"] == []
    (tmp_path / "main.tf").write_text(ROLE + alternatives + LAMBDA.format(name="d"))
    [result] = _sarif(tmp_path)["runs"][0]["results"]
    assert [r["message"]["text"] for r in result["relatedLocations"]] == [
        "runs as it: aws_lambda_function.a",
        "runs as it: aws_lambda_function.d",
    ]


def test_cloudformation_resources_under_conditions_that_exclude_each_other_are_one_workload(tmp_path: Path) -> None:
    function = (
        "  {name}:\n    Type: AWS::Lambda::Function\n    Condition: {condition}\n    Properties:\n"
        "      Role: !GetAtt Shared.Arn\n      Handler: i.h\n      Runtime: python3.12\n"
    )
    template = (
        'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  Mode: {Type: String, Default: a}\n'
        "Conditions:\n  IsA: !Equals [!Ref Mode, a]\n  IsB: !Not [!Condition IsA]\n"
        "Resources:\n  Shared:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {}\n"
        + function.format(name="A", condition="IsA")
        + function.format(name="B", condition="IsB")
    )
    (tmp_path / "stack.yaml").write_text(template)
    assert _sarif(tmp_path)["runs"][0]["results"] == []
    (tmp_path / "stack.yaml").write_text(template.replace("    Condition: IsB\n", ""))
    [result] = _sarif(tmp_path)["runs"][0]["results"]
    assert [r["message"]["text"] for r in result["relatedLocations"]] == ["runs as it: A", "runs as it: B"]
