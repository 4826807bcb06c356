"""One look for severities in every output: colour, terminal style, icon and admonition."""

from __future__ import annotations

from dataclasses import dataclass

from tmcode.report import Severity


@dataclass(frozen=True, slots=True)
class SeverityStyle:
    """How one severity is shown: every renderer takes its colours from here."""

    fill: str  # light tint: diagram nodes, HTML badges, the site's admonitions
    ink: str  # strong tone of the same hue: borders and text
    ansi: str  # terminal style of the same hue
    icon: str  # Markdown, where no colour can be set


SEVERITY_STYLE: dict[Severity, SeverityStyle] = {
    Severity.critical: SeverityStyle("#ce93d8", "#6a1b9a", "\033[1;35m", "🟣"),
    Severity.high: SeverityStyle("#ef9a9a", "#c62828", "\033[1;31m", "🔴"),
    Severity.medium: SeverityStyle("#ffcc80", "#e65100", "\033[33m", "🟠"),
    Severity.low: SeverityStyle("#90caf9", "#1565c0", "\033[36m", "🔵"),
    Severity.info: SeverityStyle("#e0e0e0", "#616161", "\033[2m", "⚪"),
}


def severity_css(prefix: str = ".sev") -> str:
    """CSS rules giving each severity its fill and ink, for HTML outputs."""
    return "\n".join(
        f"{prefix}.{sev.value} {{ background: {style.fill}; border-color: {style.ink}; }}"
        for sev, style in SEVERITY_STYLE.items()
    )


def admonition_css() -> str:
    """CSS for the site's admonitions named after severities (mkdocs-material custom admonitions)."""
    rules = []
    for sev, style in SEVERITY_STYLE.items():
        rules.append(
            f".md-typeset .admonition.{sev.value}, .md-typeset details.{sev.value} "
            f"{{ border-color: {style.ink}; }}\n"
            f".md-typeset .{sev.value} > .admonition-title, .md-typeset .{sev.value} > summary "
            f"{{ background-color: {style.fill}; }}\n"
            f".md-typeset .{sev.value} > .admonition-title::before, "
            f".md-typeset .{sev.value} > summary::before "
            f"{{ background-color: {style.ink}; }}"
        )
    return "\n".join(rules) + "\n"
