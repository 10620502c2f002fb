"""CloudFormation templates (YAML or JSON, SAM included) to model blocks.

Both syntaxes are brought to one shape first: long-form intrinsics (``{"Fn::GetAtt": ...}``)
become :class:`Intrinsic` values like the YAML short forms already are, so checks and the
evaluator never need to know which syntax a template used.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Any

from nhigate.model import Block, Span
from nhigate.parsers.located import Intrinsic, LocDict, LocList
from nhigate.parsers.locdata import getatt_args, split_lines

TEMPLATE_TYPE = "AWS::CloudFormation::Template"


def is_cfn(doc: Any) -> bool:
    """The content test from DESIGN.md: a format version, or a resource with an ``X::Y`` type."""
    if not isinstance(doc, LocDict):
        return False
    if "AWSTemplateFormatVersion" in doc:
        return True
    resources = doc.get("Resources")
    if not isinstance(resources, dict):
        return False
    return any(isinstance(r, dict) and isinstance(r.get("Type"), str) and "::" in r["Type"] for r in resources.values())


def cfn_blocks(path: str, doc: LocDict, text: str) -> list[Block]:
    """One block per resource, parameter and output, plus one for the whole template."""
    converted = to_intrinsics(doc)
    if not isinstance(converted, LocDict):  # a template that is itself one intrinsic is not a template
        return []
    doc = converted
    blocks = [Block("cloudformation", "template", TEMPLATE_TYPE, "", "Template", path, doc.span, doc)]
    for section, kind in (("Resources", "resource"), ("Parameters", "parameter"), ("Outputs", "output")):
        members = doc.get(section)
        if not isinstance(members, LocDict):
            continue
        for parent, logical_id, body in _members(members):
            if not isinstance(body, LocDict):
                continue
            declared = body.get("Type")
            if kind == "resource" and not isinstance(declared, str):
                continue  # CloudFormation rejects it; there is nothing to check without a type
            block_type = declared if isinstance(declared, str) else ("output" if kind == "output" else "")
            address = logical_id if kind == "resource" else f"{section}.{logical_id}"
            span = _member_span(parent, logical_id)
            blocks.append(Block("cloudformation", kind, block_type, logical_id, address, path, span, body))
    blocks.sort(key=lambda b: (b.span.line, b.span.column))
    _attach_comments(blocks, yaml_comments(doc, text))
    for block in blocks:
        extra = metadata_suppressions(block.body_data)
        if extra:
            block.comments = tuple(sorted((*block.comments, *extra)))
    return blocks


def metadata_suppressions(resource: Any) -> list[tuple[int, str]]:
    """``Metadata.nhigate.ignore`` entries as suppression comments (JSON has no comments).

    Written in the inline syntax at the entry's line, so suppressions have one reader and the
    body of every resource need not be inspected again after parsing.
    """
    metadata = resource.get("Metadata") if isinstance(resource, LocDict) else None
    nhigate = metadata.get("nhigate") if isinstance(metadata, LocDict) else None
    entries = nhigate.get("ignore") if isinstance(nhigate, LocDict) else None
    if not isinstance(entries, LocList):
        return []
    out = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, LocDict):
            continue
        rule = entry.get("id")
        text = "nhigate:ignore " + (",".join(r.strip() for r in str(rule).split(",")) if rule else "")
        for field in ("reason", "approved_by", "expires"):
            value = entry.get(field)
            if value is not None:
                text += f' {field}="{str(value).replace(chr(34), chr(39))}"'
        out.append((entries.item_spans[index].line, text))
    return out


def _members(section: LocDict) -> Iterator[tuple[LocDict, str, Any]]:
    """``(mapping, logical id, body)`` of a section, looking inside ``Fn::ForEach`` loops.

    A loop's fragment (``S3Bucket${Id}: {Type: ...}``) is one block, as a Terraform ``count`` is:
    findings belong to the code that creates the copies, not to each copy.
    """
    for key, value in section.items():
        loop = key.startswith("Fn::ForEach::") and isinstance(value, LocList) and len(value) == 3
        if loop and isinstance(value[2], LocDict):
            yield from _members(value[2])
        else:
            yield section, key, value


def _member_span(mapping: LocDict, key: str) -> Span:
    key_span = mapping.key_spans.get(key, mapping.span)
    value_span = mapping.value_spans.get(key, key_span)
    return Span(key_span.line, key_span.column, value_span.end_line, value_span.end_column)


# -- intrinsics -----------------------------------------------------------------------------------


def _is_long_form(name: str, args: Any) -> bool:
    if name == "Ref":
        return True
    if name == "Condition":  # also a key of IAM policy statements, whose value is a mapping
        return isinstance(args, str)
    # "Fn::ForEach::Loop" (language extensions) names a loop in a section, not a value.
    return name.startswith("Fn::") and name.count("::") == 1


def to_intrinsics(value: Any) -> Any:
    """Turn every single-key ``{"Ref"|"Condition"|"Fn::*": args}`` mapping into an Intrinsic.

    Containers are converted in place (aliased YAML nodes are shared, so each is visited once);
    the return value replaces ``value`` in its parent.
    """
    return _convert(value, set())


def _convert(value: Any, seen: set[int]) -> Any:
    if isinstance(value, Intrinsic):
        args = _convert(value.args, seen)
        return value if args is value.args else Intrinsic(value.name, args, value.span)
    if not isinstance(value, (LocDict, LocList)) or id(value) in seen:
        return value
    seen.add(id(value))
    if isinstance(value, LocList):
        for index, item in enumerate(value):
            value[index] = _convert(item, seen)
        return value
    for key in value:
        value[key] = _convert(value[key], seen)
    if len(value) == 1:
        ((name, args),) = value.items()
        if _is_long_form(name, args):
            if name == "Fn::GetAtt":
                args = getatt_args(args, value.value_spans.get(name, value.span))
            return Intrinsic(name, args, value.span)
    return value


# -- comments -------------------------------------------------------------------------------------


def yaml_comments(doc: Any, text: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every YAML comment, in line order.

    A ``#`` starts a comment at the start of a line or after whitespace, outside any scalar; the
    loaded spans say exactly where scalars are, so a ``#`` in a quoted string, a plain scalar
    such as ``a#b`` or a shell script in a ``|`` block is never mistaken for a comment.
    """
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith(("{", "[")):
        return []  # JSON has no comments
    lines = split_lines(text)
    masks: dict[int, list[tuple[int, int]]] = {}
    _mask_scalars(doc, lines, masks, set())
    comments: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        if "#" in line:
            start = _first_comment(line, masks.get(number, []))
            if start is not None:
                comments.append((number, line[start + 1 :].strip()))
    return comments


