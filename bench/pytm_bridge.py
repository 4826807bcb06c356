"""Translate a tmcode model into an equivalent pytm 1.4 script, for side-by-side benchmarks.

Same nodes (one pytm element per component, in its boundary) and same flows (every declared
flow, plus the call and result flow each agent permission implies). The script is generated
here; nothing of pytm's own code is copied.
"""

from __future__ import annotations

from tmcode.model.elements import Agent, Model

_ELEMENT = {
    "user": "Actor",
    "external_content": "ExternalEntity",
    "external_service": "ExternalEntity",
    "remote_agent": "ExternalEntity",
    "llm": "LLM",
    "agent": "Agent",
    "vector_store": "Datastore",
    "datastore": "Datastore",
    "secret_store": "Datastore",
    "log_sink": "Datastore",
    "model_registry": "Datastore",
    "memory": "Datastore",
    "dataset": "Datastore",
    "ui": "Server",
}


def pytm_script(model: Model) -> str:
    """Return Python source that builds the model with pytm and runs ``tm.process()``."""
    lines = [
        "from pytm import TM, Actor, Agent, Boundary, Dataflow, Datastore, ExternalEntity, LLM, Process, Server",
        "",
        f"tm = TM({model.system.name!r})",
        "tm.description = 'Translated from a tmcode model for benchmarking.'",
        "b = {}",
        "n = {}",
    ]
    for bid in model.boundaries:
        lines.append(f"b[{bid!r}] = Boundary({bid!r})")
    for cid, c in model.components.items():
        cls = _ELEMENT.get(c.kind, "Process")
        lines.append(f"n[{cid!r}] = {cls}({cid!r})")
        lines.append(f"n[{cid!r}].inBoundary = b[{c.boundary!r}]")
    count = 0
    for flow in model.flows:
        lines.append(f"Dataflow(n[{flow.from_!r}], n[{flow.to!r}], 'f{count}')")
        count += 1
    for cid, c in model.components.items():
        if isinstance(c, Agent):
            for target in c.tools:
                lines.append(f"Dataflow(n[{cid!r}], n[{target!r}], 'f{count}')")
                lines.append(f"Dataflow(n[{target!r}], n[{cid!r}], 'f{count + 1}')")
                count += 2
    lines += ["", "if __name__ == '__main__':", "    tm.process()", ""]
    return "\n".join(lines)
