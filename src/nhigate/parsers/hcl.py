"""The python-hcl2 adapter: HCL text to nhigate's syntax tree (:mod:`nhigate.parsers.hclast`).

This is the only module that knows python-hcl2's grammar rule names.  It walks the raw Lark
tree from ``hcl2.parses_to_tree`` rather than python-hcl2's serialized dict because 8.x does not
honour ``with_meta`` (amplify-education/python-hcl2#291), while the raw tree carries a position
for every rule and token (the parser is built with ``propagate_positions=True``).  Skipping
python-hcl2's typed-rule transformer also roughly halves the cost per file.
``tests/test_hcl_adapter.py`` pins known positions so that an upgrade that changes the grammar
fails loudly instead of mislocating findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nhigate.model import Span
from nhigate.parsers import hclast as ast

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)


class HclSyntaxError(Exception):
    """A file that python-hcl2 rejects; message never quotes source text (it may hold secrets)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse_hcl(text: str) -> ast.HclFile:
    """Parse HCL source into an :class:`~nhigate.parsers.hclast.HclFile`."""
    tree = _raw_tree(text)
    converter = _Converter()
    body = converter.body(tree.children[0])
    return ast.HclFile(body=body, comments=converter.comments, lines=text.count("\n") + 1)


def parse_expression(text: str, span: Span | None = None) -> ast.Expr:
    """Parse one HCL expression (used for template interpolations in heredocs and JSON syntax).

    When ``span`` is given every node gets it: positions inside a heredoc or a JSON string are
    not worth remapping, the enclosing attribute is precise enough for a finding.
    """
    tree = _raw_tree(f"x = {text}\n")
    attribute = next(c for c in tree.children[0].children if _data(c) == "attribute")
    converter = _Converter(span_override=span)
    return converter.expr(attribute.children[2])


def _raw_tree(text: str) -> Any:
    import hcl2
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

    try:
        return hcl2.parses_to_tree(text)
    except UnexpectedCharacters as exc:
        raise HclSyntaxError("unexpected character", exc.line, exc.column) from None
    except UnexpectedEOF:
        raise HclSyntaxError("unexpected end of file") from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        kind = getattr(token, "type", None)
        what = f"unexpected token of kind {kind}" if kind else "unexpected input"
        raise HclSyntaxError(what, getattr(exc, "line", None), getattr(exc, "column", None)) from None
    except RecursionError:
        raise HclSyntaxError("expression nested too deeply") from None


def _data(node: Any) -> str:
    data = getattr(node, "data", None)
    return str(data) if data is not None else ""


def _unescape(text: str) -> str:
    if "\\" not in text and "$${" not in text and "%%{" not in text:
        return text

    def repl(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, "\\" + code)

    return _ESCAPE_RE.sub(repl, text).replace("$${", "${").replace("%%{", "%{")


