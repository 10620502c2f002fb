#!/usr/bin/env python3
"""Build ``src/nhigate/data/frameworks.json`` from the shared control catalog.

Usage (from anywhere; paths default relative to the repository root)::

    python tools/build_frameworks.py [CONTROLS_YAML] [--output FILE] [--check]

``CONTROLS_YAML`` defaults to ``../shared/frameworks/controls.yaml``.  The output is
deterministic (sorted keys, indent 1, UTF-8, trailing newline); commit it.  ``--check`` writes
nothing and exits 1 when the committed file is out of date.

The family -> control mapping below is a hand transcription of ``frameworks/mapping.md``
(levels P = primary, S = secondary, A = agentic).  Every pair is resolved against the
emitted frameworks and the script fails loudly on anything that does not resolve.

Choices made where mapping.md is ambiguous (conservative by intent)
--------------------------------------------------------------------
1. CIS pinning.  One version per benchmark: the newest version in ``versions_covered`` for
   which every CIS row that mapping.md writes in the ``v3.0.0 / v5.0.0`` form has a non-null id.
   Rows that mapping.md tags with a single version ("(v5.0.0) 1.20", "(v7.0.0) 2.1.4",
   "4.5 ... (v3)", "9.11 ... (v3)", "(v5) 8.3.11", "(v5) 2.1.6") are optional: they do not
   drive the pin and are dropped (with a note on stderr) when the pinned version has no id.
   Benchmark controls with a null id in the pinned version are dropped from the framework.
   Titles follow the pinned version (``title_variants[version]`` if present, "(same as X)"
   resolved to version X), so they are exactly the text controls.yaml gives for that version.
   The v3/v5 ids written in mapping.md are cross-checked against controls.yaml.
2. CIS benchmark rows marked P (CIS AWS key rotation and CIS GCP user-managed keys in section 1,
   CIS GCP default service account in section 2) are recorded as *secondary*: "primary" means
   "emit on every finding in the family", and a provider benchmark must not be emitted on a
   finding for another provider.  CIS Controls v8.1 (provider-neutral) keeps its P rows.
3. Section 1 feeds both ``long-lived-credential`` and ``hardcoded-secret`` in full.  For
   ``hardcoded-secret`` NHI2:2025 and IA-5(7) are primary and NHI7:2025 is secondary; the other
   section-1 P rows (PR.AA-01, IA-5) stay primary.
4. Composite rows are split into one pair per control; item references collapse to the base
   control ("IA-5 (item f)" -> IA-5, "AC-2 (item k) / IA-5 (item i)" -> AC-2, IA-5,
   "AC-2 (item b) ; CM-8" -> AC-2, CM-8).
5. ``agentic`` = the family section's A rows, then the section-6 P rows (ASI03, T3,
   MAESTRO Layer 4, AI RMF MEASURE 2.7) added to every family (T3 because mapping.md states
   ASI03 maps one-to-one to T3).  Section-6 S rows are not added to families beyond what the
   family section itself lists (mapping.md gives them no family).
6. "OWASP MAS guide T22 Service Account Exposure" (section 1 A, section 6 S) is omitted: the
   MAS Threat Modelling Guide is not one of nhigate's frameworks and its T-ids are
   scenario-local (they collide with Threats & Mitigations T-codes).
7. DESIGN.md lists NHI4 (long-lived-credential) and NHI1 (missing-owner) among the "main
   controls", but mapping.md marks them S; mapping.md wins, so they are secondary.
8. Frameworks keep every current control of the catalog (so check files can cite any verified
   control), except ``status: withdrawn`` entries (CSF 1.1 PR.AC-*, never emitted) and
   ``status: context-only`` entries that the mapping does not use (AI RMF function names,
   CSF PR.AA-06 physical access); MAESTRO "Cross-Layer" is context-only but section 5 uses it.
9. Excluded frameworks: NIST SP 800-63-4 (mapping.md: do not emit for service credentials) and
   the MAS guide (see 6).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUT = REPO_ROOT.parent / "shared" / "frameworks" / "controls.yaml"
DEFAULT_OUTPUT = REPO_ROOT / "src" / "nhigate" / "data" / "frameworks.json"
SCHEMA_VERSION = 1
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$")
SAME_AS_RE = re.compile(r"^\(same as ([0-9.]+)\)$")

# nhigate framework key -> framework id in controls.yaml.  Order = output order (SARIF taxonomies).
FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("owasp-nhi", "owasp-nhi-top10"),
    ("owasp-agentic", "owasp-agentic-top10"),
    ("owasp-agentic-tm", "owasp-agentic-threats-mitigations"),
    ("nist-csf", "nist-csf-2.0"),
    ("nist-800-53", "nist-sp-800-53r5"),
    ("nist-ai-rmf", "nist-ai-rmf"),
    ("csa-maestro", "csa-maestro"),
    ("cis-aws", "cis-aws-foundations"),
    ("cis-gcp", "cis-gcp-foundations"),
    ("cis-azure", "cis-azure-foundations"),
    ("cis-controls", "cis-controls-v8.1"),
    ("aws-fsbp", "aws-fsbp"),
    ("mcsb", "mcsb-v1"),
)
# Versioned benchmarks: controls carry ``key`` + per-version ``ids``; one version is pinned.
CIS_BENCHMARKS = ("cis-aws", "cis-gcp", "cis-azure")

FAMILIES = (
    "long-lived-credential",
    "hardcoded-secret",
    "shared-identity",
    "missing-owner",
    "missing-rotation",
    "cross-environment-reuse",
)
LEVELS = ("primary", "secondary", "agentic")
P, S, A = LEVELS


class BuildError(Exception):
    """The catalog or the mapping does not resolve; nothing is written."""


@dataclass(frozen=True)
class Cis:
    """A CIS benchmark row: controls.yaml ``key`` plus the ids mapping.md writes per version.

    ``optional`` rows are the ones mapping.md tags with a single version; they do not drive the
    pin and are dropped when the pinned version has no id for them.
    """

    framework: str
    key: str
    written: dict[str, str] = field(default_factory=dict)
    optional: bool = False


Ref = tuple[str, str] | Cis
Row = tuple[str, Ref]

# --- mapping.md section 1: Long-lived static keys ------------------------------------------------
SECTION_1: tuple[Row, ...] = (
    (P, ("owasp-nhi", "NHI7:2025")),
    (S, ("owasp-nhi", "NHI2:2025")),
    (S, ("owasp-nhi", "NHI4:2025")),
    (S, ("owasp-nhi", "NHI6:2025")),
    (P, ("nist-csf", "PR.AA-01")),
    (S, ("nist-csf", "PR.AA-03")),
    (S, ("nist-csf", "PR.DS-01")),
    (P, ("nist-800-53", "IA-5")),
    (S, ("nist-800-53", "IA-5(7)")),
    (S, ("nist-800-53", "IA-5(6)")),
    (S, ("nist-800-53", "IA-9")),
    (S, ("nist-800-53", "SC-28")),
    (S, ("nist-800-53", "IA-5(1)")),
    # mapping.md P, recorded S (choice 2)
    (S, Cis("cis-aws", "aws-key-rotation-90", {"3.0.0": "1.14", "5.0.0": "1.13"})),
    (S, Cis("cis-aws", "aws-root-access-key", {"3.0.0": "1.4", "5.0.0": "1.3"})),
    (S, Cis("cis-aws", "aws-one-active-key", {"3.0.0": "1.13", "5.0.0": "1.12"})),
    (S, Cis("cis-aws", "aws-no-keys-initial-setup", {"3.0.0": "1.11", "5.0.0": "1.10"})),
    (S, Cis("cis-aws", "aws-instance-roles", {"3.0.0": "1.18", "5.0.0": "1.17"})),
    (S, Cis("cis-aws", "aws-central-federation", {"5.0.0": "1.20"}, optional=True)),
    # mapping.md P, recorded S (choice 2)
    (S, Cis("cis-gcp", "gcp-only-gcp-managed-keys", {"3.0.0": "1.4", "5.0.0": "1.5"})),
    (S, Cis("cis-gcp", "gcp-sa-key-rotation-90", {"3.0.0": "1.7", "5.0.0": "1.8"})),
    (S, Cis("cis-gcp", "gcp-api-keys-active-only", {"3.0.0": "1.12", "5.0.0": "1.13"})),
    (S, Cis("cis-gcp", "gcp-api-keys-rotation-90", {"3.0.0": "1.15", "5.0.0": "1.16"})),
    (S, Cis("cis-azure", "az-storage-key-regeneration", {"3.0.0": "4.4", "5.0.0": "9.3.1.2"})),
    (S, Cis("cis-azure", "az-sas-expire-1h", {"3.0.0": "4.5"}, optional=True)),
    (S, Cis("cis-azure", "az-kv-store-secrets", {"3.0.0": "9.11"}, optional=True)),
    (S, ("mcsb", "IM-3")),
    (S, ("mcsb", "IM-8")),
    (S, ("aws-fsbp", "IAM.3")),
    (S, ("aws-fsbp", "IAM.4")),
    (S, ("aws-fsbp", "IAM.22")),
    (S, ("aws-fsbp", "ECS.8")),
    (A, ("owasp-agentic", "ASI03")),
    (A, ("owasp-agentic-tm", "T9")),
    # "OWASP MAS guide T22" omitted (choice 6)
    (A, ("csa-maestro", "Layer 4")),
)

# --- section 2: Shared service accounts ----------------------------------------------------------
SECTION_2: tuple[Row, ...] = (
    (P, ("owasp-nhi", "NHI9:2025")),
    (S, ("owasp-nhi", "NHI10:2025")),
    (S, ("owasp-nhi", "NHI5:2025")),
    (S, ("owasp-nhi", "NHI8:2025")),
    (P, ("nist-csf", "PR.AA-01")),
    (S, ("nist-csf", "PR.AA-05")),
    (S, ("nist-csf", "PR.AA-02")),
    (S, ("nist-csf", "DE.CM-03")),
    (P, ("nist-800-53", "AC-2(9)")),
    (S, ("nist-800-53", "IA-4")),
    (S, ("nist-800-53", "AC-6")),
    (S, ("nist-800-53", "AC-5")),
    (S, ("nist-800-53", "AC-2")),
    (S, ("nist-800-53", "IA-5")),
    (S, ("nist-800-53", "IA-2")),
    (S, ("nist-800-53", "AC-2(12)")),
    # mapping.md P, recorded S (choice 2)
    (S, Cis("cis-gcp", "gcp-no-default-sa", {"3.0.0": "4.1", "5.0.0": "4.1"})),
    (S, Cis("cis-gcp", "gcp-no-default-sa-full-api", {"3.0.0": "4.2", "5.0.0": "4.2"})),
    (S, Cis("cis-gcp", "gcp-no-sa-user-token-creator-project", {"3.0.0": "1.6", "5.0.0": "1.7"})),
    (S, Cis("cis-gcp", "gcp-sa-no-admin", {"3.0.0": "1.5", "5.0.0": "1.6"})),
    (S, Cis("cis-gcp", "gcp-sa-role-sod", {"3.0.0": "1.8", "5.0.0": "1.9"})),
    (S, Cis("cis-aws", "aws-no-full-admin-policies", {"3.0.0": "1.16", "5.0.0": "1.15"})),
    (S, ("cis-controls", "4.7")),
    (A, ("owasp-agentic", "ASI03")),
    (A, ("owasp-agentic", "ASI08")),
    (A, ("owasp-agentic-tm", "T3")),
    (A, ("csa-maestro", "Layer 6")),
    (A, ("csa-maestro", "Layer 7")),
    (A, ("nist-ai-rmf", "GOVERN 2.1")),
    (A, ("nist-ai-rmf", "MEASURE 2.8")),
)

# --- section 3: Missing owner / accountability tags ----------------------------------------------
SECTION_3: tuple[Row, ...] = (
    (P, ("nist-800-53", "CM-8(4)")),
    (S, ("nist-800-53", "AC-2")),
    (S, ("nist-800-53", "CM-8")),
    (P, ("nist-csf", "GV.RR-02")),
    (S, ("nist-csf", "ID.AM-02")),
    (S, ("nist-csf", "ID.AM-08")),
    (S, ("nist-csf", "PR.AA-01")),
    (P, ("cis-controls", "5.5")),
    (S, ("owasp-nhi", "NHI1:2025")),
    (A, ("nist-ai-rmf", "GOVERN 1.6")),
    (A, ("nist-ai-rmf", "GOVERN 2.1")),
    (A, ("nist-ai-rmf", "MANAGE 2.4")),
    (A, ("owasp-agentic", "ASI03")),
    (A, ("csa-maestro", "Layer 6")),
    (A, ("csa-maestro", "Layer 5")),
)

# --- section 4: Absent TTL / rotation ------------------------------------------------------------
SECTION_4: tuple[Row, ...] = (
    (P, ("owasp-nhi", "NHI7:2025")),
    (S, ("owasp-nhi", "NHI2:2025")),
    (P, ("nist-800-53", "IA-5")),
    (S, ("nist-800-53", "SC-12")),
    (S, ("nist-800-53", "AC-12")),
    (S, ("nist-800-53", "IA-11")),
    (S, ("nist-800-53", "AC-2(2)")),
    (P, ("nist-csf", "PR.AA-01")),
    (S, ("nist-csf", "PR.AA-04")),
    (S, ("nist-csf", "PR.AA-03")),
    (S, ("nist-csf", "ID.AM-08")),
    (S, Cis("cis-aws", "aws-kms-rotation", {"3.0.0": "3.6", "5.0.0": "3.6"})),
    (S, Cis("cis-aws", "aws-key-rotation-90", {"3.0.0": "1.14", "5.0.0": "1.13"})),
    (S, Cis("cis-gcp", "gcp-kms-rotation-90", {"3.0.0": "1.10", "5.0.0": "1.11"})),
    (S, Cis("cis-gcp", "gcp-sa-key-rotation-90", {"3.0.0": "1.7", "5.0.0": "1.8"})),
    (S, Cis("cis-gcp", "gcp-api-keys-rotation-90", {"3.0.0": "1.15", "5.0.0": "1.16"})),
    (S, Cis("cis-azure", "az-kv-key-expiry-rbac", {"3.0.0": "3.3.1", "5.0.0": "8.3.1"})),
    (S, Cis("cis-azure", "az-kv-key-expiry-nonrbac", {"3.0.0": "3.3.2", "5.0.0": "8.3.2"})),
    (S, Cis("cis-azure", "az-kv-secret-expiry-rbac", {"3.0.0": "3.3.3", "5.0.0": "8.3.3"})),
    (S, Cis("cis-azure", "az-kv-secret-expiry-nonrbac", {"3.0.0": "3.3.4", "5.0.0": "8.3.4"})),
    (S, Cis("cis-azure", "az-kv-auto-key-rotation", {"3.0.0": "3.3.8", "5.0.0": "8.3.9"})),
    (S, Cis("cis-azure", "az-kv-cert-validity-12m", {"5.0.0": "8.3.11"}, optional=True)),
    (S, Cis("cis-azure", "az-storage-key-rotation-reminders", {"3.0.0": "4.3", "5.0.0": "9.3.1.1"})),
    (S, Cis("cis-azure", "az-sas-expire-1h", {"3.0.0": "4.5"}, optional=True)),
    (S, Cis("cis-azure", "az-databricks-pat-expiry", {"5.0.0": "2.1.6"}, optional=True)),
    (S, ("aws-fsbp", "KMS.4")),
    (S, ("aws-fsbp", "SecretsManager.1")),
    (S, ("aws-fsbp", "SecretsManager.4")),
    (A, ("owasp-agentic", "ASI03")),
    (A, ("owasp-agentic", "ASI10")),
    (A, ("csa-maestro", "Layer 4")),
    (A, ("csa-maestro", "Layer 6")),
)

# --- section 5: Cross-environment credential reuse -----------------------------------------------
SECTION_5: tuple[Row, ...] = (
    (P, ("owasp-nhi", "NHI8:2025")),
    (S, ("owasp-nhi", "NHI6:2025")),
    (S, ("owasp-nhi", "NHI9:2025")),
    (P, ("nist-csf", "PR.IR-01")),
    (S, ("nist-csf", "PR.AA-04")),
    (S, ("nist-csf", "PR.AA-05")),
    (P, ("nist-800-53", "SC-32")),
    (S, ("nist-800-53", "AC-3")),
    (S, ("nist-800-53", "AC-6")),
    (S, ("nist-800-53", "IA-9")),
    (P, ("cis-controls", "16.8")),
    (S, Cis("cis-aws", "aws-ou-by-environment", {"7.0.0": "2.1.4"}, optional=True)),
    (S, Cis("cis-aws", "aws-no-principal-star", {"7.0.0": "2.21"}, optional=True)),
    (A, ("owasp-agentic", "ASI03")),
    (A, ("owasp-agentic", "ASI08")),
    (A, ("csa-maestro", "Layer 4")),
    (A, ("csa-maestro", "Cross-Layer")),
)

# --- section 6: Agentic-AI-specific P rows, added to every family's agentic list (choice 5) -----
SECTION_6_AGENTIC: tuple[Ref, ...] = (
    ("owasp-agentic", "ASI03"),
    ("owasp-agentic-tm", "T3"),
    ("csa-maestro", "Layer 4"),
    ("nist-ai-rmf", "MEASURE 2.7"),
)

HARDCODED_OVERRIDES: dict[tuple[str, str], str] = {
    ("owasp-nhi", "NHI2:2025"): P,
    ("nist-800-53", "IA-5(7)"): P,
    ("owasp-nhi", "NHI7:2025"): S,
}


def _hardcoded(rows: tuple[Row, ...]) -> tuple[Row, ...]:
    out: list[Row] = []
    for level, ref in rows:
        new_level = HARDCODED_OVERRIDES.get(ref, level) if isinstance(ref, tuple) else level
        out.append((new_level, ref))
    return tuple(out)


FAMILY_ROWS: dict[str, tuple[Row, ...]] = {
    "long-lived-credential": SECTION_1,
    "hardcoded-secret": _hardcoded(SECTION_1),
    "shared-identity": SECTION_2,
    "missing-owner": SECTION_3,
    "missing-rotation": SECTION_4,
    "cross-environment-reuse": SECTION_5,
}


# --- building ------------------------------------------------------------------------------------


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise BuildError(f"unexpected benchmark version {version!r}") from None


def _text(value: Any, where: str, *, nullable: bool = False) -> str | None:
    """A string field; YAML numbers (``1.10`` -> 1.1) or other types are errors, not coerced."""
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BuildError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _str(value: Any, where: str) -> str:
    text = _text(value, where)
    assert text is not None
    return text


def _guid(url: str | None, name: str) -> str:
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, url or name))
    if not GUID_RE.match(guid):
        raise BuildError(f"GUID {guid} for {name} does not match the SARIF GUID pattern")
    return guid


def _cis_title(control: dict[str, Any], version: str, where: str) -> str:
    """The title controls.yaml gives for ``version``: the per-version variant, else ``title``."""
    variants = control.get("title_variants") or {}
    seen: set[str] = set()
    while isinstance(variants, dict) and version in variants and version not in seen:
        seen.add(version)
        variant = _str(variants[version], f"{where}.title_variants[{version}]")
        same_as = SAME_AS_RE.match(variant)
        if same_as is None:
            return variant
        version = same_as.group(1)
    return _str(control.get("title"), f"{where}.title")


def _referenced_cis_keys(framework_key: str) -> tuple[set[str], dict[str, Cis]]:
    required: set[str] = set()
    refs: dict[str, Cis] = {}
    for rows in FAMILY_ROWS.values():
        for _, ref in rows:
            if isinstance(ref, Cis) and ref.framework == framework_key:
                refs.setdefault(ref.key, ref)
                if not ref.optional:
                    required.add(ref.key)
    return required, refs


def _pin_version(framework_key: str, source: dict[str, Any]) -> str:
    by_key = {c.get("key"): c for c in source["controls"]}
    required, refs = _referenced_cis_keys(framework_key)
    for key, ref in sorted(refs.items()):
        entry = by_key.get(key)
        if entry is None:
            raise BuildError(f"{framework_key}: mapping row {key!r} is not a key in controls.yaml")
        ids = entry.get("ids") or {}
        for version, written in sorted(ref.written.items()):
            actual = ids.get(version)
            if actual != written:
                raise BuildError(
                    f"{framework_key}: {key} is {written!r} in v{version} per mapping.md "
                    f"but {actual!r} in controls.yaml"
                )
    versions = [_str(v, f"{framework_key}.versions_covered") for v in source.get("versions_covered") or []]
    for version in sorted(versions, key=_version_key, reverse=True):
        if all((by_key[key].get("ids") or {}).get(version) is not None for key in required):
            return version
    raise BuildError(f"{framework_key}: no version in {versions} has ids for all of {sorted(required)}")


def _framework(
    framework_key: str, source: dict[str, Any], used: set[tuple[str, str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """One framework's JSON, plus (for CIS) the map controls.yaml key -> pinned id."""
    where = f"controls.yaml framework {source.get('id')}"
    name = _str(source.get("name"), f"{where}.name")
    url = _text(source.get("url"), f"{where}.url", nullable=True)
    controls: list[dict[str, Any]] = []
    key_to_id: dict[str, str] = {}
    if framework_key in CIS_BENCHMARKS:
        version: str | None = _pin_version(framework_key, source)
        for index, entry in enumerate(source["controls"]):
            cwhere = f"{where}.controls[{index}]"
            key = _str(entry.get("key"), f"{cwhere}.key")
            pinned = (entry.get("ids") or {}).get(version)
            if pinned is None:
                continue
            control_id = _str(pinned, f"{cwhere}.ids[{version}]")
            assert version is not None
            key_to_id[key] = control_id
            controls.append(
                {
                    "id": control_id,
                    "title": _cis_title(entry, version, cwhere),
                    "url": _text(entry.get("url"), f"{cwhere}.url", nullable=True),
                    "summary": _str(entry.get("summary"), f"{cwhere}.summary"),
                }
            )
    else:
        version = _text(source.get("version"), f"{where}.version", nullable=True)
        for index, entry in enumerate(source["controls"]):
            cwhere = f"{where}.controls[{index}]"
            control_id = _str(entry.get("id"), f"{cwhere}.id")
            status = entry.get("status")
            if status == "withdrawn":
                continue
            if status == "context-only" and (framework_key, control_id) not in used:
                continue
            if status not in (None, "context-only"):
                raise BuildError(f"{cwhere}: unknown status {status!r}")
            controls.append(
                {
                    "id": control_id,
                    "title": _str(entry.get("title"), f"{cwhere}.title"),
                    "url": _text(entry.get("url"), f"{cwhere}.url", nullable=True),
                    "summary": _str(entry.get("summary"), f"{cwhere}.summary"),
                }
            )
    ids = [c["id"] for c in controls]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BuildError(f"{framework_key}: duplicate control ids {duplicates}")
    if not controls:
        raise BuildError(f"{framework_key}: no controls")
    framework = {
        "key": framework_key,
        "name": name,
        "version": version,
        "url": url,
        "guid": _guid(url, name),
        "controls": controls,
    }
    return framework, key_to_id


