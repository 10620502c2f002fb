"""The NHI graph: every identity, credential, secret, key and workload of the estate, the edges
between them, and the environment each one lives in.

Built once per scan from the evaluated scopes, it is what project-wide checks (shared identities,
cross-environment reuse) and ``nhigate inventory`` read.  Edges come from the data table in
:mod:`nhigate.nhi.types`: a reference (``aws_iam_role.ci.arn``, ``!GetAtt Role.Arn``, a module
output) is followed to the block it names, through instance profiles; a literal ARN, e-mail or
name is matched to a defined identity of the same root when one has that name, else it becomes
an *external* identity keyed by the literal (two workloads naming the same ARN share it).  An
Unknown reference creates no edge: nhigate does not guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nhigate.environments import (
    ENV_KEYS,
    Environment,
    account_ids,
    from_config,
    from_path,
    from_tfvars,
    from_values,
)
from nhigate.model import Ref
from nhigate.nhi.types import TYPES, NhiType, Path
from nhigate.scope import Scope
from nhigate.view import MISSING, ResourceView

_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}|\$\{[^}]+\}):(role|user|instance-profile)/(?:.*/)?([\w+=,.@-]+)$")
_SA_EMAIL = re.compile(r"^(?:serviceAccount:)?([a-z][a-z0-9-]{4,30})@([a-z0-9-]+)\.iam\.gserviceaccount\.com$")


@dataclass(eq=False)
class Node:
    """One identity, credential, secret, key or workload (or an external identity by literal)."""

    key: str
    label: str
    nhi: NhiType | None
    view: ResourceView | None = None
    scope: Scope | None = None
    environment: Environment | None = None
    literal: str | None = None
    certain: bool = True
    """False when the block's ``count``/``for_each`` is unknown: it may create nothing."""

    @property
    def kind(self) -> str:
        return self.nhi.kind if self.nhi else "identity"


@dataclass(frozen=True)
class Edge:
    kind: str  # issued_to | runs_as
    source: Node
    target: Node
    path: tuple[str | int, ...]


@dataclass
class NhiGraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    environments: dict[int, Environment | None] = field(default_factory=dict)
    _incoming: dict[tuple[int, str], list[Edge]] = field(default_factory=dict)
    _outgoing: dict[tuple[int, str], list[Edge]] = field(default_factory=dict)

    def add_edge(self, edge: Edge) -> None:
        self.edges.append(edge)
        self._incoming.setdefault((id(edge.target), edge.kind), []).append(edge)
        self._outgoing.setdefault((id(edge.source), edge.kind), []).append(edge)

    def of_kind(self, kind: str) -> Iterator[Node]:
        return (n for n in self.nodes.values() if n.kind == kind)

    def incoming(self, node: Node, kind: str) -> list[Edge]:
        return self._incoming.get((id(node), kind), [])

    def outgoing(self, node: Node, kind: str) -> list[Edge]:
        return self._outgoing.get((id(node), kind), [])


def _root(scope: Scope) -> Scope:
    while scope.parent is not None:
        scope = scope.parent
    return scope


def _values_at(view: ResourceView, path: Path) -> list[tuple[Any, tuple[str | int, ...]]]:
    """Values at a table path (``"*"`` expands a list), with their concrete paths."""
    results: list[tuple[Any, tuple[str | int, ...]]] = [(None, ())]
    for element in path:
        expanded = []
        for _, prefix in results:
            if element == "*":
                value = view.get(*prefix) if prefix else MISSING
                if isinstance(value, list):
                    expanded += [(None, (*prefix, i)) for i in range(len(value))]
            else:
                expanded.append((None, (*prefix, element)))
        results = expanded
    out = []
    for _, concrete in results:
        value = view.get(*concrete)
        if value is not MISSING and value is not None:
            out.append((value, concrete))
    return out


