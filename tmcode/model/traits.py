"""What a component kind is, for the stages that draw, inventory and reason about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Trait(Enum):
    """A closed set of properties a component kind may have; code asks these, not kind names."""

    store = "store"  # keeps data an agent can write, so writes to it persist
    holds_data = "holds_data"  # a data store proper: database, vector, secret or log store
    secrets = "secrets"  # keeps secrets or credentials, declared as data or not
    model = "model"  # model weights: an LLM, a predictive model or a weights file
    dataset = "dataset"  # training or evaluation data
    outside_content = "outside_content"  # content written outside the system
    outsider = "outsider"  # whatever it sends is written by someone outside the system
    human = "human"  # people
    ui = "ui"  # a user interface showing model output
    generates = "generates"  # produces model output; never itself the source of a taint
    callable_tool = "callable_tool"  # code an agent calls: a tool or an MCP server
    ai_asset = "ai_asset"  # listed among the AI assets of the site
    # Exists only in an AI system: a model has an AI component when some component has it, and
    # a model without one (a conventional system) gets no catalog threat but drift.
    ai = "ai"
    no_permission = "no_permission"  # may not be the target of an agent's permission


@dataclass(frozen=True)
class Glyph:
    """How diagrams draw a kind: a Graphviz shape and a Mermaid opener and closer."""

    dot: str = "box"
    mermaid: tuple[str, str] = ('["', '"]')


BOX = Glyph()
CYLINDER = Glyph("cylinder", ('[("', '")]'))
