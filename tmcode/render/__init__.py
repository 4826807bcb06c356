"""Renderers: one small interface, registered by format name, imported when first used."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from tmcode._gc import gc_paused
from tmcode.render.base import Renderer, RenderOptions

if TYPE_CHECKING:
    from tmcode.report import Report

# format name -> (module, class); a renderer's dependencies load only when it is used.
_REGISTRY: dict[str, tuple[str, str]] = {
    "text": ("tmcode.render.text", "TextRenderer"),
    "json": ("tmcode.render.json_report", "JsonRenderer"),
    "sarif": ("tmcode.render.sarif", "SarifRenderer"),
    "markdown": ("tmcode.render.markdown", "MarkdownRenderer"),
    "html": ("tmcode.render.html", "HtmlRenderer"),
    "junit": ("tmcode.render.junit", "JunitRenderer"),
}


class _Registry(dict):  # type: ignore[type-arg]
    """Format name -> renderer class, importing each renderer's module on first access."""

    def __missing__(self, name: str) -> type[Renderer]:
        module, cls = _REGISTRY[name]
        renderer: type[Renderer] = getattr(importlib.import_module(module), cls)
        self[name] = renderer
        return renderer

    def __contains__(self, name: object) -> bool:
        return name in _REGISTRY

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(_REGISTRY)

    def __len__(self) -> int:
        return len(_REGISTRY)

    def keys(self):  # type: ignore[no-untyped-def]
        return _REGISTRY.keys()


RENDERERS: dict[str, type[Renderer]] = _Registry()


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    """Render a report in the named format."""
    renderer = RENDERERS[fmt](options or RenderOptions())
    with gc_paused():
        return renderer.render(report)


__all__ = ["RENDERERS", "RenderOptions", "Renderer", "render"]
