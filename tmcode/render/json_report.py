"""The JSON report: the contract's fields, stable key order, one trailing newline."""

from __future__ import annotations

import json

from tmcode.render.base import Renderer
from tmcode.report import Report


class JsonRenderer(Renderer):
    """Machine-readable report; the input of baselines and diffs."""

    name = "json"
    suffix = ".json"

    def render(self, report: Report) -> str:
        data = report.model_dump(mode="json", exclude_none=False)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