class _Converter:
    """Converts one raw Lark tree; collects comments on the way (for inline suppressions)."""

    def __init__(self, span_override: Span | None = None) -> None:
        self.comments: list[tuple[int, str]] = []
        self._override = span_override

    # -- positions ---------------------------------------------------------------------------
    def span(self, node: Any) -> Span:
        if self._override is not None:
            return self._override
        meta = getattr(node, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return Span(meta.line, meta.column, meta.end_line, meta.end_column)
        line = getattr(node, "line", None)
        if line is not None:  # a Token
            return Span(line, node.column, node.end_line, node.end_column)
        return Span(1, 1, 1, 1)

    def note_comments(self, node: Any) -> None:
        """Record the comments of a ``new_line_or_comment`` subtree."""
        for token in node.children:
            text = str(token).strip()
            if not text:
                continue
            if text.startswith("#"):
                self.comments.append((token.line, text[1:].strip()))
            elif text.startswith("//"):
                self.comments.append((token.line, text[2:].strip()))
            elif text.startswith("/*"):
                for offset, line_text in enumerate(text[2:-2].split("\n")):
                    if line_text.strip():
                        self.comments.append((token.line + offset, line_text.strip()))

    # -- structure ---------------------------------------------------------------------------
    def body(self, node: Any) -> ast.Body:
        body = ast.Body()
        for child in node.children:
            kind = _data(child)
            if kind == "attribute":
                attribute = self.attribute(child)
                body.attributes[attribute.name] = attribute
            elif kind == "block":
                body.blocks.append(self.block(child))
            elif kind == "new_line_or_comment":
                self.note_comments(child)
        return body

    def attribute(self, node: Any) -> ast.Attribute:
        name = self.name_of(node.children[0])
        return ast.Attribute(name=name, value=self.expr(node.children[2]), span=self.span(node))

    def block(self, node: Any) -> ast.BlockNode:
        names: list[str] = []
        body = ast.Body()
        for child in node.children:
            kind = _data(child)
            if kind == "body":
                body = self.body(child)
            elif kind == "string":
                names.append(self.plain_string(child))
            elif kind in ("identifier", "keyword", "literal_value"):
                names.append(self.name_of(child))
            elif kind == "new_line_or_comment":
                self.note_comments(child)
        return ast.BlockNode(type=names[0], labels=tuple(names[1:]), body=body, span=self.span(node))

    def name_of(self, node: Any) -> str:
        if _data(node) == "string":
            return self.plain_string(node)
        return str(node.children[0])

    def plain_string(self, node: Any) -> str:
        """A block label or quoted key: interpolation is not allowed there, keep the text."""
        expr = self.string(node)
        if isinstance(expr, ast.Literal):
            return str(expr.value)
        return "".join(p if isinstance(p, str) else "${...}" for p in expr.parts)

    # -- expressions -------------------------------------------------------------------------
    def expr(self, node: Any) -> ast.Expr:
        kind = _data(node)
        handler = _HANDLERS.get(kind)
        if handler is None:
            return ast.Directive(text=f"unsupported syntax {kind}", span=self.span(node))
        result: ast.Expr = handler(self, node)
        return result

    def expr_term(self, node: Any) -> ast.Expr:
        for child in node.children:
            if _data(child):
                if _data(child) == "new_line_or_comment":
                    self.note_comments(child)
                    continue
                return self.expr(child)
        return ast.Directive(text="empty expression", span=self.span(node))

    def literal(self, node: Any) -> ast.Expr:
        kind = _data(node)
        text = str(node.children[0])
        value: str | int | float | bool | None
        if kind == "int_lit":
            value = int(text)
        elif kind == "float_lit":
            value = float(text)
        elif text == "true":
            value = True
        elif text == "false":
            value = False
        else:
            value = None
        return ast.Literal(value=value, span=self.span(node))

    def identifier(self, node: Any) -> ast.Expr:
        return ast.Variable(name=str(node.children[0]), span=self.span(node))

    def string(self, node: Any) -> ast.Literal | ast.Template:
        parts: list[str | ast.Expr] = []
        for child in node.children:
            if _data(child) != "string_part":
                continue
            inner = child.children[0]
            inner_kind = _data(inner)
            if inner_kind == "interpolation":
                parts.append(self.expr(inner.children[1]))
            elif inner_kind.startswith("template_"):
                parts.append(ast.Directive(text=inner_kind, span=self.span(inner)))
            else:
                text = _unescape(str(inner))
                if parts and isinstance(parts[-1], str):
                    parts[-1] += text
                else:
                    parts.append(text)
        return _template(parts, self.span(node))

    def heredoc(self, node: Any) -> ast.Expr:
        return split_template(heredoc_content(str(node.children[0])), self.span(node))

    def template_string(self, node: Any) -> ast.Expr:
        return ast.Literal(value=_unescape(str(node.children[0])[2:-2]), span=self.span(node))

    def tuple_(self, node: Any) -> ast.Expr:
        items: list[ast.Expr] = []
        for child in node.children:
            kind = _data(child)
            if kind == "new_line_or_comment":
                self.note_comments(child)
            elif kind:
                items.append(self.expr(child))
        return ast.TupleExpr(items=tuple(items), span=self.span(node))

    def object_(self, node: Any) -> ast.Expr:
        items: list[ast.ObjectItem] = []
        for child in node.children:
            kind = _data(child)
            if kind == "new_line_or_comment":
                self.note_comments(child)
            elif kind == "object_elem":
                key_node = child.children[0]
                key = self.object_key(key_node)
                value = self.expr(child.children[2])
                items.append(ast.ObjectItem(key=key, value=value, span=self.span(child)))
        return ast.ObjectExpr(items=tuple(items), span=self.span(node))

    def object_key(self, node: Any) -> ast.Expr:
        inner = node.children[0]
        if _data(inner) == "keyword":
            return ast.Literal(value=str(inner.children[0]), span=self.span(inner))
        # A bare word key (`Owner = ...`) is the string "Owner", not a variable reference.
        if _data(inner) == "expr_term":
            term = [c for c in inner.children if _data(c)]
            if len(term) == 1 and _data(term[0]) == "identifier":
                return ast.Literal(value=str(term[0].children[0]), span=self.span(term[0]))
        return self.expr(inner)

    def function_call(self, node: Any) -> ast.Expr:
        names = [str(c.children[0]) for c in node.children if _data(c) == "identifier"]
        args: list[ast.Expr] = []
        expand = False
        for child in node.children:
            if _data(child) == "arguments":
                for arg in child.children:
                    kind = _data(arg)
                    if kind == "new_line_or_comment":
                        self.note_comments(arg)
                    elif kind:
                        args.append(self.expr(arg))
                    elif str(arg) == "...":
                        expand = True
        return ast.Call(name="::".join(names), args=tuple(args), span=self.span(node), expand=expand)

    def traversal(self, node: Any) -> ast.Expr:
        source = self.expr(node.children[0])
        steps = self.steps(node.children[1])
        if isinstance(source, ast.Traversal):  # flatten a.b.c into one traversal
            return ast.Traversal(source=source.source, steps=source.steps + steps, span=self.span(node))
        return ast.Traversal(source=source, steps=steps, span=self.span(node))

    def steps(self, node: Any) -> tuple[str | ast.Splat | ast.Expr, ...]:
        kind = _data(node)
        if kind == "get_attr":
            return (self.name_of(node.children[1]),)
        if kind == "braces_index":
            inner = [c for c in node.children if _data(c) and _data(c) != "new_line_or_comment"]
            return (self.expr(inner[0]),)
        if kind == "short_index":
            return (ast.Literal(value=int(str(node.children[1])), span=self.span(node)),)
        if kind in ("attr_splat", "full_splat"):
            out: list[str | ast.Splat | ast.Expr] = [ast.SPLAT]
            for child in node.children:
                if _data(child):
                    out.extend(self.steps(child))
            return tuple(out)
        return (ast.Directive(text=f"unsupported step {kind}", span=self.span(node)),)

    def conditional(self, node: Any) -> ast.Expr:
        parts = [c for c in node.children if _data(c) and _data(c) != "new_line_or_comment"]
        return ast.Conditional(
            condition=self.expr(parts[0]),
            true=self.expr(parts[1]),
            false=self.expr(parts[2]),
            span=self.span(node),
        )

    def binary_op(self, node: Any) -> ast.Expr:
        left = self.expr(node.children[0])
        term = node.children[1]
        operator = str(term.children[0].children[0])
        right_nodes = [c for c in term.children[1:] if _data(c) and _data(c) != "new_line_or_comment"]
        return ast.BinaryOp(op=operator, left=left, right=self.expr(right_nodes[0]), span=self.span(node))

    def unary_op(self, node: Any) -> ast.Expr:
        operator = str(node.children[0])
        return ast.UnaryOp(op=operator, operand=self.expr(node.children[1]), span=self.span(node))

    def for_expr(self, node: Any) -> ast.Expr:
        is_object = _data(node) == "for_object_expr"
        intro = next(c for c in node.children if _data(c) == "for_intro")
        names = [str(c.children[0]) for c in intro.children if _data(c) == "identifier"]
        collection_node = next(
            c for c in intro.children if _data(c) and _data(c) not in ("identifier", "new_line_or_comment")
        )
        exprs = [
            c for c in node.children if _data(c) and _data(c) not in ("for_intro", "for_cond", "new_line_or_comment")
        ]
        cond_node = next((c for c in node.children if _data(c) == "for_cond"), None)
        condition = None
        if cond_node is not None:
            cond_expr = [c for c in cond_node.children if _data(c) and _data(c) != "new_line_or_comment"]
            condition = self.expr(cond_expr[0])
        grouping = any(str(c) == "..." for c in node.children if not _data(c))
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        return ast.ForExpr(
            key_var=key_var,
            value_var=value_var,
            collection=self.expr(collection_node),
            key=self.expr(exprs[0]) if is_object else None,
            value=self.expr(exprs[1] if is_object else exprs[0]),
            condition=condition,
            grouping=grouping,
            span=self.span(node),
        )


def heredoc_content(raw: str) -> str:
    """The body of a heredoc token (``<<EOT`` ... ``EOT``), indentation trimmed for ``<<-``."""
    lines = raw.split("\n")
    content_lines = lines[1:-2] if lines[-1] == "" else lines[1:-1]
    content_lines = [line.rstrip("\r") for line in content_lines]
    if raw.startswith("<<-"):
        indents = [len(line) - len(line.lstrip()) for line in content_lines if line.strip()]
        cut = min(indents, default=0)
        content_lines = [line[cut:] for line in content_lines]
    return "\n".join(content_lines) + ("\n" if content_lines else "")


def _template(parts: list[str | ast.Expr], span: Span) -> ast.Literal | ast.Template:
    if not parts:
        return ast.Literal(value="", span=span)
    if len(parts) == 1 and isinstance(parts[0], str):
        return ast.Literal(value=parts[0], span=span)
    return ast.Template(parts=tuple(parts), span=span)


def split_template(content: str, span: Span) -> ast.Literal | ast.Template:
    """Split template text (heredoc body, JSON-syntax string) into text and interpolations."""
    parts: list[str | ast.Expr] = []
    text: list[str] = []
    i = 0
    n = len(content)
    while i < n:
        if content.startswith("$${", i) or content.startswith("%%{", i):
            text.append(content[i + 1 : i + 3])
            i += 3
            continue
        opener = content[i : i + 2]
        if opener in ("${", "%{"):
            end = _matching_brace(content, i + 2)
            if end < 0:
                text.append(content[i:])
                break
            if text:
                parts.append("".join(text))
                text = []
            inner = content[i + 2 : end].strip().strip("~").strip()
            if opener == "%{":
                parts.append(ast.Directive(text="template directive", span=span))
            else:
                try:
                    parts.append(parse_expression(inner, span))
                except HclSyntaxError:
                    parts.append(ast.Directive(text="unparsable interpolation", span=span))
            i = end + 1
            continue
        text.append(content[i])
        i += 1
    if text:
        parts.append("".join(text))
    return _template(parts, span)


def _matching_brace(text: str, start: int) -> int:
    depth = 1
    quote = False
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


_HANDLERS: dict[str, Callable[[_Converter, Any], ast.Expr]] = {
    "expr_term": _Converter.expr_term,
    "int_lit": _Converter.literal,
    "float_lit": _Converter.literal,
    "literal_value": _Converter.literal,
    "identifier": _Converter.identifier,
    "keyword": _Converter.identifier,
    "string": _Converter.string,
    "template_string": _Converter.template_string,
    "heredoc_template": _Converter.heredoc,
    "heredoc_template_trim": _Converter.heredoc,
    "tuple": _Converter.tuple_,
    "object": _Converter.object_,
    "function_call": _Converter.function_call,
    "get_attr_expr_term": _Converter.traversal,
    "index_expr_term": _Converter.traversal,
    "attr_splat_expr_term": _Converter.traversal,
    "full_splat_expr_term": _Converter.traversal,
    "conditional": _Converter.conditional,
    "binary_op": _Converter.binary_op,
    "unary_op": _Converter.unary_op,
    "for_tuple_expr": _Converter.for_expr,
    "for_object_expr": _Converter.for_expr,
}
