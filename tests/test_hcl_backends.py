"""The tree-sitter HCL backend must build exactly python-hcl2's tree, or refuse.

``nhigate.parsers.hcl_ts.parse_hcl_ts`` is only allowed two outcomes for any input: a tree equal
(dataclass ``==``, spans, comments and line count included) to ``nhigate.parsers.hcl.parse_hcl``,
or :class:`TreeSitterRefusal` so that the caller falls back to python-hcl2.  Accepting a file
python-hcl2 rejects would also change a scan's result, so that counts as a failure here too.

* targeted snippets pin python-hcl2's quirks the converter reproduces;
* a seeded mutation test inserts newlines/comments/tokens between tokens (where the newline
  rules of the two grammars differ most);
* the differential test runs both parsers over every ``.tf`` and ``.tfvars`` file of
  ``../shared/corpus`` (both go through ``parse_hcl``).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tree_sitter")
pytest.importorskip("tree_sitter_hcl")

from nhigate.model import Span
from nhigate.parsers import decode
from nhigate.parsers import hclast as ast
from nhigate.parsers.hcl import HclSyntaxError, parse_hcl
from nhigate.parsers.hcl_ts import TreeSitterRefusal, parse_hcl_ts

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def first_difference(a: Any, b: Any, path: str = "tree") -> str | None:
    """Where two trees first differ (for readable failure messages)."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            found = first_difference(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
            if found:
                return found
        return None
    if isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None if len(a) == len(b) else f"{path}: length {len(a)} != {len(b)}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def outcome(text: str) -> tuple[str, str]:
    """``equal``, ``refused``, ``both-reject``, or a failure: ``unequal`` / ``accepts-invalid``."""
    try:
        reference: ast.HclFile | None = parse_hcl(text)
    except HclSyntaxError:
        reference = None
    except Exception as exc:  # python-hcl2 itself crashing (e.g. float("-1-1.5")): parse_file reports it
        reference = None
        if not isinstance(exc, (ValueError, RecursionError)):
            raise
    try:
        tree = parse_hcl_ts(text)
    except TreeSitterRefusal as refusal:
        return ("refused" if reference is not None else "both-reject"), refusal.reason
    if reference is None:
        return "accepts-invalid", "python-hcl2 rejects this input"
    if tree != reference:
        return "unequal", first_difference(reference, tree) or "?"
    return "equal", ""


def assert_equal_trees(text: str) -> ast.HclFile:
    reference = parse_hcl(text)
    tree = parse_hcl_ts(text)
    assert tree == reference, first_difference(reference, tree)
    return tree


# -- targeted snippets ------------------------------------------------------------------------

