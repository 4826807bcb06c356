"""tmcode: threat modeling as code for AI systems.

The public API (``tmcode.Model``, ``tmcode.load_model``, the element classes, the errors) is
imported on first use, so that ``tmcode --help`` and other light commands start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_ERRORS = {"ModelError", "Problem", "TmcodeError"}

# public name -> (module, attribute); `render` is also a subpackage, hence `render_report`.
_ELSEWHERE = {
    "check_files": ("tmcode.pipeline", "check_files"),
    "check": ("tmcode.engine", "check"),
    "load_catalog": ("tmcode.catalog.load", "load_catalog"),
    "render_report": ("tmcode.render", "render"),
    "build_graph": ("tmcode.graph", "build_graph"),
    "Report": ("tmcode.report", "Report"),
    "Finding": ("tmcode.report", "Finding"),
    "Severity": ("tmcode.report", "Severity"),
    "Status": ("tmcode.report", "Status"),
}


def __getattr__(name: str) -> Any:
    if name in _ERRORS:
        return getattr(importlib.import_module("tmcode.errors"), name)
    if name in _ELSEWHERE:
        module, attribute = _ELSEWHERE[name]
        return getattr(importlib.import_module(module), attribute)
    if name.startswith("_") and name != "__all__":
        raise AttributeError(f"module 'tmcode' has no attribute {name!r}")
    # The element classes and loaders are listed once, in tmcode.model's __all__.
    model = importlib.import_module("tmcode.model")
    if name == "__all__":
        return sorted({*_ERRORS, *_ELSEWHERE, *model.__all__, "__version__"})
    if name in model.__all__:
        return getattr(model, name)
    raise AttributeError(f"module 'tmcode' has no attribute {name!r}")
