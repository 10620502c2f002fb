"""Family ``shared-identity``: one machine identity serving several workloads or people, default
identities, and role trust that lets anyone (or any outside account) in.

*Project-wide* checks read the NHI graph (:mod:`nhigate.nhi.graph`): ``runs_as`` edges from
workloads to the identity they run as, ``issued_to`` edges from credentials to their identity.
*Resource* checks read one trust policy or IAM binding.  Values nhigate cannot resolve never count:
an Unknown role reference creates no edge, an Unknown principal or condition is not "open".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from nhigate.checks.base import CheckContext
from nhigate.findings import Location, ProjectViolation, Violation
from nhigate.model import Ref, Unknown
from nhigate.nhi.graph import Edge, NhiGraph, Node
from nhigate.nhi.types import SERVICE_ACCOUNT_BINDINGS
from nhigate.policy import Statement, policy_statements
from nhigate.view import MISSING, ResourceView, TerraformView

_MAX_RELATED = 20

# ------------------------------------------------------------------------------------------------
# NHI501: one identity, several workloads
# ------------------------------------------------------------------------------------------------

# Workloads that are parts of one larger workload: node groups / node pools of one cluster.
_PART_OF = {
    "aws_eks_node_group": ("cluster_name",),
    "AWS::EKS::Nodegroup": ("ClusterName",),
    "google_container_node_pool": ("cluster",),
}


def _workload_key(edge: Edge) -> tuple[str, ...]:
    """What makes two consumers one workload: the same definition (a block seen in several
    contexts, module instances or for_each instances) or the same cluster for node groups."""
    node = edge.source
    view = node.view
    assert view is not None
    parent = _PART_OF.get(view.type)
    if parent is not None:
        cluster = view.get(*parent)
        if isinstance(cluster, Ref):
            return ("cluster", view.block.file.rsplit("/", 1)[0], cluster.target)
        if isinstance(cluster, str):
            return ("cluster", cluster)
    return ("block", view.block.file, view.block.address)


def _defined_at(node: Node) -> Location | None:
    if node.view is None:
        return None
    return Location(node.view.block.file, node.view.block.span, f"defined here ({node.view.address})")


def identity_shared_by_workloads(graph: NhiGraph, ctx: CheckContext) -> Iterator[ProjectViolation]:
    """A role, service account or managed identity that several distinct workloads run as."""
    minimum = int(ctx.param("min_workloads"))
    groups: dict[str, list[Edge]] = {}
    for edge in graph.edges:
        # a workload whose count/for_each is unknown may not exist: it does not count (unknown is
        # not a confident finding), nor do alternatives that exclude each other (count = x ? 1 : 0)
        if edge.kind == "runs_as" and edge.source.view is not None and edge.source.certain:
            groups.setdefault(_identity_key(edge.target), []).append(edge)
    for _, edges in sorted(groups.items()):
        workloads: dict[tuple[str, ...], Edge] = {}
        for edge in sorted(edges, key=_edge_order):
            workloads.setdefault(_workload_key(edge), edge)
        if len(workloads) < minimum:
            continue
        consumers = list(workloads.values())
        identity = consumers[0].target
        agentic = any(c.source.nhi is not None and c.source.nhi.ai for c in consumers) or bool(
            identity.nhi and identity.nhi.ai
        )
        several_files = len({c.source.view.block.file for c in consumers if c.source.view is not None}) > 1
        labels = [_consumer_label(c, several_files) for c in consumers[:6]]
        names = ", ".join(labels) + (" ..." if len(consumers) > 6 else "")
        agents = " (AI agents among them: one compromised agent acts with every other's permissions)" if agentic else ""
        message = (
            f"{_identity_label(identity)} is used by {len(consumers)} workloads ({names}){agents}: each holds the "
            "union of all their permissions and their actions cannot be told apart; give each workload its own identity"
        )
        related = [
            Location(c.source.view.block.file, c.source.view.span(c.path), f"runs as it: {c.source.view.address}")
            for c in consumers[:_MAX_RELATED]
            if c.source.view is not None
        ]
        if identity.view is not None:
            yield ProjectViolation(identity.view, (), message, tuple(related), agentic=agentic)
        else:  # defined outside the scan (a literal ARN or e-mail): report it on its first consumer
            first = consumers[0]
            assert first.source.view is not None
            yield ProjectViolation(first.source.view, first.path, message, tuple(related[1:]), agentic=agentic)


def _identity_key(node: Node) -> str:
    """One identity defined once (a node per module context/tfvars context is the same block)."""
    if node.view is None:
        return node.key
    return f"{node.view.block.file}|{node.view.address}"


def _edge_order(edge: Edge) -> tuple[str, str, str]:
    view = edge.source.view
    assert view is not None
    return (view.block.file, view.address, str(edge.path))


def _identity_label(node: Node) -> str:
    if node.view is None:
        return f"identity {node.label} (defined outside the scanned code)"
    kind = _KINDS.get(node.nhi.category, "identity") if node.nhi else "identity"
    return f"{kind} {node.view.address}"


_KINDS = {
    "aws-role": "IAM role",
    "aws-user": "IAM user",
    "gcp-service-account": "service account",
    "azure-managed-identity": "managed identity",
    "azure-app-registration": "application registration",
    "azure-service-principal": "service principal",
    "ai-agent": "AI agent",
}


def _consumer_label(edge: Edge, with_file: bool) -> str:
    view = edge.source.view
    assert view is not None
    return f"{view.address} in {view.block.file.rsplit('/', 1)[-1]}" if with_file else view.address


# ------------------------------------------------------------------------------------------------
# NHI502: default service accounts
# ------------------------------------------------------------------------------------------------

_DEFAULT_SA = re.compile(
    r"^(?:serviceAccount:)?(?:\d+-compute@developer\.gserviceaccount\.com|[a-z][a-z0-9-]*@appspot\.gserviceaccount\.com)$"
)
_DEFAULT_SA_DATA = ("data.google_compute_default_service_account.", "data.google_app_engine_default_service_account.")

# Workload -> path of its service account; ``absent`` says what runs when it is not set.
_SA_PATHS: dict[str, tuple[tuple[str | int, ...], str | None]] = {
    "google_compute_instance": (("service_account", 0, "email"), None),
    "google_compute_instance_template": (("service_account", 0, "email"), None),
    "google_container_node_pool": (("node_config", 0, "service_account"), "the Compute Engine default service account"),
    "google_cloudfunctions_function": (("service_account_email",), "the App Engine default service account"),
    "google_cloudfunctions2_function": (
        ("service_config", 0, "service_account_email"),
        "the Compute Engine default service account",
    ),
    "google_cloud_run_service": (
        ("template", 0, "spec", 0, "service_account_name"),
        "the Compute Engine default service account",
    ),
    "google_cloud_run_v2_service": (("template", 0, "service_account"), "the Compute Engine default service account"),
    "google_cloud_run_v2_job": (
        ("template", 0, "template", 0, "service_account"),
        "the Compute Engine default service account",
    ),
    "google_dataflow_job": (("service_account_email",), None),
    "google_composer_environment": (("config", 0, "node_config", 0, "service_account"), None),
}
_MEMBER_PATHS = {
    "google_project_iam_member": "member",
    "google_project_iam_binding": "members",
    "google_folder_iam_member": "member",
    "google_folder_iam_binding": "members",
    "google_organization_iam_member": "member",
    "google_organization_iam_binding": "members",
    "google_service_account_iam_member": "member",
    "google_service_account_iam_binding": "members",
}


def _is_default_sa(value: Any) -> bool:
    if isinstance(value, str):
        return _DEFAULT_SA.match(value) is not None
    return isinstance(value, Ref) and value.target.startswith(_DEFAULT_SA_DATA)


def default_service_account(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A workload that runs as, or a binding that grants a role to, a GCP default service account."""
    member_attribute = _MEMBER_PATHS.get(view.type)
    if member_attribute is not None:
        members = view.get(member_attribute)
        items = members if isinstance(members, list) else [members]
        for index, member in enumerate(items):
            if _is_default_sa(member):
                path = (member_attribute, index) if isinstance(members, list) else (member_attribute,)
                role = view.get("role")
                granted = f"role {role}" if isinstance(role, str) else "a role"
                yield Violation(
                    path,
                    f"{granted} granted to a default service account, which every VM, function or service "
                    "that does not name its own identity runs as: the grant reaches all of them",
                )
                return
        return
    sa_path, absent = _SA_PATHS[view.type]
    value = view.get(*sa_path)
    if _is_default_sa(value):
        yield Violation(
            sa_path,
            "runs as a default service account, shared by every workload of the project that does not "
            "name its own (and holding the broad Editor role unless that grant was removed)",
        )
    elif absent is not None and value is MISSING and view.block.format != "plan" and not _dynamic_blocks(view):
        yield Violation(
            sa_path[:1],
            f"no service account set, so it runs as {absent}, shared by every workload of the project "
            "that does not name its own; create a dedicated service account for it",
        )


