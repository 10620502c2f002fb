"""Family ``cross-environment-reuse``: one credential reaching more than one environment.

Two kinds of checks live here.

*Project-wide* checks (``scope: project``) see every scope of the scan with the environment nhigate
inferred for its root (:mod:`nhigate.environments`; an unknown environment never counts as a
distinct one).  They collect every *use* of a credential-bearing object - a secret, an SSM
SecureString parameter, an IAM role or user, a GCP service account or secret, a Key Vault secret,
a user-assigned managed identity - from data-source look-ups, literal ARNs / e-mails / resource IDs
anywhere in a block's evaluated values, CloudFormation dynamic references and module inputs, with
object keys normalised (a secret's name and its ARN with the random ``-AbCdEf`` suffix are one
secret; an SA e-mail and its ``serviceAccount:`` member are one SA).  Bare names are qualified by
the account/project/region the provider names when the code says so: two environments that the
code puts in different accounts do not share a secret that merely has the same name.

*Resource* checks read one trust policy or federation resource: workload-identity federation that
is not pinned to one repository and one branch or environment.

Messages name objects (names and ARNs are not secrets) but never a secret value: a literal secret
is shown by its kind and :func:`nhigate.secrets.fingerprint`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from pathlib import PurePosixPath
from typing import Any

from nhigate.checks.base import CheckContext
from nhigate.environments import ALIASES, account_ids, normalise
from nhigate.findings import Location, ProjectViolation, Violation, path_text
from nhigate.model import AttrPath, Ref, Unknown
from nhigate.nhi.graph import NhiGraph
from nhigate.parsers import hclast as ast
from nhigate.parsers.located import Intrinsic
from nhigate.policy import Statement, policy_statements
from nhigate.scope import Scope
from nhigate.secret_hint import SECRET_ATTRIBUTES
from nhigate.secrets import find_token_shapes, is_secret_name, literal_secret
from nhigate.view import MISSING, ResourceView, TerraformView

_MAX_DEPTH = 16
_MAX_RELATED = 20
_SKIP_ATTRIBUTES = frozenset(
    {
        "description",
        "Description",
        "tags",
        "Tags",
        "tags_all",
        "labels",
        "count",
        "for_each",
        "depends_on",
        "provider",
        "providers",
        "lifecycle",
        "source",
        "version",
        "dynamic",
    }
)

# ------------------------------------------------------------------------------------------------
# Scopes and environments
# ------------------------------------------------------------------------------------------------


def _root(scope: Scope) -> Scope:
    while scope.parent is not None:
        scope = scope.parent
    return scope


def _scopes(graph: NhiGraph) -> list[Scope]:
    """Every scope of the scan: the graph's own list when it keeps one, else every root that holds
    an NHI node and the module instances it calls."""
    explicit = getattr(graph, "scopes", None)
    if isinstance(explicit, list):
        return [s for s in explicit if isinstance(s, Scope)]
    roots: dict[int, Scope] = {}
    for node in graph.nodes.values():
        if node.scope is not None:
            root = _root(node.scope)
            roots.setdefault(id(root), root)
    out: list[Scope] = []
    for root in roots.values():
        stack = [root]
        while stack:
            scope = stack.pop(0)
            out.append(scope)
            stack[0:0] = list(scope.children.values())
    return out


def _environment(graph: NhiGraph, scope: Scope) -> str | None:
    found = graph.environments.get(id(_root(scope)))
    return found.name if found is not None else None


def _instances(view: ResourceView) -> list[ResourceView]:
    return list(view.instances()) if isinstance(view, TerraformView) else [view]


def _where(view: ResourceView, path: AttrPath) -> str:
    return f"{view.block.file}:{view.span(path).line}"


def _is_auto_tfvars(name: str) -> bool:
    return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith((".auto.tfvars", ".auto.tfvars.json"))


def _active_tfvars(scope: Scope) -> list[ResourceView]:
    """The ``.tfvars`` blocks whose values this (root) evaluation used."""
    out = []
    for view in scope.views:
        if view.block.kind != "tfvars":
            continue
        name = PurePosixPath(view.block.file).name
        if _is_auto_tfvars(name) or name == scope.context:
            out.append(view)
    return out


# ------------------------------------------------------------------------------------------------
# Walking values
# ------------------------------------------------------------------------------------------------


def _strings(value: Any, path: AttrPath, depth: int = 0) -> Iterator[tuple[AttrPath, str]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index), depth + 1)


def _top_names(view: ResourceView) -> list[str]:
    body = view.block.body
    if isinstance(view, TerraformView):
        names = list(body.attributes)
        for block in body.blocks:
            if block.type not in names and block.type != "dynamic":
                names.append(block.type)
        return [n for n in names if n not in _SKIP_ATTRIBUTES]
    if not isinstance(body, dict):
        return []
    if view.block.format == "plan":
        raw = body.get("values")
    elif view.block.kind == "provider":
        return []
    else:
        raw = body.get("Properties")
    return [str(k) for k in raw if str(k) not in _SKIP_ATTRIBUTES] if isinstance(raw, dict) else []


def _view_strings(view: ResourceView) -> Iterator[tuple[AttrPath, str]]:
    for name in _top_names(view):
        yield from _strings(view.get(name), (name,))


def _fragments(value: Any, depth: int = 0) -> Iterator[str]:
    """Every literal text fragment inside a syntax tree, located data or intrinsic, as written."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _fragments(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _fragments(item, depth + 1)
    elif isinstance(value, Intrinsic):
        yield from _fragments(value.args, depth + 1)
    elif is_dataclass(value) and not isinstance(value, type):
        for spec in fields(value):
            if spec.name != "span":
                yield from _fragments(getattr(value, spec.name), depth + 1)


# ------------------------------------------------------------------------------------------------
# Uses of credential-bearing objects
# ------------------------------------------------------------------------------------------------

_KIND_LABELS = {
    "aws-secret": "Secrets Manager secret",
    "aws-ssm-parameter": "SSM SecureString parameter",
    "aws-role": "IAM role",
    "aws-user": "IAM user",
    "gcp-secret": "Secret Manager secret",
    "gcp-service-account": "service account",
    "azure-key-vault-secret": "Key Vault secret",
    "azure-managed-identity": "user-assigned managed identity",
}


@dataclass(frozen=True)
class _Named:
    """Where a resource type or data source names an object, and what qualifies that name."""

    kind: str
    name: AttrPath
    creation: bool
    project: AttrPath | None = None
    vault: AttrPath | None = None
    group: AttrPath | None = None
    secure_only: bool = False
    secret_like: bool = False


