"""tmcode: threat modeling as code for AI systems.

The public API (``tmcode.Model``, ``tmcode.load_model``, the element classes, the errors) is
imported on first use, so that ``tmcode --help`` and other light commands start fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_ERRORS = {"ModelError", "Problem", "TmcodeError"}
_MODEL = {
    "LLM",
    "UI",
    "Agent",
    "Boundary",
    "ControlRef",
    "DataAsset",
    "Dataset",
    "ExternalContent",
    "ExternalService",
    "Flow",
    "Guardrail",
    "LoadedModel",
    "Location",
    "McpServer",
    "Memory",
    "MlModel",
    "Model",
    "ModelArtifact",
    "Permission",
    "PlainComponent",
    "ReadLimits",
    "RemoteAgent",
    "Retriever",
    "RiskDecision",
    "Store",
    "System",
    "SystemPrompt",
    "Tool",
    "User",
    "load_model",
    "load_model_text",
}

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

__all__ = sorted(_ERRORS | _MODEL | set(_ELSEWHERE) | {"__version__"})


def __getattr__(name: str) -> Any:
    if name in _ERRORS:
        from tmcode import errors

        return getattr(errors, name)
    if name in _MODEL:
        from tmcode import model

        return getattr(model, name)
    if name in _ELSEWHERE:
        import importlib

        module, attribute = _ELSEWHERE[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'tmcode' has no attribute {name!r}")
