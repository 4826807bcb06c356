"""The catalog's pages: one per threat, the catalog index and the standards cross-walk."""

from __future__ import annotations

from collections import Counter

import yaml

from tmcode.catalog.coverage import Standards, list_coverage
from tmcode.render.standards import standards_markdown
from tmcode.catalog.load import Catalog, CompiledThreat
from tmcode.render.site.markup import code, plain, text
from tmcode.report import GATING_STATUSES, Finding


def threat_page(compiled: CompiledThreat, examples: tuple[str, str] | None = None) -> str:
    """The page of one threat, with the catalog's fixed sections."""
    t = compiled.threat
    lines = [
        "---",
        f"title: {t.id}",
        "tags:",
        f"  - {t.area}",
        f"  - {t.target}",
        "---",
        "",
        f"# {text(t.title)} ({t.id})",
        "",
        f"**Status:** {t.status} since {t.since} · **Applies to:** {t.target}"
        + (" (" + ", ".join(code(k) for k in t.kinds) + ")" if t.kinds else "")
        + f" · **Severity:** likelihood {t.severity.likelihood}, impact {t.severity.impact}"
        + (
            " (moved by " + ", ".join(code(m) for m in t.severity.modifiers) + ")"
            if t.severity.modifiers
            else ""
        ),
        "",
        "## What it detects",
        "",
        text(t.docs.what_it_detects),
        "",
        "## Why it matters",
        "",
        text(t.docs.why_it_matters),
        "",
        "## Example",
        "",
        text(t.docs.example),
        "",
    ]
    if examples is not None:
        vulnerable, mitigated = examples
        lines += ['=== "Vulnerable model"', "", "    ```yaml"]
        lines += ["    " + line for line in vulnerable.rstrip("\n").split("\n")]
        lines += ["    ```", "", '=== "Mitigated model"', "", "    ```yaml"]
        lines += ["    " + line for line in mitigated.rstrip("\n").split("\n")]
        lines += ["    ```", ""]
    lines += [
        "## Mitigations",
        "",
        text(t.docs.mitigations),
        "",
        "Any one of these control sets mitigates it:",
        "",
    ]
    for s in t.mitigations:
        where = ""
        if s.when is not None:  # a set offered only where it blocks the harm (docs/credit.md)
            condition = yaml.safe_dump(
                plain(s.when), default_flow_style=True, sort_keys=False, width=10_000
            )
            where = "; only where " + code(condition.strip())
        lines.append("- " + " + ".join(code(c) for c in s.all) + f" (on {', '.join(s.on)}{where})")
    lines += ["", "## Known limitations", "", text(t.docs.limitations), "", "## References", ""]
    lines += [f"- {code(r)}" for r in t.references]
    lines += [
        "",
        "## Condition",
        "",
        "```yaml",
        yaml.safe_dump(plain(t.when), sort_keys=False).rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(lines)


def catalog_index(catalog: Catalog) -> str:
    """A table of every threat, one section per area prefix."""
    lines = [
        "# Threat catalog",
        "",
        f"{len(catalog.threats)} threats. Each page has the same sections: "
        "what it detects, why it matters, example, mitigations, known limitations, references.",
        "",
    ]
    areas: dict[str, list[CompiledThreat]] = {}
    for compiled in catalog.threats.values():
        areas.setdefault(compiled.threat.area, []).append(compiled)
    for area, threats in areas.items():
        lines += [
            f"## {area}",
            "",
            "| id | title | applies to | likelihood / impact |",
            "|---|---|---|---|",
        ]
        for c in threats:
            t = c.threat
            lines.append(
                f"| [{t.id}]({t.id}.md) | {text(t.title)} | {t.target} | "
                f"{t.severity.likelihood} / {t.severity.impact} |"
            )
        lines.append("")
    return "\n".join(lines)


def standards_page(
    catalog: Catalog,
    findings: list[Finding] | None = None,
    standards: Standards | None = None,
) -> str:
    """The cross-walk: every standard entry, the threats covering it, and findings here."""
    fired = Counter(r for f in findings or [] if f.status in GATING_STATUSES for r in f.references)
    lists = list_coverage(catalog, standards)
    return standards_markdown(lists, fired if findings is not None else None)