_NAMED: dict[tuple[str, str], _Named] = {
    # look-ups: the code uses an object that exists elsewhere
    ("data", "aws_secretsmanager_secret"): _Named("aws-secret", ("name",), False),
    ("data", "aws_secretsmanager_secret_version"): _Named("aws-secret", ("secret_id",), False),
    ("data", "aws_ssm_parameter"): _Named("aws-ssm-parameter", ("name",), False, secret_like=True),
    ("data", "aws_iam_role"): _Named("aws-role", ("name",), False),
    ("data", "aws_iam_user"): _Named("aws-user", ("user_name",), False),
    ("resource", "aws_iam_access_key"): _Named("aws-user", ("user",), False),
    ("data", "google_secret_manager_secret_version"): _Named("gcp-secret", ("secret",), False, project=("project",)),
    ("data", "google_secret_manager_secret_version_access"): _Named(
        "gcp-secret", ("secret",), False, project=("project",)
    ),
    ("data", "google_secret_manager_secret"): _Named("gcp-secret", ("secret_id",), False, project=("project",)),
    ("data", "google_service_account"): _Named("gcp-service-account", ("account_id",), False, project=("project",)),
    ("data", "azurerm_key_vault_secret"): _Named("azure-key-vault-secret", ("name",), False, vault=("key_vault_id",)),
    ("data", "azurerm_user_assigned_identity"): _Named(
        "azure-managed-identity", ("name",), False, group=("resource_group_name",)
    ),
    # creations: the code defines the object
    ("resource", "aws_secretsmanager_secret"): _Named("aws-secret", ("name",), True),
    ("resource", "aws_ssm_parameter"): _Named("aws-ssm-parameter", ("name",), True, secure_only=True),
    ("resource", "aws_iam_role"): _Named("aws-role", ("name",), True),
    ("resource", "aws_iam_user"): _Named("aws-user", ("name",), True),
    ("resource", "google_secret_manager_secret"): _Named("gcp-secret", ("secret_id",), True, project=("project",)),
    ("resource", "google_service_account"): _Named("gcp-service-account", ("account_id",), True, project=("project",)),
    ("resource", "azurerm_key_vault_secret"): _Named(
        "azure-key-vault-secret", ("name",), True, vault=("key_vault_id",)
    ),
    ("resource", "azurerm_user_assigned_identity"): _Named(
        "azure-managed-identity", ("name",), True, group=("resource_group_name",)
    ),
    ("resource", "AWS::SecretsManager::Secret"): _Named("aws-secret", ("Name",), True),
    ("resource", "AWS::IAM::Role"): _Named("aws-role", ("RoleName",), True),
    ("resource", "AWS::IAM::User"): _Named("aws-user", ("UserName",), True),
}

_NAME = r"[\w+=,.@-]"
_ARN_IAM = re.compile(rf"arn:aws[a-z-]*:iam::(\d{{12}}):(role|user)/((?:{_NAME}+/)*)({_NAME}+)")
_ARN_SECRET = re.compile(r"arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:([\w/+=.@-]+)")
_ARN_SSM = re.compile(r"arn:aws[a-z-]*:ssm:([a-z0-9-]+):(\d{12}):parameter/([\w./-]+)")
_SA_EMAIL = re.compile(r"(?<![\w.-])([a-z][a-z0-9-]{4,29})@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com")
_GCP_SECRET = re.compile(r"(?<![\w/])projects/([a-z][a-z0-9-]{4,28}[a-z0-9]|\d{6,})/secrets/([\w-]+)")
_KV_SECRET_URI = re.compile(r"https://([a-z0-9-]{3,24})\.vault\.azure\.net/secrets/([a-z0-9-]+)", re.IGNORECASE)
_KV_ID = re.compile(r"/providers/microsoft\.keyvault/vaults/([a-z0-9-]{3,24})", re.IGNORECASE)
_UAI_ID = re.compile(
    r"/subscriptions/([0-9a-f-]{36})/resourcegroups/([\w.()-]+)/providers/"
    r"microsoft\.managedidentity/userassignedidentities/([\w-]+)",
    re.IGNORECASE,
)
_DYNAMIC = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]+)\}\}")
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
_WILDCARD = frozenset("*?$")


def _secret_name(name: str) -> str:
    """A Secrets Manager secret's name from the tail of its ARN: the ``-AbCdEf`` suffix goes."""
    suffix = _SECRET_SUFFIX.search(name)
    if suffix and any(c.isupper() or c.isdigit() for c in suffix.group(0)[1:]):
        return name[: suffix.start()]
    return name


def _ssm_name(name: str) -> str:
    return name.strip("/")


def _ssm_counts(name: str) -> bool:
    """A looked-up SSM parameter counts as a credential only when its name says it holds one."""
    clean = _ssm_name(name)
    if clean.startswith("aws/"):
        return False  # AWS public parameters (AMI IDs, regions)
    last = clean.rsplit("/", 1)[-1]
    return is_secret_name(last)


@dataclass(frozen=True)
class _Ref:
    """One object a string names: kind, key name, how to show it, and its qualifiers."""

    kind: str
    name: str
    display: str
    account: str | None = None
    region: str | None = None
    words: str = ""


def _refs_in(text: str) -> Iterator[_Ref]:
    """Credential-bearing objects named by literal ARNs, e-mails, URIs or resource IDs in ``text``."""
    if "arn:" in text:
        for match in _ARN_IAM.finditer(text):
            if text[match.end() : match.end() + 1] in _WILDCARD or match.group(3).startswith(
                ("aws-service-role/", "aws-reserved/")
            ):
                continue
            kind = "aws-role" if match.group(2) == "role" else "aws-user"
            words = match.group(3) + match.group(4)
            yield _Ref(kind, match.group(4).lower(), match.group(0), match.group(1), None, words)
        for match in _ARN_SECRET.finditer(text):
            raw, after = match.group(3), text[match.end() : match.end() + 6]
            if after and after[0] in _WILDCARD:
                if not (raw.endswith("-") and (after.startswith("*") or after == "??????")):
                    continue
                name = raw[:-1]
            else:
                name = _secret_name(raw)
            if not name:
                continue
            yield _Ref("aws-secret", name, name, match.group(2), match.group(1), name)
        for match in _ARN_SSM.finditer(text):
            if text[match.end() : match.end() + 1] in _WILDCARD:
                continue
            name = _ssm_name(match.group(3))
            if _ssm_counts(name):
                yield _Ref("aws-ssm-parameter", name, "/" + name, match.group(2), match.group(1), name)
    if "gserviceaccount.com" in text:
        for match in _SA_EMAIL.finditer(text):
            if match.group(2).startswith("gcp-sa-") or match.group(1).startswith("service-"):
                continue
            email = match.group(0)
            yield _Ref("gcp-service-account", email, email, match.group(2), None, f"{match.group(1)} {match.group(2)}")
    if "/secrets/" in text:
        for match in _GCP_SECRET.finditer(text):
            name = f"projects/{match.group(1)}/secrets/{match.group(2)}"
            yield _Ref("gcp-secret", match.group(2), name, match.group(1), None, match.group(2))
        for match in _KV_SECRET_URI.finditer(text):
            vault, secret = match.group(1).lower(), match.group(2).lower()
            yield _Ref(
                "azure-key-vault-secret",
                f"{vault}/{secret}",
                f"{secret} in vault {vault}",
                None,
                None,
                f"{vault} {secret}",
            )
    if "ssignedidentities" in text.lower():
        for match in _UAI_ID.finditer(text):
            group, name = match.group(2).lower(), match.group(3).lower()
            yield _Ref("azure-managed-identity", f"{group}/{name}", match.group(0), match.group(1).lower(), None, name)
    if "{{resolve:" in text:
        for match in _DYNAMIC.finditer(text):
            service, rest = match.group(1), match.group(2)
            if service == "secretsmanager":
                if rest.startswith("arn:"):
                    continue  # the ARN itself was matched above
                name = rest.split(":", 1)[0]
                if name:
                    yield _Ref("aws-secret", name, name, None, None, name)
            else:
                name = _ssm_name(rest.split(":", 1)[0])
                if name and (service == "ssm-secure" or _ssm_counts(name)):
                    yield _Ref("aws-ssm-parameter", name, "/" + name, None, None, name)


