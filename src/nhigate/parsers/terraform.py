"""Terraform files (``.tf``, ``.tf.json``, ``.tfvars``, ``.tfvars.json``) to model blocks.

Top-level blocks become :class:`~nhigate.model.Block` records addressed the way Terraform
addresses them (``aws_iam_role.ci``, ``data.aws_iam_policy_document.trust``, ``module.app``,
``var.region``, ``provider.aws.west``).  JSON syntax is read into the same HCL tree so that the
evaluator and checks never see a difference.
"""

from __future__ import annotations

from typing import Any

from nhigate.model import Block, Format, Span
from nhigate.parsers import hclast as ast
from nhigate.parsers.hcl import split_template
from nhigate.parsers.located import LocDict, LocList

# Top-level block type -> number of labels that form its address.
_LABELLED = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1}


def blocks_from_hcl(path: str, tree: ast.HclFile, fmt: Format) -> list[Block]:
    """Model blocks for one Terraform file, each with the comments inside its span."""
    if fmt == "tfvars":
        span = Span(1, 1, max(tree.lines, 1), 1)
        return [Block(fmt, "tfvars", "tfvars", "", "tfvars", path, span, tree.body)]
    blocks: list[Block] = []
    for node in tree.body.blocks:
        found = _block(path, node)
        if found is not None:
            blocks.append(found)
    _attach_comments(blocks, tree.comments)
    return blocks


def _block(path: str, node: ast.BlockNode) -> Block | None:
    kind = node.type
    labels = node.labels
    if kind in ("resource", "data") and len(labels) >= 2:
        address = f"{labels[0]}.{labels[1]}" if kind == "resource" else f"data.{labels[0]}.{labels[1]}"
        return Block("terraform", kind, labels[0], labels[1], address, path, node.span, node.body)
    if kind == "provider" and labels:
        alias = node.body.attributes.get("alias")
        alias_name = alias.value.value if alias and isinstance(alias.value, ast.Literal) else None
        address = f"provider.{labels[0]}" + (f".{alias_name}" if alias_name else "")
        return Block("terraform", kind, labels[0], str(alias_name or ""), address, path, node.span, node.body)
    if kind in ("module", "variable", "output") and labels:
        prefix = {"module": "module", "variable": "var", "output": "output"}[kind]
        return Block("terraform", kind, kind, labels[0], f"{prefix}.{labels[0]}", path, node.span, node.body)
    if kind in ("locals", "terraform"):
        return Block("terraform", kind, kind, "", f"{kind}@{node.span.line}", path, node.span, node.body)
    # moved/import/check/removed blocks carry no identity or credential.
    return None


def _attach_comments(blocks: list[Block], comments: list[tuple[int, str]]) -> None:
    if not comments:
        return
    for block in blocks:
        inside = tuple(c for c in comments if block.span.line <= c[0] <= block.span.end_line)
        if inside:
            block.comments = inside


# -- JSON syntax ---------------------------------------------------------------------------------


def hcl_from_json(doc: Any, lines: int) -> ast.HclFile:
    """Read Terraform JSON syntax (already loaded with positions) into the HCL tree."""
    body = ast.Body()
    if isinstance(doc, LocDict):
        for block_type, content in doc.items():
            span = doc.value_spans.get(block_type, doc.span)
            labels = _LABELLED.get(block_type, 0)
            if block_type in {"locals", "terraform"}:
                for item in _as_items(content):
                    body.blocks.append(ast.BlockNode(block_type, (), _json_body(item, False), span))
                continue
            if labels == 0:
                continue
            _json_labelled(body, block_type, content, labels, ())
    return ast.HclFile(body=body, comments=[], lines=lines)


def tfvars_from_json(doc: Any, lines: int) -> ast.HclFile:
    body = _json_body(doc, False) if isinstance(doc, LocDict) else ast.Body()
    return ast.HclFile(body=body, comments=[], lines=lines)


def _as_items(content: Any) -> list[Any]:
    return list(content) if isinstance(content, LocList) else [content]


def _json_labelled(body: ast.Body, block_type: str, content: Any, depth: int, labels: tuple[str, ...]) -> None:
    if not isinstance(content, LocDict):
        return
    for key, value in content.items():
        span = content.key_spans.get(key, content.span)
        if depth == 1:
            for item in _as_items(value):
                if isinstance(item, LocDict):
                    node_span = Span(span.line, span.column, item.span.end_line, item.span.end_column)
                    body.blocks.append(
                        ast.BlockNode(block_type, (*labels, key), _json_body(item, block_type == "variable"), node_span)
                    )
        else:
            _json_labelled(body, block_type, value, depth - 1, (*labels, key))


def _json_body(doc: LocDict, literal: bool) -> ast.Body:
    """Attributes of a JSON-syntax block; nested objects that hold lists of objects are blocks.

    Terraform cannot tell a nested block from an object attribute in JSON without the provider
    schema; nhigate treats an object (or list of objects) as an attribute value, which the
    evaluator reads the same way a check reads a nested block.
    """
    body = ast.Body()
    for key, value in doc.items():
        span = doc.value_spans.get(key, doc.span)
        key_span = doc.key_spans.get(key, span)
        attr_span = Span(key_span.line, key_span.column, span.end_line, span.end_column)
        body.attributes[key] = ast.Attribute(key, json_expr(value, span, literal or key == "default"), attr_span)
    return body


def json_expr(value: Any, span: Span, literal: bool = False) -> ast.Expr:
    """A JSON value as an HCL expression: strings are templates unless ``literal``."""
    if isinstance(value, LocDict):
        items = []
        for key, item in value.items():
            item_span = value.value_spans.get(key, value.span)
            key_span = value.key_spans.get(key, item_span)
            items.append(
                ast.ObjectItem(
                    key=ast.Literal(key, key_span),
                    value=json_expr(item, item_span, literal),
                    span=Span(key_span.line, key_span.column, item_span.end_line, item_span.end_column),
                )
            )
        return ast.ObjectExpr(tuple(items), value.span)
    if isinstance(value, LocList):
        spans = value.item_spans
        return ast.TupleExpr(
            tuple(json_expr(v, spans[i] if i < len(spans) else value.span, literal) for i, v in enumerate(value)),
            value.span,
        )
    if isinstance(value, str) and not literal and ("${" in value or "%{" in value):
        return split_template(value, span)
    return ast.Literal(value, span)
