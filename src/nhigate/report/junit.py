"""JUnit XML for CI systems that show test results: one test case per check and file.

A test case fails when the file has findings of that check that fail the gate; findings below
``--fail-on`` or suppressed are listed in ``system-out`` so the report stays complete.  Every
unparsable file is a failing ``NHI001`` case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from nhigate.engine import ScanResult
from nhigate.findings import Finding, path_text
from nhigate.gate import Gate


def _line(finding: Finding) -> str:
    where = finding.address + (f" ({path_text(finding.path)})" if finding.path else "")
    return f"{finding.file}:{finding.span.line}: {finding.severity}: {where or 'file'}: {finding.message}"


def build_junit(scan: ScanResult, gate: Gate) -> str:
    failing = {id(f) for f in gate.failing}
    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in scan.findings:
        by_case[(finding.rule_id, finding.file)].append(finding)
    cases = sorted(set(scan.evaluated) | set(by_case))
    root = ET.Element("testsuites", name="nhigate")
    total = failures = 0
    for check_id in sorted({c for c, _ in cases}):
        check = scan.catalog[check_id]
        suite = ET.SubElement(root, "testsuite", name=f"{check.id} {check.name}")
        suite_tests = suite_failures = 0
        for _, file in (c for c in cases if c[0] == check_id):
            findings = by_case.get((check_id, file), [])
            case = ET.SubElement(suite, "testcase", classname=f"nhigate.{check.id}", name=file, file=file)
            suite_tests += 1
            gate_failing = [f for f in findings if id(f) in failing]
            if gate_failing:
                suite_failures += 1
                failure = ET.SubElement(
                    case, "failure", message=f"{len(gate_failing)} finding(s): {check.title}", type=check.severity
                )
                failure.text = "\n".join(_line(f) for f in gate_failing)
            others = [f for f in findings if id(f) not in failing]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(
                    _line(f) + (" [suppressed]" if f.suppression else " [below fail-on]") for f in others
                )
        suite.set("tests", str(suite_tests))
        suite.set("failures", str(suite_failures))
        total += suite_tests
        failures += suite_failures
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
