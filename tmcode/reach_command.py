"""``tmcode reach``: the blast radius and ownership of a model's components, on their own.

The command itself is ``tmcode/cli/reach.py``; this module does the work.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path


from tmcode.errors import Problem, UsageError
from tmcode.limits import ReadLimits

_SHOWN_CANDIDATES = 30


class ReachFormat(str, Enum):
    """Formats ``tmcode reach`` writes."""

    text = "text"
    markdown = "markdown"
    json = "json"


def _unknown(model: Path, component: str, candidates: list[str], known: list[str]) -> UsageError:
    from tmcode.model.diagnose import did_you_mean

    listed = ", ".join(candidates[:_SHOWN_CANDIDATES])
    if len(candidates) > _SHOWN_CANDIDATES:
        listed += f" and {len(candidates) - _SHOWN_CANDIDATES} more"
    hint = did_you_mean(component, known)
    hint = f"{hint} " if hint else ""
    return UsageError(
        Problem(
            str(model),
            None,
            None,
            f"no component `{component}` in the model",
            f"{hint}choose one of: {listed or 'none (the model has no components)'}",
        )
    )


def reach_document(radius: object) -> str:
    """The JSON document ``tmcode reach -f json`` writes (tests/schemas/reach.schema.json).

    One component and one ownership entry per line: a model with thousands of agents stays
    fast to write and diffs line by line.
    """
    import json

    from tmcode import __version__
    from tmcode.hidden import json_text
    from tmcode.reach import blast_radius_dict

    text = json.JSONEncoder(ensure_ascii=False).encode
    data = blast_radius_dict(radius)  # type: ignore[arg-type]
    head = {k: v for k, v in data.items() if k not in ("components", "ownership", "gaps")}

    def rows(items: list[object]) -> str:
        if not items:
            return "[]"
        return "[\n" + ",\n".join("    " + text(item) for item in items) + "\n  ]"

    body = (
        "{\n"
        '  "schema_version": "1.0",\n'
        f'  "tool": {text({"name": "tmcode", "version": __version__})},\n'
        f'  "reach": [{text(head)[:-1]}, "components": {rows(data["components"])}, '
        f'"ownership": {rows(data["ownership"])}, "gaps": {text(data["gaps"])}}}]\n'
        "}\n"
    )
    return json_text(body)


def run_reach(
    model: Path,
    component: str | None,
    format: ReachFormat,
    catalogs: list[Path],
    limits: ReadLimits,
) -> str:
    """The blast radius of ``component`` (default: every actor) in ``format``."""
    from tmcode.catalog.controls import load_controls
    from tmcode.model.load import load_model
    from tmcode.reach import UnknownComponent, blast_radius

    known = frozenset(load_controls(catalogs))
    loaded = load_model(model, known_controls=known, limits=limits)
    chosen = None if component is None else [component]
    try:
        radius = blast_radius(loaded.index, chosen, file=loaded.path)
    except UnknownComponent as exc:
        raise _unknown(
            model, exc.component, exc.candidates, list(loaded.model.components)
        ) from None
    if format is ReachFormat.json:
        return reach_document(radius)
    if format is ReachFormat.markdown:
        from tmcode.render.reach import radius_markdown

        return radius_markdown(radius, paths=None, level=2)
    from tmcode.render.reach import radius_text

    return radius_text(radius)