EQUAL_SNIPPETS = {
    "heredoc": "a = <<EOT\nline1\n  line2 ${var.x}\nEOT\nb = 1\n",
    "heredoc_trim_interpolation": (
        "a = <<-EOT\n    hello ${var.x}\n      %{ if y }yes%{ endif }\n    $${not} ${jsonencode({a = 1})}\n  EOT\n"
    ),
    "heredoc_multiline_interpolation": "a = <<EOT\n${merge(\n  a,\n  b)}\nEOT\n",
    "heredoc_at_eof_without_newline": "a = <<EOT\nx\nEOT",
    "heredoc_empty": "a = <<EOT\nEOT\n",
    "heredoc_crlf": "a = <<EOT\r\nx ${y}\r\nEOT\r\nb = 2\r\n",
    "heredoc_in_tuple": 'a = [<<EOT\nx\nEOT\n, "b"]\n',
    "escapes": 'a = "q\\"x\\\\y\\n\\t\\r\\u00e9\\U0001F600 $${raw} %%{raw}"\n',
    "escaped_template_only": 'a = "$${var.x}"\n',
    "directives": 'a = "%{ if var.x }yes%{ else }no%{ endif } %{~ for v in var.l ~}${v},%{ endfor }"\n',
    "unicode_columns": '# héllo\na = "ünï ${var.x} 日本語" # ç\nb = { "ключ" = "значение", k = "😀" }\nc = "é" + x\n',
    "crlf": 'resource "a" "b" {\r\n  x = 1 # c\r\n  y = [\r\n    1,\r\n    2,\r\n  ]\r\n  z = x\r\n    + y\r\n}\r\n',
    "lone_cr": 'a = 1\rb = 2\nc = "x\ry"\n',
    "comments_of_all_kinds": "# hash\n// slashes\n/* block\n   two lines */\na = 1 /* inline */\nb = 2 // trailing\n/**/\n",
    "comment_at_eof_without_newline": "a = 1 // end",
    "nested_blocks": (
        'resource "a" "b" {\n  nested {\n    deeper "x" {\n      v = 1\n    }\n  }\n'
        '  dynamic "d" {\n    for_each = var.l\n    content {\n      k = d.value\n    }\n  }\n}\n'
    ),
    "single_line_blocks": "locals { a = 1 }\nterraform {}\nresource aws_s3_bucket b {\n}\n",
    "block_brace_on_next_line": 'resource "a" "b" # c\n{\n  x = 1\n}\n',
    "for_expressions": (
        'a = [for s in var.l : upper(s) if s != ""]\nb = {for k, v in var.m : k => v...}\n'
        'c = {for k, v in var.m : v => k if k != "x"}\nd = [for i, v in var.l: { i = i, v = v }]\n'
    ),
    "for_expression_comments": "a = [ # c0\n  for x in y : # c1\n  x # c2\n  if x # c3\n]\n",
    "for_condition_comments_come_first": "a = [for x in [ # cc\n  1] : [ # cv\n  x] if contains([ # ci\n  2], x)]\n",
    "splats_and_indexes": (
        "a = var.l[*].id\nb = var.l.*.id\nc = aws_instance.x[0].id\nd = var.l[*].a.b[0]\ne = x.0.y\n"
        'f = var.m["key"]\ng = var.l[length(var.l) - 1]\nh = var.m[\n  "k" # c\n]\n'
    ),
    "traversal_flattening": "a = (var.x).y\nb = f(1).out\nc = (a.b).c[0]\nd = x.true\n",
    "conditionals": (
        "a = var.x ? 1 : 2\nb = var.x ? var.y ? 1 : 2 : 3\n"
        'c = var.a == "b" ? "c" : var.d != "" ? var.d : null\nd = (var.x ? 1 : 2)\n'
        "e = (\n  var.x # c\n  ? 1 # d\n  : 2 # e\n)\n"
    ),
    "object_keys": (
        'a = {\n  plain = 1\n  "quoted" = 2\n  (var.k) = 3\n  "${var.p}-x" = 4\n  k5: 5\n'
        "  for_each = 6\n  x.y = 7\n  true = 8\n}\n"
    ),
    "calls": (
        "a = f(var.l...)\nb = merge(local.a, local.b, { x = 1 })\n"
        'c = provider::aws::arn_parse("arn:aws:iam::123:role/x")\nd = f()\ne = f(\n  1,\n  2,\n)\n'
        "g = f( # not collected\n  1, # c2\n  2 # c3\n)\nh = f(\n # not collected\n)\n"
    ),
    "numbers": "a = [1, -1, -12, 1.5, -1.5, 1.5e3, -12.5e-3, 007, 1 - 2, 10 - 12, - 12]\n",
    "unary": "a = !var.x\nb = -var.y\nc = -(1 + 2)\nd = !(var.a && var.b)\ne = -x[0]\n",
    "binary_precedence": "a = 1 + 2 * 3 - 4 / 5 % 6\nb = x && y || z\nc = a < b == c >= d\n",
    "binary_swallows_newlines": "a = var.x\n  + var.y\nb = 1 + 2 # lost\n# also lost\nc = (1\n  + 2)\nd = [1 + 2 # x\n, 3]\n",
    "comment_merged_into_operator": "a = x # c\n  + y\nb = x + y\n  # c\n  + z\n",
    "empty_file": "",
    "only_a_comment": "# just this",
    "statements_on_one_line": "a = 1 b = 2\n",
    "tabs": "a\t=\t1\nb = {\tx = 1\t}\n",
    "nested_templates": 'a = "${lookup(var.m, "k", "d")}"\nb = "x${"y${z}"}"\n',
    "duplicate_attributes": "a = 1\nb = 2\na = 3\n",
    "dashed_names": "a = my-var.x-y\nb = true-1\n",
    "keyword_names": 'dynamic "x" {\n  for_each = 1\n  in = 2\n}\n',
    "keyword_named_variables": "a = [\nelse, in]\nb = {\n\nin = 1, x = for_each}\nc = f( # c\n  endif)\nd = { (in) = 1 }\n",
}


