"""The framework catalog (src/nhigate/data/frameworks.json) and its loader."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nhigate import frameworks as fw

REPO_ROOT = Path(__file__).resolve().parents[1]
CONTROLS_YAML = REPO_ROOT.parent / "shared" / "frameworks" / "controls.yaml"
BUILD_SCRIPT = REPO_ROOT / "tools" / "build_frameworks.py"
COMMITTED_JSON = REPO_ROOT / "src" / "nhigate" / "data" / "frameworks.json"
SARIF_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$")
FAMILIES = {
    "long-lived-credential",
    "hardcoded-secret",
    "shared-identity",
    "missing-owner",
    "missing-rotation",
    "cross-environment-reuse",
}
# nhigate key -> framework id in controls.yaml (kept here independently of the build script)
YAML_IDS = {
    "owasp-nhi": "owasp-nhi-top10",
    "owasp-agentic": "owasp-agentic-top10",
    "owasp-agentic-tm": "owasp-agentic-threats-mitigations",
    "nist-csf": "nist-csf-2.0",
    "nist-800-53": "nist-sp-800-53r5",
    "nist-ai-rmf": "nist-ai-rmf",
    "csa-maestro": "csa-maestro",
    "cis-aws": "cis-aws-foundations",
    "cis-gcp": "cis-gcp-foundations",
    "cis-azure": "cis-azure-foundations",
    "cis-controls": "cis-controls-v8.1",
    "aws-fsbp": "aws-fsbp",
    "mcsb": "mcsb-v1",
}
CIS_BENCHMARKS = {"cis-aws", "cis-gcp", "cis-azure"}

needs_shared = pytest.mark.skipif(not CONTROLS_YAML.is_file(), reason=f"{CONTROLS_YAML} not present")


def test_expected_frameworks_present() -> None:
    assert list(fw.frameworks()) == list(YAML_IDS)


@pytest.mark.parametrize("key", list(YAML_IDS))
def test_every_framework_has_controls_and_metadata(key: str) -> None:
    framework = fw.frameworks()[key]
    assert framework.key == key
    assert framework.name
    assert framework.url and framework.url.startswith("https://")
    assert len(framework.controls) >= 1
    for control_id, control in framework.controls.items():
        assert control.id == control_id
        assert control.framework == key
        assert control.title.strip() == control.title and control.title
        assert control.summary
        assert control.url is None or control.url.startswith("https://")


def test_guids_match_sarif_pattern_and_are_unique() -> None:
    guids = [framework.guid for framework in fw.frameworks().values()]
    for guid in guids:
        assert SARIF_GUID.match(guid), guid
    assert len(set(guids)) == len(guids)


def test_cis_benchmarks_are_pinned_to_one_version() -> None:
    for key in CIS_BENCHMARKS:
        version = fw.frameworks()[key].version
        assert version and re.fullmatch(r"\d+\.\d+\.\d+", version), (key, version)


def test_six_families_each_with_a_primary() -> None:
    for family in FAMILIES:
        mapping = fw.family_controls(family)
        assert len(mapping.primary) >= 1, family


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_entry_resolves(family: str) -> None:
    mapping = fw.family_controls(family)
    for level in ("primary", "secondary", "agentic"):
        pairs = getattr(mapping, level)
        assert len(set(pairs)) == len(pairs), (family, level)
        for framework_key, control_id in pairs:
            assert fw.control(framework_key, control_id).id == control_id
    assert not set(mapping.primary) & set(mapping.secondary)


def test_families_in_json_are_exactly_the_six() -> None:
    document = json.loads(COMMITTED_JSON.read_text(encoding="utf-8"))
    assert set(document["families"]) == FAMILIES
    assert set(fw.FAMILIES) == FAMILIES


def test_agentic_mappings_everywhere() -> None:
    for family in FAMILIES:
        agentic = set(fw.family_controls(family).agentic)
        assert {("owasp-agentic", "ASI03"), ("csa-maestro", "Layer 4"), ("nist-ai-rmf", "MEASURE 2.7")} <= agentic
        # agentic controls never leak into the always-emitted lists
        mapping = fw.family_controls(family)
        agentic_frameworks = {"owasp-agentic", "owasp-agentic-tm", "csa-maestro", "nist-ai-rmf"}
        assert not {f for f, _ in mapping.primary + mapping.secondary} & agentic_frameworks


def test_family_specific_primaries() -> None:
    assert ("owasp-nhi", "NHI7:2025") in fw.family_controls("long-lived-credential").primary
    hardcoded = fw.family_controls("hardcoded-secret")
    assert ("owasp-nhi", "NHI2:2025") in hardcoded.primary
    assert ("nist-800-53", "IA-5(7)") in hardcoded.primary
    assert ("owasp-nhi", "NHI7:2025") in hardcoded.secondary
    assert ("nist-800-53", "AC-2(9)") in fw.family_controls("shared-identity").primary
    assert ("nist-800-53", "CM-8(4)") in fw.family_controls("missing-owner").primary
    assert ("cis-controls", "5.5") in fw.family_controls("missing-owner").primary
    assert ("owasp-nhi", "NHI7:2025") in fw.family_controls("missing-rotation").primary
    cross = fw.family_controls("cross-environment-reuse").primary
    assert ("nist-800-53", "SC-32") in cross
    assert ("cis-controls", "16.8") in cross


@pytest.mark.parametrize(
    ("key", "control_id", "title"),
    [
        ("owasp-nhi", "NHI7:2025", "Long-Lived Secrets"),
        ("owasp-nhi", "NHI2:2025", "Secret Leakage"),
        ("owasp-nhi", "NHI9:2025", "NHI Reuse"),
        ("owasp-agentic", "ASI03", "Identity and Privilege Abuse"),
        (
            "nist-csf",
            "PR.AA-01",
            "Identities and credentials for authorized users, services, and hardware are managed by the organization",
        ),
        ("nist-800-53", "IA-5(7)", "No Embedded Unencrypted Static Authenticators"),
        ("nist-800-53", "AC-2(9)", "Restrictions on Use of Shared and Group Accounts"),
        ("nist-800-53", "CM-8(4)", "Accountability Information"),
        ("nist-800-53", "SC-32", "System Partitioning"),
        ("cis-controls", "5.5", "Establish and Maintain an Inventory of Service Accounts"),
        ("cis-controls", "16.8", "Separate Production and Non-Production Systems"),
        ("csa-maestro", "Layer 4", "Deployment and Infrastructure"),
        (
            "nist-ai-rmf",
            "MEASURE 2.7",
            "AI system security and resilience — as identified in the MAP function — are evaluated and documented.",
        ),
    ],
)
def test_spot_check_ids_and_titles(key: str, control_id: str, title: str) -> None:
    assert fw.control(key, control_id).title == title


def test_withdrawn_and_wrong_ids_are_absent() -> None:
    csf = fw.frameworks()["nist-csf"].controls
    assert "PR.AC-1" not in csf and "PR.AC-4" not in csf
    assert "NHI03" not in fw.frameworks()["owasp-nhi"].controls
    assert "TR-2" not in fw.frameworks()["csa-maestro"].controls


def test_tag_for() -> None:
    assert fw.tag_for("owasp-nhi", "NHI7:2025") == "owasp-nhi/NHI7:2025"
    assert fw.tag_for("nist-800-53", "IA-5(7)") == "nist-800-53/IA-5(7)"
    assert fw.tag_for("owasp-agentic", "ASI03") == "owasp-agentic/ASI03"


def test_unknown_lookups_raise_clear_key_errors() -> None:
    with pytest.raises(KeyError, match="unknown control 'NHI11:2025' in framework 'owasp-nhi'"):
        fw.control("owasp-nhi", "NHI11:2025")
    with pytest.raises(KeyError, match="unknown framework 'owasp'"):
        fw.control("owasp", "NHI7:2025")
    with pytest.raises(KeyError, match="unknown finding family"):
        fw.family_controls("no-such-family")
    with pytest.raises(KeyError):
        fw.tag_for("nist-800-53", "IA-5(99)")


def test_dataclasses_are_frozen_and_loader_cached() -> None:
    control = fw.control("owasp-nhi", "NHI7:2025")
    with pytest.raises(dataclasses.FrozenInstanceError):
        control.title = "x"  # type: ignore[misc]
    assert fw.frameworks() is fw.frameworks()


def test_committed_json_is_canonical() -> None:
    text = COMMITTED_JSON.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


# --- against the shared catalog (only in a checkout next to ../shared) --------------------------


@needs_shared
def test_build_script_reproduces_committed_json(tmp_path: Path) -> None:
    out = tmp_path / "frameworks.json"
    result = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), str(CONTROLS_YAML), "--output", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == COMMITTED_JSON.read_bytes()


def _yaml_titles(entry: dict[str, Any]) -> set[str]:
    titles = {entry["title"]}
    variants = entry.get("title_variants") or {}
    titles |= set(variants.values() if isinstance(variants, dict) else variants)
    return titles


@needs_shared
def test_ids_and_titles_appear_identically_in_controls_yaml() -> None:
    import yaml

    catalog = yaml.safe_load(CONTROLS_YAML.read_text(encoding="utf-8"))
    by_id = {entry["id"]: entry for entry in catalog["frameworks"]}
    for key, framework in fw.frameworks().items():
        source = by_id[YAML_IDS[key]]
        assert framework.name == source["name"]
        assert framework.url == source["url"]
        if key in CIS_BENCHMARKS:
            assert framework.version in source["versions_covered"]
            for control in framework.controls.values():
                matches = [
                    c
                    for c in source["controls"]
                    if (c.get("ids") or {}).get(framework.version) == control.id and control.title in _yaml_titles(c)
                ]
                assert len(matches) == 1, (key, control.id, control.title)
                assert isinstance(control.id, str)
        else:
            assert framework.version == source.get("version")
            yaml_controls = {c["id"]: c for c in source["controls"]}
            for control in framework.controls.values():
                assert control.id in yaml_controls, (key, control.id)
                entry = yaml_controls[control.id]
                assert control.title == entry["title"], (key, control.id)
                assert control.summary == entry["summary"]
                assert control.url == entry["url"]
                assert entry.get("status") != "withdrawn"