def _dynamic_blocks(view: ResourceView) -> bool:
    """A nested block generated by ``dynamic`` may hold the setting: cannot tell."""
    if not isinstance(view, TerraformView):
        return False
    return any(b.type == "dynamic" for b in view.block.body.blocks)


# ------------------------------------------------------------------------------------------------
# NHI503: an IAM user used by people and by machines
# ------------------------------------------------------------------------------------------------

_SERVICE_NAME = re.compile(
    r"(?:^|[-_.@/])(?:svc|service|bot|robot|ci|cd|deploy|deployer|automation|system|app)(?:$|[-_.@/\d])", re.IGNORECASE
)


def iam_user_used_by_people_and_machines(graph: NhiGraph, ctx: CheckContext) -> Iterator[ProjectViolation]:
    """An IAM user with a console password that also has access keys, or whose name or path says
    it is a service account."""
    for node in sorted(graph.of_kind("identity"), key=lambda n: n.key):
        if node.nhi is None or node.nhi.category != "aws-user" or node.view is None:
            continue
        credentials = graph.incoming(node, "issued_to")
        logins = [
            e for e in credentials if e.source.nhi is not None and e.source.nhi.category == "aws-console-password"
        ]
        console = _has_cfn_login_profile(node.view)
        if not logins and not console:
            continue
        keys = [e for e in credentials if e.source.nhi is not None and e.source.nhi.category == "aws-access-key"]
        named = _service_like(node.view)
        if not keys and named is None:
            continue
        if keys:
            reason = f"{len(keys)} access key(s)"
        else:
            assert named is not None
            reason = f"its {named[0]} {named[1]!r} says it is a machine identity"
        related = [
            Location(e.source.view.block.file, e.source.view.block.span, f"console password: {e.source.view.address}")
            for e in logins
            if e.source.view is not None
        ] + [
            Location(e.source.view.block.file, e.source.view.block.span, f"access key: {e.source.view.address}")
            for e in keys
            if e.source.view is not None
        ]
        yield ProjectViolation(
            node.view,
            (),
            f"IAM user {node.view.address} has a console password and {reason}: people and programs share "
            "one identity, so nobody can tell who did what and offboarding a person breaks the automation",
            tuple(related[:_MAX_RELATED]),
        )


