"""Evaluate Terraform expressions the way the deployment will, as far as the code allows.

A :class:`TerraformModule` is one directory's blocks (a root module).  Its :class:`Evaluator`
resolves variables (tfvars values, then defaults), locals, templates, conditionals and the
built-in functions of :mod:`nhigate.evaluate.functions`; a reference to a resource, data source
or module output stays a typed :class:`~nhigate.model.Ref`; anything else is
:class:`~nhigate.model.Unknown` with a reason.  Evaluation is lazy and memoised per local and
per attribute, and bounded by a step budget so hostile input cannot make it run away.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nhigate.evaluate.functions import FUNCTIONS, first_unknown
from nhigate.model import Block, Ref, Unknown
from nhigate.parsers import hclast as ast

Value = Any
DEFAULT_BUDGET = 200_000
MAX_FOR_ITEMS = 10_000

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}

_RESOURCE_ROOTS_NOT_REFS = {"var", "local", "each", "count", "path", "terraform", "self"}


class BudgetExceeded(Exception):
    """Raised when one module's evaluation exceeds its step budget."""


@dataclass
class TerraformModule:
    """One directory of Terraform configuration, with the values its variables take."""

    directory: str
    blocks: list[Block]
    var_values: dict[str, Value] = field(default_factory=dict)
    address_prefix: str = ""
    """``module.app.`` for a module instantiated by a caller, empty for a root module."""
    children: dict[str, Evaluator] = field(default_factory=dict)
    """Evaluators of the module calls this module makes, by call name, once instantiated."""
    variables: dict[str, Block] = field(init=False)
    locals: dict[str, ast.Attribute] = field(init=False)
    resources: dict[str, Block] = field(init=False)

    def __post_init__(self) -> None:
        self.variables = {}
        self.locals = {}
        self.resources = {}
        for block in self.blocks:
            if block.kind == "variable":
                self.variables[block.name] = block
            elif block.kind == "locals":
                self.locals.update(block.body.attributes)
            elif block.kind in ("resource", "data", "module", "provider"):
                self.resources[block.address] = block