@pytest.mark.parametrize("name", sorted(EQUAL_SNIPPETS))
def test_snippet_trees_are_equal(name: str) -> None:
    assert_equal_trees(EQUAL_SNIPPETS[name])


def test_python_hcl2_quirks_are_reproduced() -> None:
    """Pinned values (not just equality), so a python-hcl2 upgrade that changes them is noticed."""
    tree = assert_equal_trees("a = -1\nb = -12\nc = -1.5\nd = x\n  + y # gone\ne = 1\n")
    attrs = tree.body.attributes
    assert isinstance(attrs["a"].value, ast.UnaryOp)  # INT_LITERAL needs two digits after `-`
    assert attrs["b"].value == ast.Literal(-12, Span(2, 5, 2, 8))
    assert attrs["c"].value == ast.Literal(-1.5, Span(3, 5, 3, 9))
    plus = attrs["d"].value
    assert isinstance(plus, ast.BinaryOp) and plus.op == "\n  +"  # newline merged into the operator
    assert plus.span == Span(4, 5, 6, 1)  # ... and the trailing comment swallowed by the operation
    assert attrs["d"].span == Span(4, 1, 6, 1)
    assert tree.comments == []


def test_heredoc_span_ends_after_the_closing_marker_line() -> None:
    tree = assert_equal_trees("a = <<EOT\nx\nEOT\n")
    assert tree.body.attributes["a"].span == Span(1, 1, 4, 1)


def test_columns_count_characters_not_bytes() -> None:
    tree = assert_equal_trees('a = "日本" + x\n')
    value = tree.body.attributes["a"].value
    assert isinstance(value, ast.BinaryOp)
    assert value.right == ast.Variable("x", Span(1, 12, 1, 13))


REJECTED_BY_PYTHON_HCL2 = {
    "newline_after_equals": "a =\n 1\n",
    "newline_before_equals": "a\n= 1\n",
    "newline_in_interpolation": 'a = "${\n  var.x\n}"\n',
    "comment_after_equals": "a = /* c */ 1\n",
    "two_newlines_before_operator": "a = x\n\n  + z\n",
    "newline_before_ellipsis": "a = f(x\n...)\n",
    "newline_before_trailing_argument_comma": "a = f({ a = 1 }\n,\n)\n",
    "newline_before_call_parenthesis": "a = try\n (1)\n",
    "newline_before_attribute_dot": "a = b\n .c\n",
    "minus_glued_to_number": "a = x -12\n",
    "hex_number": "a = 0x1F\n",
    "strip_marker_in_interpolation": 'a = "${~ var.x ~}"\n',
    "two_part_function_name": "a = a::b(1)\n",
    "keyword_glued_to_minus": "a = [for x in- y : x]\n",
    "form_feed": "a =\x0c1\n",
    # python-hcl2's post-lexer holds one newline token back, so after two newline/comment
    # tokens `else` is lexed in the after-newline parser state, as the ELSE keyword.
    "keyword_variable_after_two_newlines": "a = [\n\nelse]\n",
    "keyword_variable_after_comment_line": "a = f(\n  # c\n\n  in)\n",
    "keyword_starting_object_key": "a = {in.x = 1}\n",
}


@pytest.mark.parametrize("name", sorted(REJECTED_BY_PYTHON_HCL2))
def test_tree_sitter_refuses_what_python_hcl2_rejects(name: str) -> None:
    text = REJECTED_BY_PYTHON_HCL2[name]
    with pytest.raises(HclSyntaxError):
        parse_hcl(text)
    with pytest.raises(TreeSitterRefusal):
        parse_hcl_ts(text)


REFUSED_BUT_VALID = {
    "dollar_before_escaped_interpolation": 'a = "$$${x}"\n',  # tree-sitter sees `$$` + `${x}`
    "newline_in_quoted_interpolation": 'a = "${join(",", [\n  "a"])}"\n',  # conservative
    "heredoc_marker_with_trailing_space": "a = <<EOT\nx\nEOT  \nEOT\n",
    "heredoc_marker_with_dot": "a = <<E.T\nx\nE.T\n",
    "exponent_without_fraction": "a = 1e5\n",
    "unknown_escape": 'a = "\\$"\n',
}


@pytest.mark.parametrize("name", sorted(REFUSED_BUT_VALID))
def test_known_refusals_fall_back(name: str) -> None:
    """Valid for python-hcl2 but not mapped: a refusal (fallback), never a different tree."""
    text = REFUSED_BUT_VALID[name]
    parse_hcl(text)
    with pytest.raises(TreeSitterRefusal):
        parse_hcl_ts(text)