def _plain_pairs() -> set[tuple[str, str]]:
    pairs = {ref for rows in FAMILY_ROWS.values() for _, ref in rows if isinstance(ref, tuple)}
    return pairs | {ref for ref in SECTION_6_AGENTIC if isinstance(ref, tuple)}


def build(catalog: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The frameworks.json document; ``notes`` collects the optional rows that were dropped."""
    if catalog.get("schema_version") != 1:
        raise BuildError(f"controls.yaml schema_version {catalog.get('schema_version')!r} is not 1")
    by_id: dict[str, dict[str, Any]] = {}
    for entry in catalog.get("frameworks") or []:
        by_id[_str(entry.get("id"), "controls.yaml framework id")] = entry
    used = _plain_pairs()
    frameworks: list[dict[str, Any]] = []
    cis_ids: dict[str, dict[str, str]] = {}
    known: set[tuple[str, str]] = set()
    for framework_key, source_id in FRAMEWORKS:
        if source_id not in by_id:
            raise BuildError(f"framework {source_id!r} ({framework_key}) is not in controls.yaml")
        framework, key_to_id = _framework(framework_key, by_id[source_id], used)
        frameworks.append(framework)
        cis_ids[framework_key] = key_to_id
        known |= {(framework_key, c["id"]) for c in framework["controls"]}

    def resolve(ref: Ref, family: str) -> tuple[str, str] | None:
        if isinstance(ref, Cis):
            control_id = cis_ids[ref.framework].get(ref.key)
            if control_id is None:
                if ref.optional:
                    notes.append(f"{family}: {ref.framework} {ref.key} has no id in the pinned version; dropped")
                    return None
                raise BuildError(f"{family}: {ref.framework} {ref.key} has no id in the pinned version")
            pair = (ref.framework, control_id)
        else:
            pair = ref
        if pair not in known:
            raise BuildError(f"{family}: {pair[0]}/{pair[1]} is not a control of the emitted frameworks")
        return pair

    families: dict[str, dict[str, list[list[str]]]] = {}
    for family in FAMILIES:
        levels: dict[str, list[tuple[str, str]]] = {level: [] for level in LEVELS}
        rows = list(FAMILY_ROWS[family]) + [(A, ref) for ref in SECTION_6_AGENTIC]
        for level, ref in rows:
            pair = resolve(ref, family)
            if pair is None or pair in levels[level]:
                continue
            levels[level].append(pair)
        both = set(levels[P]) & set(levels[S])
        if both:
            raise BuildError(f"{family}: {sorted(both)} are both primary and secondary")
        if not levels[P]:
            raise BuildError(f"{family}: no primary mapping")
        families[family] = {level: [list(pair) for pair in pairs] for level, pairs in levels.items()}

    return {
        "schema_version": SCHEMA_VERSION,
        "source": {
            "file": "frameworks/controls.yaml",
            "schema_version": catalog.get("schema_version"),
            "generated": _str(catalog.get("generated"), "controls.yaml generated"),
        },
        "frameworks": frameworks,
        "families": families,
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("controls", nargs="?", type=Path, default=DEFAULT_INPUT, help="controls.yaml")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="frameworks.json to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if --output is not up to date")
    args = parser.parse_args(argv)
    controls: Path = args.controls if args.controls.is_absolute() else Path.cwd() / args.controls
    try:
        with open(controls, encoding="utf-8") as handle:
            catalog = yaml.safe_load(handle)
        if not isinstance(catalog, dict):
            raise BuildError(f"{controls}: not a mapping")
        notes: list[str] = []
        text = render(build(catalog, notes))
    except (OSError, yaml.YAMLError, BuildError) as exc:
        print(f"build_frameworks: error: {exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"build_frameworks: note: {note}", file=sys.stderr)
    output: Path = args.output
    if args.check:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != text:
            print(f"build_frameworks: {output} is out of date; rerun tools/build_frameworks.py", file=sys.stderr)
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    print(f"build_frameworks: wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
