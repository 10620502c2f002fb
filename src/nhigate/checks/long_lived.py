"""Family ``long-lived-credential``: static credentials with no or distant expiry."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from nhigate.checks.base import AI_RESOURCE_TYPES, CheckContext, is_set, is_unknown
from nhigate.findings import Violation
from nhigate.view import MISSING, ResourceView

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns)")
_UNIT_HOURS = {
    "h": 1.0,
    "m": 1 / 60,
    "s": 1 / 3600,
    "ms": 1 / 3.6e6,
    "us": 1 / 3.6e9,
    "µs": 1 / 3.6e9,
    "ns": 1 / 3.6e12,
}
_MODEL_APIS = ("generativelanguage.googleapis.com", "aiplatform.googleapis.com")


def duration_days(text: str) -> float | None:
    """Days in a Go duration such as ``"2160h"`` or ``"8760h30m"``; None when it is not one."""
    text = text.strip()
    if not text or _GO_DURATION.sub("", text) != "":
        return None
    hours = sum(float(n) * _UNIT_HOURS[u] for n, u in _GO_DURATION.findall(text))
    return hours / 24


def date_of(text: str) -> dt.date | None:
    """The date part of an RFC 3339 timestamp or a plain ``YYYY-MM-DD``."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def iam_user_access_key(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """An IAM user access key: a static credential that never expires by itself."""
    status = view.get("status") if view.block.format != "cloudformation" else view.get("Status")
    if isinstance(status, str) and status.lower() == "inactive":
        return
    if view.block.format == "cloudformation":
        yield Violation((), "IAM user access key: a static credential with no expiry; use a role instead")
        return
    pgp_key = view.get("pgp_key")
    if pgp_key is MISSING or pgp_key is None or pgp_key == "":
        yield Violation(
            (),
            "IAM user access key without pgp_key: a static credential with no expiry whose secret "
            "is stored unencrypted in Terraform state; use a role instead",
            severity="critical",
        )
    else:
        yield Violation((), "IAM user access key: a static credential with no expiry; use a role instead")


def iam_service_specific_credential(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A service-specific password (CodeCommit, Keyspaces, Bedrock API key) that does not expire."""
    status = view.get("status")
    if isinstance(status, str) and status.lower() == "inactive":
        return
    service = view.get("service_name")
    agentic = isinstance(service, str) and "bedrock" in service
    yield Violation((), "IAM service-specific credential: a static password bound to an IAM user", agentic=agentic)


def gcp_service_account_key(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A user-managed service account key: a private key that is valid until someone deletes it."""
    if is_set(view.get("public_key_data")):
        message = "uploaded service account key: a long-lived credential; prefer workload identity federation"
    else:
        message = (
            "user-managed service account key: a private key with no expiry that also lands in "
            "Terraform state; prefer workload identity federation or attached service accounts"
        )
    yield Violation((), message)


def gcp_api_key(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A Google API key: a bearer secret that never expires."""
    targets = view.get("restrictions", 0, "api_targets")
    services: list[str] = []
    if isinstance(targets, list):
        services = [str(t.get("service", "")) for t in targets if isinstance(t, dict)]
    agentic = any(s in _MODEL_APIS for s in services)
    if agentic:
        message = "API key for a model API (Gemini/Vertex AI): a bearer secret that never expires"
    else:
        message = "Google API key: a bearer secret that never expires; prefer service account credentials"
    yield Violation((), message, agentic=agentic)


def _lifetime_days(view: ResourceView, ctx: CheckContext) -> tuple[float | None, tuple[str, ...], bool]:
    """(days, attribute path, known) of an Azure AD credential's lifetime; None days = no expiry."""
    relative = view.get("end_date_relative")
    absolute = view.get("end_date")
    if is_unknown(relative) or is_unknown(absolute):
        return None, (), False
    if isinstance(relative, str) and relative:
        days = duration_days(relative)
        return days, ("end_date_relative",), days is not None
    if isinstance(absolute, str) and absolute:
        end = date_of(absolute)
        if end is None:
            return None, ("end_date",), False
        start_value = view.get("start_date")
        start = date_of(start_value) if isinstance(start_value, str) else None
        if is_unknown(start_value):
            return None, (), False
        return float((end - (start or ctx.today)).days), ("end_date",), True
    return None, (), True


def azure_credential_lifetime(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """An Entra ID app or service principal password with no end date, or one too far away."""
    days, path, known = _lifetime_days(view, ctx)
    if not known:
        return
    limit = ctx.param("max_days")
    if days is None:
        yield Violation(
            (),
            "client secret without end_date or end_date_relative: it gets the provider's default "
            f"lifetime, not a short one (policy: at most {limit} days)",
        )
    elif days > limit:
        yield Violation(path, f"client secret lives {int(days)} days, longer than the {limit}-day maximum")


def azure_certificate_lifetime(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """An application certificate credential valid for more than the maximum (default a year)."""
    days, path, known = _lifetime_days(view, ctx)
    limit = ctx.param("max_days")
    if known and days is not None and days > limit:
        yield Violation(path, f"application certificate valid {int(days)} days, longer than the {limit}-day maximum")


# type -> (attribute, inverted): inverted attributes say "disabled" (true = keys off).
_KEY_AUTH: dict[str, tuple[str, bool]] = {
    "azurerm_storage_account": ("shared_access_key_enabled", False),
    "azurerm_cognitive_account": ("local_auth_enabled", False),
    "azurerm_ai_services": ("local_authentication_enabled", False),
    "azurerm_search_service": ("local_authentication_enabled", False),
    "azurerm_cosmosdb_account": ("local_authentication_disabled", True),
}


def azure_key_auth_enabled(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """Shared-key / local (API key) authentication left on where Entra ID auth exists."""
    attribute, inverted = _KEY_AUTH[view.type]
    value: Any = view.get(attribute)
    if value is MISSING or value is None:
        state = f"{attribute} not set, so keys stay enabled"
        path: tuple[str, ...] = ()
    elif isinstance(value, bool) and value is not inverted:
        state = f"{attribute} = {str(value).lower()}"
        path = (attribute,)
    else:  # disabled, or Unknown: nothing to report with confidence
        return
    yield Violation(
        path,
        f"key-based authentication is enabled ({state}): whoever holds an account key bypasses "
        "Entra ID; disable it and use managed identities",
        agentic=view.type in AI_RESOURCE_TYPES,
    )
