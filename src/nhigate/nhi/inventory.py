"""``nhigate inventory``: the accountability record of every machine identity.

For each identity: where it is defined, its environment (and how that was inferred), its owner,
the credentials issued to it with their lifetime, the workloads that run as it, who can assume or
impersonate it, and the findings on it and its credentials.  Built from the same NHI graph the
project-wide checks use, so the inventory and the gate never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nhigate import owners
from nhigate.findings import Finding
from nhigate.model import Ref, Unknown
from nhigate.nhi.graph import NhiGraph, Node
from nhigate.nhi.types import IMPERSONATION_ROLES, SERVICE_ACCOUNT_BINDINGS
from nhigate.owners import OwnerPolicy
from nhigate.policy import policy_statements


def owner_of(node: Node, policy: OwnerPolicy) -> str:
    """The accountable owner (the same answer as the missing-owner checks), ``unknown (...)`` when
    it depends on an unknown value, ``placeholder (...)``, or ``none`` when the code names nobody."""
    view, scope = node.view, node.scope
    if view is None or scope is None:
        return "external (not defined here)"
    if view.block.kind == "data":
        return "external (read by a data source: defined elsewhere)"
    owner = owners.owner_of(view, scope, policy)
    if owner.state == "known":
        return owner.value
    if owner.state == "placeholder":
        return f"none (placeholder {owner.value!r})"
    if owner.state == "unknown":
        return f"unknown ({owner.where})"
    return "none"


def _lifetime(node: Node) -> str:
    view = node.view
    if view is None:
        return "unknown"
    category = node.nhi.category if node.nhi else ""
    if category in ("aws-access-key", "gcp-service-account-key", "gcp-api-key", "aws-service-password"):
        status = view.get("status")
        if isinstance(status, str) and status.lower() == "inactive":
            return "static, inactive"
        return "static, never expires"
    if category in ("azure-client-secret", "azure-certificate"):
        for attribute in ("end_date_relative", "end_date"):
            value = view.get(attribute)
            if isinstance(value, str):
                return f"{attribute} {value}"
            if isinstance(value, (Unknown, Ref)):
                return f"{attribute} unknown"
        return "no end date (provider default)"
    if category == "aws-console-password":
        return "console password (human sign-in)"
    if category == "azure-federated-credential":
        subject = view.get("subject")
        return f"federated, subject {subject}" if isinstance(subject, str) else "federated"
    return "unknown"


def _principals(node: Node) -> list[str]:
    """Who can assume (AWS trust policy) or impersonate (GCP IAM bindings) this identity."""
    view, scope = node.view, node.scope
    if view is None or scope is None:
        return []
    out: list[str] = []
    if view.type in ("aws_iam_role", "AWS::IAM::Role"):
        attribute = "assume_role_policy" if view.type == "aws_iam_role" else "AssumeRolePolicyDocument"
        statements = policy_statements(view, attribute, scope)
        if isinstance(statements, Unknown):
            return [f"unknown ({statements.reason})"]
        for statement in statements:
            if statement.effect != "Allow":
                continue
            for kind, values in sorted(statement.principals.items()):
                for value in values:
                    text = str(value) if not isinstance(value, Unknown) else "unknown"
                    conditions = " if " + ", ".join(c.key for c in statement.conditions) if statement.conditions else ""
                    out.append(f"{kind}: {text}{conditions}")
    if view.type == "google_service_account":
        for binding_type, (target_path, members_path) in SERVICE_ACCOUNT_BINDINGS.items():
            for binding in scope.of_type(binding_type):
                if scope.resolve(binding.get(*target_path)) is not view:
                    continue
                role = binding.get("role")
                if not isinstance(role, str) or role not in IMPERSONATION_ROLES:
                    continue
                members = binding.get(*members_path)
                for member in members if isinstance(members, list) else [members]:
                    out.append(f"{role}: {member if isinstance(member, str) else 'unknown'}")
    return out


def _findings_by_address(findings: Iterable[Finding]) -> dict[tuple[str, str], list[str]]:
    """Unsuppressed findings by (file, address).  A block instantiated by several module calls
    is reported once, and listed on every instance the violation was found on."""
    out: dict[tuple[str, str], list[str]] = {}
    for finding in findings:
        if finding.suppression is None:
            for address in finding.instances:
                out.setdefault((finding.file, address), []).append(finding.rule_id)
    return out


def _findings_of(node: Node, by_address: dict[tuple[str, str], list[str]]) -> set[str]:
    if node.view is None:
        return set()
    return set(by_address.get((node.view.block.file, node.label), []))


def _location(node: Node) -> str:
    if node.view is None:
        return "-"
    return f"{node.view.block.file}:{node.view.block.span.line}"


def build_inventory(graph: NhiGraph, findings: list[Finding], policy: OwnerPolicy | None = None) -> dict[str, Any]:
    """Every identity with its accountability record, and the estate's totals."""
    by_address = _findings_by_address(findings)
    policy = policy or OwnerPolicy()
    identities: list[dict[str, Any]] = []
    credential_count = 0
    seen: set[tuple[str, str, str]] = set()
    for node in graph.of_kind("identity"):
        consumers = graph.incoming(node, "runs_as")
        credentials = graph.incoming(node, "issued_to")
        if node.view is None and not consumers and not credentials:
            continue
        key = (_location(node), node.label, node.environment.name if node.environment else "")
        if key in seen:  # the same block evaluated for several contexts of one environment
            continue
        seen.add(key)
        environments = {node.environment.name} if node.environment else set()
        if node.view is None:
            environments |= {e.source.environment.name for e in consumers if e.source.environment}
        rules = _findings_of(node, by_address)
        credential_rows = []
        for edge in credentials:
            credential = edge.source
            assert credential.view is not None
            credential_rules = _findings_of(credential, by_address)
            credential_rows.append(
                {
                    "address": credential.label,
                    "type": credential.view.type,
                    "location": _location(credential),
                    "lifetime": _lifetime(credential),
                    "findings": sorted(credential_rules),
                }
            )
            rules |= credential_rules
        credential_count += len(credential_rows)
        identities.append(
            {
                "address": node.label,
                "type": node.view.type if node.view else "external",
                "category": node.nhi.category if node.nhi else "external",
                "location": _location(node),
                "environment": ", ".join(sorted(environments)) or "unknown",
                "environment_source": node.environment.source if node.environment else "",
                "owner": owner_of(node, policy),
                "ai_agent": bool(node.nhi and node.nhi.ai),
                "credentials": sorted(credential_rows, key=lambda r: (r["location"], r["address"])),
                "consumers": sorted({f"{e.source.label} ({_location(e.source)})" for e in consumers}),
                "trusted_by": sorted(set(_principals(node))),
                "findings": sorted(rules),
            }
        )
    identities.sort(key=lambda r: (r["environment"], r["location"], r["address"]))
    missing = sum(1 for i in identities if i["owner"].startswith("none"))
    not_determinable = sum(1 for i in identities if i["owner"].startswith(("unknown", "external")))
    return {
        "totals": {
            "identities": len(identities),
            "credentials": credential_count,
            "owners_known": len(identities) - missing - not_determinable,
            "owners_missing": missing,
            "owners_unknown": not_determinable,
            "environments": sorted({i["environment"] for i in identities if i["environment"] != "unknown"}),
            "ai_agents": sum(1 for i in identities if i["ai_agent"]),
        },
        "identities": identities,
    }


