"""The one error base of tmcode, and the problems it carries."""

from __future__ import annotations

from dataclasses import dataclass

from tmcode.hidden import terminal_text

# A hostile file can hold a problem on every line; past this many, the rest are counted.
SHOWN_PROBLEMS = 100
# Messages quote what the input says; a quoted megabyte (repeated through YAML aliases) must
# not become gigabytes of output, so each message and hint keeps this many characters at most.
LONGEST_TEXT = 1000


def _clipped(text: str) -> str:
    if len(text) <= LONGEST_TEXT:
        return text
    return f"{text[:LONGEST_TEXT]}… ({len(text) - LONGEST_TEXT:,} more characters)"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, and what to do."""

    file: str
    line: int | None
    column: int | None
    message: str
    hint: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", _clipped(self.message))
        object.__setattr__(self, "hint", _clipped(self.hint))

    def render(self) -> str:
        """Return the problem as one line: ``file:line:col: message — hint``."""
        where = terminal_text(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return terminal_text(text, multiline=True)


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
