"""tmcode: threat modeling as code for AI systems.

The public API (``tmcode.Model``, ``tmcode.load_model``, the element classes, the errors) is
imported on first use, so that ``tmcode --help`` and other light commands start fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_ERRORS = {"ModelError", "Problem", "TmcodeError"}
_MODEL = {
    "LLM", "UI", "Agent", "Boundary", "ControlRef", "DataAsset", "Dataset", "ExternalContent",
    "ExternalService", "Flow", "Guardrail", "LoadedModel", "Location", "McpServer", "Memory",
    "MlModel", "Model", "ModelArtifact", "Permission", "PlainComponent", "ReadLimits",
    "RemoteAgent", "Retriever", "RiskDecision", "Store", "System", "SystemPrompt", "Tool", "User",
    "load_model", "load_model_text",
}

_ELSEWHERE = {
    "check_files": "tmcode.pipeline",
    "check": "tmcode.engine",
    "load_catalog": "tmcode.catalog.load",
    "render": "tmcode.render",
    "build_graph": "tmcode.graph",
    "Report": "tmcode.report",
    "Finding": "tmcode.report",
    "Severity": "tmcode.report",
    "Status": "tmcode.report",
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

        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module 'tmcode' has no attribute {name!r}")
