"""SARIF 2.1.0 for GitHub code scanning and every other SARIF consumer.

Built from sarif-om objects and serialised by :func:`to_json_data`, a small serialiser that
uses each attribute's ``schema_property_name`` and drops values equal to their defaults (sarif-om's
attrs defaults such as ``rank: -1`` and ``level: "warning"`` would otherwise leak into every
result).  What GitHub reads and its limits are in ``research/sarif-github.md``; the choices
below follow it: ``security-severity`` is a numeric string, at most 20 tags per rule, one run
with a stable ``automationDetails.id``, taxonomies for the frameworks (ignored by GitHub, read by
other tools) mirrored into tags (which GitHub shows), suppressed findings kept with
``suppressions`` and every result carrying the (possibly empty) ``suppressions`` list.
"""

from __future__ import annotations

from typing import Any

import attr
import sarif_om as om

from nhigate import __version__
from nhigate.catalog import SECURITY_SEVERITY, SEVERITIES, Check
from nhigate.engine import ScanResult
from nhigate.findings import Finding, path_text
from nhigate.frameworks import Framework, frameworks, tag_for
from nhigate.report.text import help_markdown, help_text

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
MAX_TAGS = 20
GITHUB_MAX_RESULTS = 25_000
GITHUB_MAX_LOCATIONS = 1_000
SEVERITY_ORDER = SEVERITIES
GITHUB_MAX_GZIP_BYTES = 10 * 1024 * 1024
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SOURCE_LANGUAGE = {"terraform": "terraform", "tfvars": "terraform", "plan": "json", "cloudformation": "cloudformation"}


def to_json_data(value: Any) -> Any:
    """sarif-om objects to JSON-ready data: schema names, defaults dropped, None dropped."""
    if attr.has(type(value)):
        out: dict[str, Any] = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            if item is None:
                continue
            default = field.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if default is not attr.NOTHING and item == default:
                continue
            out[field.metadata.get("schema_property_name", field.name)] = to_json_data(item)
        return out
    if isinstance(value, dict):
        return {k: to_json_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_data(v) for v in value]
    return value


def _rule_tags(check: Check) -> list[str]:
    tags = ["security", check.family]
    if check.agentic != "never":
        tags.append("agentic")
    for framework, control_id in check.framework_pairs(agentic=False):
        if len(tags) >= MAX_TAGS:
            break
        tags.append(tag_for(framework, control_id))
    return tags


def _relationships(check: Check, catalog_frameworks: dict[str, Framework]) -> list[om.ReportingDescriptorRelationship]:
    out = []
    for framework_key, control_id in check.framework_pairs(agentic=check.agentic != "never"):
        framework = catalog_frameworks[framework_key]
        out.append(
            om.ReportingDescriptorRelationship(
                target=om.ReportingDescriptorReference(
                    id=control_id, tool_component=om.ToolComponentReference(name=framework.key, guid=framework.guid)
                ),
                kinds=["superset"],
            )
        )
    return out


def _rule(check: Check, catalog_frameworks: dict[str, Framework]) -> om.ReportingDescriptor:
    what = " ".join(str(check.docs["what_it_flags"]).split())
    return om.ReportingDescriptor(
        id=check.id,
        name=check.name,
        short_description=om.MultiformatMessageString(text=check.title),
        full_description=om.MultiformatMessageString(text=what[:1024]),
        help=om.MultiformatMessageString(text=help_text(check), markdown=help_markdown(check)),
        help_uri=check.help_uri,
        default_configuration=om.ReportingConfiguration(level=_LEVEL[check.severity]),
        relationships=_relationships(check, catalog_frameworks) or None,
        properties={"tags": _rule_tags(check)},
    )


def _taxonomy(framework: Framework) -> om.ToolComponent:
    return om.ToolComponent(
        name=framework.key,
        full_name=framework.name,
        guid=framework.guid,
        version=framework.version,
        information_uri=framework.url,
        is_comprehensive=False,
        taxa=[
            om.ReportingDescriptor(
                id=control.id,
                short_description=om.MultiformatMessageString(text=control.title),
                help_uri=control.url,
            )
            for control in framework.controls.values()
        ],
    )


def _location(
    file: str, finding_span: Any, index: int | None, message: str | None = None, address: str = ""
) -> om.Location:
    return om.Location(
        physical_location=om.PhysicalLocation(
            artifact_location=om.ArtifactLocation(uri=file, uri_base_id=SRCROOT, index=index),
            region=om.Region(
                start_line=finding_span.line,
                start_column=finding_span.column,
                end_line=finding_span.end_line,
                end_column=max(finding_span.end_column, 1),
            ),
        ),
        logical_locations=[om.LogicalLocation(fully_qualified_name=address, kind="resource")] if address else None,
        message=om.Message(text=message) if message else None,
    )


