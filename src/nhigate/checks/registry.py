"""Explicit registry of check predicates: the ``predicate`` name in ``checks/NHIxxx.yaml`` -> function.

Listing them here (rather than registering on import) keeps start-up cheap and lets mypy see
every predicate's signature; the catalog contract test fails if a YAML names a missing predicate.
"""

from __future__ import annotations

from nhigate.checks import hardcoded, long_lived
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
}

# Project-wide checks (``scope: project``): they see the NHI graph of the whole scan.
PROJECT_PREDICATES: dict[str, ProjectPredicate] = {}

# Predicates that read the code as written (literals), not evaluated values: they run once per
# block (not per for_each instance) and only on blocks whose text may hold a secret.
SECRET_SCANNING = frozenset({"hardcoded_secret", "provider_credentials"})
