"""Command-line commands for the governance outputs: the assurance cross-walk and the AI-BOM.

``run_assurance`` is what ``tmcode assurance`` (tmcode/cli/assurance.py) prints;
``bom_output`` is what ``tmcode bom`` prints.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path


from tmcode.errors import UsageError
from tmcode.limits import ReadLimits


class AssuranceFormat(str, Enum):
    """Formats ``tmcode assurance`` writes."""

    text = "text"
    json = "json"
    markdown = "markdown"


class BomFormat(str, Enum):
    """Formats ``tmcode bom`` writes."""

    cyclonedx = "cyclonedx"
    spdx = "spdx"


# Exit codes of `tmcode bom --check`, like the other gates: 0 nothing missing, 1 gaps, 2 errors.
BOM_COMPLETE, BOM_GAPS = 0, 1


def parse_timestamp(value: str | None) -> dt.datetime | None:
    """Read ``--timestamp``: an ISO date or date-time (UTC unless it says), or `now`."""
    if value is None:
        return None
    if value == "now":
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--timestamp `{value}` is not a date; write YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or now"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def bom_output(
    report: object,
    format: BomFormat,
    check: bool,
    report_url: str | None,
    timestamp: str | None,
) -> tuple[str, int]:
    """The text ``tmcode bom`` prints and its exit code: the BOM, or with ``check`` its gaps."""
    loaded = report.sources[0]  # type: ignore[attr-defined]
    if check:
        from tmcode.bom_check import check_elements, render_gaps

        gaps = check_elements(loaded)
        return render_gaps(loaded, gaps), BOM_GAPS if gaps else BOM_COMPLETE
    created = parse_timestamp(timestamp)
    findings = report.findings  # type: ignore[attr-defined]
    if format is BomFormat.spdx:
        from tmcode.spdx import spdx_json

        return spdx_json(loaded, findings, created), 0
    from tmcode.bom import bom_json

    return bom_json(loaded, findings, report_url, created), 0


def run_assurance(
    model: Path, format: AssuranceFormat, catalogs: list[Path], limits: ReadLimits
) -> str:
    """The cross-walk of one model against the bundled guidance, in ``format``."""
    from tmcode.assurance import cross_walk, load_guidance, render_json, render_markdown
    from tmcode.assurance import render_text
    from tmcode.catalog.controls import load_controls
    from tmcode.pipeline import check_files

    guidance = load_guidance(load_controls(catalogs))
    report = check_files([model], catalogs=catalogs, limits=limits)
    walked = cross_walk(report.sources[0], guidance)
    renderers = {"text": render_text, "json": render_json, "markdown": render_markdown}
    return renderers[format.value](walked)
