"""The one error base of tmcode, and the problems it carries."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A hostile file can hold a problem on every line; past this many, the rest are counted.
SHOWN_PROBLEMS = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """Show control characters as escapes, so that input cannot drive the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, and what to do."""

    file: str
    line: int | None
    column: int | None
    message: str
    hint: str = ""

    def render(self) -> str:
        """Return the problem as one line: ``file:line:col: message — hint``."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return _visible(text)


class TmcodeError(Exception):
    """Base of every error tmcode reports to a user; ``diagnostics()`` says what to do."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("tmcode", None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = sorted(problems, key=_problem_order)
        super().__init__(self.diagnostics())

    def diagnostics(self) -> str:
        """Return the problems, one per line, in file and line order; past a hundred, a count."""
        shown = [p.render() for p in self.problems[:SHOWN_PROBLEMS]]
        more = len(self.problems) - len(shown)
        if more:
            shown.append(f"... and {more} more problems: fix these first, then run again")
        return "\n".join(shown)


def _problem_order(p: Problem) -> tuple[str, int, int, str]:
    return (p.file, p.line or 0, p.column or 0, p.message)


class ModelError(TmcodeError):
    """A model file that cannot be read, parsed or validated."""


class UsageError(TmcodeError):
    """A command used with arguments that cannot work."""
