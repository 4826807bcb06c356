"""Renderers: one small interface, registered by format name."""

from __future__ import annotations

from tmcode.render.base import Renderer, RenderOptions
from tmcode.render.html import HtmlRenderer
from tmcode.render.json_report import JsonRenderer
from tmcode.render.junit import JunitRenderer
from tmcode.render.markdown import MarkdownRenderer
from tmcode.render.sarif import SarifRenderer
from tmcode.render.text import TextRenderer

RENDERERS: dict[str, type[Renderer]] = {
    cls.name: cls
    for cls in (TextRenderer, JsonRenderer, SarifRenderer, MarkdownRenderer, HtmlRenderer, JunitRenderer)
}


def render(report: object, fmt: str, options: RenderOptions | None = None) -> str:
    """Render a report in the named format."""
    return RENDERERS[fmt](options or RenderOptions()).render(report)  # type: ignore[arg-type]


__all__ = ["RENDERERS", "RenderOptions", "Renderer", "render"]
