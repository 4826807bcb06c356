"""The renderer interface every output format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from tmcode.report import FailOn, Report


@dataclass(frozen=True)
class RenderOptions:
    """Settings a renderer may use; none of them changes what was found."""

    color: bool = False
    fail_on: FailOn = FailOn.high
    only_new: bool = False  # the gate counts only findings new against a baseline
    svg: bool | None = None  # HTML: inline SVG diagrams; None means "when Graphviz is installed"
    output: str | None = None  # where the report is written: HTML links start from its folder


class Renderer(ABC):
    """Turns a finished report into text; never evaluates anything itself."""

    name: ClassVar[str]
    suffix: ClassVar[str]

    def __init__(self, options: RenderOptions) -> None:
        self.options = options

    @abstractmethod
    def render(self, report: Report) -> str:
        """Return the report in this renderer's format."""