_WHOLE_LINE = (1, 1 << 62)
_TAG_OR_ANCHOR = re.compile(r"^(?:[!&]\S*\s+)+")  # "!Sub |" and "&a |" start block scalars too
_COMMENT_START = re.compile(r"(?<![^ \t])#")  # at the start of the line or after a blank


def _first_comment(line: str, masked: list[tuple[int, int]]) -> int | None:
    """Index of the first ``#`` that starts a comment, searching only the gaps between scalars.

    One pass over the line however many scalars and ``#`` it holds: a one-line flow document
    can be megabytes long.
    """
    gap_start = 0
    for start, end in [*sorted(masked), (len(line) + 1, len(line) + 1)]:
        if start - 1 > gap_start:
            match = _COMMENT_START.search(line, gap_start, start - 1)
            if match is not None:
                return match.start()
        gap_start = max(gap_start, end - 1)
    return None


def _mask(span: Span, lines: list[str], masks: dict[int, list[tuple[int, int]]]) -> None:
    if span.line == span.end_line:
        masks.setdefault(span.line, []).append((span.column, span.end_column))
        return
    header = lines[span.line - 1][span.column - 1 :] if span.line <= len(lines) else ""
    header = _TAG_OR_ANCHOR.sub("", header, count=1)
    if header[:1] not in ("|", ">"):  # a block scalar's header line may end in a comment
        masks.setdefault(span.line, []).append((span.column, _WHOLE_LINE[1]))
    for line in range(span.line + 1, span.end_line):
        masks.setdefault(line, []).append(_WHOLE_LINE)
    masks.setdefault(span.end_line, []).append((1, span.end_column))


def _mask_scalars(value: Any, lines: list[str], masks: dict[int, list[tuple[int, int]]], seen: set[int]) -> None:
    if isinstance(value, Intrinsic):
        value = value.args
    if not isinstance(value, (LocDict, LocList)) or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, LocDict):
        pairs = [(value.key_spans.get(k), value.value_spans.get(k), v) for k, v in value.items()]
    else:
        pairs = [(None, s, v) for s, v in zip(value.item_spans, value, strict=False)]
    for key_span, value_span, item in pairs:
        if key_span is not None:
            _mask(key_span, lines, masks)
        scalar = not isinstance(item, (LocDict, LocList)) and not (
            isinstance(item, Intrinsic) and isinstance(item.args, (LocDict, LocList))
        )
        if scalar and value_span is not None:
            _mask(value_span, lines, masks)
        else:
            _mask_scalars(item, lines, masks, seen)


def _attach_comments(blocks: list[Block], comments: list[tuple[int, str]]) -> None:
    lines = [line for line, _ in comments]
    for block in blocks:
        if block.kind == "template":
            continue  # every comment is inside the template; suppressions belong to its members
        first = bisect.bisect_left(lines, block.span.line)
        last = bisect.bisect_right(lines, block.span.end_line)
        block.comments = tuple(comments[first:last])