@dataclass(frozen=True)
class _Use:
    """One use (or creation) of an object, in one evaluation of one block."""

    ref: _Ref
    creation: bool
    trust: bool
    """Named as a principal of a trust or resource policy: the object may act here, it is not
    used by this code (NHI607 judges trust across environments, NHI601 does not count it)."""
    environment: str | None
    scope: Scope
    view: ResourceView
    path: AttrPath
    site: ResourceView
    """Where the value is written for this environment: a tfvars assignment or a module input
    when it comes from one, else the block itself."""
    site_path: AttrPath

    @property
    def location(self) -> tuple[str, int]:
        return (self.site.block.file, self.site.span(self.site_path).line)


def _literal(value: Any) -> str | None:
    return value if isinstance(value, str) and value and "${" not in value else None


def _provider_values(scope: Scope, view: ResourceView) -> dict[str, str]:
    """Literal account/project/region/subscription of the provider configuring ``view``."""
    out: dict[str, str] = {}
    provider = scope.provider_for(view)
    if provider is None:
        return out
    allowed = provider.get("allowed_account_ids")
    if isinstance(allowed, list) and len(allowed) == 1 and _literal(allowed[0]):
        out["account"] = str(allowed[0])
    role = provider.get("assume_role", 0, "role_arn")
    if "account" not in out and isinstance(role, str):
        found = account_ids(role)
        if len(found) == 1:
            out["account"] = found[0]
    for attribute, key in (("project", "account"), ("subscription_id", "account"), ("region", "region")):
        value = _literal(provider.get(attribute))
        if value is not None and key not in out:
            out[key] = value.lower() if attribute == "subscription_id" else value
    return out


def _named_use(view: ResourceView, scope: Scope, spec: _Named) -> _Ref | None:
    name = _literal(view.get(*spec.name))
    if name is None or any(c in name for c in "*?"):
        return None
    if name.startswith("arn:") or "/secrets/" in name or "@" in name:
        return None  # an ARN, path or e-mail: found by the literal scan
    if spec.secure_only and view.get("type") != "SecureString":
        return None
    if spec.kind == "aws-ssm-parameter":
        if spec.secret_like and not _ssm_counts(name):
            return None
        name = _ssm_name(name)
    provider = _provider_values(scope, view)
    account, region = provider.get("account"), provider.get("region")
    display, words = name, name
    if spec.kind.startswith("aws-"):
        account = account if account is not None and re.fullmatch(r"\d{12}", account) else None
        if spec.kind in ("aws-role", "aws-user"):
            region = None
            key = name.lower()
        else:
            key = name
    elif spec.kind in ("gcp-secret", "gcp-service-account"):
        project = _literal(view.get(*spec.project)) if spec.project else None
        account, region = project or account, None
        key = name
        if spec.kind == "gcp-service-account":
            key = name.lower()
            if account is not None:  # the e-mail is the service account's global name
                key = display = f"{key}@{account}.iam.gserviceaccount.com"
                words = f"{name} {account}"
    elif spec.kind == "azure-key-vault-secret":
        vault = _vault_name(view.get(*spec.vault) if spec.vault else MISSING, scope)
        if vault is None:
            return None
        key, display, words = f"{vault}/{name.lower()}", f"{name} in vault {vault}", f"{vault} {name}"
        account = region = None
    else:  # azure-managed-identity
        group = _literal(view.get(*spec.group)) if spec.group else None
        if group is None:
            return None
        key, display = f"{group.lower()}/{name.lower()}", f"{name} in resource group {group}"
        region = None
    return _Ref(spec.kind, key, display, account, region, words)


def _vault_name(value: Any, scope: Scope) -> str | None:
    if isinstance(value, str):
        match = _KV_ID.search(value)
        return match.group(1).lower() if match else None
    if isinstance(value, Ref):
        target = scope.resolve(value)
        if target is not None and target.type == "azurerm_key_vault":
            name = _literal(target.get("name"))
            return name.lower() if name else None
    return None


class _Sites:
    """Where an environment-specific value is written: tfvars assignments and module inputs."""

    def __init__(self) -> None:
        self._tfvars: dict[int, list[tuple[ResourceView, AttrPath, str]]] = {}
        self._calls: dict[int, list[tuple[ResourceView, AttrPath, str]]] = {}

    def _strings_of(self, views: Iterable[ResourceView]) -> list[tuple[ResourceView, AttrPath, str]]:
        out = []
        for view in views:
            names = list(view.block.body.attributes) if isinstance(view, TerraformView) else []
            for name in names:
                for path, text in _strings(view.get(name), (name,)):
                    out.append((view, path, text))
        return out

    def find(self, scope: Scope, view: ResourceView, path: AttrPath, text: str) -> tuple[ResourceView, AttrPath]:
        root = _root(scope)
        if id(root) not in self._tfvars:
            self._tfvars[id(root)] = self._strings_of(_active_tfvars(root))
        for site, site_path, value in self._tfvars[id(root)]:
            if text in value:
                return site, site_path
        best: tuple[ResourceView, AttrPath] | None = None
        child = scope
        while child.parent is not None:
            parent = child.parent
            call = next((n for n, c in parent.children.items() if c is child), None)
            if call is not None:
                if id(child) not in self._calls:
                    self._calls[id(child)] = self._strings_of(
                        v for v in parent.views if v.block.kind == "module" and v.block.name == call
                    )
                for site, site_path, value in self._calls[id(child)]:
                    if text in value:
                        best = (site, site_path)
                        break
            child = parent
        return best if best is not None else (view, path)


def _uses(graph: NhiGraph) -> list[_Use]:
    """Every use and creation of a credential-bearing object, in every scope of the scan (computed
    once per graph: two checks read it)."""
    cached = getattr(graph, "_environment_uses", None)
    if isinstance(cached, list):
        return cached
    found = _collect_uses(graph)
    setattr(graph, "_environment_uses", found)  # noqa: B010 - a per-scan cache on the graph
    return found


