"""A conservative, per-block pre-filter for the secret checks, computed once at parse time.

The hard-coded-secret check looks at every block of an estate; most blocks (subnets, buckets,
routes) cannot hold a secret, and reading their syntax trees is what made cached scans slow.
This test on the block's source text is a strict superset of what :mod:`nhigate.secrets` can
flag: every token rule's anchor (taken from the library itself, so the two cannot drift), every
word a secret-bearing name is built from, and any long base64-like run (a blob that may hide a
key).  A block without any of them is skipped without being read; a false "maybe" only costs time.
"""

from __future__ import annotations

import re

from nhigate import secrets

# Attributes that hold a secret whatever they are called: (type, attribute) -> what it is.  Blocks
# of these types always pass the pre-filter.
SECRET_ATTRIBUTES: dict[tuple[str, str], str] = {
    ("github_actions_secret", "plaintext_value"): "GitHub Actions secret",
    ("github_actions_environment_secret", "plaintext_value"): "GitHub Actions secret",
    ("github_actions_organization_secret", "plaintext_value"): "GitHub Actions secret",
    ("aws_secretsmanager_secret_version", "secret_string"): "Secrets Manager secret value",
    ("aws_ssm_parameter", "value"): "SSM SecureString parameter value",
    ("azurerm_key_vault_secret", "value"): "Key Vault secret value",
    ("google_secret_manager_secret_version", "secret_data"): "Secret Manager secret value",
    ("vault_generic_secret", "data_json"): "Vault secret",
    ("vault_kv_secret_v2", "data_json"): "Vault secret",
    ("kubernetes_secret", "data"): "Kubernetes secret",
    ("kubernetes_secret_v1", "data"): "Kubernetes secret",
    ("AWS::SecretsManager::Secret", "SecretString"): "Secrets Manager secret value",
}
ALWAYS_SCANNED = frozenset(type_name for type_name, _ in SECRET_ATTRIBUTES)

_NAME_WORDS = ("pass", "pwd", "secret", "ecret", "token", "key", "cred", "sas", "bearer", "conn", "hook", "auth")
_ANCHORS = sorted({anchor for rule in secrets._RULES for anchor in rule.anchors})
# Compared case-insensitively with ``in`` on the lower-cased text: fifteen times faster than one
# case-insensitive regular expression of all the words (which dominated parse time).
_WORDS = tuple(sorted({word.lower() for word in (*_NAME_WORDS, *_ANCHORS)}))
_LONG_RUN = re.compile(r"[A-Za-z0-9+/=_-]{40}")


def may_hold_secret(text: str, block_type: str = "") -> bool:
    if block_type in ALWAYS_SCANNED:
        return True
    lowered = text.lower()
    return any(word in lowered for word in _WORDS) or _LONG_RUN.search(text) is not None


# Words every literal reference to a credential-bearing object contains (ARNs, service-account
# e-mails, secret resource names and URIs, managed-identity IDs, dynamic references), kept short
# so that a reference assembled from pieces (``join(":", ["arn", ...])``) still shows one.
_OBJECT_WORDS = ("arn", "gserviceaccount", "secrets", "assignedidentities", "resolve")


def may_name_object(text: str) -> bool:
    """Whether a block's source text may spell a reference to a secret, role, user, service
    account or managed identity.  The cross-environment checks walk every evaluated value of a
    module only when one of its blocks (or its callers', or its tfvars) may: values come from
    nowhere else, so a module none of whose text has these words cannot name such an object."""
    lowered = text.lower()
    return any(word in lowered for word in _OBJECT_WORDS)
