"""The parse cache: identical results, corruption ignored, nothing but model classes loaded."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from nhigate.engine import ScanOptions, scan
from nhigate.parsecache import ParseCache
from nhigate.parsers import parse_file

TF = 'variable "d" {\n  default = "8760h"\n}\nresource "azuread_application_password" "p" {\n  application_id = "a"\n  end_date_relative = var.d\n}\n'


def test_cached_parse_equals_a_fresh_parse(tmp_path: Path) -> None:
    source = tmp_path / "main.tf"
    source.write_text(TF)
    cache = ParseCache(tmp_path / "cache")
    fresh = parse_file(source, "main.tf")
    first = parse_file(source, "main.tf", cache=cache)
    second = parse_file(source, "main.tf", cache=cache)
    assert fresh == first == second
    assert len(list((tmp_path / "cache").rglob("*.pickle"))) == 1


def test_changed_content_or_path_is_a_miss(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    source = tmp_path / "main.tf"
    source.write_text(TF)
    assert cache.key("main.tf", source.read_bytes()) != cache.key("other.tf", source.read_bytes())
    assert cache.key("main.tf", b"a") != cache.key("main.tf", b"b")


def test_corrupted_and_hostile_entries_are_ignored(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    source = tmp_path / "main.tf"
    source.write_text(TF)
    key = cache.key("main.tf", source.read_bytes())
    parse_file(source, "main.tf", cache=cache)
    entry = next((tmp_path / "cache").rglob("*.pickle"))
    entry.write_bytes(b"\x80\x05garbage")
    assert parse_file(source, "main.tf", cache=cache) == parse_file(source, "main.tf")

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("pwned",))

    entry.write_bytes(pickle.dumps(Evil()))
    assert cache.get(key, "main.tf") is None  # builtins.print is not a model class: refused


def test_scan_output_is_identical_with_and_without_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NHIGATE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "main.tf").write_text(TF)
    runs = [scan(ScanOptions(paths=[tmp_path], jobs=1, use_cache=use)) for use in (False, True, True)]
    assert [f.fingerprint for f in runs[0].findings] == [f.fingerprint for f in runs[2].findings]
    assert [f.message for f in runs[0].findings] == [f.message for f in runs[2].findings]


def test_prune_keeps_the_cache_bounded(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    for index in range(5):
        source = tmp_path / f"f{index}.tf"
        source.write_text(TF + f"# {index}\n")
        parse_file(source, f"f{index}.tf", cache=cache)
    sizes = [p.stat().st_size for p in (tmp_path / "cache").rglob("*.pickle")]
    cache.prune(limit=sum(sizes) - 1)
    assert len(list((tmp_path / "cache").rglob("*.pickle"))) == 4
