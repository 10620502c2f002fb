"""IAM policies as one statement model, whatever way the code wrote them.

Trust and permission policies reach nhigate as ``jsonencode({...})`` objects, JSON strings and
heredocs, ``data.aws_iam_policy_document`` data sources (``statement`` blocks with ``principals``
and ``condition`` blocks), plan JSON strings and CloudFormation documents.  :func:`policy_statements`
turns all of them into :class:`Statement` records so trust checks are written once.  Pieces that
cannot be known (a principal from a variable) stay :class:`~nhigate.model.Unknown` or
:class:`~nhigate.model.Ref` inside the statement; a policy that cannot be read at all is Unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nhigate.model import Ref, Unknown
from nhigate.parsers import hclast as ast
from nhigate.view import MISSING, ResourceView, TerraformView

if TYPE_CHECKING:
    from nhigate.scope import Scope


@dataclass(frozen=True)
class Condition:
    operator: str
    key: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Statement:
    """One policy statement; principals keyed by type (``AWS``, ``Service``, ``Federated``, ``*``)."""

    effect: str
    actions: tuple[Any, ...]
    principals: dict[str, tuple[Any, ...]]
    conditions: tuple[Condition, ...]
    not_actions: tuple[Any, ...] = ()
    not_principals: bool = False
    sid: str = ""

    def allows(self, action: str) -> bool:
        """True when the statement allows ``action`` (exact or a trailing-``*`` wildcard)."""
        if self.effect != "Allow":
            return False
        return any(isinstance(a, str) and _action_matches(a, action) for a in self.actions)


def _action_matches(pattern: str, action: str) -> bool:
    pattern, action = pattern.lower(), action.lower()
    if pattern in {"*", action}:
        return True
    return pattern.endswith("*") and action.startswith(pattern[:-1])


def _tuple(value: Any) -> tuple[Any, ...]:
    if value is None or value is MISSING:
        return ()
    if isinstance(value, list):
        return tuple(value)
    return (value,)


def statements_from_document(document: Any) -> list[Statement] | Unknown:
    """Statements of an IAM policy document given as data (dict) or a JSON string."""
    if isinstance(document, Unknown):
        return document
    if isinstance(document, Ref):
        return Unknown(f"policy comes from {document}")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return Unknown("policy is not valid JSON")
    if not isinstance(document, dict):
        return Unknown("policy is not a JSON object")
    raw = document.get("Statement")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        return Unknown("policy statements are not known")
    statements: list[Statement] = []
    for item in raw:
        if not isinstance(item, dict):
            return Unknown("a policy statement is not known")
        principals: dict[str, tuple[Any, ...]] = {}
        principal = item.get("Principal", item.get("NotPrincipal"))
        if principal == "*":
            principals["*"] = ("*",)
        elif isinstance(principal, dict):
            principals = {str(k): _tuple(v) for k, v in principal.items()}
        elif principal is not None:
            principals["?"] = (principal,)
        conditions: list[Condition] = []
        raw_conditions = item.get("Condition")
        if isinstance(raw_conditions, dict):
            for operator, tests in raw_conditions.items():
                if isinstance(tests, dict):
                    conditions.extend(Condition(str(operator), str(k), _tuple(v)) for k, v in tests.items())
        effect = item.get("Effect", "Allow")
        statements.append(
            Statement(
                effect=effect if isinstance(effect, str) else "?",
                actions=_tuple(item.get("Action")),
                not_actions=_tuple(item.get("NotAction")),
                principals=principals,
                conditions=tuple(conditions),
                not_principals="NotPrincipal" in item,
                sid=str(item.get("Sid", "")),
            )
        )
    return statements


def statements_from_policy_document_data(view: ResourceView) -> list[Statement] | Unknown:
    """Statements of a ``data "aws_iam_policy_document"`` block."""
    if view.get("source_policy_documents") not in (MISSING, None, []) or view.get("override_policy_documents") not in (
        MISSING,
        None,
        [],
    ):
        return Unknown("policy document merges other documents")
    blocks = view.get("statement")
    if blocks is MISSING:
        return []
    if not isinstance(blocks, list):
        return Unknown("policy document statements are dynamic")
    statements: list[Statement] = []
    for block in blocks:
        if not isinstance(block, dict):
            return Unknown("a policy statement is not known")
        principals: dict[str, tuple[Any, ...]] = {}
        for principal in block.get("principals", []) or []:
            if not isinstance(principal, dict) or not isinstance(principal.get("type"), str):
                return Unknown("a principal is not known")
            principals.setdefault(principal["type"], ())
            principals[principal["type"]] += _tuple(principal.get("identifiers"))
        conditions = tuple(
            Condition(str(c.get("test")), str(c.get("variable")), _tuple(c.get("values")))
            for c in block.get("condition", []) or []
            if isinstance(c, dict)
        )
        effect = block.get("effect", "Allow")
        statements.append(
            Statement(
                effect=effect if isinstance(effect, str) else "?",
                actions=_tuple(block.get("actions")),
                not_actions=_tuple(block.get("not_actions")),
                principals={"*": ("*",)} if principals.get("*") == ("*",) else principals,
                conditions=conditions,
                not_principals=bool(block.get("not_principals")),
                sid=str(block.get("sid", "") or ""),
            )
        )
    return statements


def policy_statements(view: ResourceView, attribute: str, scope: Scope | None) -> list[Statement] | Unknown:
    """The statements of a policy attribute (``assume_role_policy``, ``AssumeRolePolicyDocument``...)."""
    if isinstance(view, TerraformView):
        written = view.block.body.attributes.get(attribute)
        if written is None:
            return Unknown(f"{attribute} is not set")
        expr = written.value
        if isinstance(expr, ast.Call) and expr.name == "jsonencode" and len(expr.args) == 1:
            return statements_from_document(view.evaluate(expr.args[0]))
        value = view.get(attribute)
        if isinstance(value, Ref) and value.target.startswith("data.aws_iam_policy_document."):
            document = scope.resolve(value) if scope is not None else None
            if document is None:
                return Unknown(f"{value.target} is not in this module")
            return statements_from_policy_document_data(document)
        return statements_from_document(value)
    value = view.get(attribute)
    if value is MISSING:
        return Unknown(f"{attribute} is not set")
    return statements_from_document(value)
