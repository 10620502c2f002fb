"""The python-hcl2 adapter: positions pinned so a python-hcl2 upgrade cannot silently move lines."""

from __future__ import annotations

import pytest

from nhigate.model import Span
from nhigate.parsers import hclast as ast
from nhigate.parsers.hcl import HclSyntaxError, parse_expression, parse_hcl

SOURCE = """# top comment
resource "aws_iam_access_key" "ci" {
  user    = aws_iam_user.ci.name   # nhigate:ignore NHI101 reason="x"
  pgp_key = "keybase:${var.k}-x"
  tags = merge(local.tags, { Owner = "team", "cost-center" = 1 })
  policy = <<-EOT
    {"Statement": "${var.s}"}
  EOT
  nested {
    enabled = true
  }
}
"""


def test_block_and_attribute_positions_are_exact() -> None:
    tree = parse_hcl(SOURCE)
    block = tree.body.blocks[0]
    assert (block.type, block.labels) == ("resource", ("aws_iam_access_key", "ci"))
    assert block.span == Span(2, 1, 12, 2)
    attributes = block.body.attributes
    assert attributes["user"].span == Span(3, 3, 3, 33)
    assert attributes["pgp_key"].span.line == 4
    assert attributes["tags"].span.line == 5
    assert block.body.blocks[0].span.line == 9
    assert block.body.blocks[0].body.attributes["enabled"].span.line == 10


def test_object_keys_are_literals_with_their_own_positions() -> None:
    tags = parse_hcl(SOURCE).body.blocks[0].body.attributes["tags"].value
    assert isinstance(tags, ast.Call) and tags.name == "merge"
    obj = tags.args[1]
    assert isinstance(obj, ast.ObjectExpr)
    keys = [item.key for item in obj.items]
    assert [k.value for k in keys if isinstance(k, ast.Literal)] == ["Owner", "cost-center"]
    assert obj.items[0].span == Span(5, 30, 5, 44)


def test_references_templates_and_heredocs_keep_their_structure() -> None:
    attributes = parse_hcl(SOURCE).body.blocks[0].body.attributes
    user = attributes["user"].value
    assert isinstance(user, ast.Traversal) and isinstance(user.source, ast.Variable)
    assert (user.source.name, user.steps) == ("aws_iam_user", ("ci", "name"))
    pgp = attributes["pgp_key"].value
    assert isinstance(pgp, ast.Template) and pgp.parts[0] == "keybase:" and pgp.parts[2] == "-x"
    policy = attributes["policy"].value
    assert isinstance(policy, ast.Template)
    assert policy.parts[0] == '{"Statement": "'  # heredoc indentation trimmed


def test_comments_are_collected_with_their_lines() -> None:
    assert parse_hcl(SOURCE).comments == [(1, "top comment"), (3, 'nhigate:ignore NHI101 reason="x"')]


def test_literals_and_escapes() -> None:
    assert parse_expression('"a\\"b\\n$${x}"') == ast.Literal('a"b\n${x}', parse_expression('"a\\"b\\n$${x}"').span)
    assert isinstance(parse_expression("-1.5e3"), ast.Literal)
    assert parse_expression("true").value is True  # type: ignore[union-attr]


def test_syntax_error_reports_line_and_never_quotes_source() -> None:
    with pytest.raises(HclSyntaxError) as info:
        parse_hcl('resource "x" "y" {\n  password = "hunter2-NOT-IN-OUTPUT" ??\n}\n')
    assert info.value.line == 2
    assert "hunter2" not in info.value.message


def test_python_hcl2_with_meta_is_still_a_no_op() -> None:
    """python-hcl2#291: when with_meta starts working, revisit the adapter (it may get simpler)."""
    import hcl2
    from hcl2.utils import SerializationOptions

    data = hcl2.loads(SOURCE, serialization_options=SerializationOptions(with_meta=True))
    assert "__start_line__" not in str(data)
