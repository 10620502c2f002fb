"""``terraform show -json`` plans to blocks: one block per configuration address."""

from __future__ import annotations

import json
from pathlib import Path

from nhigate.model import Span
from nhigate.parsers import parse_file
from nhigate.parsers.located import LocDict, span_at
from nhigate.parsers.locdata import load_json
from nhigate.parsers.plan import config_address, is_plan, plan_blocks

PLAN = """\
{
  "format_version": "1.2",
  "terraform_version": "1.7.0",
  "planned_values": {
    "root_module": {
      "resources": [
        {"address": "aws_iam_user.ci[0]", "mode": "managed", "type": "aws_iam_user", "name": "ci", "index": 0,
         "values": {"name": "ci-0", "tags": {"Owner": "platform"}}},
        {"address": "aws_iam_user.ci[1]", "mode": "managed", "type": "aws_iam_user", "name": "ci", "index": 1,
         "values": {"name": "ci-1", "tags": null}},
        {"address": "aws_iam_access_key.ci", "mode": "managed", "type": "aws_iam_access_key", "name": "ci",
         "values": {"user": "ci-0", "status": "Active"}},
        {"address": "data.aws_iam_policy_document.trust", "mode": "data", "type": "aws_iam_policy_document",
         "name": "trust", "values": {"json": "{}"}}
      ],
      "child_modules": [
        {
          "address": "module.app[\\"eu\\"]",
          "resources": [
            {"address": "module.app[\\"eu\\"].aws_iam_role.this[\\"a]b\\"]", "mode": "managed",
             "type": "aws_iam_role", "name": "this", "index": "a]b", "values": {"name": "eu"}}
          ],
          "child_modules": [
            {
              "address": "module.app[\\"eu\\"].module.keys",
              "resources": [
                {"address": "module.app[\\"eu\\"].module.keys.aws_kms_key.k", "mode": "managed",
                 "type": "aws_kms_key", "name": "k", "values": {"enable_key_rotation": false}}
              ]
            }
          ]
        },
        {
          "address": "module.app[\\"us\\"]",
          "resources": [
            {"address": "module.app[\\"us\\"].aws_iam_role.this[\\"x\\"]", "mode": "managed",
             "type": "aws_iam_role", "name": "this", "index": "x", "values": {"name": "us"}}
          ]
        }
      ]
    }
  },
  "configuration": {
    "provider_config": {
      "aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
              "expressions": {"access_key": {"constant_value": "AKIAEXAMPLE"}}},
      "aws.west": {"name": "aws", "alias": "west", "expressions": {"region": {"constant_value": "us-west-2"}}},
      "module.app:google": {"name": "google", "module_address": "module.app"}
    },
    "root_module": {}
  }
}
"""


def test_is_plan() -> None:
    assert is_plan(load_json(PLAN))
    assert not is_plan(load_json('{"format_version": "1.0"}'))
    assert not is_plan(load_json('{"AWSTemplateFormatVersion": "2010-09-09"}'))
    assert not is_plan(load_json("[1]"))


def test_config_address_strips_instance_keys() -> None:
    assert config_address("aws_iam_user.ci[0]") == "aws_iam_user.ci"
    assert config_address('aws_iam_user.ci["a.b"]') == "aws_iam_user.ci"
    assert config_address('module.a["x"].module.b[3].data.aws_x.y["k"]') == "module.a.module.b.data.aws_x.y"
    assert config_address('module.a["q\\"]["].aws_x.y') == "module.a.aws_x.y"
    assert config_address("aws_x.y") == "aws_x.y"


def test_one_block_per_configuration_address() -> None:
    blocks = plan_blocks("plan.json", load_json(PLAN))
    assert [(b.kind, b.address) for b in blocks] == [
        ("resource", "aws_iam_user.ci"),
        ("resource", "aws_iam_access_key.ci"),
        ("data", "data.aws_iam_policy_document.trust"),
        ("resource", "module.app.aws_iam_role.this"),
        ("resource", "module.app.module.keys.aws_kms_key.k"),
        ("provider", "provider.aws"),
        ("provider", "provider.aws.west"),
        ("provider", "provider.module.app:google"),
    ]
    assert all(b.format == "plan" and b.file == "plan.json" and b.comments == () for b in blocks)


def test_first_instance_is_the_body_and_span() -> None:
    found = {b.address: b for b in plan_blocks("plan.json", load_json(PLAN))}
    user = found["aws_iam_user.ci"]
    assert (user.type, user.name) == ("aws_iam_user", "ci")
    assert user.span == Span(7, 9, 8, 68)
    assert user.body["values"]["name"] == "ci-0"
    assert span_at(user.body, ("values", "tags", "Owner")) == Span(8, 55, 8, 65)
    role = found["module.app.aws_iam_role.this"]
    assert role.body["values"]["name"] == "eu"
    assert role.span == Span(20, 13, 21, 95)
    assert found["data.aws_iam_policy_document.trust"].type == "aws_iam_policy_document"
    assert found["module.app.module.keys.aws_kms_key.k"].span.line == 27


def test_provider_blocks() -> None:
    found = {b.address: b for b in plan_blocks("plan.json", load_json(PLAN))}
    aws = found["provider.aws"]
    assert (aws.kind, aws.type, aws.name, aws.span.line) == ("provider", "aws", "", 45)
    assert isinstance(aws.body["expressions"], LocDict)
    assert span_at(aws.body, ("expressions", "access_key", "constant_value")) == Span(46, 64, 46, 77)
    west = found["provider.aws.west"]
    assert (west.type, west.name) == ("aws", "west")
    assert found["provider.module.app:google"].type == "google"


def test_malformed_plans_do_not_crash() -> None:
    for text in (
        '{"format_version": "1", "planned_values": null}',
        '{"format_version": "1", "planned_values": {"root_module": {"resources": [1, {"address": 2}]}}}',
        '{"format_version": "1", "planned_values": {"root_module": {"child_modules": [null, {}]}},'
        ' "configuration": {"provider_config": {"x": 1, "y": {}}}}',
    ):
        blocks = plan_blocks("p.json", load_json(text))
        assert all(b.kind == "provider" for b in blocks)
    (provider,) = plan_blocks(
        "p.json",
        load_json('{"format_version": "1", "planned_values": {}, "configuration": {"provider_config": {"aws.b": {}}}}'),
    )
    assert (provider.type, provider.address) == ("aws", "provider.aws.b")


def test_parse_file_reads_a_plan(tmp_path: Path) -> None:
    compact = json.dumps(json.loads(PLAN))  # what `terraform show -json` writes: one line
    (tmp_path / "plan.json").write_text(compact, encoding="utf-8")
    parsed = parse_file(tmp_path / "plan.json", "plan.json")
    assert parsed is not None and parsed.error is None and parsed.format == "plan"
    assert len([b for b in parsed.blocks if b.kind in ("resource", "data")]) == 5
    assert all(b.span.line == 1 for b in parsed.blocks)