# Blocks whose values reach other blocks' evaluated values (variables by default, tfvars and
# module inputs, locals, module outputs; CloudFormation parameter defaults).
_VALUE_SOURCES = frozenset({"variable", "locals", "output", "tfvars", "module", "parameter"})


def _may_name_objects(view: ResourceView, scope: Scope, known: dict[int, bool]) -> bool:
    """Whether the view's evaluated values may hold a literal reference to a credential-bearing
    object, from the parser's :func:`~nhigate.secret_hint.may_name_object` hint: the block's own
    text may spell one, or a value source of its module tree may (resources' attributes reach
    other blocks only as typed references and data sources as Unknown, never as text)."""
    if view.block.object_hint:
        return True
    root = _root(scope)
    if id(root) not in known:
        known[id(root)] = any(
            each.block.object_hint and each.block.kind in _VALUE_SOURCES
            for member in _descendants(root)
            for each in member
        )
    return known[id(root)]


def _descendants(scope: Scope) -> Iterator[Scope]:
    yield scope
    for child in scope.children.values():
        yield from _descendants(child)


def _collect_uses(graph: NhiGraph) -> list[_Use]:
    sites = _Sites()
    out: list[_Use] = []
    seen: set[tuple[str, str, str | None, str, str, AttrPath, str]] = set()
    hinted: dict[int, bool] = {}
    for scope in _scopes(graph):
        environment = _environment(graph, scope)
        if environment is None:
            continue  # an unknown environment never counts: nothing to compare
        for block_view in scope:
            kind = block_view.block.kind
            if kind not in ("resource", "data", "module", "provider"):
                continue
            spec = _NAMED.get((kind, block_view.type))
            literal_references = _may_name_objects(block_view, scope, hinted)
            if spec is None and not literal_references:
                continue
            for view in _instances(block_view) if kind in ("resource", "data") else [block_view]:
                found: list[tuple[_Ref, AttrPath, str, bool]] = []
                if spec is not None:
                    named = _named_use(view, scope, spec)
                    if named is not None:
                        text = view.get(*spec.name)
                        found.append((named, spec.name, str(text), spec.creation))
                for path, text in _view_strings(view) if literal_references else ():
                    for ref in _refs_in(text):
                        found.append((ref, path, text, False))
                for ref, path, text, creation in found:
                    key = (ref.kind, ref.name, environment, view.block.file, view.address, path, scope.context)
                    if key in seen:
                        continue
                    seen.add(key)
                    site, site_path = (view, path) if creation else sites.find(scope, view, path, _needle(ref, text))
                    trust = _is_trust(view, path)
                    out.append(_Use(ref, creation, trust, environment, scope, view, path, site, site_path))
    return out


_TRUST_ATTRIBUTES = frozenset({"assume_role_policy", "AssumeRolePolicyDocument"})


def _is_trust(view: ResourceView, path: AttrPath) -> bool:
    """Is the value a principal (who may act), rather than something the code uses?"""
    if path and path[0] in _TRUST_ATTRIBUTES:
        return True
    if "Principal" in path or "NotPrincipal" in path:
        return True
    return view.type == "aws_iam_policy_document" and ("principals" in path or "not_principals" in path)


def _needle(ref: _Ref, text: str) -> str:
    """The part of a value to look for in tfvars and module inputs (the object's literal)."""
    return ref.display if ref.display in text else text


# ------------------------------------------------------------------------------------------------
# NHI601: the same object used by more than one environment
# ------------------------------------------------------------------------------------------------


def _compatible(a: _Use, b: _Use) -> bool:
    """Can two uses name the same object?  Not when the code puts them in different
    accounts/projects or regions, and two creations of a bare name only in one known account."""
    if a.ref.account is not None and b.ref.account is not None and a.ref.account != b.ref.account:
        return False
    if a.ref.region is not None and b.ref.region is not None and a.ref.region != b.ref.region:
        return False
    if a.creation and b.creation:
        return a.ref.account is not None and a.ref.account == b.ref.account
    return True


def _sorted(uses: Iterable[_Use]) -> list[_Use]:
    return sorted(uses, key=lambda u: (u.location, u.site.address, path_text(u.site_path), u.environment or ""))


def credential_shared_across_environments(graph: NhiGraph, ctx: CheckContext) -> Iterator[ProjectViolation]:
    """One secret, role, service account or managed identity used by several environments."""
    groups: dict[tuple[str, str], list[_Use]] = {}
    for use in _uses(graph):
        if use.environment is not None and not use.trust:
            groups.setdefault((use.ref.kind, use.ref.name), []).append(use)
    for (kind, _), uses in sorted(groups.items()):
        involved = [a for a in uses if any(b.environment != a.environment and _compatible(a, b) for b in uses)]
        environments = sorted({u.environment for u in involved if u.environment is not None})
        if len(environments) < 2:
            continue
        ordered = _sorted(involved)
        references = [u for u in ordered if not u.creation]
        primary = references[0] if references else ordered[0]
        per_environment: dict[str, _Use] = {}
        for use in ordered:
            per_environment.setdefault(use.environment or "", use)
        places = ", ".join(f"{env} ({_where(u.site, u.site_path)})" for env, u in sorted(per_environment.items()))
        accounts = {u.ref.account for u in involved}
        caveat = ""
        if None in accounts:
            caveat = (
                " Nothing in the code puts these environments in different accounts or projects; if they are,"
                " pin each provider (allowed_account_ids, project) or map them in the configuration."
            )
        label = _KIND_LABELS[kind]
        message = (
            f"{label} {primary.ref.display} is used by {len(environments)} environments: {places}. "
            f"One credential reachable from all of them breaks environment isolation; give each "
            f"environment its own {label}.{caveat}"
        )
        related: list[Location] = []
        seen: set[tuple[str, int]] = {primary.location}
        for use in ordered:
            if use.location in seen or len(related) >= _MAX_RELATED:
                continue
            seen.add(use.location)
            verb = "created" if use.creation else "used"
            related.append(
                Location(
                    use.site.block.file,
                    use.site.span(use.site_path),
                    f"{verb} by environment {use.environment} ({use.view.address})",
                )
            )
        severity = "high" if "prod" in environments else "medium"
        yield ProjectViolation(primary.site, primary.site_path, message, tuple(related), severity=severity)


# ------------------------------------------------------------------------------------------------
# NHI603: a reference whose name says another environment
# ------------------------------------------------------------------------------------------------

# Words that say an environment inside an object name.  "live", "test" and "stage" are left out:
# in names they usually mean something else (live-stream, integration-test, build-stage).
_NAME_ALIASES = {k: v for k, v in ALIASES.items() if k not in ("live", "test", "testing", "stage", "prod1")}
_KNOWN_ENVIRONMENTS = frozenset(ALIASES.values())


def _named_environments(words: str) -> set[str]:
    return {_NAME_ALIASES[w] for w in re.split(r"[^a-z0-9]+", words.lower()) if w in _NAME_ALIASES}


