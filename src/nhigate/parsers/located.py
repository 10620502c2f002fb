"""Located containers: JSON/YAML data that remembers where every key and value came from.

CloudFormation templates and plan JSON are loaded into these (see ``locdata``), so a
check can name an attribute path and the engine can turn it into a file line without any
format-specific code in the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nhigate.model import AttrPath, Span, reduce_by_fields


class LocDict(dict[str, Any]):
    """A mapping with the span of itself, of each key and of each value."""

    __slots__ = ("key_spans", "span", "value_spans")

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.key_spans: dict[str, Span] = {}
        self.value_spans: dict[str, Span] = {}

    def __reduce__(self) -> Any:  # keep spans when pickled across processes / into the cache
        return (_rebuild_dict, (self.span, dict(self), self.key_spans, self.value_spans))


class LocList(list[Any]):
    """A sequence with the span of itself and of each item."""

    __slots__ = ("item_spans", "span")

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.item_spans: list[Span] = []

    def __reduce__(self) -> Any:
        return (_rebuild_list, (self.span, list(self), self.item_spans))


def _rebuild_dict(
    span: Span, items: dict[str, Any], key_spans: dict[str, Span], value_spans: dict[str, Span]
) -> LocDict:
    d = LocDict(span)
    d.update(items)
    d.key_spans = key_spans
    d.value_spans = value_spans
    return d


def _rebuild_list(span: Span, items: list[Any], item_spans: list[Span]) -> LocList:
    lst = LocList(span)
    lst.extend(items)
    lst.item_spans = item_spans
    return lst


@dataclass(frozen=True, slots=True)
class Intrinsic:
    """A CloudFormation intrinsic function, kept as a value rather than flattened to a string.

    ``name`` is the long form (``Ref``, ``Condition``, ``Fn::GetAtt``, ``Fn::Sub``, ...), whether
    the template used ``!GetAtt`` or ``{"Fn::GetAtt": ...}``.  ``args`` is the argument as written,
    except that ``Fn::GetAtt`` is always ``[logical_id, attribute]``.
    """

    __reduce__ = reduce_by_fields

    name: str
    args: Any
    span: Span


def span_at(root: Any, path: AttrPath) -> Span | None:
    """The span of the value at ``path`` inside located data, or of its deepest located parent."""
    node = root
    best: Span | None = getattr(root, "span", None)
    for element in path:
        if isinstance(node, LocDict) and isinstance(element, str) and element in node:
            best = node.value_spans.get(element, best)
            node = node[element]
        elif isinstance(node, LocList) and isinstance(element, int) and 0 <= element < len(node):
            best = node.item_spans[element] if element < len(node.item_spans) else best
            node = node[element]
        else:
            break
    return best
