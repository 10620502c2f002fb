"""Located YAML/JSON loading: values, exact spans, CloudFormation tags, and hostile input."""

from __future__ import annotations

import contextlib
import json
import math
import pickle
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhigate.model import Span
from nhigate.parsers.located import Intrinsic, LocDict, LocList, span_at
from nhigate.parsers.locdata import MAX_DEPTH, LoadError, load_json, load_yaml

FAKE_SECRET = "AKIAZZZFAKESECRET0042"


def plain(value: Any) -> Any:
    """Located data without positions, intrinsics as one-key dicts (comparable across syntaxes)."""
    if isinstance(value, Intrinsic):
        return {value.name: plain(value.args)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def assert_located(value: Any) -> None:
    """Every container has a span and a span for each key, value and item."""
    if isinstance(value, Intrinsic):
        assert isinstance(value.span, Span)
        assert_located(value.args)
    elif isinstance(value, LocDict):
        assert isinstance(value.span, Span)
        assert set(value.key_spans) == set(value) == set(value.value_spans)
        for item in value.values():
            assert_located(item)
    elif isinstance(value, LocList):
        assert isinstance(value.span, Span)
        assert len(value.item_spans) == len(value)
        for item in value:
            assert_located(item)
    else:
        assert value is None or isinstance(value, (str, int, float, bool))


# -- YAML: values and spans ---------------------------------------------------------------------

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  CiUser:
    Type: AWS::IAM::User
    Properties:
      UserName: !Sub "ci-${Env}"
      Policies:
        - PolicyName: inline
          PolicyDocument:
            Version: 2012-10-17
            Statement:
              - Effect: Allow
                Action: '*'
"""


def test_yaml_spans_are_exact() -> None:
    doc = load_yaml(TEMPLATE)
    assert_located(doc)
    assert doc.key_spans["Resources"] == Span(2, 1, 2, 10)
    user = doc["Resources"]["CiUser"]
    assert doc["Resources"].key_spans["CiUser"] == Span(3, 3, 3, 9)
    assert user.span == Span(4, 5, 13, 28)  # ends at the last value, not at the next token
    assert user.value_spans["Type"] == Span(4, 11, 4, 25)
    statement = user["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert statement.value_spans["Action"] == Span(13, 25, 13, 28)
    path = ("Resources", "CiUser", "Properties", "Policies", 0, "PolicyDocument", "Version")
    assert span_at(doc, path) == Span(10, 22, 10, 32)


def test_yaml_scalar_typing_follows_cloudformation() -> None:
    doc = load_yaml(
        "a: [yes, no, on, off, Yes, y, n]\n"
        "b: [true, False, TRUE, tRuE]\n"
        "c: [2012-10-17, 2001-12-14t21:59:43.10-05:00, 12:30]\n"
        "d: [1, -2, 0x1f, 0o7, 0755, 1_000, 1.5, 1.0e+3, 1e3, .inf, -.Inf, .nan]\n"
        "e: [~, null, '', 'true', \"5\", !!str 5, !!int '7', !!float 2]\n"
        "f:\n"
    )
    assert doc["a"] == ["yes", "no", "on", "off", "Yes", "y", "n"]
    assert doc["b"] == [True, False, True, True]
    assert doc["c"] == ["2012-10-17", "2001-12-14t21:59:43.10-05:00", "12:30"]
    numbers = doc["d"]
    assert numbers[:8] == [1, -2, 31, "0o7", 493, 1000, 1.5, 1000.0]
    assert numbers[8] == "1e3"  # YAML 1.1 floats need a dot, as PyYAML and cfn-lint read them
    assert numbers[9] == math.inf and numbers[10] == -math.inf and math.isnan(numbers[11])
    assert doc["e"] == [None, None, "", "true", "5", "5", 7, 2.0]
    assert doc["f"] is None


def test_yaml_keys_are_strings_as_written() -> None:
    doc = load_yaml("80: http\ntrue: x\n1.5: y\n'q': z\n")
    assert list(doc) == ["80", "true", "1.5", "q"]


def test_block_scalar_ends_at_its_last_line() -> None:
    doc = load_yaml("A:\n  Script: |\n    #!/bin/bash\n    echo hi\n\n\n  # a comment\n  B: 1\n")
    assert doc["A"]["Script"] == "#!/bin/bash\necho hi\n"
    assert doc["A"].value_spans["Script"] == Span(2, 11, 4, 12)
    assert doc["A"].value_spans["B"] == Span(8, 6, 8, 7)
    assert doc["A"].span == Span(2, 3, 8, 7)


def test_flow_collections_end_after_their_bracket() -> None:
    doc = load_yaml("a: {b: [1, 2], c: x}   # trailing\n")
    assert doc.value_spans["a"] == Span(1, 4, 1, 21)
    assert doc["a"].value_spans["b"] == Span(1, 8, 1, 14)
    assert doc["a"]["b"].item_spans == [Span(1, 9, 1, 10), Span(1, 12, 1, 13)]


def test_empty_yaml_is_none_and_scalar_documents_load() -> None:
    assert load_yaml("") is None
    assert load_yaml("# only a comment\n") is None
    assert load_yaml("hello") == "hello"


def test_bom_and_crlf_give_the_same_spans_as_lf() -> None:
    lf = load_yaml(TEMPLATE)
    crlf = load_yaml("\ufeff" + TEMPLATE.replace("\n", "\r\n"))
    assert plain(crlf) == plain(lf)
    assert crlf["Resources"]["CiUser"].span == lf["Resources"]["CiUser"].span
    assert crlf.key_spans == lf.key_spans


# -- YAML: CloudFormation tags --------------------------------------------------------------------

SHORT_FORMS = [
    ("!Ref Env", "Ref", "Env"),
    ("!Condition IsProd", "Condition", "IsProd"),
    ("!Sub 'a-${B}'", "Fn::Sub", "a-${B}"),
    ("!Base64 abc", "Fn::Base64", "abc"),
    ("!GetAZs ''", "Fn::GetAZs", ""),
    ("!ImportValue Shared", "Fn::ImportValue", "Shared"),
    ("!If [C, a, b]", "Fn::If", ["C", "a", "b"]),
    ("!Join ['-', [a, b]]", "Fn::Join", ["-", ["a", "b"]]),
    ("!Select [0, [a]]", "Fn::Select", [0, ["a"]]),
    ("!Split [',', 'a,b']", "Fn::Split", [",", "a,b"]),
    ("!Equals [a, b]", "Fn::Equals", ["a", "b"]),
    ("!And [x, y]", "Fn::And", ["x", "y"]),
    ("!Or [x, y]", "Fn::Or", ["x", "y"]),
    ("!Not [x]", "Fn::Not", ["x"]),
    ("!FindInMap [M, k, v]", "Fn::FindInMap", ["M", "k", "v"]),
    ("!Cidr [10.0.0.0/16, 4, 8]", "Fn::Cidr", ["10.0.0.0/16", 4, 8]),
    ("!Transform {Name: X}", "Fn::Transform", {"Name": "X"}),
    ("!Length [a, b]", "Fn::Length", ["a", "b"]),
    ("!ToJsonString {a: 1}", "Fn::ToJsonString", {"a": 1}),
    ("!Custom 7", "Fn::Custom", "7"),
    ("!GetAtt Role.Arn", "Fn::GetAtt", ["Role", "Arn"]),
    ("!GetAtt Db.Endpoint.Address", "Fn::GetAtt", ["Db", "Endpoint.Address"]),
    ("!GetAtt [Role, Arn]", "Fn::GetAtt", ["Role", "Arn"]),
]


@pytest.mark.parametrize(("source", "name", "args"), SHORT_FORMS)
def test_short_form_tags_become_intrinsics(source: str, name: str, args: Any) -> None:
    value = load_yaml(f"V: {source}\n")["V"]
    assert isinstance(value, Intrinsic)
    assert value.name == name
    assert plain(value.args) == args
    assert value.span == Span(1, 4, 1, 4 + len(source))


def test_nested_short_forms_keep_spans() -> None:
    doc = load_yaml("V: !If\n  - IsProd\n  - !GetAtt A.B\n  - !Ref AWS::NoValue\n")
    value = doc["V"]
    assert value.span == Span(1, 4, 4, 22)
    assert value.args.item_spans[1] == Span(3, 5, 3, 16)
    assert value.args[1] == Intrinsic("Fn::GetAtt", ["A", "B"], Span(3, 5, 3, 16))
    assert value.args[2].name == "Ref"


def test_unsafe_and_unsupported_tags_are_refused() -> None:
    for source in (
        "a: !!python/object/apply:os.system ['true']",
        "a: !!binary aGVsbG8=",
        "a: !!set {x}",
        "a: !<tag:example.com,2000:x> 1",
        "a: !!int notanumber",
        "a: !!bool yes",
    ):
        with pytest.raises(LoadError):
            load_yaml(source)


# -- YAML: errors and hostile input ---------------------------------------------------------------


def test_duplicate_keys_name_the_key_and_its_first_line() -> None:
    with pytest.raises(LoadError) as info:
        load_yaml("Resources:\n  A: 1\n  B: 2\n  A: 3\n")
    assert "'A'" in info.value.message and "line 2" in info.value.message
    assert (info.value.line, info.value.column) == (4, 3)


def test_merge_keys_are_refused() -> None:
    with pytest.raises(LoadError, match="merge"):
        load_yaml("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert load_yaml("'<<': literal\n") == {"<<": "literal"}  # a quoted key is just a string


def test_aliases_within_limits_are_shared() -> None:
    doc = load_yaml("a: &x {k: v}\nb: *x\n")
    assert doc["b"] is doc["a"]
    assert doc.value_spans["b"] == Span(2, 4, 2, 6)


def test_recursive_and_undefined_aliases_are_refused() -> None:
    for source in ("a: &x [1, *x]\n", "a: *nowhere\n"):
        with pytest.raises(LoadError, match="alias"):
            load_yaml(source)


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    start = time.perf_counter()
    with pytest.raises(LoadError, match="aliases"):
        load_yaml("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1.0


def test_too_many_aliases_are_refused() -> None:
    source = "a: &a x\nb: [" + ", ".join(["*a"] * 1001) + "]\n"
    with pytest.raises(LoadError, match="more than 1000 aliases"):
        load_yaml(source)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 200_000])
def test_yaml_depth_is_capped_without_crashing(levels: int) -> None:
    # libyaml's own composer recurses per level and kills the interpreter at ~100k levels.
    with pytest.raises(LoadError, match="nesting"):
        load_yaml("[" * levels + "]" * levels)
    nested = "".join(f"{' ' * i}k{i}:\n" for i in range(MAX_DEPTH + 1)) + " " * (MAX_DEPTH + 1) + "v: 1\n"
    with pytest.raises(LoadError, match="nesting"):
        load_yaml(nested)


def test_yaml_depth_at_the_cap_loads() -> None:
    levels = MAX_DEPTH
    value = load_yaml("[" * levels + "]" * levels)
    for _ in range(levels - 1):
        value = value[0]
    assert value == []


def test_multiple_documents_are_refused() -> None:
    with pytest.raises(LoadError, match="more than one"):
        load_yaml("a: 1\n---\nb: 2\n")


def test_yaml_syntax_errors_have_positions() -> None:
    with pytest.raises(LoadError) as info:
        load_yaml("Resources:\n  A:\n    Type: x\n   B: [1, 2\n")
    assert info.value.line is not None and info.value.column is not None
    assert info.value.line >= 4


BROKEN_YAML = [
    f"Password: 'open quote {FAKE_SECRET}\n",
    f'Password: "{FAKE_SECRET}\n',
    f"Password: {FAKE_SECRET}: nested: mapping\n",
    f"Password: [{FAKE_SECRET}\n",
    f"Password: {{{FAKE_SECRET}\n",
    f"Password: *{FAKE_SECRET}\n",
    f"Password: !{FAKE_SECRET}!x value\n",
    f"Password: &{FAKE_SECRET} a\nOther: &{FAKE_SECRET}\n  - *{FAKE_SECRET}x\n",
    f"Password:\t{FAKE_SECRET}\n\tbad: indent\n",
    f"%TAG !x! tag:{FAKE_SECRET},2000:\n---\na: !x!y 1\n",
    f"%TAG !{FAKE_SECRET}! tag:x,2000:\n---\na: !{FAKE_SECRET}!y 1\n",
    f'Password: "\\q{FAKE_SECRET}"\n',
    f"Password: {FAKE_SECRET}\x07\n",
    f"Password: !!python/name:{FAKE_SECRET} x\n",
    f"- {FAKE_SECRET}\nkey: value\n",
]


@pytest.mark.parametrize("source", BROKEN_YAML)
def test_yaml_errors_never_quote_the_source(source: str) -> None:
    with pytest.raises(LoadError) as info:
        load_yaml(source)
    assert FAKE_SECRET not in info.value.message
    assert FAKE_SECRET[4:12] not in info.value.message
    assert FAKE_SECRET not in str(info.value)


# -- JSON ---------------------------------------------------------------------------------------


def test_json_spans_are_exact() -> None:
    text = (
        '{\n  "Resources": {\n    "Key": {"Type": "AWS::IAM::AccessKey",\n      "N": [1, -2.5e3, true, null]}\n  }\n}\n'
    )
    doc = load_json(text)
    assert_located(doc)
    assert doc.span == Span(1, 1, 6, 2)
    assert doc.key_spans["Resources"] == Span(2, 3, 2, 14)
    key = doc["Resources"]["Key"]
    assert doc["Resources"].value_spans["Key"] == Span(3, 12, 4, 36)
    assert key.value_spans["Type"] == Span(3, 21, 3, 42)
    assert key["N"] == [1, -2500.0, True, None]
    assert key["N"].item_spans == [Span(4, 13, 4, 14), Span(4, 16, 4, 22), Span(4, 24, 4, 28), Span(4, 30, 4, 34)]


def test_json_values_match_the_json_module() -> None:
    text = r'[0, -0, 1E2, 1e-2, -0.5, 12345678901234567890, "\u00e9\ud83d\ude00\n\"\\\/", {"": {}}, [], "", "\t"]'
    assert load_json(text) == json.loads(text)
    assert [type(v) for v in load_json("[1, 1.0, 1e0]")] == [int, float, float]


def test_json_bom_and_crlf() -> None:
    doc = load_json('\ufeff{\r\n  "a": 1,\r\n  "b": [2]\r\n}\r\n')
    assert doc == {"a": 1, "b": [2]}
    assert doc.value_spans["b"] == Span(3, 8, 3, 11)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("", 1, 1),
        ("{", 1, 2),
        ('{"a" 1}', 1, 6),
        ('{"a": 1,}', 1, 9),
        ("[1,\n 2,\n ]", 3, 2),
        ("[1 2]", 1, 4),
        ("{'a': 1}", 1, 2),
        ("01", 1, 2),
        ("NaN", 1, 1),
        ("[Infinity]", 1, 2),
        ('{"a": tru}', 1, 7),
        ('{"a": 1} x', 1, 10),
        ('["a\tb"]', 1, 4),
        ('["\\x"]', 1, 3),
        ('"abc', 1, 1),
        ("1" * 5000, 1, 1),
    ],
)
def test_invalid_json_is_refused_with_position(text: str, line: int, column: int) -> None:
    with pytest.raises(LoadError) as info:
        load_json(text)
    assert (info.value.line, info.value.column) == (line, column)


def test_json_duplicate_keys() -> None:
    with pytest.raises(LoadError) as info:
        load_json('{\n "a": 1,\n "b": {"x": 1, "x": 2}}')
    assert "'x'" in info.value.message and "line 3" in info.value.message
    assert (info.value.line, info.value.column) == (3, 16)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 100_000])
def test_json_depth_is_capped(levels: int) -> None:
    with pytest.raises(LoadError, match="nesting"):
        load_json("[" * levels + "]" * levels)
    with pytest.raises(LoadError, match="nesting"):
        load_json('{"a":' * levels + "1" + "}" * levels)


BROKEN_JSON = [
    f'{{"Password": "{FAKE_SECRET}',
    f'{{"Password": {FAKE_SECRET}}}',
    f'{{"Password": "{FAKE_SECRET}" "x": 1}}',
    f'{{"Password": "\\q{FAKE_SECRET}"}}',
    f'{{"Password": "{FAKE_SECRET}\t"}}',
    f'{{"{FAKE_SECRET}": 1, "{FAKE_SECRET}x" 2}}',
    f"{{'Password': '{FAKE_SECRET}'}}",
]


@pytest.mark.parametrize("source", BROKEN_JSON)
def test_json_errors_never_quote_the_source(source: str) -> None:
    with pytest.raises(LoadError) as info:
        load_json(source)
    assert FAKE_SECRET not in info.value.message
    assert FAKE_SECRET[4:12] not in info.value.message


def test_located_data_survives_pickling() -> None:
    doc = load_yaml(TEMPLATE)
    copy = pickle.loads(pickle.dumps(doc))
    assert copy == doc
    assert copy["Resources"]["CiUser"].span == doc["Resources"]["CiUser"].span
    assert copy["Resources"].key_spans == doc["Resources"].key_spans


# -- properties ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from([None, 0, 2, "\t"]))
def test_json_round_trips_like_the_json_module(value: Any, indent: int | str | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    loaded = load_json(text)
    assert loaded == json.loads(text)
    assert_located(loaded)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_arbitrary_text_only_raises_load_error(text: str) -> None:
    for loader in (load_yaml, load_json):
        with contextlib.suppress(LoadError):
            loader(text)


yamlish = st.lists(
    st.sampled_from(
        [
            "a:",
            " b:",
            "  - ",
            "!Ref x",
            "!GetAtt",
            "&x",
            "*x",
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            "'",
            '"',
            "|",
            ">",
            "#",
            "\n",
            "\t",
            " ",
            "<<",
            "? ",
            "---",
            "!!int",
            "1",
            "\\",
            "%YAML 1.1",
        ]
    )
).map("".join)


@settings(max_examples=400, deadline=None)
@given(yamlish)
def test_yaml_like_text_only_raises_load_error(text: str) -> None:
    with contextlib.suppress(LoadError):
        assert_located(load_yaml(text))