def test_refusal_reason_never_quotes_source() -> None:
    with pytest.raises(TreeSitterRefusal) as info:
        parse_hcl_ts('password = "hunter2-NOT-IN-OUTPUT" ??\n')
    assert "hunter2" not in str(info.value) and "hunter2" not in info.value.reason


# -- seeded mutations -------------------------------------------------------------------------

_INSERTS = ["\n", "\n\n", " # c\n", "// d\n", "/* e */", "/* f\n g */", "\r\n", "#\n", "\n# h\n"]
_TOKENS = ["-", "+", "!", "?", ":", ",", "(", ")", "[", "]", "{", "}", ".", "...", "=", '"', "${", "*"]
_TOKENS += ["[*]", "<<EOT\nx\nEOT\n", "-12", "-1.5", "x", "é", "$$", "=>", "for", "in", "true"]


def _token_boundaries(text: str) -> list[int]:
    from nhigate.parsers.hcl_ts import _parser

    data = text.encode()
    out: list[int] = []
    stack = [_parser().parse(data).root_node]
    while stack:
        node = stack.pop()
        if node.child_count == 0:
            out += [node.start_byte, node.end_byte]
        stack.extend(node.children)
    return sorted(set(out))


def test_seeded_mutations_never_disagree() -> None:
    rng = random.Random(20261122)
    results: Counter[str] = Counter()
    failures: list[tuple[str, str, str]] = []
    for base in EQUAL_SNIPPETS.values():
        if not base:
            continue
        data = base.encode()
        boundaries = _token_boundaries(base)
        for _ in range(12):
            mutated = bytearray(data)
            for _ in range(rng.choice([1, 1, 2])):
                position = rng.choice(boundaries)
                mutated[position:position] = rng.choice(_INSERTS + _TOKENS).encode()
            try:
                text = mutated.decode()
            except UnicodeDecodeError:
                continue
            status, detail = outcome(text)
            results[status] += 1
            if status in ("unequal", "accepts-invalid"):
                failures.append((status, detail, text))
    assert not failures, failures[:3]
    assert results["equal"] > 50  # the mutations must not all be syntax errors