def to_csv(inventory: dict[str, Any]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = [
        "address",
        "type",
        "location",
        "environment",
        "owner",
        "credentials",
        "consumers",
        "trusted_by",
        "findings",
    ]
    writer.writerow(columns)
    for row in inventory["identities"]:
        writer.writerow(
            [
                row["address"],
                row["type"],
                row["location"],
                row["environment"],
                row["owner"],
                "; ".join(f"{c['address']} ({c['lifetime']})" for c in row["credentials"]),
                "; ".join(row["consumers"]),
                "; ".join(row["trusted_by"]),
                " ".join(row["findings"]),
            ]
        )
    return buffer.getvalue()


def to_markdown(inventory: dict[str, Any]) -> str:
    totals = inventory["totals"]
    lines = [
        "# NHI inventory",
        "",
        f"{totals['identities']} identities, {totals['credentials']} credentials; owners: "
        f"{totals['owners_known']} known, {totals['owners_missing']} missing, "
        f"{totals['owners_unknown']} not determinable; "
        f"environments: {', '.join(totals['environments']) or 'none inferred'}.",
        "",
        "| Identity | Environment | Owner | Credentials | Consumers | Trusted by | Findings |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def cell(items: list[str]) -> str:
        return "<br>".join(i.replace("|", "\\|") for i in items) or "-"

    for row in inventory["identities"]:
        credentials = [f"`{c['address']}` ({c['lifetime']})" for c in row["credentials"]]
        lines.append(
            f"| `{row['address']}`<br>{row['location']} | {row['environment']} | {row['owner']} | "
            f"{cell(credentials)} | "
            f"{cell(row['consumers'])} | {cell(row['trusted_by'])} | {' '.join(row['findings']) or '-'} |"
        )
    return "\n".join(lines) + "\n"
