"""Pull-request reports of an Evaluation: SARIF 2.1.0, JUnit XML (junit-xml) and GitHub workflow annotations."""

from __future__ import annotations

import importlib.metadata
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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


def tool_version() -> str:
    try:
        return importlib.metadata.version("kubecvm")
    except importlib.metadata.PackageNotFoundError:  # a checkout that was never installed
        return "0+unknown"


# A camelCase setting path as remediations write it: controlPlane.count, nodePools[].zones, apiEndpoint.exposure.
_SETTING = re.compile(r"\b[a-z][A-Za-z0-9]*(?:\[\]|\[[0-9]+\])?(?:\.[a-z][A-Za-z0-9]*(?:\[\])?)*")


@dataclass(frozen=True)
class Source:
    """The file findings point at (the stack file, as a path relative to the repository root, which code scanning
    and annotations resolve) and the line of each setting written in it (stacks/locations.py)."""

    uri: str
    lines: Mapping[str, int] = field(default_factory=dict)

    def line(self, policy: str, infos: Mapping[str, PolicyInfo]) -> int:
        """The line of the first setting the policy's remediation names that the file sets, else of the cluster's
        settings (kubecvm:cluster, then kubecvm:preset), else 1."""
        info = infos.get(policy)
        for path in _SETTING.findall(info.remediation if info else ""):
            if path in self.lines:
                return self.lines[path]
        return self.lines.get("kubecvm:cluster") or self.lines.get("kubecvm:preset") or 1


def _location(urn: str | None, where: tuple[str, int] | None) -> dict:
    loc: dict = {
        "logicalLocations": [{"name": resource_name(urn), "fullyQualifiedName": urn or "stack", "kind": "resource"}]
    }
    if where:
        # Code scanning shows a result only at a file: the stack file and the setting's line.
        loc["physicalLocation"] = {"artifactLocation": {"uri": where[0]}, "region": {"startLine": where[1]}}
    return loc


def _where(source: Source | None, policy: str, by_id: Mapping[str, PolicyInfo]) -> tuple[str, int] | None:
    return (source.uri, source.line(policy, by_id)) if source else None


def sarif(evaluation: Evaluation, infos: Sequence[PolicyInfo], *, source: Source | None = None) -> str:
    """One run, one rule entry (with help text) per policy, one result per violation and per waiver (suppressed),
    each at the stack file's line of the setting concerned when `source` is given."""
    index = {info.id: i for i, info in enumerate(infos)}
    by_id = {info.id: info for info in infos}
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
            "locations": [_location(v.urn, _where(source, v.policy, by_id))],
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
            "locations": [_location(w.urn, _where(source, w.policy, by_id))],
            "suppressions": [{"kind": "external", "status": "accepted", "justification": w.reason}],
        }
        for w in evaluation.waivers
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL, "version": tool_version(), "rules": rules}},
                "results": results,
                **({"artifacts": [{"location": {"uri": source.uri}}]} if source else {}),
            }
        ],
    }
    return json.dumps(log, indent=2)


def junit(evaluation: Evaluation, infos: Sequence[PolicyInfo], *, source: Source | None = None) -> str:
    """One test case per policy x resource checked, at the stack file (and the setting's line) when `source` is
    given; failures carry the violation messages, waivers are noted."""
    groups = {info.id: info.group for info in infos}
    by_id = {info.id: info for info in infos}
    cases = []
    for check in evaluation.checks:
        where = _where(source, check.policy, by_id)
        tc = TestCase(
            name=f"{check.policy} [{resource_name(check.urn)}]",
            classname=f"{TOOL}.{groups.get(check.policy, 'policy')}.{check.policy}",
            file=where[0] if where else None,
            line=where[1] if where else None,
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


def _at(source: Source | None, policy: str, by_id: Mapping[str, PolicyInfo]) -> str:
    """`file=F,line=N,` of a workflow command, so the annotation sits on the stack file in the pull request."""
    where = _where(source, policy, by_id)
    return f"file={_escape_property(where[0])},line={where[1]}," if where else ""


def github(evaluation: Evaluation, infos: Sequence[PolicyInfo] = (), *, source: Source | None = None) -> str:
    """Workflow commands: ::error for mandatory, ::warning for advisory, ::notice for each waiver; at the stack
    file and the setting's line when `source` is given
    (https://docs.github.com/actions/reference/workflow-commands-for-github-actions#setting-an-error-message)."""
    by_id = {info.id: info for info in infos}
    lines = []
    for v in evaluation.violations:
        kind = "error" if v.enforcement == "mandatory" else "warning"
        title = _escape_property(f"{v.policy} ({resource_name(v.urn)})")
        lines.append(f"::{kind} {_at(source, v.policy, by_id)}title={title}::{_escape_data(v.message)}")
    for w in evaluation.waivers:
        title = _escape_property(f"{w.policy} ({resource_name(w.urn)}) exempted")
        lines.append(
            f"::notice {_at(source, w.policy, by_id)}title={title}::{_escape_data(f'until {w.expires}: {w.reason}')}"
        )
    return "\n".join(lines) + ("\n" if lines else "")
