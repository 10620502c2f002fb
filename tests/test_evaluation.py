"""Evaluation: values the deployment will use, Unknown where the code does not say, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhigate.engine import build_scopes
from nhigate.evaluate.terraform import Evaluator, TerraformModule
from nhigate.model import Ref, Unknown
from nhigate.parsers import parse_text
from nhigate.parsers.hcl import parse_expression
from nhigate.policy import policy_statements
from nhigate.view import TerraformView


def evaluate(text: str, module: TerraformModule | None = None) -> object:
    return Evaluator(module or TerraformModule(".", [])).evaluate(parse_expression(text))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('merge({a = 1}, {b = "x"}, {a = 2})', {"a": 2, "b": "x"}),
        ('concat(["a"], ["b", "c"])', ["a", "b", "c"]),
        ('lookup({k = "v"}, "k", "d")', "v"),
        ('lookup({k = "v"}, "missing", "d")', "d"),
        ('coalesce("", "x")', "x"),
        ('format("%s-%d", "app", 7)', "app-7"),
        ('join("-", ["a", "b"])', "a-b"),
        ('lower("ABC")', "abc"),
        ('upper("abc")', "ABC"),
        ("jsonencode({b = 1, a = [true]})", '{"a":[true],"b":1}'),
        ('jsondecode("{\\"a\\": 1}")', {"a": 1}),
        ("keys({b = 1, a = 2})", ["a", "b"]),
        ("values({b = 1, a = 2})", [2, 1]),
        ('toset(["b", "a", "b"])', ["a", "b"]),
        ('true ? "yes" : "no"', "yes"),
        ("1 + 2 * 3", 7),
        ('[for k, v in {a = 1, b = 2} : "${k}=${v}" if v > 1]', ["b=2"]),
        ('{for s in ["x", "y"] : s => upper(s)}', {"x": "X", "y": "Y"}),
        ('try(var.nope, "fallback")', "fallback"),
        ('"${1}-${true}"', "1-true"),
    ],
)
def test_functions_and_expressions(expression: str, expected: object) -> None:
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    "expression",
    ["timestamp()", 'file("x")', "var.undeclared", "each.key", "count.index", "path.module", "var.x == 1 ? 1 : 2"],
)
def test_what_cannot_be_known_is_unknown_never_an_exception(expression: str) -> None:
    assert isinstance(evaluate(expression), Unknown)


def test_references_stay_typed() -> None:
    assert evaluate("aws_iam_role.ci.arn") == Ref("aws_iam_role.ci", ("arn",))
    assert evaluate("aws_iam_role.ci[0].arn") == Ref("aws_iam_role.ci", ("arn",))
    assert evaluate("data.aws_iam_policy_document.trust.json") == Ref("data.aws_iam_policy_document.trust", ("json",))
    assert evaluate("module.app.role_arn") == Ref("module.app", ("role_arn",))
    assert isinstance(evaluate('"arn:${aws_iam_role.ci.arn}"'), Unknown)


def test_variables_locals_and_tfvars_precedence() -> None:
    parsed = parse_text(
        "main.tf",
        'variable "env" { default = "dev" }\nvariable "team" {}\n'
        "locals {\n  tags = { env = var.env, team = var.team }\n  again = local.again\n}\n",
        "hcl",
    )
    assert parsed is not None
    module = TerraformModule(".", parsed.blocks, {"team": "platform"})
    assert evaluate("local.tags", module) == {"env": "dev", "team": "platform"}
    assert isinstance(evaluate("local.again", module), Unknown)  # a cycle is Unknown, not a hang


def test_evaluation_budget_stops_runaway_work() -> None:
    nested = "[for a in range(1000) : [for b in range(1000) : a]]"
    assert isinstance(evaluate(nested), Unknown)  # range() is not evaluated: Unknown, fast
    big = "[" + ", ".join(["{ a = [1, 2, 3] }"] * 200) + "]"
    module = TerraformModule(".", [])
    assert isinstance(Evaluator(module, budget=50).evaluate(parse_expression(big)), Unknown)


def _scopes(tmp_path: Path, files: dict[str, str]) -> list:  # type: ignore[type-arg]
    from nhigate.parsers import parse_file

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    parsed = [parse_file(p, str(p)) for p in sorted(tmp_path.rglob("*")) if p.is_file()]
    scopes, _ = build_scopes([p for p in parsed if p is not None])
    return scopes


def test_default_tags_and_aliased_providers_feed_effective_tags(tmp_path: Path) -> None:
    scopes = _scopes(
        tmp_path,
        {
            "main.tf": 'provider "aws" {\n  default_tags {\n    tags = { owner = "platform" }\n  }\n}\n'
            'provider "aws" {\n  alias = "audit"\n  default_tags {\n    tags = { owner = "security" }\n  }\n}\n'
            'resource "aws_iam_role" "a" { name = "a" }\n'
            'resource "aws_iam_role" "b" {\n  provider = aws.audit\n  tags = { cost = "1" }\n}\n'
            'variable "t" {}\nresource "aws_iam_role" "c" { tags = var.t }\n'
        },
    )
    scope = scopes[0]
    views = {v.address: v for v in scope}
    assert scope.effective_tags(views["aws_iam_role.a"]) == {"owner": "platform"}
    assert scope.effective_tags(views["aws_iam_role.b"]) == {"owner": "security", "cost": "1"}
    assert isinstance(scope.effective_tags(views["aws_iam_role.c"]), Unknown)


def test_module_outputs_resolve_to_qualified_references(tmp_path: Path) -> None:
    scopes = _scopes(
        tmp_path,
        {
            "main.tf": 'module "iam" {\n  source = "./iam"\n  name = "ci"\n}\n'
            'resource "aws_lambda_function" "f" {\n  role = module.iam.role_arn\n  function_name = module.iam.name\n}\n',
            "iam/main.tf": 'variable "name" {}\nresource "aws_iam_role" "this" { name = var.name }\n'
            'output "role_arn" { value = aws_iam_role.this.arn }\noutput "name" { value = var.name }\n',
        },
    )
    root = scopes[0]
    function = next(v for v in root if v.address == "aws_lambda_function.f")
    assert function.get("role") == Ref("module.iam.aws_iam_role.this", ("arn",))
    assert function.get("function_name") == "ci"
    child = scopes[1]
    assert {v.address for v in child} >= {"module.iam.aws_iam_role.this"}
    role = root.resolve(function.get("role"))
    assert role is not None and role.address == "module.iam.aws_iam_role.this"


def test_module_cycles_are_reported_not_followed(tmp_path: Path) -> None:
    from nhigate.engine import ScanOptions, scan

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "main.tf").write_text('module "a" {\n  source = "./a"\n}\n')
    (tmp_path / "a" / "main.tf").write_text('module "b" {\n  source = "../b"\n}\n')
    (tmp_path / "b" / "main.tf").write_text('module "a" {\n  source = "../a"\n}\n')
    result = scan(ScanOptions(paths=[tmp_path], jobs=1))
    assert any("cycle" in n.message for n in result.notifications)


def test_policy_documents_normalise_to_one_statement_model(tmp_path: Path) -> None:
    scopes = _scopes(
        tmp_path,
        {
            "main.tf": 'data "aws_iam_policy_document" "trust" {\n  statement {\n    actions = ["sts:AssumeRole"]\n'
            '    principals {\n      type = "AWS"\n      identifiers = ["arn:aws:iam::111122223333:root"]\n    }\n'
            '    condition {\n      test = "StringEquals"\n      variable = "sts:ExternalId"\n      values = ["x"]\n    }\n  }\n}\n'
            'resource "aws_iam_role" "from_data" { assume_role_policy = data.aws_iam_policy_document.trust.json }\n'
            'resource "aws_iam_role" "from_jsonencode" {\n  assume_role_policy = jsonencode({\n    Statement = [{\n'
            '      Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = aws_iam_role.from_data.arn }\n    }]\n  })\n}\n'
            'resource "aws_iam_role" "from_string" { assume_role_policy = "{\\"Statement\\": {\\"Effect\\": \\"Allow\\", \\"Action\\": \\"sts:AssumeRole\\", \\"Principal\\": \\"*\\"}}" }\n'
        },
    )
    scope = scopes[0]
    views = {v.address: v for v in scope}
    from_data = policy_statements(views["aws_iam_role.from_data"], "assume_role_policy", scope)
    assert not isinstance(from_data, Unknown)
    assert from_data[0].principals == {"AWS": ("arn:aws:iam::111122223333:root",)}
    assert from_data[0].conditions[0].key == "sts:ExternalId" and from_data[0].allows("sts:AssumeRole")
    encoded = policy_statements(views["aws_iam_role.from_jsonencode"], "assume_role_policy", scope)
    assert not isinstance(encoded, Unknown)
    assert encoded[0].principals == {"AWS": (Ref("aws_iam_role.from_data", ("arn",)),)}
    literal = policy_statements(views["aws_iam_role.from_string"], "assume_role_policy", scope)
    assert not isinstance(literal, Unknown) and literal[0].principals == {"*": ("*",)}


def test_cloudformation_parameters_and_intrinsics_resolve(tmp_path: Path) -> None:
    scopes = _scopes(
        tmp_path,
        {
            "stack.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  Days:\n    Type: Number\n    Default: 30\n'
            "  Secret:\n    Type: String\n    NoEcho: true\nResources:\n  Role:\n    Type: AWS::IAM::Role\n"
            '    Properties:\n      RoleName: !Sub "app-role"\n      MaxSessionDuration: !Ref Days\n'
            "  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt Role.Arn\n"
            '      Description: !Ref Secret\n      Handler: !Join ["", ["index", ".handler"]]\n'
        },
    )
    views = {v.address: v for v in scopes[0]}
    assert views["Role"].get("MaxSessionDuration") == 30
    assert views["Role"].get("RoleName") == "app-role"
    assert views["Fn"].get("Role") == Ref("Role", ("Arn",))
    assert isinstance(views["Fn"].get("Description"), Unknown)  # no default
    assert views["Fn"].get("Handler") == "index.handler"


def test_tfvars_contexts_are_separate(tmp_path: Path) -> None:
    scopes = _scopes(
        tmp_path,
        {
            "main.tf": 'variable "env" {}\nresource "aws_iam_role" "r" { name = "app-${var.env}" }\n',
            "terraform.tfvars": 'env = "base"\n',
            "prod.tfvars": 'env = "prod"\n',
        },
    )
    names = {(s.context, next(v for v in s if v.address == "aws_iam_role.r").get("name")) for s in scopes}
    assert names == {("", "app-base"), ("prod.tfvars", "app-prod")}


def test_terraform_json_syntax_reads_like_hcl(tmp_path: Path) -> None:
    scopes = _scopes(
        tmp_path,
        {
            "main.tf.json": '{"variable": {"days": {"default": "8760h"}},\n'
            ' "resource": {"azuread_application_password": {"p": {"end_date_relative": "${var.days}"}}}}\n'
        },
    )
    view = next(v for v in scopes[0] if v.address == "azuread_application_password.p")
    assert isinstance(view, TerraformView) and view.get("end_date_relative") == "8760h"


def test_cloudformation_sub_and_select(tmp_path: Path) -> None:
    scopes = _scopes(
        tmp_path,
        {
            "stack.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  Env: {Type: String, Default: prod}\n'
            "  NoDefault: {Type: String}\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
            '      RoleName: !Sub "app-${Env}-role"\n      Path: !Sub ["/${X}/", {X: svc}]\n'
            '      Description: !Sub "${NoDefault}"\n      PermissionsBoundary: !Sub "${AWS::Region}-x"\n'
            '      Policies: !Sub "literal ${!Keep}"\n      ManagedPolicyArns: !Select [1, [a, b]]\n'
        },
    )
    role = next(v for v in scopes[0] if v.address == "R")
    assert role.get("RoleName") == "app-prod-role"
    assert role.get("Path") == "/svc/"
    assert isinstance(role.get("Description"), Unknown)
    assert isinstance(role.get("PermissionsBoundary"), Unknown)
    assert role.get("Policies") == "literal ${Keep}"
    assert role.get("ManagedPolicyArns") == "b"


def test_cloudformation_conditions_decide_fn_if_and_conditional_resources(tmp_path: Path) -> None:
    scopes = _scopes(
        tmp_path,
        {
            "stack.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n'
            "  Mode: {Type: String, Default: Yes}\n  Free: {Type: String}\n  Count: {Type: Number, Default: 2}\n"
            "Conditions:\n  IsYes: !Equals [!Ref Mode, 'Yes']\n  IsNo: !Not [!Condition IsYes]\n"
            "  Both: !And [!Condition IsYes, !Equals [!Ref Count, '2']]\n  Open: !Equals [!Ref Free, x]\n"
            "  Either: !Or [!Condition IsYes, !Condition Open]\n  Region: !Equals [!Ref AWS::Region, eu-west-1]\n"
            "Resources:\n  On:\n    Type: AWS::IAM::Role\n    Condition: Both\n    Properties:\n"
            "      RoleName: !If [IsYes, yes-role, no-role]\n      Path: !If [Open, /a/, /b/]\n"
            "  Off:\n    Type: AWS::IAM::Role\n    Condition: IsNo\n"
            "  Maybe:\n    Type: AWS::IAM::Role\n    Condition: Region\n"
            "  Any:\n    Type: AWS::IAM::Role\n    Condition: Either\n"
            "  Undefined:\n    Type: AWS::IAM::Role\n    Condition: NotDeclared\n"
        },
    )
    views = {v.address: v for v in scopes[0]}
    assert views["On"].exists() is True and views["On"].get("RoleName") == "yes-role"
    assert isinstance(views["On"].get("Path"), Unknown)  # the condition depends on a parameter without default
    assert views["Off"].exists() is False
    assert views["Maybe"].exists() is None  # pseudo parameters are not known
    assert views["Any"].exists() is True  # one known true operand settles an Or
    assert views["Undefined"].exists() is None


def test_registry_modules_resolve_only_through_modules_json(tmp_path: Path) -> None:
    files = {
        "main.tf": 'module "keys" {\n  source  = "example/keys/aws"\n  version = "1.0.0"\n  lifetime = "8760h"\n}\n',
        ".terraform/modules/keys/main.tf": 'variable "lifetime" {}\n'
        'resource "azuread_application_password" "p" {\n  application_id = "a"\n  end_date_relative = var.lifetime\n}\n',
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    from nhigate.engine import ScanOptions, scan

    assert scan(ScanOptions(paths=[tmp_path], jobs=1, cwd=tmp_path)).findings == []  # nothing fetched, nothing known
    manifest = '{"Modules": [{"Key": "keys", "Source": "example/keys/aws", "Dir": ".terraform/modules/keys"}]}'
    (tmp_path / ".terraform" / "modules" / "modules.json").write_text(manifest)
    result = scan(ScanOptions(paths=[tmp_path], jobs=1, cwd=tmp_path))
    assert [(f.rule_id, f.address, f.file) for f in result.findings] == [
        ("NHI105", "module.keys.azuread_application_password.p", ".terraform/modules/keys/main.tf")
    ]