class Evaluator:
    """Evaluates expressions of one module; see the module docstring for the rules."""

    def __init__(self, module: TerraformModule, budget: int = DEFAULT_BUDGET) -> None:
        self.module = module
        self._budget = budget
        self._locals: dict[str, Value] = {}
        self._in_progress: set[str] = set()

    # -- entry points ------------------------------------------------------------------------
    def evaluate(self, expr: ast.Expr, bindings: dict[str, Value] | None = None) -> Value:
        """Evaluate an expression; never raises (a blown budget yields Unknown)."""
        try:
            return self._eval(expr, bindings or {})
        except BudgetExceeded:
            return Unknown("evaluation step budget exceeded")
        except RecursionError:
            return Unknown("expression nested too deeply to evaluate")

    def variable(self, name: str) -> Value:
        if name in self.module.var_values:
            return self.module.var_values[name]
        block = self.module.variables.get(name)
        if block is None:
            return Unknown(f"variable {name} is not declared")
        default = block.body.attributes.get("default")
        if default is None:
            return Unknown(f"variable {name} has no default and no value")
        return self.evaluate(default.value)

    def output(self, name: str, prefix: str) -> Value:
        """An output's value as the caller sees it: references qualified with ``prefix``."""
        block = next((b for b in self.module.blocks if b.kind == "output" and b.name == name), None)
        if block is None:
            return Unknown(f"module output {name} is not declared")
        value = block.body.attributes.get("value")
        if value is None:
            return Unknown(f"module output {name} has no value")
        return _qualify(self.evaluate(value.value), prefix)

    def local(self, name: str) -> Value:
        if name in self._locals:
            return self._locals[name]
        attribute = self.module.locals.get(name)
        if attribute is None:
            return Unknown(f"local {name} is not declared")
        if name in self._in_progress:
            return Unknown(f"local {name} refers to itself")
        self._in_progress.add(name)
        try:
            value = self._eval(attribute.value, {})
        finally:
            self._in_progress.discard(name)
        self._locals[name] = value
        return value

    # -- the evaluator proper ----------------------------------------------------------------
    def _tick(self) -> None:
        self._budget -= 1
        if self._budget < 0:
            raise BudgetExceeded

    def _eval(self, expr: ast.Expr, env: dict[str, Value]) -> Value:
        self._tick()
        if isinstance(expr, ast.Literal):
            return expr.value
        if isinstance(expr, ast.Template):
            return self._template(expr, env)
        if isinstance(expr, ast.Variable):
            return self._traverse(expr, (), env)
        if isinstance(expr, ast.Traversal):
            if isinstance(expr.source, ast.Variable):
                return self._traverse(expr.source, expr.steps, env)
            return self._steps(self._eval(expr.source, env), expr.steps, env)
        if isinstance(expr, ast.Call):
            return self._call(expr, env)
        if isinstance(expr, ast.ObjectExpr):
            out: dict[str, Value] = {}
            for item in expr.items:
                key = self._eval(item.key, env)
                if not isinstance(key, (str, int, float, bool)):
                    return Unknown("object key is not known")
                out[_key_string(key)] = self._eval(item.value, env)
            return out
        if isinstance(expr, ast.TupleExpr):
            return [self._eval(item, env) for item in expr.items]
        if isinstance(expr, ast.Conditional):
            condition = self._eval(expr.condition, env)
            if isinstance(condition, bool):
                return self._eval(expr.true if condition else expr.false, env)
            true, false = self._eval(expr.true, env), self._eval(expr.false, env)
            return true if true == false and not isinstance(true, Unknown) else Unknown("condition is not known")
        if isinstance(expr, ast.BinaryOp):
            return self._binary(expr, env)
        if isinstance(expr, ast.UnaryOp):
            value = self._eval(expr.operand, env)
            if expr.op == "!" and isinstance(value, bool):
                return not value
            if expr.op == "-" and isinstance(value, (int, float)) and not isinstance(value, bool):
                return -value
            return Unknown("operand is not known")
        if isinstance(expr, ast.ForExpr):
            return self._for(expr, env)
        return Unknown("template directive or unsupported syntax")

    def _template(self, expr: ast.Template, env: dict[str, Value]) -> Value:
        if len(expr.parts) == 1 and not isinstance(expr.parts[0], str):
            return self._eval(expr.parts[0], env)  # "${x}" is x itself, whatever its type
        pieces: list[str] = []
        for part in expr.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = self._eval(part, env)
            if isinstance(value, Unknown):
                return value
            if isinstance(value, Ref):
                return Unknown(f"interpolates {value}")
            if isinstance(value, bool):
                pieces.append("true" if value else "false")
            elif value is None or isinstance(value, (dict, list)):
                return Unknown("interpolates a value that is not a string")
            elif isinstance(value, float) and value.is_integer():
                pieces.append(str(int(value)))
            else:
                pieces.append(str(value))
        return "".join(pieces)

    def _traverse(self, root: ast.Variable, steps: tuple[Any, ...], env: dict[str, Value]) -> Value:
        name = root.name
        if name in env:
            return self._steps(env[name], steps, env)
        names = [s for s in steps if isinstance(s, str)]
        if name == "var" and steps and isinstance(steps[0], str):
            return self._steps(self.variable(steps[0]), steps[1:], env)
        if name == "local" and steps and isinstance(steps[0], str):
            return self._steps(self.local(steps[0]), steps[1:], env)
        if name in ("each", "count", "self"):
            return Unknown(f"{name}.{'.'.join(names)} is only known per instance")
        if name in ("path", "terraform"):
            return Unknown(f"{name}.{'.'.join(names)} depends on where Terraform runs")
        if name == "data" and len(steps) >= 2 and isinstance(steps[0], str) and isinstance(steps[1], str):
            return Ref(f"data.{steps[0]}.{steps[1]}", _attr_names(steps[2:]))
        if name == "module" and steps and isinstance(steps[0], str):
            child = self.module.children.get(steps[0])
            if child is not None and len(steps) > 1 and isinstance(steps[1], str):
                return self._steps(child.output(steps[1], f"module.{steps[0]}."), steps[2:], env)
            return Ref(f"module.{steps[0]}", _attr_names(steps[1:]))
        if steps and isinstance(steps[0], str) and name not in _RESOURCE_ROOTS_NOT_REFS:
            return Ref(f"{name}.{steps[0]}", _attr_names(steps[1:]))
        return Unknown(f"{name} is not a value nhigate can resolve")

    def _steps(self, value: Value, steps: tuple[Any, ...], env: dict[str, Value]) -> Value:
        for step in steps:
            if isinstance(value, (Unknown, Ref)):
                return value if isinstance(value, Unknown) else Unknown(f"depends on {value}")
            if isinstance(step, ast.Splat):
                return Unknown("splat expressions are not evaluated")
            key = step if isinstance(step, str) else self._eval(step, env)
            if isinstance(key, Unknown):
                return key
            if isinstance(value, dict):
                skey = _key_string(key) if isinstance(key, (str, int, float, bool)) else None
                if skey is None or skey not in value:
                    return Unknown(f"key {key!r} is not present")
                value = value[skey]
            elif isinstance(value, list) and isinstance(key, (int, float)) and not isinstance(key, bool):
                index = int(key)
                if not 0 <= index < len(value):
                    return Unknown("index out of range")
                value = value[index]
            else:
                return Unknown("cannot index this value")
        return value

    def _call(self, expr: ast.Call, env: dict[str, Value]) -> Value:
        function = FUNCTIONS.get(expr.name)
        if function is None:
            return Unknown(f"function {expr.name}() is not evaluated by nhigate")
        args = [self._eval(arg, env) for arg in expr.args]
        if expr.expand:
            if not args or not isinstance(args[-1], list):
                return Unknown("expanded argument is not a known list")
            args = args[:-1] + list(args[-1])
        return function(args)

    def _binary(self, expr: ast.BinaryOp, env: dict[str, Value]) -> Value:
        left = self._eval(expr.left, env)
        if expr.op in ("&&", "||") and isinstance(left, bool):
            if (expr.op == "&&" and not left) or (expr.op == "||" and left):
                return left
            right = self._eval(expr.right, env)
            return right if isinstance(right, bool) else Unknown("operand is not known")
        right = self._eval(expr.right, env)
        unknown = first_unknown([left, right])
        if unknown is not None:
            return unknown
        function = _BINARY.get(expr.op)
        if function is None:
            return Unknown(f"operator {expr.op} is not evaluated")
        try:
            return function(left, right)
        except (TypeError, ZeroDivisionError, ValueError):
            return Unknown(f"operator {expr.op} does not apply to these values")

    def _for(self, expr: ast.ForExpr, env: dict[str, Value]) -> Value:
        collection = self._eval(expr.collection, env)
        if isinstance(collection, dict):
            pairs = list(collection.items())
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            return Unknown("for expression over a value that is not known")
        if len(pairs) > MAX_FOR_ITEMS:
            return Unknown("for expression over too many items")
        out_list: list[Value] = []
        out_map: dict[str, Value] = {}
        for key, item in pairs:
            scope = dict(env)
            if expr.key_var:
                scope[expr.key_var] = key
            scope[expr.value_var] = item
            if expr.condition is not None:
                keep = self._eval(expr.condition, scope)
                if not isinstance(keep, bool):
                    return Unknown("for expression condition is not known")
                if not keep:
                    continue
            value = self._eval(expr.value, scope)
            if expr.key is None:
                out_list.append(value)
                continue
            out_key = self._eval(expr.key, scope)
            if not isinstance(out_key, (str, int, float, bool)):
                return Unknown("for expression key is not known")
            skey = _key_string(out_key)
            if expr.grouping:
                out_map.setdefault(skey, []).append(value)
            else:
                out_map[skey] = value
        return out_list if expr.key is None else out_map


def _qualify(value: Value, prefix: str) -> Value:
    """Rewrite references from a child module so they name the child's blocks from outside."""
    if isinstance(value, Ref):
        return Ref(prefix + value.target, value.attribute)
    if isinstance(value, dict):
        return {k: _qualify(v, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [_qualify(v, prefix) for v in value]
    return value


def _attr_names(steps: tuple[Any, ...]) -> tuple[str, ...]:
    """Attribute names after a resource address, skipping instance keys (``[0]``, ``["a"]``)."""
    return tuple(s for s in steps if isinstance(s, str))


def _key_string(key: str | int | float | bool) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)
