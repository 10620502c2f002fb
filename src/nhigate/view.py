"""One read-only view of a resource's values, whatever format it came from.

Checks ask a :class:`ResourceView` for values by attribute path and never see HCL, JSON or
YAML.  Terraform values are evaluated lazily (only what a check asks for); plan JSON values are
read as they are; CloudFormation intrinsics are resolved against the template's parameters.
Paths follow Terraform's value shape (nested blocks are lists of objects), CloudFormation paths
are property paths (``Tags``, ``Policies/0/PolicyName``).  ``span`` turns any path into the most
precise location known, which is how rules say *what* and the engine says *where*.
"""

from __future__ import annotations

import re
from typing import Any

from nhigate.evaluate.terraform import Evaluator
from nhigate.model import AttrPath, Block, Ref, Span, Unknown
from nhigate.parsers import hclast as ast
from nhigate.parsers.located import Intrinsic, LocDict, span_at


class Missing:
    """The attribute is not set at all (as opposed to set to an Unknown value)."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = Missing()


class ResourceView:
    """Values and locations of one block's attributes."""

    def __init__(self, block: Block) -> None:
        self.block = block

    @property
    def type(self) -> str:
        return self.block.type

    @property
    def address(self) -> str:
        return self.block.address

    def get(self, *path: str | int) -> Any:
        """The value at ``path``: a plain value, :class:`Unknown`, :class:`Ref` or ``MISSING``."""
        raise NotImplementedError

    def span(self, path: AttrPath) -> Span:
        """Where the value at ``path`` is written; the block itself when it is not written."""
        raise NotImplementedError

    def has(self, *path: str | int) -> bool:
        return self.get(*path) is not MISSING

    def exists(self) -> bool | None:
        """Whether the block creates anything (False: ``count = 0``, a false CloudFormation
        condition); None when that depends on a value nhigate does not know."""
        return True


def _walk(value: Any, path: tuple[str | int, ...]) -> Any:
    for element in path:
        if isinstance(value, (Unknown, Ref)):
            return value
        if isinstance(value, dict) and isinstance(element, str):
            if element not in value:
                return MISSING
            value = value[element]
        elif isinstance(value, list) and isinstance(element, int):
            if not 0 <= element < len(value):
                return MISSING
            value = value[element]
        else:
            return MISSING
    return value


_TRANSPARENT_CALLS = frozenset({"jsonencode", "tomap", "tolist", "toset", "sensitive", "nonsensitive"})

MAX_INSTANCES = 64
"""for_each/count instances evaluated separately; beyond this the block is checked once, unbound."""


