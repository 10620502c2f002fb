"""Hostile and broken input: nhigate never crashes, hangs, leaks, reaches the network, or skips a
file silently; the same input always gives the same bytes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, FIXTURES
from nhigate.engine import ScanOptions, scan
from nhigate.evaluate.terraform import Evaluator, TerraformModule
from nhigate.model import Unknown
from nhigate.parsers import parse_text
from nhigate.parsers.hcl import HclSyntaxError, parse_expression
from test_outputs import nhigate

KEY = 'resource "aws_iam_access_key" "k" {\n  user = "u"\n}\n'
FUZZ_EXAMPLES = int(os.environ.get("NHIGATE_FUZZ_EXAMPLES", "150"))


def _report(root: Path, *args: str) -> dict[str, Any]:
    result = nhigate("scan", ".", "--format", "json", *args, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.tf", b"\x00\x01\x02resource\x00", "binary content"),
        ("latin1.tf", 'resource "a" "b" {\n  x = "caf\xe9"\n}\n'.encode("latin-1"), "not valid UTF-8"),
        ("broken.yaml", b'AWSTemplateFormatVersion: "2010-09-09"\nResources: {A: [\n', "CloudFormation YAML"),
        (
            "broken.json",
            b'{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"A": {"Type": "AWS::IAM::User"}',
            "CloudFormation JSON",
        ),
        ("bad.tf", b'resource "a" "b" {\n  x = = 1\n}\n', "HCL syntax error"),
    ],
)
def test_a_bad_file_is_a_finding_and_the_rest_of_the_scan_goes_on(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.tf").write_text(KEY)
    report = _report(tmp_path)
    failed = [f for f in report["findings"] if f["rule_id"] == "NHI001"]
    assert [f["file"] for f in failed] == [name]
    assert reason in failed[0]["message"] and "\n" not in failed[0]["message"]
    assert any(f["rule_id"] == "NHI101" for f in report["findings"])
    assert report["summary"]["gate"] == "failed"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bom.tf", "\ufeff" + KEY),
        ("crlf.tf", KEY.replace("\n", "\r\n")),
        ("utf16.tf", KEY),
    ],
)
def test_encodings_and_line_endings_parse(tmp_path: Path, name: str, content: str) -> None:
    data = content.encode("utf-16") if name == "utf16.tf" else content.encode("utf-8")
    (tmp_path / name).write_bytes(data)
    report = _report(tmp_path)
    assert [(f["rule_id"], f["line"]) for f in report["findings"]] == [("NHI101", 1)]


def test_empty_files_are_scanned_not_failed(tmp_path: Path) -> None:
    for name in ("empty.tf", "empty.tfvars", "empty.yaml", "empty.json"):
        (tmp_path / name).write_text("")
    report = _report(tmp_path)
    assert report["findings"] == []
    assert {f["path"]: f["status"] for f in report["files"]} == {
        "empty.tf": "scanned", "empty.tfvars": "scanned", "empty.yaml": "not-iac", "empty.json": "not-iac",
    }  # fmt: skip


def test_oversized_file_is_reported_not_read(tmp_path: Path) -> None:
    (tmp_path / ".nhigate.yaml").write_text("max_file_bytes: 2048\n")
    (tmp_path / "big.tf").write_text(KEY + "# padding\n" * 400)
    report = _report(tmp_path)
    assert [f["rule_id"] for f in report["findings"]] == ["NHI001"]
    assert "over the 2048-byte limit" in report["findings"][0]["message"]


def test_deep_nesting_and_alias_bombs_are_refused_quickly(tmp_path: Path) -> None:
    (tmp_path / "deep.tf").write_text("locals {\n  x = " + "[" * 5000 + "]" * 5000 + "\n}\n")
    bomb = ['AWSTemplateFormatVersion: "2010-09-09"', "a: &a [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]"
        for i in range(12)
    ]
    bomb += ["Resources:", "  R: {Type: 'AWS::IAM::User', Properties: {Path: *m}}"]
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\n")
    started = time.perf_counter()
    report = _report(tmp_path)
    assert time.perf_counter() - started < 30
    assert {f["file"] for f in report["findings"] if f["rule_id"] == "NHI001"} == {"deep.tf", "bomb.yaml"}


def test_symlink_loops_and_self_including_paths_terminate(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(KEY)
    os.symlink(tmp_path, tmp_path / "infra" / "loop")
    result = nhigate("scan", ".", "infra", "infra/main.tf", "--format", "json", cwd=tmp_path)
    report = json.loads(result.stdout)
    assert [f["file"] for f in report["findings"]] == ["infra/main.tf"]  # each file once, no loop


def test_a_file_that_vanishes_or_is_unreadable_is_reported(tmp_path: Path) -> None:
    (tmp_path / "gone.tf").write_text(KEY)
    os.symlink(tmp_path / "missing-target.tf", tmp_path / "dangling.tf")
    (tmp_path / "gone.tf").unlink()
    (tmp_path / "ok.tf").write_text(KEY)
    report = _report(tmp_path)
    assert any(f["file"] == "dangling.tf" and "cannot read" in f["message"] for f in report["findings"])


def test_no_network_during_a_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("nhigate tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    (tmp_path / "main.tf").write_text(
        'module "remote" {\n  source = "git::https://example.invalid/modules.git?ref=v1"\n}\n'
        'module "registry" {\n  source = "terraform-aws-modules/iam/aws"\n  version = "5.0.0"\n}\n' + KEY
    )
    result = scan(ScanOptions(paths=[tmp_path], jobs=1, cwd=tmp_path, use_cache=False))
    assert [f.rule_id for f in result.findings] == ["NHI101"]


def test_no_code_execution_primitives_in_the_source() -> None:
    import re

    forbidden = re.compile(r"(?<![\w.])(eval|exec)\(|yaml\.unsafe_load|os\.system\(|shell=True|__import__\(")
    source = Path(__file__).resolve().parent.parent / "src" / "nhigate"
    for path in source.rglob("*.py"):
        text = path.read_text()
        assert not forbidden.search(text), f"{forbidden.search(text)} in {path.name}"
        for line in text.splitlines():
            if "yaml.load(" in line:
                assert "Loader=loader" in line, f"{line.strip()} in {path.name}"  # only with a safe loader


def test_output_is_byte_identical_whatever_the_file_system_order(tmp_path: Path) -> None:
    outputs = []
    for order in (sorted, lambda names: sorted(names, reverse=True)):
        root = tmp_path / f"run-{len(outputs)}"
        root.mkdir()
        names = [p for p in FIXTURES.rglob("*") if p.is_file()]
        for path in order(names):
            target = root / path.relative_to(FIXTURES)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        result = nhigate("scan", ".", "--format", "sarif", "--fail-on", "never", "--jobs", "2", "--no-cache", cwd=root)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


def test_peak_memory_on_a_hostile_file_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "wide.tf").write_text("locals {\n" + "".join(f'  v{i} = "{"x" * 200}"\n' for i in range(20000)) + "}\n")
    code = (
        "import resource, subprocess, sys\n"
        f"subprocess.run([sys.executable, '-m', 'nhigate', 'scan', {str(tmp_path)!r}, '--fail-on', 'never',"
        " '--format', 'json', '--no-cache'], capture_output=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    peak_kb = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert peak_kb < 600 * 1024


# -- fuzzing: fixed budget in CI (NHIGATE_FUZZ_EXAMPLES raises it for a local run) ------------------

_HCL_PIECES = st.sampled_from(
    ['resource "a" "b" {', "}", "{", "x = ", '"s"', "${", "var.x", "[", "]", "(", ")", ",", "\n", "# c\n", "<<EOT\n",
     "EOT\n", "for k, v in x :", "?", ":", "=>", "...", "%{ if x }", "%{ endif }", "\\", "\"", "1e9", "-", "*"]
)  # fmt: skip


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(_HCL_PIECES, max_size=40).map("".join))
def test_fuzz_hcl_never_raises_anything_but_a_finding(text: str) -> None:
    parsed = parse_text("fuzz.tf", text, "hcl")
    assert parsed is not None and (parsed.error is None or parsed.error.message)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=300))
def test_fuzz_yaml_and_json_never_raise(text: str) -> None:
    for how, prefix in (("yaml", 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n'), ("json", '{"Resources": ')):
        parse_text(f"fuzz.{how}", prefix + text, how)


_EXPRESSIONS = st.recursive(
    st.sampled_from(['"a"', "1", "true", "null", "var.x", "local.y", "each.key", "aws_iam_role.r.arn", "count.index"]),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["merge", "concat", "lookup", "join", "format", "try", "coalesce", "nope"]),
                  st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.tuples(inner, inner).map(lambda t: f"{{ k = {t[0]}, j = {t[1]} }}"),
        st.tuples(inner, inner).map(lambda t: f"[for v in {t[0]} : {t[1]}]"),
    ),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(_EXPRESSIONS)
def test_fuzz_evaluator_never_raises(expression: str) -> None:
    try:
        expr = parse_expression(expression)
    except HclSyntaxError:
        return
    value = Evaluator(TerraformModule(".", []), budget=5_000).evaluate(expr)
    assert value is None or isinstance(value, (str, int, float, bool, list, dict, Unknown)) or hasattr(value, "target")


# -- the real world -----------------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
def test_corpus_sweep_has_no_engine_fault_and_reports_every_file(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    result = subprocess.run(
        [sys.executable, "-m", "nhigate", "scan", str(CORPUS), "--format", "json", "--fail-on", "never", "--json", str(first)],
        capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(first.read_text())
    assert not [n for n in report["notifications"] if n["level"] == "error" and n["rule_id"] != "NHI001"]
    statuses = {f["status"] for f in report["files"]}
    assert statuses <= {"scanned", "failed", "not-iac"}
    failed = {f["path"] for f in report["files"] if f["status"] == "failed"}
    assert failed == {f["file"] for f in report["findings"] if f["rule_id"] == "NHI001"}
    assert len(report["files"]) > 8000
    again = subprocess.run(
        [sys.executable, "-m", "nhigate", "scan", str(CORPUS), "--format", "json", "--fail-on", "never", "--jobs", "1"],
        capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    assert again.stdout == first.read_text()