class _ProgramGenerator:
    """Random HCL programs from a small grammar, with random gaps (spaces, newlines, comments)
    between tokens: most land where python-hcl2 allows no newline, which is the point."""

    GAPS = ["\n", "\n\n", " # c\n", "/* c */", "\n  // d\n", "\r\n", "\n/* m\n l */\n"]
    NAMES = ["a", "var", "each", "x-y", "_u", "true", "null", "in", "for", "if", "for_each", "else"]

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.newline_rate = self.rng.choice([0.0, 0.1, 0.25])

    def gap(self) -> str:
        if self.rng.random() < self.newline_rate:
            return self.rng.choice(self.GAPS)
        return self.rng.choice(["", " ", " ", "\t"])

    def string(self, depth: int) -> str:
        rng, parts = self.rng, []
        for _ in range(rng.randrange(4)):
            pick = rng.random()
            if pick < 0.4:
                parts.append(rng.choice(["abc", "é", "\\n", '\\"', "$$", "%", "$${x}", "%%{y}", "{", "#", "日本"]))
            elif pick < 0.8 and depth > 0:
                parts.append("${" + self.gap() + self.expr(depth - 1) + self.gap() + "}")
            else:
                parts.append("%{ if " + self.expr(0) + " }a%{ else }b%{ endif }")
        return '"' + "".join(parts) + '"'

    def expr(self, depth: int) -> str:
        rng, g = self.rng, self.gap
        kind = rng.randrange(15) if depth > 0 else rng.randrange(4)
        sub = lambda: self.expr(depth - 1)  # noqa: E731
        if kind == 0:
            return rng.choice(["1", "-1", "-12", "1.5", "-1.5", "1.5e3", "007", "- 3"])
        if kind == 1:
            return self.string(depth)
        if kind == 2:
            return rng.choice(self.NAMES)
        if kind == 3:
            steps = [rng.choice([".b", "[0]", ".0", "[*]", ".*", '["k"]', ".c-d"]) for _ in range(rng.randrange(1, 4))]
            return rng.choice(self.NAMES) + "".join(steps)
        if kind == 4:
            args = ", ".join(sub() for _ in range(rng.randrange(3)))
            return rng.choice(["f", "provider::aws::arn"]) + "(" + g() + args + rng.choice(["", ",", "..."]) + g() + ")"
        if kind == 5:
            return "[" + g() + ("," + g()).join(sub() for _ in range(rng.randrange(3))) + g() + "]"
        if kind == 6:
            keys = [rng.choice([*self.NAMES, '"k"', "(k)", "k.z", "1"]) for _ in range(rng.randrange(3))]
            items = [k + g() + rng.choice(["=", ":"]) + g() + sub() for k in keys]
            return "{" + g() + (rng.choice([",", "\n", ", "]) + g()).join(items) + g() + "}"
        if kind == 7:
            cond = rng.choice(["", " if " + g() + sub()])
            return "[" + g() + "for v in " + g() + sub() + g() + ":" + g() + sub() + cond + g() + "]"
        if kind == 8:
            return (
                "{for k, v in " + sub() + g() + ":" + g() + sub() + "=>" + g() + sub() + rng.choice(["", "..."]) + "}"
            )
        if kind == 9:
            return sub() + g() + " ?" + g() + " " + sub() + g() + " :" + g() + " " + sub()
        if kind in (10, 11):
            operator = rng.choice([" + ", " - ", "*", " / ", " % ", " == ", "!=", " < ", " >= ", " && ", " || ", "-"])
            return sub() + g() + operator + g() + sub()
        if kind == 12:
            return rng.choice(["!", "-", "- "]) + sub()
        if kind == 13:
            return "(" + g() + sub() + g() + ")"
        body = "".join(rng.choice(["  text\n", "  ${" + self.expr(0) + "}\n", "  $${z}\n", "\n"]) for _ in range(2))
        return rng.choice(["<<EOT\n" + body + "EOT\n", "<<-EOT\n" + body + "  EOT\n"])

    def program(self) -> str:
        rng, out = self.rng, []
        for _ in range(rng.randrange(1, 4)):
            if rng.random() < 0.6:
                name = rng.choice(["a", "b", "for_each", "in"])
                out.append(name + " = " + self.expr(rng.randrange(1, 4)) + self.gap() + "\n")
            else:
                label = rng.choice(['"n"', "n", ""])
                out.append(f'resource "t" {label}{self.gap()}{{{self.gap()}\n  v = {self.expr(2)}{self.gap()}\n}}\n')
        return "".join(out)


def test_generated_programs_never_disagree() -> None:
    results: Counter[str] = Counter()
    failures: list[tuple[str, str, str]] = []
    for seed in range(60):
        generator = _ProgramGenerator(seed)
        for _ in range(10):
            text = generator.program()
            status, detail = outcome(text)
            results[status] += 1
            if status in ("unequal", "accepts-invalid"):
                failures.append((status, detail, text))
    assert not failures, failures[:3]
    assert results["equal"] > 200


# -- differential test over the corpus --------------------------------------------------------


def _compare_file(path: str) -> tuple[str, str, str]:
    try:
        text = decode(Path(path).read_bytes())
    except (OSError, UnicodeDecodeError, ValueError):
        return path, "unreadable", ""
    status, detail = outcome(text)
    return path, status, detail


def test_differential_over_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    files = sorted(str(p) for pattern in ("*.tf", "*.tfvars") for p in CORPUS.rglob(pattern))
    if not files:
        pytest.skip("corpus has no .tf/.tfvars files")
    workers = max(1, min(os.cpu_count() or 1, 8))
    methods = multiprocessing.get_all_start_methods()
    if workers > 1 and "fork" in methods:  # python-hcl2 dominates: parse in parallel
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_compare_file, files, chunksize=16)
    else:
        results = [_compare_file(f) for f in files]

    statuses = Counter(status for _, status, _ in results)
    unequal = [(p, d) for p, s, d in results if s == "unequal"]
    accepts_invalid = [p for p, s, _ in results if s == "accepts-invalid"]
    refused = [(p, d) for p, s, d in results if s == "refused"]
    parsed_by_python = statuses["equal"] + statuses["refused"]

    assert not unequal, f"{len(unequal)} unequal trees, e.g. {unequal[:5]}"
    assert not accepts_invalid, f"tree-sitter accepted files python-hcl2 rejects: {accepts_invalid[:5]}"
    assert parsed_by_python > 0
    assert len(refused) / parsed_by_python < 0.01, f"refusal rate too high: {Counter(d for _, d in refused)}"
