"""Run a Python model file in a child process and bring back its model as plain data.

A Python model is code from whoever wrote the pull request. It runs in a child Python process
with a time limit, so that nothing it does (exit, ``os._exit``, a signal, a BaseException, an
endless loop) can end or hang tmcode or let the gate pass: tmcode sees only the model data the
child writes back, or a reason why there is none, and either is checked like any input.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tmcode.errors import ModelError, Problem
from tmcode.input_file import (
    NUMBER,
    REQUIRED_TEXT,
    TEXT,
    decode_utf8,
    list_of,
    obj,
    parse_json,
    read_input_bytes,
    shape_problem,
)

_RUN_NAME = "__tmcode_model__"
_SOURCE, _RESULT = "model.py", "result.json"
_EXIT_HINT = "a model file must not exit; define `model` instead"
_RESULT_SHAPE = obj(
    model=obj(),
    traceback=TEXT,
    problems=list_of(
        obj(
            ("message",),
            nullable=False,
            line=NUMBER,
            column=NUMBER,
            message=REQUIRED_TEXT,
            hint=TEXT,
        )
    ),
)


class PythonModelTraceback(Exception):
    """The traceback of a Python model's failure in the child process (shown with --debug)."""


def run_python_model(
    path: Path,
    source: bytes,
    *,
    timeout: float,
    max_bytes: int,
    while_running: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """Run the model source in a child process; return its model data or raise ModelError.

    ``while_running`` is called while the child works (to warm what will check its result).
    """
    name = str(path)
    package_root = str(Path(__file__).resolve().parent.parent.parent)
    child = (
        f"import sys; sys.path[0] = {package_root!r}; "
        "from tmcode.model.python_model import child_main; child_main()"
    )
    posix = os.name == "posix"
    with _work_directory(name) as work:
        deadline = time.monotonic() + timeout
        try:
            with open(os.path.join(work, _SOURCE), "wb") as handle:
                handle.write(source)
            proc = subprocess.Popen(
                [sys.executable, "-c", child, name, work],
                stdin=subprocess.DEVNULL,
                start_new_session=posix,  # its own process group: a timeout ends all it started
            )
        except OSError as exc:
            raise _cannot_run(name, exc) from None
        try:
            if while_running is not None:
                while_running()
            _wait_unreaped(proc, deadline, posix)
        except subprocess.TimeoutExpired:
            raise ModelError(
                Problem(
                    name,
                    None,
                    None,
                    f"the Python model did not finish within {timeout:g} seconds",
                    "a model file must only build `model`; raise --python-timeout if it "
                    "really needs longer",
                )
            ) from None
        finally:
            _end(proc, posix)
        text = _read_result(os.path.join(work, _RESULT), name, max_bytes)
    if text is None or proc.returncode != 0:
        raise ModelError(Problem(name, None, None, _ending(proc.returncode), _EXIT_HINT))
    result = parse_json(text, name, invalid="the Python model's result is not valid JSON")
    problem = shape_problem(result, _RESULT_SHAPE)
    if problem is not None:
        raise ModelError(Problem(name, None, None, f"the Python model's result: {problem}"))
    if result.get("problems"):
        error = ModelError([_problem(name, p) for p in result["problems"]])
        if result.get("traceback"):
            raise error from PythonModelTraceback(result["traceback"])
        raise error
    return result.get("model") or {}


def _work_directory(name: str) -> tempfile.TemporaryDirectory[str]:
    """A private directory for the model's source and result, removed afterwards."""
    try:
        return tempfile.TemporaryDirectory(prefix="tmcode-model-", ignore_cleanup_errors=True)
    except OSError as exc:
        raise _cannot_run(name, exc) from None


def _cannot_run(name: str, exc: OSError) -> ModelError:
    return ModelError(
        Problem(
            name,
            None,
            None,
            f"cannot run the Python model: {exc.strerror or exc}",
            "check that TMPDIR is writable and processes can be started",
        )
    )


def _wait_unreaped(proc: subprocess.Popen[bytes], deadline: float, posix: bool) -> None:
    """Wait for the child to end without reaping it, so that its group id stays its own."""
    if not (posix and hasattr(os, "waitid")):
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        return
    pause = 0.001
    while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() >= deadline:
            raise subprocess.TimeoutExpired(proc.args, 0)
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _end(proc: subprocess.Popen[bytes], posix: bool) -> None:
    """Kill everything the child started (it may have ended itself), then reap it."""
    # Only while the child is unreaped does its process group id surely name its group: a
    # model that forked leaves processes there that would outlive tmcode and hold its output.
    if proc.returncode is not None:
        return
    try:
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _read_result(result_path: str, name: str, max_bytes: int) -> str | None:
    """Return the text the child wrote, or None when it wrote nothing."""
    if not os.path.lexists(result_path):
        return None
    try:
        data = read_input_bytes(result_path, max_bytes, expected="a result file")
        return decode_utf8(data, name, what="JSON")
    except ModelError as exc:
        message = exc.problems[0].message
        raise ModelError(
            Problem(name, None, None, f"cannot read the Python model's result: {message}")
        ) from None


def _ending(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            how = signal.Signals(-returncode).name
        except ValueError:
            how = f"signal {-returncode}"
        return f"the Python model's process was killed by {how} before it defined `model`"
    return (
        f"the Python model ended its process (exit status {returncode}) before tmcode could "
        "read `model`"
    )


def _problem(name: str, raw: dict[str, Any]) -> Problem:
    def number(key: str) -> int | None:
        value = raw.get(key)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else None

    return Problem(name, number("line"), number("column"), raw["message"], raw.get("hint") or "")


# --- In the child process --------------------------------------------------------------------


def child_main() -> None:
    """Run the model source in the work directory, write the result file there; never returns."""
    name, work = sys.argv[1], sys.argv[2]
    try:
        with open(os.path.join(work, _SOURCE), "rb") as handle:
            source = handle.read()
        os.dup2(2, 1)  # the model's prints go to stderr: stdout carries tmcode's output
        result = evaluate(name, source)
        try:
            text = json.dumps(result, ensure_ascii=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            text = json.dumps(
                {"problems": [_raised(f"the model holds a value tmcode cannot read: {exc}")]}
            )
        _write_result(work, text)
    except BaseException as exc:  # noqa: BLE001 - e.g. a signal handler the model installed
        problem = _raised(f"the model interrupted its own run with {type(exc).__name__}")
        _write_result(work, json.dumps({"problems": [problem]}))
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001, S110 - the model may have closed it
                pass
        os._exit(0)  # no atexit handler or thread of the model runs after the result


def _write_result(work: str, text: str) -> None:
    try:
        with open(os.path.join(work, _RESULT), "w", encoding="utf-8") as handle:
            handle.write(text)
    except BaseException:  # noqa: BLE001, S110 - no result file tells the parent enough
        pass


def _raised(
    message: str, line: int | None = None, column: int | None = None, hint: str = ""
) -> dict[str, Any]:
    return {"line": line, "column": column, "message": message, "hint": hint}


def evaluate(name: str, source: bytes) -> dict[str, Any]:
    """Execute the model source as a module and return its ``model`` as data, or problems."""
    from pydantic import ValidationError

    from tmcode.model.elements import Model
    from tmcode.model.export import model_to_data

    sys.argv = [name]
    sys.path.insert(0, str(Path(name).resolve().parent))
    module = types.ModuleType(_RUN_NAME)
    module.__dict__.update(__file__=name, __cached__=None, __loader__=None, __spec__=None)
    sys.modules[_RUN_NAME] = module
    try:
        # The model is code by design; it runs here, in the child, and nowhere else.
        exec(compile(source, name, "exec", dont_inherit=True), module.__dict__)  # noqa: S102
    except SyntaxError as exc:
        return {"problems": [_raised(f"Python syntax error: {exc.msg}", exc.lineno, exc.offset)]}
    except ValidationError as exc:
        line = _line_in(exc, name)
        return _failure(
            exc,
            [
                _raised(
                    f"invalid model element: {e['msg']} at `{'.'.join(str(p) for p in e['loc'])}`",
                    line,
                )
                for e in exc.errors(include_url=False)
            ],
        )
    except SystemExit as exc:
        return _failure(
            exc,
            [
                _raised(
                    f"the model called exit({_text(exc.code)})",
                    _line_in(exc, name),
                    hint=_EXIT_HINT,
                )
            ],
        )
    except BaseException as exc:  # noqa: BLE001 - whatever the model raises is reported
        return _failure(
            exc,
            [
                _raised(
                    f"the model raised {type(exc).__name__}"
                    + (f": {_text(exc)}" if _text(exc) else ""),
                    _line_in(exc, name),
                    hint="fix the Python model (run it with --debug for the traceback)",
                )
            ],
        )
    model = module.__dict__.get("model")
    if not isinstance(model, Model):
        found = "nothing" if model is None else f"a {type(model).__name__}"
        return {
            "problems": [
                _raised(
                    "a Python model must define a module-level `model`, a tmcode.Model; "
                    f"found {found}",
                    hint="end the file with `model = Model(...)`",
                )
            ]
        }
    try:
        return {"model": model_to_data(model)}
    except BaseException as exc:  # noqa: BLE001 - a subclass or a constructed model may not dump
        return _failure(
            exc, [_raised(f"the model cannot be read as data: {type(exc).__name__}: {_text(exc)}")]
        )


def _text(value: object) -> str:
    """``str(value)``, even for an object whose ``__str__`` fails."""
    try:
        return str(value)
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not end the report
        return f"<a {type(value).__name__} that cannot be shown>"


def _failure(exc: BaseException, problems: list[dict[str, Any]]) -> dict[str, Any]:
    return {"problems": problems, "traceback": "".join(traceback.format_exception(exc))}


def _line_in(exc: BaseException, name: str) -> int | None:
    """Return the innermost line of the model file in the exception's traceback."""
    target = os.path.realpath(name)
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if os.path.realpath(frame.f_code.co_filename) == target:
            line = lineno
    return line