def reference_names_other_environment(graph: NhiGraph, ctx: CheckContext) -> Iterator[ProjectViolation]:
    """A secret, role or service account whose own name says another environment."""
    for use in _sorted(_uses(graph)):
        environment = use.environment
        if use.creation or environment not in _KNOWN_ENVIRONMENTS:
            continue
        named = _named_environments(use.ref.words)
        if len(named) != 1 or environment in named:
            continue
        other = next(iter(named))
        label = _KIND_LABELS[use.ref.kind]
        inferred = graph.environments.get(id(_root(use.scope)))
        why = f" ({inferred.source})" if inferred is not None else ""
        verb = "trusts" if use.trust else "uses"
        message = (
            f"{use.view.address} in environment {environment}{why} {verb} {label} {use.ref.display}, whose name "
            f"says it belongs to {other}; each environment should use its own credentials"
        )
        severity = "high" if "prod" in (environment, other) else "medium"
        yield ProjectViolation(use.site, use.site_path, message, severity=severity)


# ------------------------------------------------------------------------------------------------
# NHI602: the same literal secret value in several environments
# ------------------------------------------------------------------------------------------------

_LOCATOR_WORDS = frozenset({"ssm", "path", "format", "arn", "prefix", "parameter", "location", "name"})
_PATH_LIKE = re.compile(r"^/?[\w.%{}$-]+(?:/[\w.%{}$-]+)+/?$")
_NAME_KEYS = ("name", "Name")
_VALUE_KEYS = ("value", "Value")


def _is_locator(name: str, value: str) -> bool:
    words = set(re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()))
    return bool(words & _LOCATOR_WORDS) and bool(_PATH_LIKE.match(value)) and not find_token_shapes(value)