def _result(finding: Finding, check: Check, rule_index: int, artifact_index: dict[str, int]) -> om.Result:
    properties: dict[str, Any] = {"severity": finding.severity, "family": check.family}
    if finding.address:
        properties["resource"] = finding.address
        properties["resourceType"] = finding.resource_type
    if finding.path:
        properties["attribute"] = path_text(finding.path)
    if finding.agentic:
        properties["tags"] = ["agentic"]
    # sarif-om 1.0.4 predates the final spec here (``state`` instead of ``status``): plain dicts.
    suppressions: list[dict[str, Any]] = []
    if finding.suppression is not None:
        suppression = {"kind": finding.suppression["kind"], "status": "accepted"}
        if finding.suppression.get("justification"):
            suppression["justification"] = finding.suppression["justification"]
        suppressions.append(suppression)
    result = om.Result(
        rule_id=finding.rule_id,
        rule_index=rule_index,
        level=_LEVEL[finding.severity],
        message=om.Message(text=finding.message),
        locations=[_location(finding.file, finding.span, artifact_index.get(finding.file), address=finding.address)],
        partial_fingerprints={"nhigate/v1": finding.fingerprint},
        related_locations=[_location(r.file, r.span, artifact_index.get(r.file), r.message) for r in finding.related]
        or None,
        properties=properties,
    )
    result.suppressions = suppressions
    if finding.baseline_state:
        result.baseline_state = finding.baseline_state
    return result


def build_sarif(scan: ScanResult, category: str = "nhigate/") -> dict[str, Any]:
    """The whole SARIF log as JSON-ready data (deterministic: no timestamps, sorted inputs).

    Kept within GitHub code scanning's upload limits: above 25,000 results (or 10 MB gzipped) the
    least severe results are dropped and a notification says how many, so the upload is never
    rejected and what is missing is visible.
    """
    data = _build(scan, category, scan.findings, [])
    kept = list(scan.findings)
    while len(kept) > GITHUB_MAX_RESULTS or (kept and _gzip_size(data) > GITHUB_MAX_GZIP_BYTES):
        limit = min(len(kept) // 2 if len(kept) <= GITHUB_MAX_RESULTS else GITHUB_MAX_RESULTS, len(kept) - 1)
        kept = sorted(kept, key=lambda f: (SEVERITY_ORDER.index(f.severity), f.sort_key()))[:limit]
        kept.sort(key=Finding.sort_key)
        dropped = len(scan.findings) - len(kept)
        note = (
            f"{dropped} lower-severity result(s) were left out to stay within GitHub code scanning limits; "
            "the JSON report has every finding"
        )
        data = _build(scan, category, kept, [note])
    return data


def _gzip_size(data: dict[str, Any]) -> int:
    import gzip
    import json

    return len(gzip.compress(json.dumps(data).encode("utf-8"), compresslevel=6))


def _build(scan: ScanResult, category: str, findings: list[Finding], extra_notes: list[str]) -> dict[str, Any]:
    catalog_frameworks = frameworks()
    checks = list(scan.catalog.values())
    rule_index = {check.id: i for i, check in enumerate(checks)}
    artifacts = []
    artifact_index: dict[str, int] = {}
    for i, record in enumerate(sorted(scan.files, key=lambda f: f.path)):
        artifact_index[record.path] = i
        artifacts.append(
            om.Artifact(
                location=om.ArtifactLocation(uri=record.path, uri_base_id=SRCROOT),
                roles=["analysisTarget"],
                source_language=_SOURCE_LANGUAGE.get(record.format or ""),
                properties={"status": record.status},
            )
        )
    notifications = [
        om.Notification(
            level=n.level,
            message=om.Message(text=n.message),
            locations=[
                om.Location(
                    physical_location=om.PhysicalLocation(
                        artifact_location=om.ArtifactLocation(
                            uri=n.file, uri_base_id=SRCROOT, index=artifact_index.get(n.file)
                        ),
                        region=om.Region(start_line=n.line) if n.line else None,
                    )
                )
            ]
            if n.file
            else None,
            associated_rule=om.ReportingDescriptorReference(id=n.rule_id, index=rule_index.get(n.rule_id))
            if n.rule_id in rule_index
            else None,
        )
        for n in scan.notifications
    ]
    notifications += [om.Notification(level="warning", message=om.Message(text=note)) for note in extra_notes]
    results = [_result(f, scan.catalog[f.rule_id], rule_index[f.rule_id], artifact_index) for f in findings]
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="nhigate",
                semantic_version=__version__,
                version=__version__,
                information_uri="https://owasp.org/www-project-non-human-identities-top-10/",
                rules=[_rule(check, catalog_frameworks) for check in checks],
                supported_taxonomies=[
                    om.ToolComponentReference(name=fw.key, guid=fw.guid) for fw in catalog_frameworks.values()
                ],
            )
        ),
        automation_details=om.RunAutomationDetails(id=category),
        original_uri_base_ids={
            SRCROOT: om.ArtifactLocation(description=om.Message(text="The directory nhigate ran in."))
        },
        artifacts=artifacts,
        invocations=[
            om.Invocation(
                execution_successful=not any(n.level == "error" and n.rule_id != "NHI001" for n in scan.notifications),
                tool_execution_notifications=notifications or None,
            )
        ],
        results=results,
        baseline_guid=scan.baseline_guid,
        taxonomies=[_taxonomy(fw) for fw in catalog_frameworks.values()],
        column_kind="unicodeCodePoints",
    )
    log = om.SarifLog(version="2.1.0", schema_uri=SARIF_SCHEMA_URI, runs=[run])
    data: dict[str, Any] = to_json_data(log)
    for rule_data, check in zip(data["runs"][0]["tool"]["driver"]["rules"], checks, strict=True):
        rule_data["properties"]["family"] = check.family
        rule_data["properties"]["security-severity"] = SECURITY_SEVERITY[check.severity]
        rule_data["properties"]["precision"] = check.precision
    return data
