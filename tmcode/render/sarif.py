"""SARIF 2.1.0 as GitHub code scanning reads it, pointing at the model's lines."""

from __future__ import annotations

import json
from typing import Any

from tmcode.render.base import Renderer
from tmcode.render.escape import json_text, relative_path, reveal
from tmcode.render.wording import (
    assumption_note,
    more_paths,
    partly_met,
    set_state,
    status_counts,
    verdict,
)
from tmcode.report import Finding, Report, Severity, Status

# Related locations per result: an evidence list can be long (an agent's every permission).
RELATED_LIMIT = 30
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_text = json.JSONEncoder(ensure_ascii=False).encode
_LEVEL = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "note",
    Severity.info: "note",
}
# GitHub buckets security-severity: >= 9.0 critical, >= 7.0 high, >= 4.0 medium, else low.
_SECURITY_SEVERITY = {
    Severity.critical: "9.5",
    Severity.high: "8.0",
    Severity.medium: "5.5",
    Severity.low: "3.0",
    Severity.info: "1.0",
}


def _kebab(title: str) -> str:
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in title).split()
    return "-".join(words)


def _rule(compiled: Any) -> dict[str, Any]:
    from tmcode.severity import rated

    t = compiled.threat
    base = rated(t.severity)
    mitigations = " or ".join("{" + ", ".join(f"`{c}`" for c in s.all) + "}" for s in t.mitigations)
    markdown = (
        f"**{t.title}** ({t.id})\n\n**What it detects.** {t.docs.what_it_detects}\n\n"
        f"**Why it matters.** {t.docs.why_it_matters}\n\n**Example.** {t.docs.example}\n\n"
        f"**Mitigations.** {t.docs.mitigations} Declare one of: {mitigations}.\n\n"
        f"**Known limitations.** {t.docs.limitations}\n\n**References.** "
        + ", ".join(f"`{r}`" for r in t.references)
    )
    return {
        "id": t.id,
        "name": _kebab(t.title),
        "shortDescription": {"text": t.title},
        "fullDescription": {"text": t.docs.what_it_detects},
        "help": {"text": f"{t.docs.why_it_matters} {t.docs.mitigations}", "markdown": markdown},
        "defaultConfiguration": {"level": _LEVEL[base]},
        "properties": {
            "tags": ["security", "threat-model", *t.references],
            "security-severity": _SECURITY_SEVERITY[base],
            "precision": "high",
        },
    }


def _location(locations: dict[str, Any], uri: str, address: str) -> dict[str, Any] | None:
    where = locations.get(address)
    if where is None or where.line is None:
        return None
    region = {"startLine": where.line}
    if where.column:
        region["startColumn"] = where.column
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
            "region": region,
        },
        "logicalLocations": [{"fullyQualifiedName": address, "kind": "element"}],
    }


