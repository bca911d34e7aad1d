"""Pull-request reports of an Evaluation: SARIF 2.1.0, JUnit XML (junit-xml) and GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence

from junit_xml import TestCase, TestSuite, to_xml_report_string

from .engine import Evaluation, PolicyInfo, Violation

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "kubecvm"


def resource_name(urn: str | None) -> str:
    """A URN's last part is the resource name; stack-level findings belong to the stack."""
    return urn.rsplit("::", 1)[-1] if urn else "stack"


def level(v: Violation) -> str:
    """SARIF level: mandatory blocks (error); advisory warns, low-severity advisories are notes."""
    if v.enforcement == "mandatory":
        return "error"
    return "note" if v.severity == "low" else "warning"


def _location(urn: str | None, artifact: str | None) -> dict:
    loc: dict = {"logicalLocations": [{"name": resource_name(urn), "fullyQualifiedName": urn or "stack", "kind": "resource"}]}
    if artifact:
        # Code scanning wants a file: the stack file the resources come from.
        loc["physicalLocation"] = {"artifactLocation": {"uri": artifact}, "region": {"startLine": 1}}
    return loc


def sarif(evaluation: Evaluation, infos: Sequence[PolicyInfo], *, artifact: str | None = None) -> str:
    """One run, one rule entry (with help text) per policy, one result per violation and per waiver (suppressed)."""
    index = {info.id: i for i, info in enumerate(infos)}
    rules = [
        {
            "id": info.id,
            "name": info.id,
            "shortDescription": {"text": info.description},
            "fullDescription": {"text": info.description},
            "help": {"text": info.remediation, "markdown": f"**{info.id}** ({info.severity})\n\n{info.remediation}"},
            "properties": {"tags": [info.group], "severity": info.severity},
        }
        for info in infos
    ]
    results = [
        {
            "ruleId": v.policy,
            **({"ruleIndex": index[v.policy]} if v.policy in index else {}),
            "level": level(v),
            "message": {"text": v.message},
            "locations": [_location(v.urn, artifact)],
            "properties": {"enforcement": v.enforcement, "severity": v.severity},
        }
        for v in evaluation.violations
    ]
    results += [
        {
            "ruleId": w.policy,
            **({"ruleIndex": index[w.policy]} if w.policy in index else {}),
            "level": "note",
            "message": {"text": f"exempted until {w.expires}: {w.reason}"},
            "locations": [_location(w.urn, artifact)],
            "suppressions": [{"kind": "external", "status": "accepted", "justification": w.reason}],
        }
        for w in evaluation.waivers
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": TOOL, "rules": rules}}, "results": results}],
    }
    return json.dumps(log, indent=2)


def junit(evaluation: Evaluation, infos: Sequence[PolicyInfo]) -> str:
    """One test case per policy x resource checked; failures carry the violation messages, waivers are noted."""
    groups = {info.id: info.group for info in infos}
    cases = []
    for check in evaluation.checks:
        tc = TestCase(
            name=f"{check.policy} [{resource_name(check.urn)}]",
            classname=f"{TOOL}.{groups.get(check.policy, 'policy')}.{check.policy}",
            file=check.urn or "stack",
        )
        found = [v for v in evaluation.violations if v.policy == check.policy and v.urn == check.urn]
        if not check.passed:
            tc.add_failure_info(
                message="; ".join(v.message for v in found) or "failed",
                failure_type=found[0].enforcement if found else "mandatory",
            )
        waived = [w for w in evaluation.waivers if w.policy == check.policy and w.urn == check.urn]
        if waived:
            tc.stdout = "\n".join(f"exempted until {w.expires}: {w.reason}" for w in waived)
        cases.append(tc)
    return to_xml_report_string([TestSuite(TOOL, cases)])


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(evaluation: Evaluation) -> str:
    """Workflow commands: ::error for mandatory, ::warning for advisory, ::notice for each waiver."""
    lines = []
    for v in evaluation.violations:
        kind = "error" if v.enforcement == "mandatory" else "warning"
        title = _escape_property(f"{v.policy} ({resource_name(v.urn)})")
        lines.append(f"::{kind} title={title}::{_escape_data(v.message)}")
    for w in evaluation.waivers:
        title = _escape_property(f"{w.policy} ({resource_name(w.urn)}) exempted")
        lines.append(f"::notice title={title}::{_escape_data(f'until {w.expires}: {w.reason}')}")
    return "\n".join(lines) + ("\n" if lines else "")
