"""An optional tree-sitter-hcl parse path that reproduces :func:`nhigate.parsers.hcl.parse_hcl`.

Why this exists: python-hcl2 (Lark LALR + a post-lexer, pure Python) is the bulk of a cold scan
(``parse_hcl`` averages ~6 ms per file on the shared corpus, plus ~140 ms per process to import
python-hcl2 and load its grammar); this path averages ~1.6 ms and never imports python-hcl2 unless
it falls back.  python-hcl2 stays the reference and the fallback: this module must return a tree
that is *equal* (dataclass ``==``, every :class:`~nhigate.model.Span`, the comment list and
``lines`` included) to the one ``parse_hcl`` builds, or refuse with :class:`TreeSitterRefusal` so
the caller parses the file with python-hcl2.  It never returns a tree that merely looks right.

How equality is reached: tree-sitter supplies the structure, and the converter walks it like a
recursive-descent parser with a byte cursor, re-lexing every gap between two structural tokens
with python-hcl2's own terminal patterns (whitespace, ``NL_OR_COMMENT``).  Each gap is examined
exactly once under a policy that says what python-hcl2's grammar does with newline/comment
tokens at that place:

* ``_NOTE``   - the tokens land in a rule the adapter reads comments from (body, block header,
  tuple, object, call arguments, after the ``(`` of parentheses);
* ``_SILENT`` - the grammar accepts them but the adapter never records those comments
  (conditional, for-expression, index brackets, after a binary operator, after a call's ``(``,
  before a ``)`` that closes parentheses);
* ``_REJECT`` - python-hcl2 would fail there (e.g. around ``=``), so we refuse.

python-hcl2 quirks reproduced here (each pinned by ``tests/test_hcl_backends.py``):

* ``parses_to_tree`` appends ``"\\n"`` to the text; we parse ``text + "\\n"`` too, so a comment
  or heredoc on the last line ends on the following line, column 1.
* LALR shift preference: a binary operation followed by newlines/comments swallows all of them
  (``or_expr: or_expr or_binary_term new_line_or_comment?``), so its span - and the span of the
  attribute or object item that ends with it - ends after them, and those comments are lost.
* The post-lexer merges the newline token just before a binary operator or ``?`` into that
  operator's token: ``BinaryOp.op`` is then e.g. ``"\\n  +"`` and that comment is lost too.
* The post-lexer also holds one newline token back, so after two or more newline/comment tokens
  the next token is lexed in the after-newline parser state, where ``else``, ``in``,
  ``for_each``... are keywords: as a variable there python-hcl2 fails, so we refuse.
* ``-12`` and ``-1.5`` are single number tokens (``INT_LITERAL`` needs two digits after the
  minus sign), ``-1`` is a unary minus; ``x -12`` is a python-hcl2 syntax error.
* ``a ? b : c ? d : e`` nests to the right in python-hcl2 and to the left in tree-sitter: the
  chain is flattened and regrouped.
* Heredocs are one token that includes the newline after the closing marker; their content is
  split exactly like the adapter does, interpolations are parsed as fragments (by tree-sitter,
  or by ``hcl.parse_expression`` when refused) with every span set to the heredoc's span.
* Columns count characters, not bytes (tree-sitter counts bytes); a ``\\r`` counts as a column.

Everything tree-sitter accepts but python-hcl2 parses differently or rejects (``--x``, non-ASCII
identifiers, hex numbers, strip markers in interpolations, ``$$${x}``, newlines where python-hcl2
allows none, ...) is refused, and so is what tree-sitter rejects but python-hcl2 accepts
(``%{ if }`` markers that do not nest, ``1e5``, unknown escapes such as ``"\\$"``).  The string
helpers ``_unescape``, ``_template`` and ``_matching_brace`` are shared with ``hcl.py`` on purpose:
one implementation of the adapter's text rules.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from typing import NoReturn

import tree_sitter
import tree_sitter_hcl

from nhigate.model import Span
from nhigate.parsers import hclast as ast
from nhigate.parsers.hcl import (
    HclSyntaxError,
    _matching_brace,
    _template,
    _unescape,
    heredoc_content,
    parse_expression,
)

__all__ = ["TreeSitterRefusal", "parse_hcl_ts"]


class TreeSitterRefusal(Exception):
    """The tree-sitter path cannot guarantee python-hcl2's exact tree: parse with python-hcl2.

    ``reason`` is a short category (never source text, which may hold secrets).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refuse(reason: str) -> NoReturn:
    raise TreeSitterRefusal(reason)


try:
    _LANGUAGE = tree_sitter.Language(tree_sitter_hcl.language())
except ValueError as exc:  # grammar ABI this tree_sitter cannot load: same as not installed
    raise ImportError(f"tree-sitter-hcl cannot be loaded by this tree-sitter: {exc}") from exc
_LOCAL = threading.local()