class TerraformView(ResourceView):
    """A Terraform block evaluated lazily, attribute by attribute, in its module's context.

    ``bindings`` holds ``each``/``count`` for one instance of a ``for_each``/``count`` block;
    :meth:`instances` produces those views when the collection is known.
    """

    def __init__(self, block: Block, evaluator: Evaluator, bindings: dict[str, Any] | None = None) -> None:
        super().__init__(block)
        self._evaluator = evaluator
        self._bindings = bindings or {}
        self._cache: dict[str, Any] = {}

    @property
    def address(self) -> str:
        return self._evaluator.module.address_prefix + self.block.address

    def evaluate(self, expr: ast.Expr) -> Any:
        return self._evaluator.evaluate(expr, self._bindings)

    def instance_key(self) -> str | None:
        """``"exporter"`` or ``0`` for one for_each/count instance, None for the block itself."""
        if "each" in self._bindings:
            return f'"{self._bindings["each"]["key"]}"'
        if "count" in self._bindings:
            return str(self._bindings["count"]["index"])
        return None

    def exists(self) -> bool | None:
        """Whether the block creates anything: False for ``count = 0`` or an empty ``for_each``,
        None when either is unknown (a variable without a default, a conditional on one)."""
        attributes = self.block.body.attributes
        if "for_each" in attributes:
            collection = self.evaluate(attributes["for_each"].value)
            return bool(collection) if isinstance(collection, (dict, list)) else None
        if "count" in attributes:
            count = self.evaluate(attributes["count"].value)
            if isinstance(count, bool) or not isinstance(count, int):
                return None
            return count > 0
        return True

    def instances(self) -> list[TerraformView]:
        """One view per known ``for_each``/``count`` instance, or just this view."""
        attributes = self.block.body.attributes
        if "for_each" in attributes:
            collection = self.evaluate(attributes["for_each"].value)
            if isinstance(collection, dict):
                pairs = list(collection.items())
            elif isinstance(collection, list) and all(isinstance(v, (str, int, float)) for v in collection):
                pairs = [(str(v), v) for v in collection]
            else:
                return [self]
            if not pairs or len(pairs) > MAX_INSTANCES:
                return [self] if pairs else []
            return [TerraformView(self.block, self._evaluator, {"each": {"key": k, "value": v}}) for k, v in pairs]
        if "count" in attributes:
            count = self.evaluate(attributes["count"].value)
            if isinstance(count, bool) or not isinstance(count, int):
                return [self]
            if count <= 0:
                return []  # count = 0: the block creates nothing
            if count > MAX_INSTANCES:
                return [self]
            return [TerraformView(self.block, self._evaluator, {"count": {"index": i}}) for i in range(count)]
        return [self]

    def get(self, *path: str | int) -> Any:
        if not path:
            return MISSING
        head = path[0]
        if not isinstance(head, str):
            return MISSING
        if head not in self._cache:
            self._cache[head] = self._top(self.block.body, head)
        return _walk(self._cache[head], path[1:])

    def _top(self, body: ast.Body, name: str) -> Any:
        attribute = body.attributes.get(name)
        if attribute is not None:
            return self.evaluate(attribute.value)
        nested = [b for b in body.blocks if b.type == name]
        if nested:
            return [self._block_value(b.body) for b in nested]
        if any(b.type == "dynamic" and b.labels and b.labels[0] == name for b in body.blocks):
            return Unknown(f"dynamic block {name}")
        return MISSING

    def _block_value(self, body: ast.Body) -> dict[str, Any]:
        value: dict[str, Any] = {n: self.evaluate(a.value) for n, a in body.attributes.items()}
        for nested in body.blocks:
            if nested.type == "dynamic" and nested.labels:
                value.setdefault(nested.labels[0], Unknown(f"dynamic block {nested.labels[0]}"))
            else:
                value.setdefault(nested.type, []).append(self._block_value(nested.body))
        return value

    def span(self, path: AttrPath) -> Span:
        body: ast.Body | None = self.block.body
        best = self.block.span
        expr: ast.Expr | None = None
        remaining = list(path)
        while remaining and body is not None:
            head = remaining.pop(0)
            if not isinstance(head, str):
                break
            attribute = body.attributes.get(head)
            if attribute is not None:
                best, expr, body = attribute.span, attribute.value, None
                break
            nested = [b for b in body.blocks if b.type == head]
            if not nested:
                break
            index = remaining.pop(0) if remaining and isinstance(remaining[0], int) else 0
            if not isinstance(index, int) or index >= len(nested):
                break
            best, body = nested[index].span, nested[index].body
        while expr is not None and remaining:
            if isinstance(expr, ast.Call) and expr.name in _TRANSPARENT_CALLS and len(expr.args) == 1:
                expr = expr.args[0]  # jsonencode([...]), tomap({...}): the literal inside is the place
                continue
            head = remaining.pop(0)
            if isinstance(expr, ast.ObjectExpr):
                item = next((i for i in expr.items if isinstance(i.key, ast.Literal) and i.key.value == head), None)
                if item is None:
                    break
                best, expr = item.span, item.value
            elif isinstance(expr, ast.TupleExpr) and isinstance(head, int) and 0 <= head < len(expr.items):
                expr = expr.items[head]
                best = expr.span
            elif isinstance(expr, ast.Call) and expr.name == "merge":
                # merge(local.tags, {Owner = ...}): the literal object that sets the key wins.
                found = None
                for arg in reversed(expr.args):
                    if isinstance(arg, ast.ObjectExpr):
                        found = next(
                            (i for i in arg.items if isinstance(i.key, ast.Literal) and i.key.value == head), None
                        )
                        if found:
                            break
                if found is None:
                    break
                best, expr = found.span, found.value
            else:
                break
        return best


