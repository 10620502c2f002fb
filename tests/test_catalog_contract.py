"""The catalog contract: a check without docs, framework mappings or fixtures for every format it
claims is refused.  This is what keeps ``checks/`` honest as it grows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, REPO
from nhigate.catalog import CatalogError, load_catalog, schema
from nhigate.checks.registry import PREDICATES, PROJECT_PREDICATES
from nhigate.frameworks import control, frameworks

CATALOG = load_catalog()
CHECKS = list(CATALOG.values())
FORMAT_SUFFIXES = {
    "terraform": (".tf", ".tf.json"),
    "plan": (".plan.json",),
    "cloudformation": (".yaml", ".yml", ".template", ".cfn.json"),
}
EXPECT = re.compile(r"expect:\s*(NHI\d{3}(?:\s*,\s*NHI\d{3})*)")


def _fixture_files(check_id: str) -> list[Path]:
    root = FIXTURES / check_id
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".expect")) if root.is_dir() else []


def _is_format(path: Path, fmt: str) -> bool:
    name = path.name
    if fmt == "terraform" and name.endswith(".plan.json"):
        return False
    return name.endswith(FORMAT_SUFFIXES[fmt])


def _expects(path: Path, check_id: str) -> bool:
    sidecar = path.with_name(path.name + ".expect")
    text = sidecar.read_text() if sidecar.exists() else path.read_text(encoding="utf-8", errors="replace")
    if sidecar.exists():
        return check_id in text.split()
    return any(check_id in m.group(1) for m in EXPECT.finditer(text))


def test_catalog_has_the_walking_skeleton_checks() -> None:
    assert {"NHI001", "NHI101", "NHI103", "NHI105", "NHI107"} <= set(CATALOG)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_check_file_matches_schema_and_names(check) -> None:  # type: ignore[no-untyped-def]
    import jsonschema

    document = yaml.safe_load((REPO / "checks" / check.source).read_text())
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert (
        check.id[:4]
        == {
            "engine": "NHI0",
            "long-lived-credential": "NHI1",
            "hardcoded-secret": "NHI2",
            "missing-rotation": "NHI3",
            "missing-owner": "NHI4",
            "shared-identity": "NHI5",
            "cross-environment-reuse": "NHI6",
        }[check.family]
    )


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_check_has_a_predicate_in_the_registry(check) -> None:  # type: ignore[no-untyped-def]
    if check.family == "engine":
        assert check.predicate is None
    elif check.scope == "project":
        assert check.predicate in PROJECT_PREDICATES, (
            f"{check.id}: project predicate {check.predicate} is not registered"
        )
    else:
        assert check.predicate in PREDICATES, f"{check.id}: predicate {check.predicate} is not registered"


def test_every_registered_predicate_is_used() -> None:
    used = {c.predicate for c in CHECKS}
    assert set(PREDICATES) <= used
    assert set(PROJECT_PREDICATES) <= used


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_framework_mappings_resolve_to_real_controls(check) -> None:  # type: ignore[no-untyped-def]
    catalog_frameworks = frameworks()
    for framework, control_id in check.framework_pairs(agentic=True):
        assert framework in catalog_frameworks, f"{check.id}: unknown framework {framework}"
        assert control(framework, control_id).id == control_id
    if check.family != "engine":
        assert "owasp-nhi" in check.frameworks, f"{check.id}: every NHI check maps to the OWASP NHI Top 10"


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_docs_have_every_section_and_a_before_after_fix(check) -> None:  # type: ignore[no-untyped-def]
    docs = check.docs
    for section in ("what_it_flags", "why_it_matters", "how_to_fix", "references"):
        assert docs.get(section), f"{check.id}: docs.{section} is missing"
    assert "Before" in docs["how_to_fix"] and "After" in docs["how_to_fix"]
    assert all(ref["url"].startswith("https://") for ref in docs["references"])


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_fixtures_cover_every_claimed_format(check) -> None:  # type: ignore[no-untyped-def]
    files = _fixture_files(check.id)
    assert files, f"{check.id}: no fixtures/{check.id}/"
    assert any(_expects(f, check.id) for f in files), f"{check.id}: no failing fixture"
    assert any(f.name.startswith("pass") for f in files), f"{check.id}: no passing fixture"
    for fmt in check.formats:
        of_format = [f for f in files if _is_format(f, fmt)]
        assert any(_expects(f, check.id) for f in of_format), f"{check.id}: no failing {fmt} fixture"
        assert any(f.name.startswith("pass") for f in of_format), f"{check.id}: no passing {fmt} fixture"


def test_invalid_check_file_is_refused_with_file_and_key(tmp_path: Path) -> None:
    bad = yaml.safe_load((REPO / "checks" / "NHI101.yaml").read_text())
    bad["severity"] = "catastrophic"
    (tmp_path / "NHI101.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(CatalogError, match=r"NHI101.yaml: severity: 'catastrophic' is not one of"):
        load_catalog(tmp_path)


def test_check_id_must_match_file_name(tmp_path: Path) -> None:
    document = yaml.safe_load((REPO / "checks" / "NHI101.yaml").read_text())
    (tmp_path / "NHI199.yaml").write_text(yaml.safe_dump(document))
    with pytest.raises(CatalogError, match="does not match the file name"):
        load_catalog(tmp_path)
