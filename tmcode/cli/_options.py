"""Options that several commands share, each declared once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from tmcode.limits import ReadLimits

R = TypeVar("R")

ModelsArg = Annotated[list[Path], typer.Argument(help="Model files (.yaml, .yml or .py).")]
ModelArg = Annotated[Path, typer.Argument(help="The model file.")]
CatalogOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--catalog", help="Extra catalog directory (repeatable)."),
]
TodayOpt = Annotated[
    Optional[str],
    typer.Option(
        "--today", help="Judge expiry as of this date (YYYY-MM-DD); default: today in UTC."
    ),
]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o")]
# `--format/-f` of a command with one output format, chosen from that command's enum.
FORMAT = typer.Option("--format", "-f")
DiscoverOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--discover",
        help="Also compare the model with the agent configuration in this repository "
        "directory: drift findings DRIFT-001…007 (configs are read, never executed).",
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")]

# One option per field of ReadLimits; the defaults are ReadLimits' own.
_LIMIT_OPTIONS: dict[str, Any] = {
    "max_bytes": Annotated[int, typer.Option(help="Largest model file read, in bytes.")],
    "max_depth": Annotated[int, typer.Option(help="Deepest YAML nesting accepted.")],
    "max_nodes": Annotated[int, typer.Option(help="Most YAML values after alias expansion.")],
    "python_timeout": Annotated[
        float,
        typer.Option(
            "--python-timeout",
            min=0.1,
            help="Seconds a Python model may run (in its own process) before it is stopped.",
        ),
    ],
}
ALL_LIMITS = tuple(_LIMIT_OPTIONS)
YAML_LIMITS = ("max_bytes", "max_depth", "max_nodes")


def limit_options(
    names: tuple[str, ...] = ALL_LIMITS,
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Offer ``names`` (fields of ReadLimits) as options in place of the ``limits`` parameter.

    The command declares ``limits: ReadLimits = ReadLimits()`` where the options belong in
    its help; it receives one ReadLimits built from them.
    """

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        signature = inspect.signature(command, eval_str=True)
        defaults = ReadLimits()
        params: list[inspect.Parameter] = []
        for param in signature.parameters.values():
            if param.name != "limits":
                params.append(param)
                continue
            params += [
                inspect.Parameter(
                    name,
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    default=getattr(defaults, name),
                    annotation=_LIMIT_OPTIONS[name],
                )
                for name in names
            ]

        @functools.wraps(command)
        def run(**kwargs: Any) -> R:
            limits = ReadLimits(**{name: kwargs.pop(name) for name in names})
            return command(**kwargs, limits=limits)

        # typer reads the parameters from these two; they hold evaluated annotations.
        run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run

    return decorate
