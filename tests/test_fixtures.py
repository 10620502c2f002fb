"""Every check is proven by fixtures: each line annotated ``expect: NHIxxx`` must be flagged
with exactly those rules, and nothing else in the fixture may be flagged; a ``pass*`` case must
not be flagged by the check it belongs to.

A case is a file or a directory directly under ``fixtures/<CHECK-ID>/``; suppressed findings are
accepted exceptions and are not expected.  A directory case may carry its own ``.nhigate.yaml``.  JSON cannot carry
comments, so a JSON case lists its expectations in ``<file>.expect`` (``LINE RULE`` per line).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES
from nhigate.catalog import load_catalog
from nhigate.config import Config, load_config
from nhigate.engine import ScanOptions, scan

EXPECT = re.compile(r"expect:\s*(NHI\d{3}(?:\s*,\s*NHI\d{3})*)")


def _cases() -> list[Path]:
    return sorted(p for d in FIXTURES.iterdir() if d.is_dir() for p in d.iterdir() if not p.name.endswith(".expect"))


def expectations(case: Path) -> set[tuple[str, int, str]]:
    files = sorted(case.rglob("*")) if case.is_dir() else [case]
    expected: set[tuple[str, int, str]] = set()
    for file in files:
        if not file.is_file() or file.name.endswith(".expect"):
            continue
        sidecar = file.with_name(file.name + ".expect")
        if sidecar.exists():
            for row in sidecar.read_text().splitlines():
                if row.strip() and not row.startswith("#"):
                    line, rule = row.split()
                    expected.add((file.name, int(line), rule))
            continue
        for number, text in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            match = EXPECT.search(text)
            if match:
                for rule in match.group(1).split(","):
                    expected.add((file.name, number, rule.strip()))
    return expected


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_findings_are_exactly_the_expected_ones(case: Path) -> None:
    config_file = case / ".nhigate.yaml"
    config = load_config(config_file, load_catalog()) if config_file.is_file() else Config()
    result = scan(ScanOptions(paths=[case], jobs=1, config=config))
    # Suppressed findings are accepted exceptions: a fixture expects only what still fails.
    found = {(Path(f.file).name, f.span.line, f.rule_id) for f in result.findings if f.suppression is None}
    assert found == expectations(case)
    if case.name.startswith("pass"):
        # Another family may rightly flag the same code (a generated RDS password is not a literal
        # secret, but it is still not rotated): a passing case only clears its own check.
        own = case.parent.name
        assert not {f for f in found if f[2] == own}, f"a passing case must not be flagged by {own}"
