"""JUnit XML for GitLab and Jenkins: a test case per finding, failures at the gate."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tmcode.render.base import Renderer
from tmcode.render.escape import relative_path, xml_text
from tmcode.render.wording import (
    assumption_note,
    more_paths,
    partly_met,
    status_counts,
    verdict,
)
from tmcode.report import Report, Status


class JunitRenderer(Renderer):
    """One suite per model, one case per threat × target; open ones at the gate fail."""

    name = "junit"
    suffix = ".xml"

    def render(self, report: Report) -> str:
        decision = verdict(report, self.options)
        failing = {id(f) for f in decision.failing}
        root = ET.Element("testsuites", name="tmcode")
        totals = {"tests": 0, "failures": 0, "skipped": 0}
        for loaded in report.sources:
            findings = report.findings_of(loaded.path)
            suite = ET.SubElement(
                root,
                "testsuite",
                name=xml_text(loaded.model.system.name),
                file=xml_text(relative_path(loaded.path)),
            )
            properties = ET.SubElement(suite, "properties")
            for name, value in (
                ("tmcode.summary", status_counts(report.summary_of(loaded.path))),
                ("tmcode.date", report.summary["date"]),
                ("tmcode.verdict", decision.sentence),
            ):
                ET.SubElement(properties, "property", name=name, value=value)
            counts = {"tests": 0, "failures": 0, "skipped": 0}
            for f in findings:
                counts["tests"] += 1
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"tmcode.{f.threat}",
                    name=xml_text(f"{f.threat} {f.target}"),
                    file=xml_text(relative_path(f.location.file)),
                    line=str(f.location.line or 0),
                )
                if id(f) in failing:
                    counts["failures"] += 1
                    failure = ET.SubElement(
                        case,
                        "failure",
                        type=f.severity.value,
                        message=xml_text(f"{f.severity.value}: {f.title}"),
                    )
                    note = assumption_note(f)
                    detail = [xml_text(f.message)]
                    if note:
                        detail.append(xml_text(note))
                    if f.paths:
                        detail += [
                            xml_text(f"{p.label}: " + " -> ".join(p.elements)) for p in f.paths
                        ]
                        if f.paths_left_out:
                            detail.append(more_paths(f.paths_left_out))
                    else:
                        detail.append("path: " + xml_text(" -> ".join(f.elements)))
                    detail.append(
                        "mitigate with: "
                        + (
                            " or ".join("{" + ", ".join(cs.all) + "}" for cs in f.controls)
                            or "agreement between the model and the repository"
                        )
                    )
                    partly = partly_met(f, str)
                    if partly:
                        detail.append(f"closest: {partly}")
                    detail.append("references: " + ", ".join(f.references))
                    if f.status_reason:
                        detail.append(xml_text(f.status_reason))
                    failure.text = "\n".join(detail)
                elif f.status in (Status.accepted, Status.false_positive):
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=xml_text(f.status_reason))
            for key, value in counts.items():
                suite.set(key, str(value))
                totals[key] += value
            suite.set("errors", "0")
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("errors", "0")
        ET.indent(root)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode")
            + "\n"
        )
