"""CloudFormation templates to blocks: lines, intrinsics in both syntaxes, comments, corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nhigate.model import Block, Span
from nhigate.parsers import parse_file
from nhigate.parsers.cfn import TEMPLATE_TYPE, cfn_blocks, is_cfn, to_intrinsics, yaml_comments
from nhigate.parsers.located import Intrinsic, LocDict, LocList, span_at
from nhigate.parsers.locdata import LoadError, load_json, load_yaml

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "aws-cloudformation__aws-cloudformation-templates"

YAML_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: "NHI test # not a comment"
Parameters:
  Env:
    Type: String
    Default: dev
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  # nhigate:ignore NHI101 reason="above the resource, outside it"
  CiUser:
    Type: AWS::IAM::User
    Properties:
      UserName: !Sub "ci-${Env}"  # nhigate:ignore NHI401 reason="tests"
      Path: /ci#path/
  CiKey:  # key comment
    Type: AWS::IAM::AccessKey
    Condition: IsProd
    Properties:
      UserName: !Ref CiUser
      Status: !If [IsProd, Active, Inactive]
      Serial: !Select [0, !Split [",", "1,2"]]
  Role:
    Type: AWS::IAM::Role
    Properties:
      Description: 'quoted # text'
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal:
              AWS: !GetAtt CiUser.Arn
            Action: sts:AssumeRole
            Condition:
              StringEquals:
                aws:PrincipalTag/team: ci
      Script: !Sub |
        #!/bin/bash
        # shell comment, part of the string
        echo ${Env}
Outputs:
  KeyId:
    Value: !Ref CiKey
    Export:
      Name: !Join ["-", [!Ref "AWS::StackName", key]]
  Secret:
    Value: !GetAtt [CiKey, SecretAccessKey]
"""

JSON_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "NHI test # not a comment",
    "Parameters": {"Env": {"Type": "String", "Default": "dev"}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    "Resources": {
        "CiUser": {
            "Type": "AWS::IAM::User",
            "Properties": {"UserName": {"Fn::Sub": "ci-${Env}"}, "Path": "/ci#path/"},
        },
        "CiKey": {
            "Type": "AWS::IAM::AccessKey",
            "Condition": "IsProd",
            "Properties": {
                "UserName": {"Ref": "CiUser"},
                "Status": {"Fn::If": ["IsProd", "Active", "Inactive"]},
                "Serial": {"Fn::Select": [0, {"Fn::Split": [",", "1,2"]}]},
            },
        },
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": "quoted # text",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": {"Fn::GetAtt": "CiUser.Arn"}},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ci"}},
                        }
                    ],
                },
                "Script": {"Fn::Sub": "#!/bin/bash\n# shell comment, part of the string\necho ${Env}\n"},
            },
        },
    },
    "Outputs": {
        "KeyId": {
            "Value": {"Ref": "CiKey"},
            "Export": {"Name": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "key"]]}},
        },
        "Secret": {"Value": {"Fn::GetAtt": ["CiKey", "SecretAccessKey"]}},
    },
}


def plain(value: Any) -> Any:
    if isinstance(value, Intrinsic):
        return ("intrinsic", value.name, plain(value.args))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def by_address(blocks: list[Block]) -> dict[str, Block]:
    return {b.address: b for b in blocks}


def yaml_blocks(text: str = YAML_TEMPLATE) -> list[Block]:
    return cfn_blocks("t.yaml", load_yaml(text), text)


def test_blocks_for_resources_parameters_outputs_and_template() -> None:
    blocks = yaml_blocks()
    assert [(b.kind, b.address) for b in blocks] == [
        ("template", "Template"),
        ("parameter", "Parameters.Env"),
        ("resource", "CiUser"),
        ("resource", "CiKey"),
        ("resource", "Role"),
        ("output", "Outputs.KeyId"),
        ("output", "Outputs.Secret"),
    ]
    found = by_address(blocks)
    assert all(b.format == "cloudformation" and b.file == "t.yaml" for b in blocks)
    assert found["CiUser"].type == "AWS::IAM::User" and found["CiUser"].name == "CiUser"
    assert found["Parameters.Env"].type == "String" and found["Parameters.Env"].name == "Env"
    assert found["Outputs.KeyId"].name == "KeyId"
    template = found["Template"]
    assert template.type == TEMPLATE_TYPE and template.name == ""
    assert isinstance(template.body["Conditions"]["IsProd"], Intrinsic)


