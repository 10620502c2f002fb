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
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

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


if TYPE_CHECKING:

    class Span(NamedTuple):
        """What type checkers see: a named tuple (the runtime class below behaves the same)."""

        line: int
        column: int
        end_line: int
        end_column: int

        @staticmethod
        def at_line(line: int) -> Span: ...

else:

    class _SpanType(type):
        def __call__(cls, line, column, end_line, end_column):
            return tuple.__new__(cls, (line, column, end_line, end_column))

    class Span(tuple, metaclass=_SpanType):
        """A region in a file: 1-based lines and columns, ``end_column`` exclusive (as SARIF).

        A tuple subclass that behaves like a named tuple: every syntax-tree node has one, and a
        cached scan unpickles millions.  ``Span(line, column, end_line, end_column)`` goes
        through the metaclass, while unpickling calls the inherited C ``tuple.__new__`` directly
        (``__getnewargs__``) with no Python frame per span; a named tuple's ``__new__`` is a
        Python function, which cost a third of body decoding.
        """

        __slots__ = ()
        line = property(itemgetter(0))
        column = property(itemgetter(1))
        end_line = property(itemgetter(2))
        end_column = property(itemgetter(3))

        def __getnewargs__(self):
            return (tuple(self),)

        def __repr__(self):
            return f"Span(line={self[0]}, column={self[1]}, end_line={self[2]}, end_column={self[3]})"

        @staticmethod
        def at_line(line):
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
    object_hint: bool = True
    """False when the block's source text cannot spell a reference to a credential-bearing
    object (:func:`nhigate.secret_hint.may_name_object`)."""
    literal_secrets: tuple[tuple[AttrPath, str, str | None, bool], ...] | None = None
    """``(path, message, severity, agentic)`` of every secret literal written in the block, found
    where the file was parsed (and cached with it); None when finding them needs evaluation."""

    @property
    def body(self) -> Any:
        if isinstance(self.body_data, bytes):
            self.body_data = load_model(self.body_data)
        return self.body_data

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        data = self.body_data
        packed = data if isinstance(data, bytes) else pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        fields = (self.format, self.kind, self.type, self.name, self.address, self.file, self.span)
        hints = (self.secret_hint, self.object_hint, self.literal_secrets)
        return (Block, (*fields, packed, self.comments, *hints))

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
