"""Shared test helpers: repository paths, pinned scan date, and a scan runner."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"
PINNED_TODAY = "2026-11-22"

# Lifetime checks compare against the scan date; pin it so fixtures do not age.
os.environ.setdefault("NHIGATE_TODAY", PINNED_TODAY)
# Tests (and the CLI they start) use a private parse cache, never the developer's own.
os.environ.setdefault("NHIGATE_CACHE_DIR", tempfile.mkdtemp(prefix="nhigate-test-cache-"))


@pytest.fixture
def repo() -> Path:
    return REPO