def infer_environment(scope: Scope, mapping: dict[str, dict[str, str]]) -> Environment | None:
    """The environment of a root scope, by the precedence documented in :mod:`nhigate.environments`."""
    identifiers: list[str] = []
    tag_values: dict[str, Any] = {}
    for view in scope:
        if view.block.kind == "provider":
            for attribute in ("allowed_account_ids", "project", "subscription_id"):
                value = view.get(attribute)
                items = value if isinstance(value, list) else [value]
                identifiers += [str(v) for v in items if isinstance(v, (str, int))]
            role = view.get("assume_role", 0, "role_arn")
            if isinstance(role, str):
                identifiers += account_ids(role)
            defaults = view.get("default_tags", 0, "tags")
            if isinstance(defaults, dict):
                tag_values.update(defaults)
            labels = view.get("default_labels")
            if isinstance(labels, dict):
                tag_values.update(labels)
    found = from_config(scope.name, identifiers, mapping)
    if found:
        return found
    evaluator = scope.evaluator
    if evaluator is not None:
        variables = {k: evaluator.variable(k) for k in evaluator.module.variables if k.lower() in ENV_KEYS}
        found = from_values(variables, "variable")
        if found:
            return found
    if scope.kind == "cloudformation":
        parameters = {
            v.block.name: v.get("Default")
            for v in scope
            if v.block.kind == "parameter" and v.block.name.lower() in ENV_KEYS
        }
        found = from_values(parameters, "parameter")
        if found:
            return found
    found = from_values(tag_values, "default tag")
    if found:
        return found
    return from_tfvars(scope.context) or from_path(scope.name)


class _Builder:
    def __init__(self, scopes: list[Scope], mapping: dict[str, dict[str, str]]) -> None:
        self.scopes = scopes
        self.mapping = mapping
        self.graph = NhiGraph()
        self._node_of: dict[int, Node] = {}
        self._names: dict[tuple[int, str], Node] = {}

    def build(self) -> NhiGraph:
        for scope in self.scopes:
            root = _root(scope)
            if id(root) not in self.graph.environments:
                self.graph.environments[id(root)] = infer_environment(root, self.mapping)
            environment = self.graph.environments[id(root)]
            for view in scope:
                nhi = TYPES.get(view.type)
                if nhi is None or view.block.kind not in ("resource", "data"):
                    continue
                exists = view.exists()
                if exists is False:
                    continue  # count = 0, an empty for_each, a false condition: it creates nothing
                key = f"{scope.name}|{scope.context}|{view.address}"
                node = Node(key, view.address, nhi, view, scope, environment, certain=exists is True)
                self.graph.nodes[key] = node
                self._node_of[id(view)] = node
                for path in nhi.name:
                    value = view.get(*path)
                    if isinstance(value, str):
                        self._names[(id(root), value)] = node
        for node in list(self.graph.nodes.values()):
            assert node.nhi is not None and node.view is not None and node.scope is not None
            for path in node.nhi.issued_to:
                for value, concrete in _values_at(node.view, path):
                    target = self._identity(value, node.scope, 0)
                    if target is not None:
                        self.graph.add_edge(Edge("issued_to", node, target, concrete))
            if node.nhi.kind in ("workload", "identity"):
                for path in node.nhi.runs_as:
                    for value, concrete in _values_at(node.view, path):
                        target = self._identity(value, node.scope, 0)
                        if target is not None and target is not node:
                            self.graph.add_edge(Edge("runs_as", node, target, concrete))
        return self.graph

    def _identity(self, value: Any, scope: Scope, depth: int) -> Node | None:
        """The identity node a reference or literal names (following instance profiles)."""
        if depth > 3:
            return None
        if isinstance(value, Ref):
            view = scope.resolve(value)
            if view is None:
                return None
            nhi = TYPES.get(view.type)
            if nhi is not None and nhi.kind == "indirection":
                for path in nhi.runs_as:
                    for inner, _ in _values_at(view, path):
                        return self._identity(inner, scope, depth + 1)
                return None
            node = self._node_of.get(id(view))
            return node if node is not None and node.kind == "identity" else None
        if isinstance(value, str) and value:
            return self._literal(value, scope)
        return None

    def _literal(self, value: str, scope: Scope) -> Node:
        root = _root(scope)
        name = value
        arn = _ROLE_ARN.match(value)
        email = _SA_EMAIL.match(value)
        if arn:
            name = arn.group(3)
        elif email:
            name = email.group(1)
        defined = self._names.get((id(root), value)) or self._names.get((id(root), name))
        if defined is not None:
            return defined
        key = f"literal|{value.removeprefix('serviceAccount:')}"
        node = self.graph.nodes.get(key)
        if node is None:
            node = Node(key, value, None, literal=value)
            self.graph.nodes[key] = node
        return node


def build_graph(scopes: list[Scope], mapping: dict[str, dict[str, str]] | None = None) -> NhiGraph:
    return _Builder(scopes, mapping or {}).build()
