"""The common resource model every parser produces and every check reads.

Parsers (Terraform HCL, plan JSON, CloudFormation) turn a file into a :class:`ParsedFile`: a flat
list of :class:`Block` records, each with its source file and line span and a format-specific body
that keeps the positions of every attribute.  Nothing here imports a parser library, so the model
is cheap to import, picklable (it crosses process boundaries during parallel parsing) and stable
enough to be cached on disk.

Values that nhigate cannot know are :class:`Unknown` (never a guess), references between
resources are :class:`Ref` (so later checks can follow who uses what).
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Format = Literal["terraform", "tfvars", "plan", "cloudformation"]
"""Source formats. ``tfvars`` files only carry variable values, never resources."""

PathElement = str | int
AttrPath = tuple[PathElement, ...]


_MODEL_MODULES = frozenset({"nhigate.model", "nhigate.parsers.hclast", "nhigate.parsers.located"})
_PLAIN_BUILTINS = frozenset({"dict", "list", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes"})


class ModelUnpickler(pickle.Unpickler):
    """Loads nhigate's own model and plain builtins only: a tampered pickle cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _MODEL_MODULES or (module == "builtins" and name in _PLAIN_BUILTINS):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


def load_model(data: bytes) -> Any:
    return ModelUnpickler(io.BytesIO(data)).load()


def reduce_by_fields(obj: Any) -> tuple[Any, tuple[Any, ...]]:
    """Pickle a slotted dataclass as a constructor call.

    The default for slotted dataclasses restores every object through ``dataclasses.fields()``,
    which dominated warm (cached) scans: a corpus holds millions of syntax-tree nodes.
    """
    return (obj.__class__, tuple(getattr(obj, name) for name in obj.__slots__))


class Span(NamedTuple):
    """A region in a file: 1-based lines and columns, ``end_column`` exclusive (as SARIF).

    A named tuple rather than a dataclass: every syntax-tree node has one, and tuples are built
    and unpickled in C, which keeps cached (warm) scans fast.
    """

    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def at_line(line: int) -> Span:
        """A span covering the start of one line, for parsers that only know the line."""
        return Span(line, 1, line, 1)


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value that cannot be known before deployment; ``reason`` says why.

    Checks must treat Unknown as "cannot tell", never as "missing" or "empty".
    """

    __reduce__ = reduce_by_fields

    reason: str

    def __repr__(self) -> str:
        return f"Unknown({self.reason})"


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to another block's value, e.g. ``aws_iam_role.ci.arn`` or ``!GetAtt Ci.Arn``.

    ``target`` is the referenced block's address within its module or template
    (``aws_iam_role.ci``, ``data.aws_iam_policy_document.trust``, ``var.x``, ``CiRole``);
    ``attribute`` the attribute path read from it (empty for a bare ``!Ref``).
    """

    __reduce__ = reduce_by_fields

    target: str
    attribute: tuple[str, ...] = ()

    def __str__(self) -> str:
        return ".".join((self.target, *self.attribute))


@dataclass(frozen=True, slots=True)
class ParseError:
    """Why a file could not be read or parsed; becomes finding NHI001."""

    __reduce__ = reduce_by_fields

    message: str
    line: int | None = None
    column: int | None = None


@dataclass(slots=True, eq=False)
class Block:
    """One addressable unit of infrastructure code.

    ``kind`` is ``resource``, ``data``, ``provider``, ``module``, ``variable``, ``locals``,
    ``output`` or ``terraform`` for Terraform; ``resource``/``parameter``/``output`` for
    CloudFormation; ``resource``/``data`` for plan JSON.  ``type`` is the provider type
    (``aws_iam_access_key``, ``AWS::IAM::AccessKey``, ``aws`` for a provider block).
    ``address`` is unique within the file's module or template (``aws_iam_access_key.ci``,
    ``data.aws_iam_policy_document.trust``, ``provider.aws.west``, ``Resources.CiKey``).
    :attr:`body` is format-specific and keeps the positions of every attribute:
    a :class:`nhigate.parsers.hclast.Body` for Terraform, a located mapping for JSON/YAML.

    When a block is pickled (the parse cache, results coming back from parser processes) its
    body is pickled separately and only decoded when something reads it: most blocks of an
    estate are never looked at by any check, and rebuilding their syntax trees dominated
    cached scans.
    """

    format: Format
    kind: str
    type: str
    name: str
    address: str
    file: str
    span: Span
    body_data: Any
    """The body, or its pickled bytes until first read; use :attr:`body`."""
    comments: tuple[tuple[int, str], ...] = ()
    """``(line, text)`` of every comment inside the block, for inline suppressions."""
    secret_hint: bool = True
    """False when the block's source text cannot hold a secret (:mod:`nhigate.secret_hint`)."""

    @property
    def body(self) -> Any:
        if isinstance(self.body_data, bytes):
            self.body_data = load_model(self.body_data)
        return self.body_data

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        data = self.body_data
        packed = data if isinstance(data, bytes) else pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        fields = (self.format, self.kind, self.type, self.name, self.address, self.file, self.span)
        return (Block, (*fields, packed, self.comments, self.secret_hint))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Block):
            return NotImplemented
        mine = (self.format, self.kind, self.type, self.name, self.address, self.file, self.span, self.comments)
        theirs = (
            other.format,
            other.kind,
            other.type,
            other.name,
            other.address,
            other.file,
            other.span,
            other.comments,
        )
        return mine == theirs and self.body == other.body

    __hash__ = None  # type: ignore[assignment]


@dataclass(slots=True)
class ParsedFile:
    """What a parser returns for one file: its blocks, or the reason it could not be parsed."""

    __reduce__ = reduce_by_fields

    path: str
    format: Format | None
    blocks: list[Block] = field(default_factory=list)
    error: ParseError | None = None
    lines: int = 0