def _has_cfn_login_profile(view: ResourceView) -> bool:
    return view.block.format == "cloudformation" and isinstance(view.get("LoginProfile"), dict)


def _service_like(view: ResourceView) -> tuple[str, str] | None:
    for attribute, label in (("name", "name"), ("UserName", "name"), ("path", "path"), ("Path", "path")):
        value = view.get(attribute)
        if isinstance(value, str) and _SERVICE_NAME.search(value):
            return label, value
    return None


# ------------------------------------------------------------------------------------------------
# NHI504: people allowed to act as a service account
# ------------------------------------------------------------------------------------------------

_HUMAN_IMPERSONATION = {
    "roles/iam.serviceAccountUser": "act as",
    "roles/iam.serviceAccountTokenCreator": "mint tokens for",
    "roles/iam.serviceAccountKeyAdmin": "create keys for",
}
_HUMAN = ("user:", "group:")


def human_can_impersonate_service_account(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """``serviceAccountUser`` / ``TokenCreator`` / ``KeyAdmin`` granted to users or groups."""
    role = view.get("role")
    if not isinstance(role, str) or role not in _HUMAN_IMPERSONATION:
        return
    attribute = _MEMBER_PATHS.get(view.type)
    if attribute is None:
        return
    members = view.get(attribute)
    items = members if isinstance(members, list) else [members]
    humans = [(i, m) for i, m in enumerate(items) if isinstance(m, str) and m.startswith(_HUMAN)]
    if not humans:
        return
    index, member = humans[0]
    path = (attribute, index) if isinstance(members, list) else (attribute,)
    where = (
        "this service account"
        if view.type in SERVICE_ACCOUNT_BINDINGS
        else "every service account of the " + (view.type.split("_")[1])
    )
    others = f" (and {len(humans) - 1} more)" if len(humans) > 1 else ""
    yield Violation(
        path,
        f"{role} lets {member}{others} {_HUMAN_IMPERSONATION[role]} {where}: people then act with a machine "
        "identity's permissions and the audit trail shows the service account, not them",
    )


# ------------------------------------------------------------------------------------------------
# NHI505 / NHI506: role trust open to anyone, or to an outside account without an external ID
# ------------------------------------------------------------------------------------------------

_RESTRICTING_KEYS = frozenset(
    {
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourceowner",
        "sts:externalid",
        "aws:userid",
    }
)
_OUTSIDE_RESTRICTING_KEYS = frozenset({"sts:externalid", "aws:principalorgid", "aws:principalorgpaths"})
_ACCOUNT_PRINCIPAL = re.compile(r"^(?:arn:aws[\w-]*:iam::)?(\d{12})(?::|$)")
_ASSUME = ("sts:AssumeRole",)


def _trust(view: ResourceView, ctx: CheckContext) -> list[Statement] | None:
    attribute = "AssumeRolePolicyDocument" if view.block.format == "cloudformation" else "assume_role_policy"
    statements = policy_statements(view, attribute, ctx.scope)
    return None if isinstance(statements, Unknown) else statements


def _allows_assume(statement: Statement) -> bool:
    return (
        statement.effect == "Allow"
        and not statement.not_principals
        and any(
            isinstance(a, str) and (a == "*" or a.lower() in ("sts:*", "sts:assumerole")) for a in statement.actions
        )
    )


def _condition_keys(statement: Statement) -> set[str] | None:
    """Lower-cased condition keys; None when a condition cannot be read (cannot tell)."""
    keys = set()
    for condition in statement.conditions:
        if not isinstance(condition.key, str):
            return None
        keys.add(condition.key.lower())
    return keys


def trust_open_to_anyone(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A role whose trust policy lets any AWS principal assume it, with no restricting condition."""
    statements = _trust(view, ctx)
    if statements is None:
        return
    for statement in statements:
        if not _allows_assume(statement):
            continue
        anyone = statement.principals.get("*") == ("*",) or "*" in statement.principals.get("AWS", ())
        if not anyone:
            continue
        keys = _condition_keys(statement)
        if keys is None or keys & _RESTRICTING_KEYS:
            continue
        yield Violation(
            ("AssumeRolePolicyDocument",) if view.block.format == "cloudformation" else ("assume_role_policy",),
            'trust policy lets any AWS principal in any account assume this role (Principal "*") without a '
            "condition on the organisation, account, source or an external ID",
            severity="critical",
        )
        return


def cross_account_trust_without_external_id(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A role that trusts another AWS account without ``sts:ExternalId`` or an organisation condition."""
    statements = _trust(view, ctx)
    if statements is None:
        return
    own = _own_accounts(view, ctx)
    trusted = {str(a) for a in ctx.param("trusted_accounts")} | set(ctx.known_accounts)
    for statement in statements:
        if not _allows_assume(statement):
            continue
        outsiders = []
        for principal in statement.principals.get("AWS", ()):
            match = _ACCOUNT_PRINCIPAL.match(principal) if isinstance(principal, str) else None
            if match and match.group(1) not in own and match.group(1) not in trusted:
                outsiders.append(match.group(1))
        if not outsiders:
            continue
        keys = _condition_keys(statement)
        if keys is None or keys & _OUTSIDE_RESTRICTING_KEYS:
            continue
        accounts = ", ".join(sorted(set(outsiders)))
        yield Violation(
            ("AssumeRolePolicyDocument",) if view.block.format == "cloudformation" else ("assume_role_policy",),
            f"role trusts account {accounts} without an sts:ExternalId (or aws:PrincipalOrgID) condition: "
            "a third party serving many customers can be tricked into using this role for someone else "
            "(confused deputy); if the account is your own, list it in parameters.NHI506.trusted_accounts "
            "or environments.accounts",
        )
        return


def _own_accounts(view: ResourceView, ctx: CheckContext) -> set[str]:
    """The role's own account, when the provider configuration names it."""
    scope = ctx.scope
    provider = scope.provider_for(view) if scope is not None else None
    if provider is None:
        return set()
    accounts: set[str] = set()
    allowed = provider.get("allowed_account_ids")
    for item in allowed if isinstance(allowed, list) else []:
        if isinstance(item, (str, int)):
            accounts.add(str(item))
    role = provider.get("assume_role", 0, "role_arn")
    if isinstance(role, str):
        match = re.search(r":iam::(\d{12}):", role)
        if match:
            accounts.add(match.group(1))
    return accounts