def test_block_spans_are_exact() -> None:
    found = by_address(yaml_blocks())
    assert found["Template"].span.line == 1
    assert found["Parameters.Env"].span == Span(4, 3, 6, 17)
    assert found["CiUser"].span == Span(11, 3, 15, 22)
    assert found["CiKey"].span == Span(16, 3, 22, 47)
    assert found["Role"].span == Span(23, 3, 40, 20)
    assert found["Outputs.Secret"].span == Span(46, 3, 47, 44)


def test_nested_property_spans() -> None:
    role = by_address(yaml_blocks())["Role"].body
    assert span_at(role, ("Properties", "AssumeRolePolicyDocument", "Statement", 0, "Action")) == Span(33, 21, 33, 35)
    principal = span_at(role, ("Properties", "AssumeRolePolicyDocument", "Statement", 0, "Principal", "AWS"))
    assert principal == Span(32, 20, 32, 38)
    assert span_at(role, ("Properties", "Script")) == Span(37, 15, 40, 20)


def test_intrinsics_in_resource_bodies() -> None:
    found = by_address(yaml_blocks())
    key = found["CiKey"].body["Properties"]
    assert key["UserName"] == Intrinsic("Ref", "CiUser", Span(20, 17, 20, 28))
    assert key["Status"].name == "Fn::If"
    assert plain(key["Serial"]) == ("intrinsic", "Fn::Select", [0, ("intrinsic", "Fn::Split", [",", "1,2"])])
    principal = found["Role"].body["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]
    assert principal.name == "Fn::GetAtt" and principal.args == ["CiUser", "Arn"]
    statement = found["Role"].body["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert isinstance(statement["Condition"], LocDict)  # an IAM condition, not the intrinsic
    assert found["CiKey"].body["Condition"] == "IsProd"
    assert found["Outputs.Secret"].body["Value"].args == ["CiKey", "SecretAccessKey"]


def test_yaml_short_form_and_json_long_form_give_the_same_structure() -> None:
    text = json.dumps(JSON_TEMPLATE, indent=2)
    from_json = cfn_blocks("t.json", load_json(text), text)
    from_yaml = yaml_blocks()
    assert [(b.kind, b.address, b.type) for b in from_json] == [(b.kind, b.address, b.type) for b in from_yaml]
    for left, right in zip(from_json, from_yaml, strict=True):
        assert plain(left.body) == plain(right.body), left.address
    assert all(b.comments == () for b in from_json)


def test_json_long_form_spans_come_from_the_mapping() -> None:
    text = '{"Resources": {"K": {"Type": "AWS::IAM::AccessKey",\n  "Properties": {"UserName": {"Ref": "U"}}}}}'
    (_, key) = cfn_blocks("t.json", load_json(text), text)
    value = key.body["Properties"]["UserName"]
    assert value == Intrinsic("Ref", "U", Span(2, 30, 2, 42))
    assert key.body["Properties"].value_spans["UserName"] == value.span
    assert key.span == Span(1, 16, 2, 44)


def test_getatt_string_form_in_json_is_split() -> None:
    converted = to_intrinsics(load_json('{"a": {"Fn::GetAtt": "Db.Endpoint.Address"}}'))
    assert converted["a"].args == ["Db", "Endpoint.Address"]
    assert isinstance(converted["a"].args, LocList)


def test_long_form_inside_short_form_is_converted() -> None:
    converted = to_intrinsics(load_yaml("a: !If [C, {Ref: X}, {'Fn::GetAtt': [R, Arn]}]\nb: !Base64 {'Fn::Sub': x}\n"))
    assert plain(converted["a"]) == (
        "intrinsic",
        "Fn::If",
        ["C", ("intrinsic", "Ref", "X"), ("intrinsic", "Fn::GetAtt", ["R", "Arn"])],
    )
    assert plain(converted["b"]) == ("intrinsic", "Fn::Base64", ("intrinsic", "Fn::Sub", "x"))


def test_comments_inside_blocks() -> None:
    found = by_address(yaml_blocks())
    assert found["CiUser"].comments == ((14, 'nhigate:ignore NHI401 reason="tests"'),)
    assert found["CiKey"].comments == ((16, "key comment"),)
    assert found["Role"].comments == ()  # "# text" is quoted, the shell comment is in a | block
    assert found["Template"].comments == ()


def test_comment_detection_ignores_scalars() -> None:
    text = (
        "a: x#y\n"
        "b: 'it''s # quoted'  # real one\n"
        "c: It's plain # after plain\n"
        "d: |  # header comment\n"
        "  # body line\n"
        "e: >-\n"
        "  folded # body\n"
        "f: !Sub |\n"
        "  # body\n"
        'g: "multi\n'
        "  # still string\n"
        '  line"  # end\n'
        "#top\n"
    )
    assert yaml_comments(load_yaml(text), text) == [
        (2, "real one"),
        (3, "after plain"),
        (4, "header comment"),
        (12, "end"),
        (13, "top"),
    ]


def test_resources_without_a_type_are_skipped() -> None:
    text = (
        "Resources:\n  A:\n    Properties: {}\n  B: just a string\n"
        "  C:\n    Type: [x]\n  D:\n    Type: AWS::S3::Bucket\n"
    )
    doc = load_yaml(text)
    assert is_cfn(doc)
    assert [b.address for b in cfn_blocks("t.yaml", doc, text)] == ["Template", "D"]


def test_is_cfn() -> None:
    assert is_cfn(load_yaml("AWSTemplateFormatVersion: '2010-09-09'\n"))
    assert is_cfn(load_yaml("Resources:\n  A:\n    Type: Custom::Thing\n"))
    assert not is_cfn(load_yaml("Resources:\n  A:\n    Type: thing\n"))
    assert not is_cfn(load_yaml("name: ci\non: push\n"))
    assert not is_cfn(load_yaml("- a\n"))
    assert not is_cfn(None)


def test_sam_functions_are_ordinary_resources() -> None:
    text = (
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: index.handler\n"
        "      Environment:\n"
        "        Variables:\n"
        "          API_KEY: hunter2\n"
    )
    doc = load_yaml(text)
    assert is_cfn(doc)
    (template, function) = cfn_blocks("sam.yaml", doc, text)
    assert template.body["Transform"] == "AWS::Serverless-2016-10-31"
    assert (function.type, function.address, function.span) == ("AWS::Serverless::Function", "Fn", Span(3, 3, 9, 27))


def test_foreach_fragments_are_one_block_each() -> None:
    text = (
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Transform: AWS::LanguageExtensions\n"
        "Resources:\n"
        "  Fn::ForEach::Users:\n"
        "    - Name\n"
        "    - [a, b]\n"
        "    - User${Name}:\n"
        "        Type: AWS::IAM::User\n"
        "      Key${Name}:  # nhigate:ignore NHI101\n"
        "        Type: AWS::IAM::AccessKey\n"
        "        Properties:\n"
        "          UserName: !Ref\n"
        "            Fn::Sub: User${Name}\n"
    )
    blocks = by_address(cfn_blocks("t.yaml", load_yaml(text), text))
    assert blocks["User${Name}"].span == Span(7, 7, 8, 29)
    assert blocks["Key${Name}"].comments == ((9, "nhigate:ignore NHI101"),)
    assert blocks["Key${Name}"].body["Properties"]["UserName"].name == "Ref"


def test_parse_file_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(YAML_TEMPLATE, encoding="utf-8")
    (tmp_path / "t.json").write_text("\ufeff" + json.dumps(JSON_TEMPLATE, indent=2), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("AWSTemplateFormatVersion: x\nResources:\n  A: [\n", encoding="utf-8")
    parsed = parse_file(tmp_path / "t.yaml", "t.yaml")
    assert parsed is not None and parsed.error is None and parsed.format == "cloudformation"
    assert len(parsed.blocks) == 7
    parsed_json = parse_file(tmp_path / "t.json", "t.json")
    assert parsed_json is not None and parsed_json.error is None and len(parsed_json.blocks) == 7
    broken = parse_file(tmp_path / "bad.yaml", "bad.yaml")
    assert broken is not None and broken.error is not None and broken.error.line == 4


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
def test_corpus_templates_load() -> None:
    templates = 0
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json", ".template") or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        loader = load_json if text.lstrip().startswith("{") else load_yaml
        try:
            doc = loader(text)
        except LoadError:
            continue
        if is_cfn(doc):
            templates += 1
            blocks = cfn_blocks(str(path), doc, text)
            assert any(b.kind == "resource" for b in blocks), path
            assert all(b.span.line <= b.span.end_line for b in blocks), path
    assert templates > 100
