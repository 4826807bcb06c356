"""The JSON report: the contract's fields, stable key order, one trailing newline."""

from __future__ import annotations

import json

from tmcode.render.base import Renderer
from tmcode.report import Report, report_to_dict


class JsonRenderer(Renderer):
    """Machine-readable report; the input of baselines and diffs."""

    name = "json"
    suffix = ".json"

    def render(self, report: Report) -> str:
        data = report_to_dict(report)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
