"""Every element address: how it is built from a model and read back into its parts."""

from __future__ import annotations

from collections.abc import Container, Sequence

SYSTEM_ADDRESS = "system"
_TOOLS = ".tools."
_TRAINED_ON = ".trained_on."
_ARTIFACT = ".artifact"
_ARROW = "->"


def flow_address(source: object, target: object) -> str:
    """An unnamed flow's address, ``<from>-><to>``."""
    return f"{source}{_ARROW}{target}"


def permission_address(agent_id: str, target_id: str) -> str:
    """A permission's address, ``<agent>.tools.<target>``."""
    return f"{agent_id}{_TOOLS}{target_id}"


def artifact_address(model_id: str) -> str:
    """The implied flow from a model's weights file, ``<llm>.artifact``."""
    return f"{model_id}{_ARTIFACT}"


def trained_on_address(model_id: str, dataset_id: str) -> str:
    """The implied flow from a training set, ``<llm>.trained_on.<dataset>``."""
    return f"{model_id}{_TRAINED_ON}{dataset_id}"


def flow_ends(address: str) -> tuple[str, str] | None:
    """The ``(from, to)`` of an unnamed flow's address, or None for any other address."""
    source, arrow, sink = address.partition(_ARROW)
    return (source, sink) if arrow else None


def is_edge(address: str) -> bool:
    """True for the address of a flow written ``a->b``, a permission or an implied flow."""
    return (
        _ARROW in address
        or _TOOLS in address
        or _TRAINED_ON in address
        or address.endswith(_ARTIFACT)
    )


def permission_ends(address: str) -> tuple[str, str] | None:
    """The ``(agent, target)`` of a permission's address, or None for any other address."""
    agent, tools, target = address.partition(_TOOLS)
    return (agent, target) if tools else None


def owner(address: str) -> str:
    """The component a permission or implied flow belongs to, else the address itself."""
    return address.partition(".")[0]  # ids never contain a dot


def finding_owner(target: str, elements: Sequence[str], components: Container[str]) -> str | None:
    """The component a finding belongs to: its target, else the first element on its path."""
    if target in components:
        return target
    first = elements[0] if elements else None
    return first if first is not None and first in components else None
