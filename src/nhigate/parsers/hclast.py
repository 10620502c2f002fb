"""nhigate's own syntax tree for HCL expressions and bodies.

Parser-independent on purpose: the python-hcl2 adapter (``hcl.py``) and the Terraform JSON
reader (``tfjson.py``) both produce these nodes, and a faster parse backend only has to produce
the same nodes to be a drop-in replacement.  Every node has a :class:`Span` so that any value a
check looks at can be located.  Nodes are frozen, slotted dataclasses: cheap to build, to pickle
across processes and to cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nhigate.model import Span, reduce_by_fields


@dataclass(frozen=True, slots=True)
class Literal:
    """A number, bool, null or a string without interpolation (escapes already applied)."""

    __reduce__ = reduce_by_fields

    value: str | int | float | bool | None
    span: Span


@dataclass(frozen=True, slots=True)
class Template:
    """A string with interpolations; ``parts`` alternate text and expressions.

    A part that is a :class:`Directive` (``%{if}``/``%{for}``) makes the template Unknown.
    """

    __reduce__ = reduce_by_fields

    parts: tuple[str | Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Directive:
    """A template directive nhigate does not evaluate; its presence makes a value Unknown."""

    __reduce__ = reduce_by_fields

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Variable:
    """A bare identifier: ``var``, ``local``, ``aws_iam_role``, ``each``, a for-loop variable."""

    __reduce__ = reduce_by_fields

    name: str
    span: Span


class Splat:
    """Marker step for ``[*]`` and ``.*``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Splat"

    def __reduce__(self) -> str:
        return "SPLAT"


SPLAT = Splat()


@dataclass(frozen=True, slots=True)
class Traversal:
    """``source.step.step[index]``: attribute access and indexing on an expression."""

    __reduce__ = reduce_by_fields

    source: Expr
    steps: tuple[str | Splat | Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; ``expand`` is true when the last argument is followed by ``...``."""

    __reduce__ = reduce_by_fields

    name: str
    args: tuple[Expr, ...]
    span: Span
    expand: bool = False


@dataclass(frozen=True, slots=True)
class ObjectItem:
    """``key = value`` inside an object constructor; bare-word keys are string literals."""

    __reduce__ = reduce_by_fields

    key: Expr
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class ObjectExpr:
    __reduce__ = reduce_by_fields
    items: tuple[ObjectItem, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class TupleExpr:
    __reduce__ = reduce_by_fields
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Conditional:
    __reduce__ = reduce_by_fields
    condition: Expr
    true: Expr
    false: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class BinaryOp:
    __reduce__ = reduce_by_fields
    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class UnaryOp:
    __reduce__ = reduce_by_fields
    op: str
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class ForExpr:
    """``[for k, v in coll : value if cond]`` or ``{for k, v in coll : key => value...}``."""

    __reduce__ = reduce_by_fields

    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None
    value: Expr
    condition: Expr | None
    grouping: bool
    span: Span


Expr = (
    Literal
    | Template
    | Variable
    | Traversal
    | Call
    | ObjectExpr
    | TupleExpr
    | Conditional
    | BinaryOp
    | UnaryOp
    | ForExpr
    | Directive
)


@dataclass(frozen=True, slots=True)
class Attribute:
    __reduce__ = reduce_by_fields
    name: str
    value: Expr
    span: Span


@dataclass(slots=True)
class Body:
    """Attributes by name and nested blocks in source order."""

    __reduce__ = reduce_by_fields

    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[BlockNode] = field(default_factory=list)


@dataclass(slots=True)
class BlockNode:
    """A block as written: ``type "label" "label" { body }``."""

    __reduce__ = reduce_by_fields

    type: str
    labels: tuple[str, ...]
    body: Body
    span: Span


@dataclass(slots=True)
class HclFile:
    """A whole parsed HCL file: its top-level body and every comment with its line."""

    __reduce__ = reduce_by_fields

    body: Body
    comments: list[tuple[int, str]] = field(default_factory=list)
    lines: int = 0