def _ast_literals(expr: ast.Expr, path: AttrPath, name: str, depth: int = 0) -> Iterator[tuple[AttrPath, str, str]]:
    """(path, name, value) of every literal string written in an expression, named by its key."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(expr, ast.Literal) and isinstance(expr.value, str):
        yield path, name, expr.value
    elif isinstance(expr, ast.ObjectExpr):
        pair_name = next(
            (
                str(i.value.value)
                for i in expr.items
                if isinstance(i.key, ast.Literal) and i.key.value in _NAME_KEYS and isinstance(i.value, ast.Literal)
            ),
            None,
        )
        for item in expr.items:
            if isinstance(item.key, ast.Literal):
                key = str(item.key.value)
                label = pair_name if pair_name is not None and key in _VALUE_KEYS else key
                yield from _ast_literals(item.value, (*path, key), label, depth + 1)
    elif isinstance(expr, ast.TupleExpr):
        for index, element in enumerate(expr.items):
            yield from _ast_literals(element, (*path, index), "", depth + 1)
    elif isinstance(expr, ast.Call) and expr.name in ("jsonencode", "tomap", "merge", "tolist", "concat", "sensitive"):
        for argument in expr.args:
            yield from _ast_literals(argument, path, name, depth + 1)


def _body_literals(body: ast.Body, prefix: AttrPath) -> Iterator[tuple[AttrPath, str, str]]:
    for name, attribute in body.attributes.items():
        if not prefix and name in _SKIP_ATTRIBUTES:
            continue
        yield from _ast_literals(attribute.value, (*prefix, name), name)
    counts: dict[str, int] = {}
    for block in body.blocks:
        if block.type == "dynamic":
            continue
        index = counts.get(block.type, 0)
        counts[block.type] = index + 1
        yield from _body_literals(block.body, (*prefix, block.type, index))


def _value_literals(value: Any, path: AttrPath, name: str, depth: int = 0) -> Iterator[tuple[AttrPath, str, str]]:
    if depth > _MAX_DEPTH or isinstance(value, Intrinsic):
        return
    if isinstance(value, str):
        yield path, name, value
    elif isinstance(value, dict):
        pair_name = next((value[k] for k in _NAME_KEYS if isinstance(value.get(k), str)), None)
        for key, item in value.items():
            if not path and key in _SKIP_ATTRIBUTES:
                continue
            label = pair_name if pair_name is not None and key in _VALUE_KEYS else str(key)
            yield from _value_literals(item, (*path, str(key)), label, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _value_literals(item, (*path, index), "", depth + 1)


def _written_literals(view: ResourceView, scope: Scope) -> Iterator[tuple[AttrPath, str, str]]:
    """Literal strings this evaluation of a block really uses, as (path, name, value)."""
    block = view.block
    if isinstance(view, TerraformView):
        if not block.secret_hint:
            return
        if block.kind == "variable":
            default = block.body.attributes.get("default")
            evaluator = scope.evaluator
            overridden = evaluator is not None and block.name in evaluator.module.var_values
            if default is not None and not overridden:
                for path, name, value in _ast_literals(default.value, ("default",), block.name):
                    yield path, (block.name if path == ("default",) else name), value
            return
        if block.kind == "tfvars" and view not in _active_tfvars(scope):
            return
        forced = {attr for (kind, attr) in SECRET_ATTRIBUTES if kind == view.type}
        if view.type == "aws_ssm_parameter" and view.get("type") != "SecureString":
            forced.discard("value")
        for path, name, value in _body_literals(block.body, ()):
            yield path, ("password" if path and path[0] in forced and name == path[0] else name), value
        return
    body = block.body if isinstance(block.body, dict) else {}
    if block.kind == "parameter":
        default = body.get("Default")
        if isinstance(default, str):
            yield ("Default",), block.name, default
        return
    raw = body.get("values") if block.format == "plan" else body.get("Properties")
    forced = {attr for (kind, attr) in SECRET_ATTRIBUTES if kind == view.type}
    for path, name, value in _value_literals(raw, (), ""):
        yield path, ("password" if path and path[0] in forced and name == path[0] else name), value


@dataclass(frozen=True)
class _Literal:
    fingerprint: str
    description: str
    environment: str
    view: ResourceView
    path: AttrPath

    @property
    def location(self) -> tuple[str, int]:
        return (self.view.block.file, self.view.span(self.path).line)


def literal_secret_shared_across_environments(graph: NhiGraph, ctx: CheckContext) -> Iterator[ProjectViolation]:
    """The same hard-coded secret value (compared by fingerprint) used by several environments."""
    groups: dict[str, list[_Literal]] = {}
    for scope in _scopes(graph):
        environment = _environment(graph, scope)
        if environment is None:
            continue
        for view in scope:
            if view.block.kind not in (
                "resource",
                "data",
                "module",
                "provider",
                "variable",
                "locals",
                "tfvars",
                "parameter",
            ):
                continue
            for path, name, value in _written_literals(view, scope):
                if _is_locator(name, value):
                    continue
                match = literal_secret(name, value)
                if match is not None:
                    groups.setdefault(match.fingerprint, []).append(
                        _Literal(match.fingerprint, match.description, environment, view, path)
                    )
    for fp, found in sorted(groups.items()):
        environments = sorted({f.environment for f in found})
        if len(environments) < 2:
            continue
        ordered = sorted(found, key=lambda f: (f.location, f.view.address, path_text(f.path), f.environment))
        primary = ordered[0]
        envs_at: dict[tuple[str, int], set[str]] = {}
        for item in ordered:
            envs_at.setdefault(item.location, set()).add(item.environment)
        places = "; ".join(f"{file}:{line} ({', '.join(sorted(e))})" for (file, line), e in sorted(envs_at.items()))
        message = (
            f"The same secret value ({primary.description}, {fp}) is used by environments "
            f"{', '.join(environments)}: {places}. One leak exposes all of them; give each environment its own "
            "secret, kept in a secret store"
        )
        related: list[Location] = []
        seen = {primary.location}
        for item in ordered:
            if item.location in seen or len(related) >= _MAX_RELATED:
                continue
            seen.add(item.location)
            related.append(
                Location(
                    item.view.block.file,
                    item.view.span(item.path),
                    f"same secret ({fp}) in environment {', '.join(sorted(envs_at[item.location]))}",
                )
            )
        severity = "critical" if "prod" in environments else "high"
        yield ProjectViolation(primary.view, primary.path, message, tuple(related), severity=severity)


# ------------------------------------------------------------------------------------------------
# NHI604-NHI606: workload-identity federation not pinned to one repository and branch/environment
# ------------------------------------------------------------------------------------------------

_UNITS = {"github": "repository", "gitlab": "project", "terraform-cloud": "workspace"}
_PINNED_EXAMPLES = {
    "github": "repo:ORG/REPO:environment:production",
    "gitlab": "project_path:GROUP/PROJECT:ref_type:branch:ref:main",
    "terraform-cloud": "organization:ORG:project:PROJECT:workspace:WORKSPACE:run_phase:*",
}
_ISSUERS = {
    "token.actions.githubusercontent.com": ("github", "GitHub Actions"),
    "gitlab.com": ("gitlab", "GitLab CI"),
    "app.terraform.io": ("terraform-cloud", "HCP Terraform"),
}
_GITHUB_KEYS = frozenset(
    {
        "repo",
        "repository",
        "repository_id",
        "repository_owner",
        "repository_owner_id",
        "repository_visibility",
        "ref",
        "ref_type",
        "environment",
        "job_workflow_ref",
        "workflow",
        "workflow_ref",
        "event_name",
        "actor",
        "actor_id",
        "head_ref",
        "base_ref",
        "context",
        "runner_environment",
        "enterprise",
        "enterprise_id",
    }
)
_GITLAB_KEYS = frozenset({"project_path", "ref_type", "ref", "environment", "namespace_path", "project_id"})
_TFC_KEYS = frozenset({"organization", "project", "workspace", "run_phase"})
_REF_PREFIXES = ("refs/heads/", "refs/tags/", "refs/pull/", "refs/")


def _issuer(text: str) -> tuple[str, str] | None:
    """(family, label) of a CI issuer named in a URL, provider ARN or condition key."""
    lowered = text.lower()
    for host, found in _ISSUERS.items():
        if re.search(rf"(^|[/:]){re.escape(host)}($|[/:])", lowered):
            return found
    return None


def _wild(value: str) -> bool:
    return "*" in value or "?" in value


def _spans(value: str, wildcards: bool) -> bool:
    """Does a branch/environment value match every branch or environment?"""
    if not wildcards:
        return False
    rest = value
    for prefix in _REF_PREFIXES:
        if rest.startswith(prefix):
            rest = rest[len(prefix) :]
            break
    return rest == "" or rest[0] in "*?"


def _pairs(value: str, keys: frozenset[str], wildcards: bool) -> list[tuple[str, str]] | None:
    tokens = value.split(":")
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(tokens):
        key = tokens[index]
        if key == "pull_request":
            pairs.append((key, "pull_request"))
            index += 1
        elif key in keys and index + 1 < len(tokens):
            pairs.append((key, tokens[index + 1]))
            index += 2
        elif wildcards and key and set(key) <= {"*", "?"}:
            pairs.append(("*", key))
            index += 1
        else:
            return None
    return pairs


def subject_problem(family: str, value: str, wildcards: bool) -> tuple[str, str] | None:
    """(severity, what it spans) when a federated subject does not pin one repository (organisation,
    workspace) and one branch or environment; None when it does or the format is not known."""
    if wildcards and value and set(value) <= {"*", "?"}:
        return "critical", "matches every subject the issuer signs, from any organisation"
    if family == "github":
        pairs = _pairs(value, _GITHUB_KEYS, wildcards)
        if pairs is None:
            return None
        repos = [v for k, v in pairs if k in ("repo", "repository", "repository_id")]
        owners = [v for k, v in pairs if k in ("repository_owner", "repository_owner_id")]
        if not repos or any(_wild(v) if wildcards else False for v in repos) or not all(v for v in repos):
            owner = repos[0].split("/")[0] if repos else owners[0] if owners else ""
            where = f"every repository of {owner}" if owner and not _wild(owner) else "repositories of any owner"
            return "high", f"matches {where}"
        context = [(k, v) for k, v in pairs if k in ("ref", "environment", "pull_request", "job_workflow_ref", "*")]
        pinned = [k for k, v in context if k != "*" and not _spans(v, wildcards)]
        if not pinned:
            return "medium", f"matches every branch, tag and environment of {repos[0]}"
        return None
    if family == "gitlab":
        pairs = _pairs(value, _GITLAB_KEYS, wildcards)
        if pairs is None:
            return None
        projects = [v for k, v in pairs if k == "project_path"]
        if not projects or (wildcards and _wild(projects[0])):
            group = projects[0].split("/")[0] if projects else ""
            return "high", f"matches every project of {group}" if group and not _wild(group) else "matches any project"
        if not [v for k, v in pairs if k in ("ref", "environment") and not _spans(v, wildcards)]:
            return "medium", f"matches every branch and tag of {projects[0]}"
        return None
    if family == "terraform-cloud":
        pairs = _pairs(value, _TFC_KEYS, wildcards)
        if pairs is None:
            return None
        organisations = [v for k, v in pairs if k == "organization"]
        if not organisations or (wildcards and _wild(organisations[0])):
            return "high", "matches workspaces of any organisation"
        workspaces = [v for k, v in pairs if k == "workspace"]
        if not workspaces or (wildcards and _spans(workspaces[0], True)):
            return "medium", f"matches every workspace of organisation {organisations[0]}"
        return None
    return None


_POSITIVE_OPERATORS = frozenset({"stringequals", "stringlike", "stringequalsignorecase"})


def _operator(name: str) -> str:
    base = name.rsplit(":", 1)[-1].lower()
    return base.removesuffix("ifexists")


def _statement_issuer(statement: Statement, document_text: list[str]) -> tuple[str, str] | None:
    federated = statement.principals.get("Federated", ())
    for value in federated:
        if isinstance(value, str):
            found = _issuer(value)
            if found:
                return found
    for condition in statement.conditions:
        found = _issuer(condition.key.rsplit(":", 1)[0] + ":") if ":" in condition.key else None
        if found:
            return found
    if federated and all(isinstance(v, (Unknown, Ref)) for v in federated):
        hits = {_issuer(t) for t in document_text} - {None}
        if len(hits) == 1:
            return hits.pop()
    return None


def _policy_text(view: ResourceView, attribute: str, scope: Scope | None) -> list[str]:
    """Literal fragments of a trust policy as written (to tell the issuer of a templated ARN)."""
    if isinstance(view, TerraformView):
        written = view.block.body.attributes.get(attribute)
        if written is None:
            return []
        texts = list(_fragments(written.value))
        value = view.get(attribute)
        if isinstance(value, Ref) and scope is not None:
            document = scope.resolve(value)
            if document is not None:
                texts += list(_fragments(document.block.body))
        return texts
    body = view.block.body
    raw = body.get("Properties") if isinstance(body, dict) else None
    return list(_fragments(raw.get(attribute))) if isinstance(raw, dict) else []


def _resolve_federated(statement: Statement, scope: Scope | None) -> Statement:
    """Follow a Federated principal that references an ``aws_iam_openid_connect_provider``."""
    federated = statement.principals.get("Federated", ())
    if scope is None or not any(isinstance(v, Ref) for v in federated):
        return statement
    resolved: list[Any] = []
    for value in federated:
        target = scope.resolve(value) if isinstance(value, Ref) else None
        url = target.get("url") if target is not None and target.type == "aws_iam_openid_connect_provider" else None
        resolved.append(url if isinstance(url, str) else value)
    principals = {**statement.principals, "Federated": tuple(resolved)}
    return Statement(
        statement.effect,
        statement.actions,
        principals,
        statement.conditions,
        statement.not_actions,
        statement.not_principals,
        statement.sid,
    )


def oidc_trust_not_pinned(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """An IAM role trusting a CI OIDC issuer (GitHub, GitLab, HCP Terraform) without pinning the
    token's ``sub`` to one repository and one branch or environment."""
    attribute = "AssumeRolePolicyDocument" if view.block.format == "cloudformation" else "assume_role_policy"
    statements = policy_statements(view, attribute, ctx.scope)
    if isinstance(statements, Unknown):
        return
    text: list[str] | None = None
    worst: tuple[int, str, str] | None = None
    ranks = {"critical": 3, "high": 2, "medium": 1}
    for raw in statements:
        if raw.effect != "Allow" or raw.not_principals or "Federated" not in raw.principals:
            continue
        statement = _resolve_federated(raw, ctx.scope)
        if text is None:
            text = _policy_text(view, attribute, ctx.scope)
        found = _statement_issuer(statement, text)
        if found is None:
            continue
        family, label = found
        subject_conditions = [
            c
            for c in statement.conditions
            if c.key.lower().endswith(":sub") and _operator(c.operator) in _POSITIVE_OPERATORS
        ]
        if not subject_conditions:
            problem: tuple[str, str] | None = (
                "critical",
                f"trusts {label} tokens without a condition on `sub`: any {_UNITS[family]} on the platform "
                "can assume it",
            )
        else:
            problem = None
            pinned = False
            for condition in subject_conditions:
                wildcards = _operator(condition.operator) == "stringlike"
                known = [v for v in condition.values if isinstance(v, str)]
                if len(known) != len(condition.values):
                    pinned = True  # part of it comes from a variable: cannot tell
                    continue
                problems = [(v, subject_problem(family, v, wildcards)) for v in known]
                bad = [(v, p) for v, p in problems if p is not None]
                if not bad:
                    pinned = True
                    continue
                value, (severity, spans) = max(bad, key=lambda item: ranks[item[1][0]])
                candidate = (
                    severity,
                    f'trusts {label} tokens with `sub` {condition.operator} "{value}", which {spans}',
                )
                if problem is None or ranks[candidate[0]] > ranks[problem[0]]:
                    problem = candidate
            if pinned:
                problem = None
        if problem is not None and (worst is None or ranks[problem[0]] > worst[0]):
            worst = (
                ranks[problem[0]],
                problem[0],
                f"{problem[1]}; pin `sub` with StringEquals to one "
                f"{_UNITS[family]} and one branch or environment (e.g. {_PINNED_EXAMPLES[family]})",
            )
    if worst is not None:
        _, severity, what = worst
        yield Violation((attribute,), f"role {what}", severity=severity)


