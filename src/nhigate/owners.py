"""Who is accountable for an identity, credential, secret or key: one answer for the
``missing-owner`` checks and for ``nhigate inventory``, so the gate and the record never disagree.

Where an owner can be written depends on the resource:

* AWS, Azure and CloudFormation resources: a tag whose key is one of ``owners.tag_keys``
  (default ``owner``, compared case-insensitively), provider ``default_tags`` included;
* GCP Secret Manager secrets and Cloud KMS keys: a label (labels are lower case; provider
  ``default_labels`` included);
* GCP service accounts have no labels: the convention is ``owner: <team>`` (or ``owner=<team>``)
  in the ``description``;
* ``azuread_application`` / ``azuread_service_principal``: a non-empty ``owners`` list;
* any identity: an owner recorded in the configuration (``owners.recorded``: a glob over the
  resource address, its name, e-mail or ARN -> owner), for estates that keep the register
  outside the code.

An owner value that is a placeholder (``tbd``, ``unknown``, ``n/a``, empty, ...) is no owner.
A value nhigate cannot resolve (``tags = var.tags`` without a default) is ``unknown``: never a
finding.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from nhigate.model import Ref, Unknown
from nhigate.view import MISSING, ResourceView

if TYPE_CHECKING:
    from nhigate.scope import Scope

DEFAULT_TAG_KEYS = ("owner",)
DEFAULT_PLACEHOLDERS = ("", "tbd", "tba", "todo", "unknown", "none", "n/a", "na", "-", "?", "changeme", "owner")

_DESCRIPTION_OWNER = re.compile(r"\bowner\s*[:=]\s*([\w.@/+-]+)", re.IGNORECASE)
_OWNERS_LIST = frozenset({"azuread_application", "azuread_service_principal"})
_DESCRIBED = frozenset({"google_service_account"})
# Attributes naming an identity, matched by ``owners.recorded`` globs (besides the address).
_IDENTIFIERS = ("name", "arn", "email", "account_id", "display_name", "RoleName", "UserName", "AgentName")

OwnerState = Literal["known", "missing", "placeholder", "unknown"]


@dataclass(frozen=True)
class OwnerPolicy:
    """``owners`` in the configuration."""

    tag_keys: tuple[str, ...] = DEFAULT_TAG_KEYS
    placeholders: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_PLACEHOLDERS))
    recorded: tuple[tuple[str, str], ...] = ()
    """``(glob, owner)`` pairs, in configuration order."""

    def is_placeholder(self, value: str) -> bool:
        return value.strip().lower() in self.placeholders


@dataclass(frozen=True)
class Owner:
    """The answer: ``state``, the owner (when known or a placeholder) and where it was read."""

    state: OwnerState
    value: str = ""
    where: str = ""
    path: tuple[str | int, ...] = ()
    """Attribute to point a finding at (``tags``, ``owners``); empty for the block itself."""


def owner_of(view: ResourceView, scope: Scope | None, policy: OwnerPolicy) -> Owner:
    recorded = _recorded(view, policy)
    if recorded is not None:
        return recorded
    if view.type in _OWNERS_LIST:
        return _owners_list(view)
    if view.type in _DESCRIBED:
        return _description(view, policy)
    return _tags(view, scope, policy)


def _recorded(view: ResourceView, policy: OwnerPolicy) -> Owner | None:
    if not policy.recorded:
        return None
    names = [view.address]
    for attribute in _IDENTIFIERS:
        value = view.get(attribute)
        if isinstance(value, str) and value:
            names.append(value)
    for pattern, owner in policy.recorded:
        if any(fnmatch.fnmatchcase(name, pattern) for name in names):
            return Owner("known", owner, f"configuration owners.recorded {pattern!r}")
    return None


def _owners_list(view: ResourceView) -> Owner:
    owners = view.get("owners")
    if isinstance(owners, (Unknown, Ref)):
        return Owner("unknown", where="owners is not known")
    if isinstance(owners, list) and owners:
        shown = ", ".join(str(o) for o in owners if isinstance(o, str)) or f"{len(owners)} owner(s) by reference"
        return Owner("known", shown, "owners")
    if owners is MISSING and view.block.format == "plan":
        return Owner("unknown", where="owners is computed at apply")
    return Owner("missing", where="owners is empty or not set", path=("owners",) if owners is not MISSING else ())


def _description(view: ResourceView, policy: OwnerPolicy) -> Owner:
    description = view.get("description")
    if isinstance(description, (Unknown, Ref)):
        return Owner("unknown", where="description is not known")
    if isinstance(description, str):
        match = _DESCRIPTION_OWNER.search(description)
        if match:
            value = match.group(1)
            if policy.is_placeholder(value):
                return Owner("placeholder", value, "description", ("description",))
            return Owner("known", value, "description")
        return Owner("missing", where="description names no owner", path=("description",))
    if description is MISSING and view.block.format == "plan":
        return Owner("unknown", where="description is not in the plan")
    return Owner("missing", where="no description")


def _tags(view: ResourceView, scope: Scope | None, policy: OwnerPolicy) -> Owner:
    if scope is None:
        return Owner("unknown", where="no module context")
    tags = scope.effective_tags(view)
    if isinstance(tags, Unknown):
        return Owner("unknown", where=tags.reason)
    attribute = _tag_attribute(view)
    written = view.get(attribute)
    path: tuple[str | int, ...] = (attribute,) if written is not MISSING and written is not None else ()
    keys = {key.lower() for key in policy.tag_keys}
    found: list[tuple[str, Any]] = [(k, v) for k, v in sorted((tags or {}).items()) if str(k).lower() in keys]
    for key, value in found:
        if isinstance(value, (Unknown, Ref)):
            return Owner("unknown", where=f"tag {key} is not known")
        if isinstance(value, str) and not policy.is_placeholder(value):
            return Owner("known", value, f"tag {key}")
    if found:
        key, value = found[0]
        return Owner("placeholder", str(value), f"tag {key}", path)
    if tags is None and view.block.format == "plan":
        return Owner("unknown", where="tags are not in the plan")
    return Owner("missing", where=f"no owner {'label' if attribute == 'labels' else 'tag'}", path=path)


def _tag_attribute(view: ResourceView) -> str:
    if view.block.format == "cloudformation":
        return "Tags"
    return "labels" if view.type.startswith("google_") else "tags"
