"""The JSON report: the contract's fields, stable key order, one trailing newline."""

from __future__ import annotations

import json
from typing import Any

from tmcode.render.base import Renderer
from tmcode.render.escape import json_text
from tmcode.report import Report, report_to_dict


# One encoder, made once: json.dumps(..., ensure_ascii=False) builds a new encoder per call.
_text = json.JSONEncoder(ensure_ascii=False).encode


def dumps_lines(data: dict[str, Any], long_lists: tuple[str, ...]) -> str:
    """JSON with one top-level key per line and one item per line in the long lists.

    Large reports stay fast to write (the C encoder does each line) and diff line by line.
    """
    lines = ["{"]
    keys = list(data)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = data[key]
        if key in long_lists and isinstance(value, list) and value:
            lines.append(f"  {json.dumps(key)}: [")
            last = len(value) - 1
            lines += [f"    {_text(item)}{',' if j < last else ''}" for j, item in enumerate(value)]
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {_text(value)}{comma}")
    lines.append("}")
    return json_text("\n".join(lines)) + "\n"


class JsonRenderer(Renderer):
    """Machine-readable report; the input of baselines and diffs. One finding per line."""

    name = "json"
    suffix = ".json"

    def render(self, report: Report) -> str:
        return dumps_lines(report_to_dict(report), ("findings", "stale_decisions", "reach"))
