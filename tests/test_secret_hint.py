"""The parse-time secret pre-filter never hides a finding: on every block it marks as unable to
hold a secret, the secret checks find nothing when run anyway."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CORPUS, FIXTURES
from nhigate.checks.base import CheckContext
from nhigate.checks.hardcoded import hardcoded_secret, provider_credentials
from nhigate.engine import build_scopes
from nhigate.parsers import classify, parse_file


def _silent_on_unhinted(root: Path, limit: int | None = None) -> tuple[int, int]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and classify(p.name) is not None)[:limit]
    parsed = [r for r in (parse_file(p, str(p)) for p in files) if r is not None and r.error is None]
    scopes, _ = build_scopes(parsed)
    unhinted = checked = 0
    for scope in scopes:
        context = CheckContext(scope=scope)
        for view in scope:
            if view.block.secret_hint:
                continue
            unhinted += 1
            found = list(hardcoded_secret(view, context))
            if view.block.kind == "provider":
                found += list(provider_credentials(view, context))
            assert not found, f"pre-filter hid a secret in {view.block.file}:{view.block.span.line}"
            checked += 1
    return unhinted, checked


def test_prefilter_hides_nothing_in_the_fixtures() -> None:
    unhinted, _ = _silent_on_unhinted(FIXTURES)
    assert unhinted > 10  # the filter does skip blocks


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
def test_prefilter_hides_nothing_in_the_corpus() -> None:
    unhinted, checked = _silent_on_unhinted(CORPUS)
    assert checked == unhinted and unhinted > 10_000
