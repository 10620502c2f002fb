"""Family ``hardcoded-secret``: secret values written into the infrastructure code.

A secret is reported where it is *written* — the literal in a provider block, a resource
attribute, a variable default, a local, a ``.tfvars`` assignment or a CloudFormation parameter
default — not again at every place it flows to, so one leaked value is one finding.  A value that
comes from a reference, a ``random_password`` result, a variable without a default, or a dynamic
reference (``{{resolve:secretsmanager:...}}``) is not a literal and is never reported.  Messages
name the attribute, the kind of secret and a short fingerprint; never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from nhigate.checks.base import CheckContext
from nhigate.findings import Violation, path_text
from nhigate.model import AttrPath, Block, Unknown
from nhigate.parsers import hclast as ast
from nhigate.parsers.located import Intrinsic
from nhigate.secret_hint import SECRET_ATTRIBUTES
from nhigate.secrets import SecretMatch, find_token_shapes, literal_secret
from nhigate.view import ResourceView

# Keys whose sibling names the value: ECS/Cloud Run/Kubernetes env lists ({name = X, value = Y}).
_NAME_KEYS = ("name", "Name")
_VALUE_KEYS = ("value", "Value")
_SKIP_ATTRIBUTES = frozenset({"description", "Description", "tags", "Tags", "labels", "tags_all"})
_MAX_DEPTH = 12


def _describe(match: SecretMatch, where: str) -> str:
    return f"{match.description} written in {where} ({match.fingerprint}); keep it in a secret store and reference it"


def _forced(block_type: str, parameter_type: Any = None) -> frozenset[str]:
    """Attributes of this resource that hold a secret whatever they are called.

    An SSM parameter's ``value`` is a secret only for ``type = "SecureString"``: a plain ``String``
    parameter holding a region name is configuration, not a credential.
    """
    names = {attribute for (type_name, attribute) in SECRET_ATTRIBUTES if type_name == block_type}
    if block_type == "aws_ssm_parameter" and parameter_type != "SecureString":
        names.discard("value")
    return frozenset(names)


_LOCATOR_WORDS = frozenset({"ssm", "path", "format", "arn", "prefix", "parameter", "location", "name"})
_PATH_LIKE = re.compile(r"^/?[\w.%{}$-]+(?:/[\w.%{}$-]+)+/?$")


def _is_locator(name: str, value: str) -> bool:
    """``ssm_key_password = "admin/db_password"``: the name says it holds where a secret is kept,
    and the value is a path: a pointer to a secret, not a secret."""
    words = set(re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()))
    return bool(words & _LOCATOR_WORDS) and bool(_PATH_LIKE.match(value)) and not find_token_shapes(value)


def _check_string(name: str, value: str, forced: frozenset[str], top: str) -> SecretMatch | None:
    if _is_locator(name, value):
        return None
    if top in forced and name == top:
        match = literal_secret("password", value)
        if match is not None:
            return match
    return literal_secret(name, value)


# -- Terraform: walk the syntax tree, so only literals written here count ---------------------


def _terraform_literals(body: ast.Body, prefix: AttrPath) -> Iterator[tuple[AttrPath, str, ast.Expr]]:
    for name, attribute in body.attributes.items():
        if name in _SKIP_ATTRIBUTES and not prefix:
            continue
        yield from _expr_literals(attribute.value, (*prefix, name), name, 0)
    counts: dict[str, int] = {}
    for block in body.blocks:
        if block.type == "dynamic":
            continue
        index = counts.get(block.type, 0)
        counts[block.type] = index + 1
        yield from _terraform_literals(block.body, (*prefix, block.type, index))


def _expr_literals(expr: ast.Expr, path: AttrPath, name: str, depth: int) -> Iterator[tuple[AttrPath, str, ast.Expr]]:
    if depth > _MAX_DEPTH:
        return
    if (isinstance(expr, ast.Literal) and isinstance(expr.value, str)) or isinstance(expr, ast.Template):
        yield path, name, expr
    elif isinstance(expr, ast.ObjectExpr):
        env_name = None
        for candidate in expr.items:
            named = isinstance(candidate.key, ast.Literal) and candidate.key.value in _NAME_KEYS
            if named and isinstance(candidate.value, ast.Literal):
                env_name = candidate.value.value
        for item in expr.items:
            if not isinstance(item.key, ast.Literal):
                continue
            key = str(item.key.value)
            label = str(env_name) if env_name is not None and key in _VALUE_KEYS else key
            yield from _expr_literals(item.value, (*path, key), label, depth + 1)
    elif isinstance(expr, ast.TupleExpr):
        # A list's items are not named by the list: ``{ simple-secret = ["roles/..."] }`` lists
        # role names.  Token shapes in items are still found (they need no name).
        for index, element in enumerate(expr.items):
            yield from _expr_literals(element, (*path, index), "", depth + 1)
    elif isinstance(expr, ast.Call) and expr.name in ("jsonencode", "tomap", "merge", "tolist", "concat"):
        for argument in expr.args:
            yield from _expr_literals(argument, path, name, depth + 1)


def _terraform_matches(body: ast.Body, forced: frozenset[str]) -> Iterator[tuple[AttrPath, SecretMatch]]:
    for path, name, expr in _terraform_literals(body, ()):
        top = str(path[0]) if path else name
        if isinstance(expr, ast.Literal):
            match = _check_string(name, str(expr.value), forced, top)
            if match is not None:
                yield path, match
        elif isinstance(expr, ast.Template):  # "Bearer ${var.x}" is not a literal, an embedded token is
            text = "".join(p for p in expr.parts if isinstance(p, str))
            shapes = find_token_shapes(text)
            if shapes:
                yield path, shapes[0]


# -- JSON/YAML values (CloudFormation, plan): concrete strings, intrinsics skipped -------------


def _value_matches(
    value: Any, path: AttrPath, name: str, forced: frozenset[str], depth: int = 0
) -> Iterator[tuple[AttrPath, SecretMatch]]:
    if depth > _MAX_DEPTH or isinstance(value, Intrinsic):
        return
    if isinstance(value, str):
        top = str(path[0]) if path else name
        match = _check_string(name, value, forced, top)
        if match is not None:
            yield path, match
    elif isinstance(value, dict):
        env_name = next((value[k] for k in _NAME_KEYS if isinstance(value.get(k), str)), None)
        for key, item in value.items():
            if not path and key in _SKIP_ATTRIBUTES:
                continue
            label = env_name if env_name is not None and key in _VALUE_KEYS else str(key)
            yield from _value_matches(item, (*path, key), label, forced, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _value_matches(item, (*path, index), "", forced, depth + 1)


def _raw_values(block: Block) -> Any:
    body = block.body
    if block.format == "plan":
        return body.get("values") if isinstance(body, dict) else None
    if block.kind == "parameter":
        return None
    return body.get("Properties") if isinstance(body, dict) else None


# -- what a block says, from its text alone -----------------------------------------------------


def _ssm_parameter_type(block: Block) -> Any:
    """The literal ``type`` of an ``aws_ssm_parameter`` (Unknown when it is an expression)."""
    body = block.body
    if isinstance(body, ast.Body):
        written = body.attributes.get("type")
        if written is None:
            return "String"  # the provider's default
        if isinstance(written.value, ast.Literal):
            return written.value.value
        return Unknown("the parameter type is an expression")
    values = _raw_values(block)
    return values.get("type") if isinstance(values, dict) else None


def secret_literals(block: Block, parameter_type: Any = None) -> Iterator[Violation]:
    """Secret literals written in one block (not a provider), read from the code as written."""
    kind = block.kind
    if isinstance(block.body, ast.Body):
        if kind == "variable":
            default = block.body.attributes.get("default")
            if default is None:
                return
            for path, name, expr in _expr_literals(default.value, ("default",), block.name, 0):
                if isinstance(expr, ast.Literal):
                    label = name if path != ("default",) else block.name
                    match = _check_string(label, str(expr.value), frozenset(), "")
                    if match is not None:
                        yield Violation(
                            path,
                            _describe(match, f"the default of variable {block.name}"),
                            agentic=match.model_api,
                        )
            return
        where = {"locals": "local", "tfvars": "the tfvars assignment"}.get(kind, "")
        for path, match in _terraform_matches(block.body, _forced(block.type, parameter_type)):
            label = f"{where} {path[0]}" if kind in ("locals", "tfvars") else f"attribute {path_text(path)}"
            yield Violation(path, _describe(match, label), agentic=match.model_api)
        return
    if kind == "parameter":
        default = block.body.get("Default") if isinstance(block.body, dict) else None
        if isinstance(default, str):
            match = _check_string(block.name, default, frozenset(), "")
            if match is not None:
                yield Violation(
                    ("Default",),
                    _describe(match, f"the default of parameter {block.name}"),
                    agentic=match.model_api,
                )
        return
    for path, match in _value_matches(_raw_values(block), (), "", _forced(block.type, parameter_type)):
        yield Violation(path, _describe(match, f"attribute {path_text(path)}"), agentic=match.model_api)


def provider_literals(block: Block) -> Iterator[Violation]:
    """Literal credentials in a provider block."""
    if isinstance(block.body, ast.Body):
        for path, match in _terraform_matches(block.body, _forced(block.type)):
            yield Violation(path, _describe(match, f"provider {block.type} {path_text(path)}"), severity="critical")
        return
    # plan JSON: configuration.provider_config.<name>.expressions.<attr>.constant_value
    body = block.body
    expressions = body.get("expressions") if isinstance(body, dict) else None
    if not isinstance(expressions, dict):
        return
    for attribute, expression in expressions.items():
        constant = expression.get("constant_value") if isinstance(expression, dict) else None
        if isinstance(constant, str):
            found = literal_secret(attribute, constant)
            if found is not None:
                path = ("expressions", attribute, "constant_value")
                yield Violation(path, _describe(found, f"provider {block.type} {attribute}"), severity="critical")


def precompute(block: Block) -> tuple[Violation, ...] | None:
    """The block's literal-secret violations, computed where the file is parsed so cached scans
    never rebuild syntax trees for this; None when the answer depends on evaluation (an SSM
    parameter whose ``type`` is an expression), and the check then runs on the evaluated view."""
    if not block.secret_hint:
        return ()
    if block.kind == "provider":
        return tuple(provider_literals(block))
    parameter_type = _ssm_parameter_type(block) if block.type == "aws_ssm_parameter" else None
    if isinstance(parameter_type, Unknown):
        return None
    return tuple(secret_literals(block, parameter_type))


# -- predicates ----------------------------------------------------------------------------------


def hardcoded_secret(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A secret literal in a resource, data source, module call, variable default, local, tfvars
    assignment or CloudFormation parameter default."""
    parameter_type = view.get("type") if view.type == "aws_ssm_parameter" else None
    yield from secret_literals(view.block, parameter_type)


def provider_credentials(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A provider configured with a literal credential (access key, client secret, token)."""
    yield from provider_literals(view.block)
