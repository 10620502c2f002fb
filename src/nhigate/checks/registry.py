"""Explicit registry of check predicates: the ``predicate`` name in ``checks/NHIxxx.yaml`` -> function.

Listing them here (rather than registering on import) keeps start-up cheap and lets mypy see
every predicate's signature; the catalog contract test fails if a YAML names a missing predicate.
"""

from __future__ import annotations

from nhigate.checks import environments as cross_environment
from nhigate.checks import hardcoded, long_lived, owners, rotation, sharing
from nhigate.checks.base import Predicate, ProjectPredicate

PREDICATES: dict[str, Predicate] = {
    "iam_user_access_key": long_lived.iam_user_access_key,
    "iam_service_specific_credential": long_lived.iam_service_specific_credential,
    "gcp_service_account_key": long_lived.gcp_service_account_key,
    "gcp_api_key": long_lived.gcp_api_key,
    "azure_credential_lifetime": long_lived.azure_credential_lifetime,
    "azure_certificate_lifetime": long_lived.azure_certificate_lifetime,
    "azure_key_auth_enabled": long_lived.azure_key_auth_enabled,
    "hardcoded_secret": hardcoded.hardcoded_secret,
    "provider_credentials": hardcoded.provider_credentials,
    "oidc_trust_not_pinned": cross_environment.oidc_trust_not_pinned,
    "workload_identity_provider_without_condition": cross_environment.workload_identity_provider_without_condition,
    "federated_credential_not_pinned": cross_environment.federated_credential_not_pinned,
    "secretsmanager_secret_without_rotation": rotation.secretsmanager_secret_without_rotation,
    "kms_key_without_rotation": rotation.kms_key_without_rotation,
    "role_session_too_long": rotation.role_session_too_long,
    "database_master_password_unmanaged": rotation.database_master_password_unmanaged,
    "gcp_kms_key_without_rotation": rotation.gcp_kms_key_without_rotation,
    "gcp_secret_without_rotation": rotation.gcp_secret_without_rotation,
    "keyvault_item_without_expiry": rotation.keyvault_item_without_expiry,
    "keyvault_key_without_rotation": rotation.keyvault_key_without_rotation,
    "vault_approle_secret_id_without_ttl": rotation.vault_approle_secret_id_without_ttl,
    "vault_token_without_ttl": rotation.vault_token_without_ttl,
    "missing_owner": owners.missing_owner,
    "default_service_account": sharing.default_service_account,
    "human_can_impersonate_service_account": sharing.human_can_impersonate_service_account,
    "trust_open_to_anyone": sharing.trust_open_to_anyone,
    "cross_account_trust_without_external_id": sharing.cross_account_trust_without_external_id,
}

# Project-wide checks (``scope: project``): they see the NHI graph of the whole scan.
PROJECT_PREDICATES: dict[str, ProjectPredicate] = {
    "credential_shared_across_environments": cross_environment.credential_shared_across_environments,
    "literal_secret_shared_across_environments": cross_environment.literal_secret_shared_across_environments,
    "reference_names_other_environment": cross_environment.reference_names_other_environment,
    "prod_trusts_non_prod_principal": cross_environment.prod_trusts_non_prod_principal,
    "identity_shared_by_workloads": sharing.identity_shared_by_workloads,
    "iam_user_used_by_people_and_machines": sharing.iam_user_used_by_people_and_machines,
}

# Predicates that read the code as written (literals), not evaluated values: they run once per
# block (not per for_each instance) and only on blocks whose text may hold a secret.
SECRET_SCANNING = frozenset({"hardcoded_secret", "provider_credentials"})