class PlanView(ResourceView):
    """A resource from ``terraform show -json``: its ``values`` are concrete."""

    def __init__(self, block: Block) -> None:
        super().__init__(block)
        self._read: Any = None

    @property
    def _values(self) -> Any:
        """The block's values, read on first use: most blocks are never looked at by a check."""
        if self._read is None:
            body = self.block.body if isinstance(self.block.body, dict) else {}
            # A provider's configuration (``expressions``) is its body; a resource's is ``values``.
            values = body if self.block.kind == "provider" else body.get("values")
            self._read = values if isinstance(values, dict) else {}
        return self._read

    def get(self, *path: str | int) -> Any:
        if not path:
            return MISSING
        value = _walk(self._values, path)
        return value

    def span(self, path: AttrPath) -> Span:
        return _located_span(self._values, path, self.block.span)


_SUB_PART = re.compile(r"((?:[^$]|\$(?!\{)|\$\{!)*)\$\{([^}!]*)\}")
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure|ssm):")


class CloudFormationView(ResourceView):
    """A CloudFormation resource's ``Properties`` with intrinsics resolved where possible."""

    def __init__(self, block: Block, parameters: dict[str, Block], template: Block | None = None) -> None:
        super().__init__(block)
        self._read: Any = None
        self._parameters = parameters
        self._template = template  # its Conditions section decides Fn::If and conditional resources

    def exists(self) -> bool | None:
        body = self.block.body
        name = body.get("Condition") if isinstance(body, dict) and self.block.kind == "resource" else None
        return True if name is None else self.condition(name)

    def condition(self, name: Any, depth: int = 0) -> bool | None:
        """The value of a named condition of the template, None when it is not known (it depends
        on a parameter without a default, a pseudo parameter, or is not defined)."""
        template = self._template.body if self._template is not None else None
        conditions = template.get("Conditions") if isinstance(template, dict) else None
        if not isinstance(name, str) or not isinstance(conditions, dict) or name not in conditions or depth > 32:
            return None
        return self._truth(conditions[name], depth + 1)

    def _truth(self, expr: Any, depth: int) -> bool | None:
        if not isinstance(expr, Intrinsic):
            return None
        name, args = expr.name, expr.args
        if name == "Condition":
            return self.condition(args, depth)
        items = args if isinstance(args, list) else []
        if name == "Fn::Equals" and len(items) == 2:
            left, right = (_condition_scalar(self.resolve(item, True)) for item in items)
            return None if left is None or right is None else left == right
        if name == "Fn::Not" and len(items) == 1:
            value = self._truth(items[0], depth)
            return None if value is None else not value
        if name in ("Fn::And", "Fn::Or") and items:
            values = [self._truth(item, depth) for item in items]
            decisive = name == "Fn::Or"  # the value that settles it: any True for Or, any False for And
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        return None

    @property
    def _props(self) -> Any:
        """The block's properties, read on first use: most blocks are never looked at by a check."""
        if self._read is None:
            body = self.block.body if isinstance(self.block.body, dict) else {}
            # A parameter's own keys (Type, Default, NoEcho) are its values; a resource's are Properties.
            props = body if self.block.kind == "parameter" else body.get("Properties")
            self._read = props if isinstance(props, LocDict) else LocDict(self.block.span)
        return self._read

    def get(self, *path: str | int) -> Any:
        if not path:
            return MISSING
        value: Any = self._props
        for element in path:
            value = self.resolve(value)
            if isinstance(value, (Unknown, Ref)):
                return value
            value = _walk(value, (element,))
            if value is MISSING:
                return MISSING
        return self.resolve(value, deep=True)

    def resolve(self, value: Any, deep: bool = False) -> Any:
        """Resolve an intrinsic to a value, a :class:`Ref` or :class:`Unknown`."""
        if isinstance(value, Intrinsic):
            return self._intrinsic(value)
        if deep and isinstance(value, dict):
            return {k: self.resolve(v, True) for k, v in value.items()}
        if deep and isinstance(value, list):
            return [self.resolve(v, True) for v in value]
        return value

    def _intrinsic(self, value: Intrinsic) -> Any:
        name, args = value.name, value.args
        if name == "Ref" and isinstance(args, str):
            if args.startswith("AWS::"):
                return Unknown(f"pseudo parameter {args}")
            if args in self._parameters:
                parameter = self._parameters[args].body  # decoded only when a value needs it
                if isinstance(parameter, dict) and "Default" in parameter:
                    return self.resolve(parameter["Default"], True)
                return Unknown(f"parameter {args} has no default")
            return Ref(args)
        if name == "Fn::GetAtt" and isinstance(args, list) and len(args) == 2:
            return Ref(str(args[0]), tuple(str(args[1]).split(".")))
        if name == "Fn::Sub":
            return self._sub(args)
        if name == "Fn::Select" and isinstance(args, list) and len(args) == 2:
            index, items = self.resolve(args[0], True), self.resolve(args[1], True)
            if isinstance(index, (int, str)) and str(index).isdigit() and isinstance(items, list):
                position = int(index)
                return items[position] if position < len(items) else Unknown("Fn::Select index out of range")
            return Unknown("Fn::Select over values that are not known")
        if name == "Fn::Join" and isinstance(args, list) and len(args) == 2:
            parts = self.resolve(args[1], True)
            if isinstance(parts, list) and all(isinstance(p, str) for p in parts):
                return str(args[0]).join(parts)
            return Unknown("Fn::Join over values that are not known")
        if name == "Fn::If" and isinstance(args, list) and len(args) == 3:
            chosen = self.condition(args[0])
            if chosen is not None:
                return self.resolve(args[1] if chosen else args[2], True)
            true, false = self.resolve(args[1], True), self.resolve(args[2], True)
            return true if true == false else Unknown(f"depends on condition {args[0]}")
        return Unknown(f"{name} is not evaluated")

    def _sub(self, args: Any) -> Any:
        """``!Sub "app-${Env}"`` with parameters that have defaults, and its variable map."""
        template, variables = (args[0], args[1]) if isinstance(args, list) and len(args) == 2 else (args, {})
        if not isinstance(template, str):
            return Unknown("Fn::Sub template is not a string")
        local = variables if isinstance(variables, dict) else {}

        def value_of(name: str) -> Any:
            if name in local:
                return self.resolve(local[name], True)
            if "." in name:
                logical, attribute = name.split(".", 1)
                return Ref(logical, tuple(attribute.split(".")))
            return self._intrinsic(Intrinsic("Ref", name, self.block.span))

        pieces: list[str] = []
        for literal, name in _SUB_PART.findall(template + "${}"):
            pieces.append(literal.replace("${!", "${"))
            if not name:
                continue
            value = value_of(name)
            if isinstance(value, (Unknown, Ref)):
                return Unknown(f"Fn::Sub substitutes {name}, which is not known")
            pieces.append(str(value))
        return "".join(pieces)

    def span(self, path: AttrPath) -> Span:
        return _located_span(self._props, path, self.block.span)


def _condition_scalar(value: Any) -> str | None:
    """A value as ``Fn::Equals`` compares it (CloudFormation compares strings), None if unknown."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _located_span(root: Any, path: AttrPath, block_span: Span) -> Span:
    """The value's span, its nearest written parent's, or the block's when nothing is written."""
    found = span_at(root, path) if path else None
    if found is None or found == getattr(root, "span", None):
        return block_span
    return found


def is_dynamic_reference(value: Any) -> bool:
    """``{{resolve:secretsmanager:...}}`` and friends: a pointer to a secret, not a secret."""
    return isinstance(value, str) and bool(_DYNAMIC_REFERENCE.search(value))
