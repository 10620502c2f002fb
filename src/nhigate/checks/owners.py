"""Family ``missing-owner``: identities, secrets and keys nobody is accountable for.

The owner itself is read by :mod:`nhigate.owners` (tags with provider defaults, GCP labels, the
service-account description convention, ``azuread`` ``owners`` lists, owners recorded in the
configuration), the same answer ``nhigate inventory`` shows.  An owner that depends on a value
nhigate cannot resolve is *cannot tell*: no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from nhigate.checks.base import CheckContext
from nhigate.findings import Violation
from nhigate.owners import owner_of
from nhigate.view import ResourceView

# An SSM parameter is a secret only as a SecureString.
_PARAMETER_TYPES = {"aws_ssm_parameter": "type"}


def _accepted(ctx: CheckContext) -> str:
    return ", ".join(ctx.owners.tag_keys)


def missing_owner(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """No accountable owner recorded for an identity, secret or key (or only a placeholder)."""
    if view.type in _PARAMETER_TYPES and view.get(_PARAMETER_TYPES[view.type]) != "SecureString":
        return  # a plain String parameter is configuration; an Unknown type cannot be judged
    owner = owner_of(view, ctx.scope, ctx.owners)
    if owner.state == "placeholder":
        yield Violation(
            owner.path,
            f"owner is a placeholder ({owner.where} = {owner.value!r}): nobody is accountable for this {_noun(view)}",
            agentic=_is_agent(view),
        )
    elif owner.state == "missing":
        yield Violation(owner.path, _missing_message(view, ctx, owner.where), agentic=_is_agent(view))


def _missing_message(view: ResourceView, ctx: CheckContext, why: str) -> str:
    noun = _noun(view)
    if view.type in ("azuread_application", "azuread_service_principal"):
        return f"{noun} without owners ({why}): nobody is accountable for it or its credentials"
    if view.type == "google_service_account":
        return (
            f"{noun} without an owner ({why}): service accounts have no labels, so write "
            "'owner: <team>' in its description or record the owner in the configuration"
        )
    where = "labels" if view.type.startswith("google_") else "tags"
    return f"{noun} without an owner ({why}; accepted {where}: {_accepted(ctx)}): nobody is accountable for it"


_NOUNS = {
    "aws_iam_role": "IAM role",
    "AWS::IAM::Role": "IAM role",
    "aws_iam_user": "IAM user",
    "AWS::IAM::User": "IAM user",
    "aws_bedrockagent_agent": "Bedrock agent",
    "AWS::Bedrock::Agent": "Bedrock agent",
    "google_service_account": "service account",
    "azurerm_user_assigned_identity": "managed identity",
    "azuread_application": "application registration",
    "azuread_service_principal": "service principal",
    "aws_secretsmanager_secret": "Secrets Manager secret",
    "AWS::SecretsManager::Secret": "Secrets Manager secret",
    "aws_kms_key": "KMS key",
    "AWS::KMS::Key": "KMS key",
    "aws_ssm_parameter": "SecureString parameter",
    "google_secret_manager_secret": "Secret Manager secret",
    "google_kms_crypto_key": "Cloud KMS key",
    "azurerm_key_vault_secret": "Key Vault secret",
    "azurerm_key_vault_key": "Key Vault key",
}


def _noun(view: ResourceView) -> str:
    return _NOUNS.get(view.type, view.type)


def _is_agent(view: ResourceView) -> bool:
    return view.type in ("aws_bedrockagent_agent", "AWS::Bedrock::Agent")