def _parser() -> tree_sitter.Parser:
    """One parser per thread: a tree_sitter.Parser must not be shared between threads."""
    parser: tree_sitter.Parser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = tree_sitter.Parser(_LANGUAGE)
        _LOCAL.parser = parser
    return parser


# python-hcl2's terminals (hcl2/hcl2.lark in python-hcl2 8.1.4), as byte patterns.
_NAME = re.compile(rb"[a-zA-Z_][a-zA-Z0-9_-]*\Z")
_FLOAT = re.compile(rb"(?:(?:-[0-9])?[0-9]+|(?:-[0-9])+)(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)")
_INT = re.compile(rb"(?:-[0-9])?[0-9]+")
_GAP_SPACE = re.compile(rb"[ \t\r]+")
_NL = re.compile(rb"\n[ \t]*")
_LINE_COMMENT = re.compile(rb"(?:#|//)[^\n]*\n")
_BLOCK_COMMENT = re.compile(rb"/\*(?:.|\n)*?\*/", re.DOTALL)
_STRING_CHARS = re.compile(rb"(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^\"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+")
_ESCAPED_TEMPLATE = re.compile(rb"(?:\$\$|%%)\{[^}]*\}")
# Heredocs are matched on str, like Lark does: there `\s` also matches Unicode whitespace.
_HEREDOC = re.compile(r"<<(?P<heredoc>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*(?P=heredoc)\r?\n")
_HEREDOC_TRIM = re.compile(
    r"<<-(?P<heredoc_trim>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*(?P=heredoc_trim)\r?\n"
)
# Token types python-hcl2's post-lexer merges a preceding newline token into (OPERATOR_TYPES).
_MERGING_OPERATORS = (b"==", b"!=", b"<=", b">=", b"&&", b"||", b"<", b">", b"*", b"/", b"%", b"+", b"?")
_NAME_CONTINUE = frozenset(bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_KEYWORDS = frozenset({"for", "in", "if", "else", "endif", "endfor"})
_KEYWORD_NAMES = frozenset({b"for", b"in", b"if", b"else", b"endif", b"endfor", b"for_each"})
_BINARY_OPERATORS = frozenset({"*", "/", "%", "+", "-", ">", ">=", "<", "<=", "==", "!=", "&&", "||"})
_DIRECTIVE_KINDS = {
    "template_if_intro": "template_if_start",
    "template_else_intro": "template_else",
    "template_if_end": "template_endif",
    "template_for_start": "template_for_start",
    "template_for_end": "template_endfor",
}

# Gap policies (see the module docstring).
_NO_TOKENS: list[tuple[int, int]] = []  # shared, never mutated
_REJECT = 0
_SILENT = 1
_NOTE = 2

Node = tree_sitter.Node
Result = tuple[ast.Expr, int]  # an expression and the byte offset where python-hcl2's rule ends


def parse_hcl_ts(text: str) -> ast.HclFile:
    """Parse HCL like :func:`nhigate.parsers.hcl.parse_hcl`, with tree-sitter-hcl.

    Raises :class:`TreeSitterRefusal` whenever the tree could differ from python-hcl2's (including
    every file python-hcl2 rejects that we recognise as such): call ``parse_hcl`` then.
    """
    try:
        converter = _Converter(text + "\n")
        body = converter.file_body()
    except TreeSitterRefusal:
        raise
    except RecursionError:
        raise TreeSitterRefusal("nesting too deep") from None
    except Exception as exc:  # anything unexpected: never guess, let python-hcl2 decide
        raise TreeSitterRefusal(f"internal error ({type(exc).__name__})") from None
    return ast.HclFile(body=body, comments=converter.comments, lines=text.count("\n") + 1)


_COMMENT = _LANGUAGE.id_for_node_kind("comment", True)


def _children(node: Node) -> list[Node]:
    """Children without tree-sitter's comment nodes (comments are re-lexed from the gaps)."""
    kids = node.children
    for child in kids:
        if child.kind_id == _COMMENT:
            return [c for c in kids if c.kind_id != _COMMENT]
    return kids


def _flatten_conditional(node: Node, out: list[Node]) -> None:
    """Operands and ``?``/``:`` tokens of an unparenthesised conditional chain, in source order."""
    for part in _children(node):
        if part.type == "expression":
            inner = _children(part)
            if len(inner) == 1 and inner[0].type == "conditional":
                _flatten_conditional(inner[0], out)
                continue
        out.append(part)


class _Converter:
    """Walks one tree-sitter tree in source order, checking every gap against python-hcl2."""

    def __init__(self, source: str, span_override: Span | None = None) -> None:
        try:
            self.data = source.encode("utf-8")
        except UnicodeEncodeError:
            _refuse("text is not encodable as UTF-8")
        self.source = source
        self.ascii = source.isascii()
        tree = _parser().parse(self.data)
        self.root = tree.root_node
        if self.root.has_error:
            _refuse("tree-sitter syntax error")
        starts = [0]
        find = self.data.find
        i = find(b"\n")
        while i >= 0:
            starts.append(i + 1)
            i = find(b"\n", i + 1)
        self.line_starts = starts
        self.cursor = 0
        self.strict = 0  # > 0: inside a quoted-string interpolation/directive or an object key
        self.comments: list[tuple[int, str]] = []
        self.override = span_override
        self.top_level_statements = 0
        self.names: dict[bytes, str] = {}

    # -- positions ---------------------------------------------------------------------------
    def point(self, offset: int) -> tuple[int, int]:
        """Byte offset to python-hcl2's (Lark's) 1-based line and character column."""
        line = bisect_right(self.line_starts, offset)
        start = self.line_starts[line - 1]
        if self.ascii:
            return line, offset - start + 1
        return line, len(self.data[start:offset].decode("utf-8")) + 1

    def span(self, start: int, end: int) -> Span:
        if self.override is not None:
            return self.override
        if not self.ascii:
            return Span(*self.point(start), *self.point(end))
        starts = self.line_starts  # point() inlined: this is the hottest path
        line = bisect_right(starts, start)
        end_line = bisect_right(starts, end)
        return Span(line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1)

    # -- gaps --------------------------------------------------------------------------------
    def lex_gap(self, pos: int) -> tuple[int, list[tuple[int, int]]]:
        """Lex whitespace and python-hcl2 ``NL_OR_COMMENT`` tokens from ``pos``; return where the
        next structural token starts and the newline/comment tokens on the way."""
        data = self.data
        tokens: list[tuple[int, int]] = []
        size = len(data)
        while pos < size:
            ch = data[pos]
            if ch in (32, 9, 13):  # space, tab, CR: python-hcl2's %ignore
                match = _GAP_SPACE.match(data, pos)
            elif ch == 10:
                match = _NL.match(data, pos)
            elif ch == 35 or (ch == 47 and data[pos + 1 : pos + 2] == b"/"):
                match = _LINE_COMMENT.match(data, pos)
            elif ch == 47 and data[pos + 1 : pos + 2] == b"*":
                match = _BLOCK_COMMENT.match(data, pos)
            else:
                break
            if match is None:
                _refuse("unterminated comment")
            if ch not in (32, 9, 13):
                tokens.append((pos, match.end()))
            pos = match.end()
        return pos, tokens

    def merges_into_operator(self, pos: int) -> bool:
        """Whether python-hcl2's post-lexer merges a newline token just before ``pos`` into it."""
        # `<<` starts a heredoc token, never two `<` operators.
        return self.data.startswith(_MERGING_OPERATORS, pos) and not self.data.startswith(b"<<", pos)

    def skip_to(self, target: int, policy: int) -> list[tuple[int, int]]:
        """Consume the gap up to the structural token at ``target`` under ``policy``; return the
        newline token merged into that token (empty or one element)."""
        cursor = self.cursor
        if cursor == target or not self.data[cursor:target].strip(b" \t\r"):
            self.cursor = target  # fast path: no gap, or only ignored whitespace
            return _NO_TOKENS
        end, tokens = self.lex_gap(cursor)
        if end != target:
            _refuse("unexpected text between tokens")
        merged: list[tuple[int, int]] = []
        if tokens and self.merges_into_operator(target):
            merged.append(tokens.pop())
            if self.strict:
                _refuse("newline before an operator inside an interpolation or key")
        if tokens:
            if policy == _REJECT or self.strict:
                _refuse("newline or comment where python-hcl2 allows none")
            if policy == _NOTE and self.override is None:
                for start, stop in tokens:
                    self.note(start, stop)
        self.cursor = target
        return merged

    def tok(self, node: Node, policy: int) -> list[tuple[int, int]]:
        """Consume one structural token (after its gap)."""
        start = node.start_byte
        cursor = self.cursor
        merged = _NO_TOKENS
        if cursor != start and self.data[cursor:start].strip(b" \t\r"):
            merged = self.skip_to(start, policy)
        self.cursor = node.end_byte
        return merged

    def word(self, node: Node, policy: int) -> None:
        """A keyword token (``for``, ``in``, ``true``...).  python-hcl2 lexes ``in-x`` or
        ``true-1`` as one NAME where tree-sitter may see a keyword and an operator."""
        self.tok(node, policy)
        if self.data[node.end_byte : node.end_byte + 1] in _NAME_CONTINUE:
            _refuse("keyword python-hcl2 lexes as part of a name")

    def note(self, start: int, stop: int) -> None:
        """Record a comment exactly like ``_Converter.note_comments`` in ``hcl.py``."""
        text = self.data[start:stop].decode("utf-8").strip()
        if not text:
            return
        line = self.point(start)[0]
        if text.startswith("#"):
            self.comments.append((line, text[1:].strip()))
        elif text.startswith("//"):
            self.comments.append((line, text[2:].strip()))
        elif text.startswith("/*"):
            for offset, line_text in enumerate(text[2:-2].split("\n")):
                if line_text.strip():
                    self.comments.append((line + offset, line_text.strip()))

    def absorb(self) -> int | None:
        """LALR shift preference: newline tokens right after a binary operation belong to it.
        Returns the new end of the operation, or None when there is nothing to absorb."""
        end, tokens = self.lex_gap(self.cursor)
        if tokens and self.merges_into_operator(end):
            tokens.pop()
        if not tokens:
            return None
        if self.strict:
            _refuse("newline after an operation inside an interpolation or key")
        self.cursor = tokens[-1][1]
        return self.cursor

    def check_keyword_name(self, node: Node) -> None:
        """An identifier spelled like a python-hcl2 keyword, used as a variable or function name.

        python-hcl2's post-lexer holds back one newline token, so after two or more newline or
        comment tokens the next token is lexed in the parser state *after* a newline, where the
        keyword terminal wins over NAME: ``[\n\nelse]`` is a syntax error there, not a variable.
        """
        if self.data[node.start_byte : node.end_byte] in _KEYWORD_NAMES and len(self.lex_gap(self.cursor)[1]) > 1:
            _refuse("keyword-named identifier after newlines")

    def name(self, node: Node) -> str:
        raw = self.data[node.start_byte : node.end_byte]
        name = self.names.get(raw)
        if name is None:
            if not _NAME.match(raw):
                _refuse("identifier python-hcl2 does not accept")
            name = self.names[raw] = raw.decode("ascii")
        return name

    # -- structure ---------------------------------------------------------------------------
    def file_body(self) -> ast.Body:
        kids = _children(self.root)
        body = ast.Body()
        if kids:
            if len(kids) != 1 or kids[0].type != "body":
                _refuse("top-level object")
            statements = _children(kids[0])
            self.top_level_statements = len(statements)
            self.statements(statements, body)
        self.skip_to(len(self.data), _NOTE)
        return body

    def statements(self, nodes: list[Node], body: ast.Body) -> None:
        for node in nodes:
            self.skip_to(node.start_byte, _NOTE)
            if node.type == "attribute":
                attribute = self.attribute(node)
                body.attributes[attribute.name] = attribute
            elif node.type == "block":
                body.blocks.append(self.block(node))
            else:
                _refuse(f"unknown statement {node.type}")

    def attribute(self, node: Node) -> ast.Attribute:
        ident, equals, expression = _children(node)
        self.tok(ident, _REJECT)
        name = self.name(ident)
        self.tok(equals, _REJECT)
        value, end = self.expression(expression, _REJECT)
        return ast.Attribute(name=name, value=value, span=self.span(node.start_byte, end))

    def block(self, node: Node) -> ast.BlockNode:
        kids = _children(node)
        names: list[str] = []
        body = ast.Body()
        for child in kids:
            kind = child.type
            if kind == "identifier":
                self.tok(child, _REJECT)
                names.append(self.name(child))
            elif kind == "string_lit":
                value, _ = self.string(child, _REJECT)
                if isinstance(value, ast.Literal):
                    names.append(str(value.value))
                else:
                    _refuse("interpolated block label")
            elif kind == "block_start":
                self.tok(child, _NOTE)
            elif kind == "body":
                self.statements(_children(child), body)
            elif kind == "block_end":
                self.tok(child, _NOTE)
            else:
                _refuse(f"unknown block part {kind}")
        return ast.BlockNode(
            type=names[0], labels=tuple(names[1:]), body=body, span=self.span(node.start_byte, node.end_byte)
        )

    # -- expressions -------------------------------------------------------------------------
    def expression(self, node: Node, pre: int) -> Result:
        kids = _children(node)
        if len(kids) == 1 and kids[0].type == "conditional":
            return self.conditional(kids[0], pre)
        return self.term(kids, pre)

    def conditional(self, node: Node, pre: int) -> Result:
        """tree-sitter groups ``a ? b : c ? d : e`` to the left, python-hcl2 to the right (its
        condition is an ``or_expr``): flatten the chain in source order and regroup it."""
        items: list[Node] = []
        _flatten_conditional(node, items)
        result, index = self.conditional_chain(items, 0, pre)
        if index != len(items):
            _refuse("unexpected conditional structure")
        return result

    def conditional_chain(self, items: list[Node], index: int, pre: int) -> tuple[Result, int]:
        operand = items[index]
        if index + 1 >= len(items) or items[index + 1].type != "?":
            return self.expression(operand, pre), index + 1
        condition, _ = self.expression(operand, pre)
        self.tok(items[index + 1], _REJECT)  # a newline merged into `?` is fine (post-lexer)
        (true, _), index = self.conditional_chain(items, index + 2, _SILENT)
        if index >= len(items) or items[index].type != ":":
            _refuse("unexpected conditional structure")
        self.tok(items[index], _SILENT)
        (false, end), index = self.conditional_chain(items, index + 1, _SILENT)
        return (ast.Conditional(condition, true, false, self.span(operand.start_byte, end)), end), index

    def term(self, kids: list[Node], pre: int) -> Result:
        """A tree-sitter ``_expr_term`` (hidden, so its parts are siblings): a primary or a
        parenthesised expression, then index/attribute/splat steps, flattened as ``hcl.py`` does."""
        first = kids[0]
        start = first.start_byte
        rest = 1
        if first.type == "(":
            self.tok(first, pre)
            base, _ = self.expression(kids[1], _NOTE)
            close = kids[2]
            if close.type != ")":
                _refuse("unexpected parenthesis structure")
            # hcl.py's expr_term returns at the inner expression: only comments before it count.
            self.tok(close, _SILENT)
            end = close.end_byte
            rest = 3
        else:
            base, end = self.primary(first, pre)
        if len(kids) == rest:
            return base, end
        if first.type == "operation":
            _refuse("operation followed by a traversal step")
        steps: list[str | ast.Splat | ast.Expr] = []
        for step in kids[rest:]:
            self.step(step, steps)
            end = step.end_byte
        span = self.span(start, end)
        if isinstance(base, ast.Traversal):
            return ast.Traversal(source=base.source, steps=base.steps + tuple(steps), span=span), end
        return ast.Traversal(source=base, steps=tuple(steps), span=span), end

    def step(self, node: Node, out: list[str | ast.Splat | ast.Expr]) -> None:
        kind = node.type
        if kind == "get_attr":
            dot, ident = _children(node)
            self.tok(dot, _REJECT)
            self.tok(ident, _REJECT)
            out.append(self.name(ident))
        elif kind == "index":
            (inner,) = _children(node)
            if inner.type == "new_index":
                open_, expression, close = _children(inner)
                self.tok(open_, _REJECT)
                value, _ = self.expression(expression, _SILENT)
                self.tok(close, _SILENT)
                out.append(value)
            else:  # legacy_index `.0`: python-hcl2's short_index, DOT INT_LITERAL (digits are hidden)
                (dot,) = _children(inner)
                self.tok(dot, _REJECT)
                self.skip_to(self.lex_gap(self.cursor)[0], _REJECT)
                digits_start, end = self.cursor, inner.end_byte
                match = _INT.match(self.data, digits_start)
                if match is None or match.end() != end or digits_start == end:
                    _refuse("legacy index python-hcl2 lexes differently")
                self.cursor = end
                out.append(ast.Literal(value=int(self.data[digits_start:end]), span=self.span(inner.start_byte, end)))
        elif kind == "splat":
            (inner,) = _children(node)
            parts = _children(inner)
            self.tok(parts[0], _REJECT)  # `.*` or `[*]`
            out.append(ast.SPLAT)
            for part in parts[1:]:
                self.step(part, out)
        else:
            _refuse(f"unknown traversal step {kind}")

    def primary(self, node: Node, pre: int) -> Result:
        kind = node.type
        if kind == "literal_value":
            return self.literal(_children(node)[0], pre)
        if kind == "variable_expr":
            (ident,) = _children(node)
            self.check_keyword_name(ident)
            self.tok(ident, pre)
            return ast.Variable(name=self.name(ident), span=self.span(ident.start_byte, ident.end_byte)), ident.end_byte
        if kind == "template_expr":
            (inner,) = _children(node)
            if inner.type == "heredoc_template":
                return self.heredoc(inner, pre)
            return self.string(inner, pre)
        if kind == "collection_value":
            (inner,) = _children(node)
            if inner.type == "tuple":
                return self.tuple_(inner, pre)
            return self.object_(inner, pre)
        if kind == "function_call":
            return self.call(node, pre)
        if kind == "for_expr":
            (inner,) = _children(node)
            return self.for_expr(inner, pre)
        if kind == "operation":
            (inner,) = _children(node)
            if inner.type == "binary_operation":
                return self.binary(inner, pre)
            return self.unary(inner, pre)
        _refuse(f"unknown expression {kind}")

    def literal(self, node: Node, pre: int) -> Result:
        kind = node.type
        if kind == "string_lit":
            return self.string(node, pre)
        if kind == "numeric_lit":
            self.tok(node, pre)
        else:
            self.word(node, pre)
        start, end = node.start_byte, node.end_byte
        value: str | int | float | bool | None
        if kind == "numeric_lit":
            value = self.number(start, end)
        elif kind == "bool_lit":
            value = self.data[start:end] == b"true"
        elif kind == "null_lit":
            value = None
        else:
            _refuse(f"unknown literal {kind}")
        return ast.Literal(value=value, span=self.span(start, end)), end

    def number(self, start: int, end: int) -> int | float:
        """A number token as python-hcl2 lexes it at an operand position (FLOAT before INT)."""
        match = _FLOAT.match(self.data, start)
        is_float = match is not None
        if match is None:
            match = _INT.match(self.data, start)
        if match is None or match.end() != end:
            _refuse("number python-hcl2 lexes differently")
        raw = self.data[start:end]
        return float(raw) if is_float else int(raw)

    def unary(self, node: Node, pre: int) -> Result:
        kids = _children(node)
        op = kids[0]
        operand = kids[1:]
        start = op.start_byte
        if op.type == "-" and (_FLOAT.match(self.data, start) or _INT.match(self.data, start)):
            # python-hcl2 lexes `-12` / `-1.5` as one number token, not a unary minus.
            literal = _children(operand[0])[0] if len(operand) == 1 and operand[0].type == "literal_value" else None
            if literal is None or literal.type != "numeric_lit" or literal.start_byte != op.end_byte:
                _refuse("negative number python-hcl2 lexes differently")
            self.skip_to(start, pre)
            self.cursor = literal.end_byte
            value = self.number(start, literal.end_byte)
            return ast.Literal(value=value, span=self.span(start, literal.end_byte)), literal.end_byte
        if operand[0].type == "operation":
            _refuse("operation as unary operand")
        self.tok(op, pre)
        value_expr, end = self.term(operand, _REJECT)
        return ast.UnaryOp(op=op.type, operand=value_expr, span=self.span(start, end)), end

    def binary(self, node: Node, pre: int) -> Result:
        kids = _children(node)
        index = next(i for i, c in enumerate(kids) if not c.is_named and c.type in _BINARY_OPERATORS)
        op = kids[index]
        if op.type == "-" and (_FLOAT.match(self.data, op.start_byte) or _INT.match(self.data, op.start_byte)):
            _refuse("binary minus python-hcl2 lexes as a negative number")
        left, _ = self.term(kids[:index], pre)
        merged = self.tok(op, _REJECT)
        op_text = op.type
        if merged:
            m_start, m_end = merged[0]
            op_text = self.data[m_start:m_end].decode("utf-8") + op_text
        right, end = self.term(kids[index + 1 :], _SILENT)
        absorbed = self.absorb()
        if absorbed is not None:
            end = absorbed
        return ast.BinaryOp(op=op_text, left=left, right=right, span=self.span(node.start_byte, end)), end

    def tuple_(self, node: Node, pre: int) -> Result:
        kids = _children(node)
        self.tok(kids[0], pre)
        items: list[ast.Expr] = []
        for child in kids[1:-1]:
            if child.type == ",":
                self.tok(child, _NOTE)
            else:
                items.append(self.expression(child, _NOTE)[0])
        self.tok(kids[-1], _NOTE)
        return ast.TupleExpr(items=tuple(items), span=self.span(node.start_byte, node.end_byte)), node.end_byte

    def object_(self, node: Node, pre: int) -> Result:
        kids = _children(node)
        self.tok(kids[0], pre)
        items: list[ast.ObjectItem] = []
        for child in kids[1:-1]:
            if child.type == ",":
                self.tok(child, _NOTE)
            elif child.type == "object_elem":
                items.append(self.object_item(child))
            else:
                _refuse(f"unknown object part {child.type}")
        self.tok(kids[-1], _NOTE)
        return ast.ObjectExpr(items=tuple(items), span=self.span(node.start_byte, node.end_byte)), node.end_byte

    def object_item(self, node: Node) -> ast.ObjectItem:
        key_node, separator, value_node = _children(node)
        key_kids = _children(key_node)
        key: ast.Expr
        if len(key_kids) == 1 and key_kids[0].type == "variable_expr":
            # A bare word key (`Owner = ...`) is the string "Owner" (hcl.py's object_key).
            (ident,) = _children(key_kids[0])
            self.tok(ident, _NOTE)
            key = ast.Literal(value=self.name(ident), span=self.span(ident.start_byte, ident.end_byte))
        else:
            first = key_node  # where python-hcl2 expects a key it lexes `in`, `for_each`... as
            while first.child_count:  # keywords, and a keyword key must stand alone
                first = first.children[0]
            if self.data[first.start_byte : first.end_byte] in _KEYWORD_NAMES:
                _refuse("object key starting with a keyword")
            self.skip_to(key_node.start_byte, _NOTE)
            self.strict += 1
            key, _ = self.expression(key_node, _NOTE)
            self.strict -= 1
        self.tok(separator, _REJECT)
        value, end = self.expression(value_node, _REJECT)
        return ast.ObjectItem(key=key, value=value, span=self.span(node.start_byte, end))

    def call(self, node: Node, pre: int) -> Result:
        kids = _children(node)
        ident, open_ = kids[0], kids[1]
        raw = self.data[ident.start_byte : ident.end_byte]
        parts = raw.split(b"::")
        if len(parts) not in (1, 3) or not all(_NAME.match(p) for p in parts):
            _refuse("function name python-hcl2 does not accept")
        self.check_keyword_name(ident)
        self.tok(ident, pre)
        self.tok(open_, _REJECT)
        args: list[ast.Expr] = []
        expand = False
        close = kids[-1]
        if len(kids) == 4:
            policy = _SILENT  # python-hcl2: `LPAR new_line_or_comment? arguments?`; not collected
            arguments = _children(kids[2])
            for position, arg in enumerate(arguments):
                if arg.type == ",":
                    # `(new_line_or_comment? COMMA new_line_or_comment? expression)*` then
                    # `(COMMA | ELLIPSIS)? new_line_or_comment?`: no newline before a trailing comma.
                    self.tok(arg, _NOTE if position + 1 < len(arguments) else _REJECT)
                    policy = _NOTE
                elif arg.type == "ellipsis":
                    self.tok(arg, _REJECT)
                    expand = True
                else:
                    args.append(self.expression(arg, policy)[0])
            self.tok(close, _NOTE)
        elif len(kids) == 3:
            self.tok(close, _SILENT)
        else:
            _refuse("unexpected call structure")
        name = raw.decode("ascii")
        return ast.Call(
            name=name, args=tuple(args), span=self.span(node.start_byte, close.end_byte), expand=expand
        ), close.end_byte

    def for_expr(self, node: Node, pre: int) -> Result:
        is_object = node.type == "for_object_expr"
        kids = _children(node)
        self.tok(kids[0], pre)
        intro = _children(kids[1])
        self.word(intro[0], _SILENT)  # for
        self.check_keyword_name(intro[1])
        names = [self.name(intro[1])]
        self.tok(intro[1], _SILENT)
        position = 2
        if intro[2].type == ",":
            self.tok(intro[2], _REJECT)
            self.tok(intro[3], _REJECT)
            names.append(self.name(intro[3]))
            position = 4
        self.word(intro[position], _SILENT)  # in
        first_comment = len(self.comments)
        collection, _ = self.expression(intro[position + 1], _SILENT)
        self.tok(intro[position + 2], _SILENT)  # :
        key: ast.Expr | None = None
        rest = kids[2:-1]
        if is_object:
            key = self.expression(rest[0], _SILENT)[0]
            self.tok(rest[1], _REJECT)  # =>
            value = self.expression(rest[2], _SILENT)[0]
            rest = rest[3:]
        else:
            value = self.expression(rest[0], _SILENT)[0]
            rest = rest[1:]
        grouping = False
        condition: ast.Expr | None = None
        for part in rest:
            if part.type == "ellipsis":
                self.tok(part, _SILENT)
                grouping = True
            elif part.type == "for_cond":
                if_token, cond_node = _children(part)
                self.word(if_token, _SILENT)
                cond_comment = len(self.comments)
                condition = self.expression(cond_node, _SILENT)[0]
                # hcl.py converts the condition before the collection, key and value.
                moved = self.comments[cond_comment:]
                self.comments[first_comment:] = moved + self.comments[first_comment:cond_comment]
            else:
                _refuse(f"unknown for-expression part {part.type}")
        self.tok(kids[-1], _SILENT)
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        expr = ast.ForExpr(
            key_var=key_var,
            value_var=value_var,
            collection=collection,
            key=key,
            value=value,
            condition=condition,
            grouping=grouping,
            span=self.span(node.start_byte, node.end_byte),
        )
        return expr, node.end_byte

    # -- strings -----------------------------------------------------------------------------
    def string(self, node: Node, pre: int) -> Result:
        """A quoted string: literal text is re-lexed with python-hcl2's string terminals and
        unescaped token by token, as ``hcl.py`` does."""
        kids = _children(node)
        self.tok(kids[0], pre)
        parts: list[str | ast.Expr] = []
        segment_start = kids[0].end_byte
        self.strict += 1
        for child in self.template_parts(kids[1:-1]):
            self.literal_text(segment_start, child.start_byte, parts)
            if child.type == "template_interpolation":
                self.cursor = child.start_byte
                parts.append(self.interpolation(child))
            else:
                self.cursor = child.start_byte
                self.directive(child)
                parts.append(
                    ast.Directive(text=_DIRECTIVE_KINDS[child.type], span=self.span(child.start_byte, child.end_byte))
                )
            segment_start = child.end_byte
        self.strict -= 1
        close = kids[-1]
        self.literal_text(segment_start, close.start_byte, parts)
        self.cursor = close.start_byte
        self.tok(close, _REJECT)
        return _template(parts, self.span(node.start_byte, node.end_byte)), node.end_byte

    def template_parts(self, nodes: list[Node]) -> list[Node]:
        """Interpolations and directive markers in source order (python-hcl2 keeps them flat)."""
        out: list[Node] = []
        for child in nodes:
            kind = child.type
            if kind == "template_literal":
                continue
            if kind in ("template_interpolation", *_DIRECTIVE_KINDS):
                out.append(child)
            elif kind in ("template_directive", "template_if", "template_for"):
                out.extend(self.template_parts(_children(child)))
            else:
                _refuse(f"unknown template part {kind}")
        return out

    def literal_text(self, start: int, end: int, parts: list[str | ast.Expr]) -> None:
        pos = start
        data = self.data
        while pos < end:
            match = _ESCAPED_TEMPLATE.match(data, pos) or _STRING_CHARS.match(data, pos)
            if match is None or match.end() > end:
                _refuse("string text python-hcl2 lexes differently")
            text = _unescape(data[pos : match.end()].decode("utf-8"))
            if parts and isinstance(parts[-1], str):
                parts[-1] += text
            else:
                parts.append(text)
            pos = match.end()

    def interpolation(self, node: Node) -> ast.Expr:
        kids = _children(node)
        if len(kids) != 3 or kids[1].type != "expression":
            _refuse("interpolation with strip markers or without expression")
        self.tok(kids[0], _REJECT)
        value, _ = self.expression(kids[1], _REJECT)
        self.tok(kids[2], _REJECT)
        return value

    def directive(self, node: Node) -> None:
        """Validate a ``%{...}`` marker token by token; python-hcl2 keeps only its kind and span."""
        saved = len(self.comments)
        for child in _children(node):
            if child.type == "expression":
                self.expression(child, _REJECT)
            elif child.type == "identifier":
                self.tok(child, _REJECT)
                self.name(child)
            elif child.type in _KEYWORDS:
                self.word(child, _REJECT)
            else:
                self.tok(child, _REJECT)
        del self.comments[saved:]

    def heredoc(self, node: Node, pre: int) -> Result:
        """A heredoc is one python-hcl2 token (marker line to the newline after the closing
        marker); its content is split and interpolations parsed as ``hcl.py`` does."""
        start = node.start_byte
        self.skip_to(start, pre)
        kids = _children(node)
        trim = self.data.startswith(b"<<-", start)
        char_start = start if self.ascii else len(self.data[:start].decode("utf-8"))
        match = (_HEREDOC_TRIM if trim else _HEREDOC).match(self.source, char_start)
        closing = kids[-1]
        if match is None or len(kids) < 3 or closing.type != "heredoc_identifier":
            _refuse("heredoc python-hcl2 delimits differently")
        raw = match.group()
        end = start + (len(raw) if self.ascii else len(raw.encode("utf-8")))
        same_marker = match.group(1).encode() == self.data[kids[1].start_byte : kids[1].end_byte]
        same_end = self.data[closing.end_byte : end] in (b"\n", b"\r\n")  # tree-sitter stops at the marker
        if not (same_marker and same_end):
            _refuse("heredoc python-hcl2 delimits differently")
        self.cursor = end
        return _split_template(heredoc_content(raw), self.span(start, end)), end


_TEMPLATE_START = re.compile(r"\$\$\{|%%\{|\$\{|%\{")


def _split_template(content: str, span: Span) -> ast.Literal | ast.Template:
    """``hcl.split_template`` with interpolations parsed by tree-sitter (python-hcl2 fallback).

    Same result as hcl.py's character loop, but jumps from one ``${``/``%{``/``$${``/``%%{`` to
    the next (the leftmost match is the position that loop would act on first)."""
    parts: list[str | ast.Expr] = []
    text: list[str] = []
    i = 0
    while True:
        found = _TEMPLATE_START.search(content, i)
        if found is None:
            text.append(content[i:])
            break
        at = found.start()
        text.append(content[i:at])
        opener = found.group()
        if len(opener) == 3:  # $${ or %%{: an escaped sequence, kept as ${ or %{
            text.append(opener[1:])
            i = at + 3
            continue
        end = _matching_brace(content, at + 2)
        if end < 0:
            text.append(content[at:])
            break
        joined = "".join(text)
        if joined:
            parts.append(joined)
        text = []
        inner = content[at + 2 : end].strip().strip("~").strip()
        if opener == "%{":
            parts.append(ast.Directive(text="template directive", span=span))
        else:
            parts.append(_fragment(inner, span))
        i = end + 1
    joined = "".join(text)
    if joined:
        parts.append(joined)
    return _template(parts, span)


def _fragment(inner: str, span: Span) -> ast.Expr:
    """``hcl.parse_expression(inner, span)`` via tree-sitter, or via python-hcl2 on refusal."""
    try:
        # hcl.py parses f"x = {inner}\n" and python-hcl2 appends another newline.
        converter = _Converter(f"x = {inner}\n\n", span_override=span)
        body = converter.file_body()
        if converter.top_level_statements != 1 or "x" not in body.attributes:
            _refuse("fragment is not a single attribute")
        return body.attributes["x"].value
    except TreeSitterRefusal:
        pass
    try:
        return parse_expression(inner, span)
    except HclSyntaxError:
        return ast.Directive(text="unparsable interpolation", span=span)
