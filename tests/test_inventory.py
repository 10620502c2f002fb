"""The NHI inventory and environment inference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhigate.environments import from_path, from_tfvars, normalise
from test_gate import write
from test_outputs import nhigate


def test_inventory_of_the_example_estate() -> None:
    result = nhigate("inventory", "examples/estate", "--format", "json")
    assert result.returncode == 0, result.stderr
    inventory = json.loads(result.stdout)
    totals = inventory["totals"]
    assert totals["identities"] == 5 and totals["credentials"] == 4
    assert totals["environments"] == ["dev", "prod"]
    rows = {r["address"]: r for r in inventory["identities"]}
    user = rows["aws_iam_user.deploy_bot"]
    assert user["owner"] == "platform-team"  # from provider default_tags
    assert user["environment"] == "prod"
    assert user["credentials"][0]["address"] == "aws_iam_access_key.deploy_bot"
    assert user["credentials"][0]["lifetime"] == "static, never expires"
    assert user["findings"] == ["NHI101"]
    assert rows["google_service_account.etl"]["owner"] == "data-platform"  # description convention
    assert any("token.actions.githubusercontent.com" in t for t in rows["aws_iam_role.deploy"]["trusted_by"])
    assert rows["VendorUser"]["credentials"][0]["address"] == "VendorKey"  # CloudFormation !Ref


def test_inventory_formats() -> None:
    csv_text = nhigate("inventory", "examples/estate", "--format", "csv").stdout
    assert (
        csv_text.splitlines()[0] == "address,type,location,environment,owner,credentials,consumers,trusted_by,findings"
    )
    markdown = nhigate("inventory", "examples/estate", "--format", "markdown").stdout
    assert markdown.startswith("# NHI inventory") and "| `aws_iam_user.deploy_bot`" in markdown
    table = nhigate("inventory", "examples/estate").stdout
    assert "NHI inventory" in table and "5 identities, 4 credentials" in table


def test_consumers_are_followed_through_instance_profiles_and_module_outputs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'module "iam" {\n  source = "./iam"\n}\n'
            'resource "aws_iam_instance_profile" "p" {\n  role = module.iam.role_name\n}\n'
            'resource "aws_instance" "vm" {\n  iam_instance_profile = aws_iam_instance_profile.p.name\n}\n'
            'resource "aws_lambda_function" "f" {\n  role = module.iam.role_arn\n}\n',
            "iam/main.tf": 'resource "aws_iam_role" "this" {\n  name = "app"\n  tags = { owner = "app-team" }\n}\n'
            'output "role_arn" { value = aws_iam_role.this.arn }\noutput "role_name" { value = aws_iam_role.this.name }\n',
        },
    )
    inventory = json.loads(nhigate("inventory", ".", "--format", "json", cwd=tmp_path).stdout)
    (role,) = inventory["identities"]
    assert role["address"] == "module.iam.aws_iam_role.this" and role["owner"] == "app-team"
    assert [c.split(" ")[0] for c in role["consumers"]] == ["aws_instance.vm", "aws_lambda_function.f"]


def test_environment_precedence(tmp_path: Path) -> None:
    role = 'resource "aws_iam_role" "r" {\n  name = "r"\n}\n'
    write(
        tmp_path,
        {
            "envs/staging/main.tf": role,  # path segment
            "envs/staging/prod.tfvars": "",  # a tfvars name wins over the path for that context
            "teams/a/main.tf": 'variable "environment" {\n  default = "production"\n}\n' + role,  # variable value
            "teams/b/main.tf": 'provider "aws" {\n  allowed_account_ids = ["111122223333"]\n}\n' + role,
            ".nhigate.yaml": "environments:\n  accounts:\n    '111122223333': sandbox\n",
        },
    )
    inventory = json.loads(nhigate("inventory", ".", "--format", "json", cwd=tmp_path).stdout)
    found = {(r["location"], r["environment"], r["environment_source"].split(" ")[0]) for r in inventory["identities"]}
    assert ("envs/staging/main.tf:1", "staging", "path") in found
    assert ("envs/staging/main.tf:1", "prod", "tfvars") in found
    assert ("teams/a/main.tf:4", "prod", "variable") in found
    assert ("teams/b/main.tf:4", "sandbox", "config") in found


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("live/production/iam/main.tf", "prod"),
        ("envs/stg/main.tf", "staging"),
        ("accounts/dev/main.tf", "dev"),
        ("stacks/uat/x.yaml", "test"),
        ("modules/iam/main.tf", None),
        ("live/main.tf", None),
        ("prod-eu-west-1/main.tf", "prod"),
    ],
)
def test_environment_from_path(path: str, expected: str | None) -> None:
    found = from_path(path)
    assert (found.name if found else None) == expected


def test_aliases_and_tfvars_names() -> None:
    assert normalise("Production") == "prod" and normalise("QA") == "test" and normalise("sbx") == "sandbox"
    assert normalise("blue") is None
    found = from_tfvars("prod-eu.tfvars")
    assert found is not None and found.name == "prod"


def test_every_module_instance_lists_its_blocks_findings_and_nothing_is_listed_that_is_not_created(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'module "a" {\n  source = "./role"\n}\nmodule "b" {\n  source = "./role"\n}\n'
            'data "aws_iam_role" "existing" {\n  name = "legacy"\n}\n'
            'resource "aws_iam_role" "off" {\n  count = 0\n  name  = "never-created"\n}\n'
            'resource "aws_lambda_function" "off" {\n  count = 0\n  role  = data.aws_iam_role.existing.arn\n}\n'
            'resource "aws_lambda_function" "on" {\n  role = data.aws_iam_role.existing.arn\n}\n',
            "role/main.tf": 'resource "aws_iam_role" "this" {\n  name = "app"\n}\n',
        },
    )
    inventory = json.loads(nhigate("inventory", ".", "--format", "json", cwd=tmp_path).stdout)
    rows = {r["address"]: r for r in inventory["identities"]}
    assert sorted(rows) == ["data.aws_iam_role.existing", "module.a.aws_iam_role.this", "module.b.aws_iam_role.this"]
    # one NHI401 finding for the module's block (reported once), listed on both instances
    assert rows["module.a.aws_iam_role.this"]["findings"] == rows["module.b.aws_iam_role.this"]["findings"] == ["NHI401"]
    existing = rows["data.aws_iam_role.existing"]
    assert existing["owner"].startswith("external") and existing["findings"] == []
    assert [c.split(" ")[0] for c in existing["consumers"]] == ["aws_lambda_function.on"]  # count = 0 runs nothing
    assert inventory["totals"]["owners_missing"] == 2 and inventory["totals"]["owners_unknown"] == 1