class SarifRenderer(Renderer):
    """One rule per catalog threat, one result per open, expired, accepted or false-positive finding."""

    name = "sarif"
    suffix = ".sarif"

    def _result(
        self, sources: dict[str, tuple[dict[str, Any], str]], f: Finding, rule_index: int
    ) -> dict[str, Any]:
        source = sources.get(f.location.file)
        locations, uri = source if source is not None else ({}, relative_path(f.location.file))
        location = _location(locations, uri, f.target) or {
            "physicalLocation": {
                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": f.location.line or 1},
            },
            "logicalLocations": [{"fullyQualifiedName": f.target, "kind": "element"}],
        }
        related = []
        for index, element in enumerate(e for e in f.elements if e != f.target):
            where = _location(locations, uri, element)
            if where is not None:
                related.append({"id": index, "message": {"text": reveal(element)}, **where})
                if len(related) == RELATED_LIMIT:
                    break
        missing = " or ".join("{" + ", ".join(cs.missing) + "}" for cs in f.controls)
        text = f"{f.title}: {f.message}."
        note = assumption_note(f)
        if note:
            text += f" It {note}."
        if f.paths:
            text += "".join(f" {p.label}: " + " → ".join(p.elements) + "." for p in f.paths)
            if f.paths_left_out:
                text += f" {more_paths(f.paths_left_out).capitalize()}."
        elif len(f.elements) > 1:
            text += " Path: " + " → ".join(f.elements) + "."
        text += (
            f" Mitigate with {missing}." if missing else " Make the model and the repository agree."
        )
        partly = partly_met(f, str)
        if partly:
            text += f" Closest: {partly}."
        result: dict[str, Any] = {
            "ruleId": f.threat,
            "ruleIndex": rule_index,
            "level": _LEVEL[f.severity],
            "message": {"text": reveal(text)},  # code scanning shows it: nothing hidden
            "locations": [location],
            "partialFingerprints": {"tmcode/v1": f.id},
            "properties": {
                "severity": f.severity.value,
                "status": f.status.value,
                "security-severity": _SECURITY_SEVERITY[f.severity],
                "elements": f.elements,
                "assumptions": f.assumptions,
                "paths": [{"label": p.label, "elements": p.elements} for p in f.paths],
                "pathsLeftOut": f.paths_left_out,
                "controls": [set_state(cs, str) for cs in f.controls],
            },
        }
        if related:
            result["relatedLocations"] = related
        if f.status in (Status.accepted, Status.false_positive) and f.decision is not None:
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": reveal(
                        f"{f.status.value}: {f.decision.reason}"
                        + (
                            f" (owner {f.decision.owner}, until {f.decision.expires})"
                            if f.decision.expires
                            else ""
                        )
                    ),
                }
            ]
        return result

    def render(self, report: Report) -> str:
        threats = report.threats.threats
        ids = list(threats)
        index = {tid: i for i, tid in enumerate(ids)}
        sources = {m.path: (m.locations, relative_path(m.path)) for m in report.sources}
        # Each result is written as it is made: a large log never holds every result's dict.
        results = [
            _text(self._result(sources, f, index[f.threat]))
            for f in report.findings
            if f.status is not Status.mitigated and f.threat in index
        ]
        artifacts = [
            {"location": {"uri": uri, "uriBaseId": "%SRCROOT%"}} for _, uri in sources.values()
        ]
        driver = {
            "name": "tmcode",
            "version": report.tool["version"],
            "semanticVersion": report.tool["version"],
        }
        rules = [_text(_rule(threats[tid])) for tid in ids]
        decision = verdict(report, self.options)
        run_properties = {
            "summary": status_counts(report.summary),
            "openBySeverity": report.summary["open_by_severity"],
            "date": report.summary["date"],
            "verdict": decision.sentence,
        }
        if report.reach is not None:
            from tmcode.reach import reach_summary

            run_properties["reach"] = [reach_summary(radius) for radius in report.reach]

        def items(values: list[str], indent: str) -> str:
            if not values:
                return "[]"
            body = ",\n".join(indent + "  " + v for v in values)
            return "[\n" + body + "\n" + indent + "]"

        # One rule and one result per line: large logs stay fast to write and easy to diff.
        driver_head = json.dumps(driver, ensure_ascii=False)[:-1]
        return json_text(
            "{\n"
            f'  "$schema": {json.dumps(SARIF_SCHEMA)},\n'
            '  "version": "2.1.0",\n'
            '  "runs": [\n'
            "    {\n"
            f'      "tool": {{"driver": {driver_head}, "rules": {items(rules, "      ")}}}}},\n'
            f'      "artifacts": {json.dumps(artifacts, ensure_ascii=False)},\n'
            f'      "results": {items(results, "      ")},\n'
            '      "columnKind": "unicodeCodePoints",\n'
            f'      "properties": {json.dumps(run_properties, ensure_ascii=False)}\n'
            "    }\n"
            "  ]\n"
            "}\n"
        )