def workload_identity_provider_without_condition(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A GCP workload identity pool provider for an OIDC issuer with no ``attribute_condition``."""
    oidc = view.get("oidc")
    if not isinstance(oidc, list) or not oidc or not isinstance(oidc[0], dict):
        return
    condition = view.get("attribute_condition")
    if isinstance(condition, (Unknown, Ref)):
        return
    if isinstance(condition, str) and condition.strip() and condition.strip().lower() != "true":
        return
    if condition is not MISSING and condition is not None and not isinstance(condition, str):
        return
    issuer = oidc[0].get("issuer_uri")
    found = _issuer(issuer) if isinstance(issuer, str) else None
    note = _default_note(view, "attribute_condition")
    if found is not None:
        message = (
            f"workload identity pool provider trusts {found[1]} tokens without an attribute_condition{note}: "
            "tokens from any repository, project or workspace on the platform are accepted; add a condition "
            "such as assertion.repository == 'ORG/REPO' && assertion.ref == 'refs/heads/main'"
        )
        yield Violation(("attribute_condition",), message, severity="high")
    else:
        where = f" ({issuer})" if isinstance(issuer, str) else ""
        message = (
            f"workload identity pool provider trusts every token of its OIDC issuer{where}: there is no "
            f"attribute_condition{note} restricting which workloads may federate"
        )
        yield Violation(("attribute_condition",), message, severity="medium")


def _default_note(view: ResourceView, attribute: str) -> str:
    """`` (the default of variable x...)`` when an empty value comes from a variable's default."""
    if not isinstance(view, TerraformView):
        return ""
    written = view.block.body.attributes.get(attribute)
    expr = written.value if written is not None else None
    if (
        isinstance(expr, ast.Traversal)
        and isinstance(expr.source, ast.Variable)
        and expr.source.name == "var"
        and expr.steps
        and isinstance(expr.steps[0], str)
    ):
        return f" (variable {expr.steps[0]} defaults to none, so every caller that does not set it gets this)"
    return ""


_EXPRESSION = re.compile(r"claims\[\s*'([\w.-]+)'\s*\]\s+(matches|eq)\s+'([^']*)'")


def federated_credential_not_pinned(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """An Entra ID / user-assigned identity federated credential for a CI issuer whose subject
    does not pin one repository and one branch or environment."""
    issuer = view.get("issuer")
    found = _issuer(issuer) if isinstance(issuer, str) else None
    if found is None:
        return
    family, label = found
    if view.type == "azuread_application_flexible_federated_identity_credential":
        expression = view.get("claims_matching_expression")
        if not isinstance(expression, str):
            return
        outside = re.sub(r"'[^']*'", "''", expression)
        if re.search(r"\bor\b", outside, re.IGNORECASE):
            return  # alternatives: not analysed
        clauses = _EXPRESSION.findall(expression)
        if not clauses or any(claim != "sub" for claim, _, _ in clauses):
            return  # other claims (job_workflow_ref...) may pin it
        ranks = {"critical": 3, "high": 2, "medium": 1}
        problems = [(value, subject_problem(family, value, op == "matches")) for _, op, value in clauses]
        if any(p is None for _, p in problems):
            return
        value, problem = max(problems, key=lambda item: ranks[item[1][0]] if item[1] else 0)
        assert problem is not None
        yield Violation(
            ("claims_matching_expression",),
            f"federated credential trusts {label} tokens whose subject matches '{value}', which {problem[1]}; "
            "pin it to one repository and one branch or environment",
            severity=problem[0],
        )
        return
    subject = view.get("subject")
    if not isinstance(subject, str):
        return
    problem = subject_problem(family, subject, False)
    if problem is not None:
        yield Violation(
            ("subject",),
            f"federated credential trusts {label} tokens with subject '{subject}', which {problem[1]}; "
            "pin it to one repository and one branch or environment",
            severity=problem[0],
        )


# ------------------------------------------------------------------------------------------------
# NHI607: production trusting principals of non-production accounts
# ------------------------------------------------------------------------------------------------

_ROLE_TYPES = frozenset({"aws_iam_role", "AWS::IAM::Role"})
_GCP_BINDINGS = {
    "google_service_account_iam_member": "member",
    "google_service_account_iam_binding": "members",
    "google_project_iam_member": "member",
    "google_project_iam_binding": "members",
}


@dataclass(frozen=True)
class _Mapped:
    environment: str
    source: str
    location: Location | None = None


def _parameter_mapping(ctx: CheckContext) -> dict[str, _Mapped]:
    out: dict[str, _Mapped] = {}
    raw = ctx.params.get("account_environments", [])
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, str) and "=" in entry:
            identifier, _, name = entry.partition("=")
            identifier, name = identifier.strip(), name.strip()
            if identifier and name:
                out[identifier] = _Mapped(normalise(name) or name.lower(), "the account_environments parameter")
    return out


def _provider_identifiers(view: ResourceView) -> list[str]:
    found: list[str] = []
    allowed = view.get("allowed_account_ids")
    for item in allowed if isinstance(allowed, list) else []:
        if isinstance(item, str) and re.fullmatch(r"\d{12}", item):
            found.append(item)
    role = view.get("assume_role", 0, "role_arn")
    if isinstance(role, str):
        found += account_ids(role)
    project = view.get("project")
    if view.type == "google" and isinstance(project, str) and "${" not in project:
        found.append(project)
    return found


def _account_mapping(graph: NhiGraph, ctx: CheckContext) -> tuple[dict[str, _Mapped], dict[int, set[str]]]:
    """Account/project -> environment (parameter first, then providers of roots whose environment
    is known), and each root's own accounts."""
    inferred: dict[str, dict[str, _Mapped]] = {}
    own: dict[int, set[str]] = {}
    for scope in _scopes(graph):
        if scope.parent is not None or scope.kind != "terraform":
            continue
        environment = _environment(graph, scope)
        for view in scope:
            if view.block.kind != "provider":
                continue
            for identifier in _provider_identifiers(view):
                own.setdefault(id(scope), set()).add(identifier)
                if environment is not None:
                    where = Location(view.block.file, view.block.span, f"provider of environment {environment}")
                    inferred.setdefault(identifier, {}).setdefault(
                        environment, _Mapped(environment, f"the provider in {view.block.file}", where)
                    )
    mapping = {k: next(iter(v.values())) for k, v in inferred.items() if len(v) == 1}
    mapping.update(_parameter_mapping(ctx))
    return mapping, own


def _principal_accounts(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []
    if re.fullmatch(r"\d{12}", value):
        return [value]
    return account_ids(value) if value.startswith("arn:") else []


def prod_trusts_non_prod_principal(graph: NhiGraph, ctx: CheckContext) -> Iterator[ProjectViolation]:
    """A production role (or GCP binding) that trusts a principal of a non-production account."""
    mapping, own = _account_mapping(graph, ctx)
    if not mapping:
        return
    for scope in _scopes(graph):
        if _environment(graph, scope) != "prod":
            continue
        mine = own.get(id(_root(scope)), set())
        for block_view in scope:
            if block_view.block.kind != "resource":
                continue
            if block_view.type in _ROLE_TYPES:
                attribute = (
                    "AssumeRolePolicyDocument" if block_view.block.format == "cloudformation" else "assume_role_policy"
                )
                for view in _instances(block_view):
                    yield from _trusting_role(view, scope, attribute, mapping, mine)
            elif block_view.type in _GCP_BINDINGS:
                for view in _instances(block_view):
                    yield from _trusting_binding(view, _GCP_BINDINGS[block_view.type], mapping, mine)


def _violation(view: ResourceView, path: AttrPath, what: str, identifier: str, mapped: _Mapped) -> ProjectViolation:
    message = (
        f"production {what} trusts {identifier}, which {mapped.source} maps to {mapped.environment}: "
        f"a credential from {mapped.environment} can act in production; trust only production principals"
    )
    related = (mapped.location,) if mapped.location is not None else ()
    return ProjectViolation(view, path, message, related)


def _trusting_role(
    view: ResourceView, scope: Scope, attribute: str, mapping: dict[str, _Mapped], mine: set[str]
) -> Iterator[ProjectViolation]:
    statements = policy_statements(view, attribute, scope)
    if isinstance(statements, Unknown):
        return
    reported: set[str] = set()
    for statement in statements:
        if statement.effect != "Allow" or statement.not_principals:
            continue
        for value in statement.principals.get("AWS", ()):
            for account in _principal_accounts(value):
                mapped = mapping.get(account)
                if mapped is None or mapped.environment == "prod" or account in mine or account in reported:
                    continue
                reported.add(account)
                yield _violation(view, (attribute,), f"role {view.address}", f"account {account}", mapped)


def _trusting_binding(
    view: ResourceView, attribute: str, mapping: dict[str, _Mapped], mine: set[str]
) -> Iterator[ProjectViolation]:
    value = view.get(attribute)
    members = value if isinstance(value, list) else [value]
    for index, member in enumerate(members):
        if not isinstance(member, str):
            continue
        match = _SA_EMAIL.search(member)
        if match is None:
            continue
        project = match.group(2)
        mapped = mapping.get(project)
        if mapped is None or mapped.environment == "prod" or project in mine:
            continue
        path: AttrPath = (attribute, index) if isinstance(value, list) else (attribute,)
        yield _violation(
            view, path, f"IAM binding {view.address}", f"service account {match.group(0)} of project {project}", mapped
        )
