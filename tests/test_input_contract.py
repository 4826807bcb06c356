"""One error contract for every input a pull request controls, on the real command line.

Whatever the model, catalog, baseline, report or imported file is (a FIFO, a link to
/dev/zero, a directory, a link loop, a huge number, deep nesting, wrong types, a lone
surrogate) and whatever a Python model does (exit, ``os._exit``, a signal, a BaseException,
an endless loop), tmcode ends with exit 2 and one line naming the file: never a traceback,
never a hang, and never exit 0 or 1, which a gate would read as a verdict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MODELS
from test_bad_inputs import BASE

HUGE = "7" * 5000  # more digits than Python converts (4,300)
DEEP = 100_000
REPORT = {
    "findings": [
        {
            "id": "f1",
            "threat": "AG-001",
            "target": "a",
            "severity": "high",
            "status": "open",
            "system": "s",
        }
    ]
}


def run(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command line; a hang fails the test instead of blocking the suite."""
    return subprocess.run(
        [sys.executable, "-m", "tmcode", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def assert_one_clear_error(
    done: subprocess.CompletedProcess[str], culprit: Path, text: str
) -> None:
    """Exit 2, one line on stderr that names the file and says ``text``, no traceback."""
    report = f"exit {done.returncode}\nstdout: {done.stdout[:2000]}\nstderr: {done.stderr[:2000]}"
    assert done.returncode == 2, report
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, report
    assert str(culprit) in lines[0] and text in lines[0], report
    assert "Traceback" not in done.stderr + done.stdout, report
    assert "internal error" not in done.stderr, report


def dev_zero(link: Path) -> Path:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    link.symlink_to("/dev/zero")
    return link


def fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(path)
    return path


def loop(path: Path) -> Path:
    path.symlink_to(path.name)
    return path


def directory(path: Path) -> Path:
    path.mkdir()
    return path


def write(text: str | bytes) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return make


def deep_json(inner: str = "[" * DEEP + "]" * DEEP) -> str:
    return '{"findings": [], "x": ' + inner + "}"


# --- Models --------------------------------------------------------------------------------

MODEL_CASES = [
    ("fifo", "model.yaml", fifo, "named pipe"),
    ("fifo python", "model.py", fifo, "named pipe"),
    ("link to /dev/zero", "model.yaml", dev_zero, "leads outside the working directory"),
    ("link loop", "model.yaml", loop, "symbolic link loop"),
    ("directory", "model.yaml", directory, "directory"),
    ("huge integer", "model.yaml", write(BASE.replace("tmcode: 1", f"tmcode: {HUGE}")), "5,000"),
    ("huge hex integer", "model.yaml", write(BASE + f"x: 0x{'f' * 5000}\n"), "too large"),
    ("version true", "model.yaml", write(BASE.replace("tmcode: 1", "tmcode: true")), "`true`"),
    ("version 1.0", "model.yaml", write(BASE.replace("tmcode: 1", "tmcode: 1.0")), "`1.0`"),
    ("python os._exit(0)", "model.py", write("import os\nos._exit(0)\n"), "exit status 0"),
    ("python exit(0)", "model.py", write("import sys\nsys.exit(0)\n"), "called exit(0)"),
    (
        "python KeyboardInterrupt",
        "model.py",
        write("x = 1\nraise KeyboardInterrupt\n"),
        "raised KeyboardInterrupt",
    ),
    (
        "python BaseException subclass",
        "model.py",
        write("class Boom(BaseException):\n    pass\n\n\nraise Boom('no')\n"),
        "raised Boom: no",
    ),
    (
        "python unprintable exception",
        "model.py",
        write(
            "class Boom(BaseException):\n    def __str__(self):\n        raise Boom()\n\n\n"
            "raise Boom()\n"
        ),
        "raised Boom",
    ),
    (
        "python kills itself",
        "model.py",
        write("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"),
        "killed by SIGKILL",
    ),
    (
        "python huge integer",
        "model.py",
        write("from tmcode import Model\nmodel = Model.model_construct(tmcode=10**5000)\n"),
        "cannot read",
    ),
    ("python non-UTF-8", "model.py", write(b"x = '\xe9'\n"), "not valid UTF-8"),
    (
        "python model that cannot be dumped",
        "model.py",
        write(
            "from tmcode import Model\n\n\nclass M(Model):\n"
            "    def model_dump(self, *args, **kwargs):\n        raise RuntimeError('no')\n\n\n"
            "model = M.model_construct(tmcode=1)\n"
        ),
        "cannot be read as data",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "text"), [c[1:] for c in MODEL_CASES], ids=[c[0] for c in MODEL_CASES]
)
def test_a_hostile_model_is_one_clear_error(tmp_path: Path, name: str, make, text: str) -> None:
    model = make(tmp_path / name)
    done = run("check", "--fail-on", "none", model, cwd=tmp_path)
    assert_one_clear_error(done, model, text)


def test_an_endless_python_model_is_stopped_by_its_time_limit(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text("while True:\n    pass\n")
    done = run("check", "--fail-on", "none", "--python-timeout", "1", model, cwd=tmp_path)
    assert_one_clear_error(done, model, "did not finish within 1 seconds")
    assert "--python-timeout" in done.stderr


def test_a_timeout_also_ends_what_the_python_model_started(tmp_path: Path) -> None:
    model, pid_file = tmp_path / "model.py", tmp_path / "pid"
    model.write_text(
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "while True:\n    pass\n"
    )
    done = run("validate", "--python-timeout", "2", model, cwd=tmp_path)
    assert_one_clear_error(done, model, "did not finish")
    pid = int(pid_file.read_text())
    if sys.platform.startswith("linux"):
        for _ in range(100):  # the orphan is reaped by init, which may take a moment
            state = Path(f"/proc/{pid}/stat")
            if not state.exists() or state.read_text().split(") ", 1)[1][0] in "ZX":
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"process {pid} started by the model is still running")


def test_a_python_model_prints_to_stderr_never_into_the_output(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text("print('noise from the model')\n" + (MODELS / "ide_agent.py").read_text())
    done = run("export", model, cwd=MODELS)
    assert done.returncode == 0, done.stderr
    assert "noise from the model" in done.stderr
    assert "noise" not in done.stdout and done.stdout.startswith("tmcode: 1")


def test_a_python_model_keeps_its_line_numbers(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text("x = 1\n\n\ndef f():\n    raise ValueError('bad')\n\n\nf()\n")
    done = run("validate", model, cwd=tmp_path)
    assert_one_clear_error(done, model, f"{model}:5: the model raised ValueError: bad")


# --- Catalogs ------------------------------------------------------------------------------

THREAT = (MODELS.parent / "catalog" / "threats" / "ag" / "AG-001.yaml").read_text()

CATALOG_CASES = [
    ("threat file is a directory", "threats/ZZ-001.yaml", directory, "directory"),
    ("threat file is a link loop", "threats/ZZ-001.yaml", loop, "symbolic link loop"),
    (
        "threat file links to /dev/zero",
        "threats/ZZ-001.yaml",
        dev_zero,
        "leads outside the working directory",
    ),
    ("threat file is a fifo", "threats/ZZ-001.yaml", fifo, "named pipe"),
    (
        "controls file links to /dev/zero",
        "controls.yaml",
        dev_zero,
        "leads outside the working directory",
    ),
    (
        "huge integer in a threat",
        "threats/ZZ-001.yaml",
        write(THREAT.replace("AG-001", "ZZ-001") + f"x: {HUGE}\n"),
        "too large",
    ),
    (
        "deep nesting in a threat",
        "threats/ZZ-001.yaml",
        write("id: ZZ-001\nx: " + "[" * DEEP + "]" * DEEP + "\n"),
        "nesting deeper than",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "text"), [c[1:] for c in CATALOG_CASES], ids=[c[0] for c in CATALOG_CASES]
)
def test_a_hostile_catalog_file_is_one_clear_error(
    tmp_path: Path, name: str, make, text: str
) -> None:
    catalog = tmp_path / "catalog"
    (catalog / "threats").mkdir(parents=True)
    culprit = make(catalog / name)
    model = MODELS / "support-copilot.yaml"
    done = run("check", "--fail-on", "none", "--catalog", catalog, model, cwd=tmp_path)
    assert_one_clear_error(done, culprit, text)


# --- Baselines and reports to compare ------------------------------------------------------

REPORT_CASES = [
    ("fifo", fifo, "named pipe"),
    ("link to /dev/zero", dev_zero, "leads outside the working directory"),
    ("link loop", loop, "symbolic link loop"),
    ("directory", directory, "directory"),
    ("huge integer", write('{"findings": [], "x": ' + HUGE + "}"), "more than 4,300 digits"),
    ("deep nesting", write(deep_json()), "nesting deeper than 64 levels"),
    ("deep objects", write(deep_json('{"a": ' * DEEP + "1" + "}" * DEEP)), "nesting deeper"),
    ("models is text", write('{"findings": [], "models": "abc"}'), "`models` must be a list"),
    (
        "models hold text",
        write('{"findings": [], "models": ["abc"]}'),
        "`models[0]` must be an object",
    ),
    (
        "components is a number",
        write('{"findings": [], "models": [{"components": 3}]}'),
        "`models[0].components` must be a list or an object",
    ),
    ("findings hold numbers", write('{"findings": [1]}'), "`findings[0]` must be an object"),
    (
        "lone surrogate",
        write(json.dumps({"findings": [{**REPORT["findings"][0], "title": "\ud800"}]})),
        "lone UTF-16 surrogate",
    ),
    ("not UTF-8", write(b'{"findings": [], "x": "\xff"}'), "not valid UTF-8"),
    (
        "unterminated escapes",
        write('{"findings": [' + "[], " * 100 + '"\\' * 200_000),
        "not valid JSON",
    ),
]


@pytest.mark.parametrize(
    ("make", "text"), [c[1:] for c in REPORT_CASES], ids=[c[0] for c in REPORT_CASES]
)
def test_a_hostile_baseline_is_one_clear_error(tmp_path: Path, make, text: str) -> None:
    baseline = make(tmp_path / "baseline.json")
    model = MODELS / "support-copilot.yaml"
    done = run("check", "--fail-on", "none", "--baseline", baseline, model, cwd=tmp_path)
    assert_one_clear_error(done, baseline, text)


@pytest.mark.parametrize(
    ("make", "text"), [c[1:] for c in REPORT_CASES], ids=[c[0] for c in REPORT_CASES]
)
def test_a_hostile_report_to_diff_is_one_clear_error(tmp_path: Path, make, text: str) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(REPORT))
    bad = make(tmp_path / "new.json")
    done = run("diff", good, bad, cwd=tmp_path)
    assert_one_clear_error(done, bad, text)


def test_a_valid_surrogate_pair_is_a_character(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"findings": []}))
    finding = {**REPORT["findings"][0], "title": "rocket \U0001f680"}
    new.write_text(json.dumps({"findings": [finding]}))  # written as \ud83d\ude80
    done = run("diff", old, new, "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["new_findings"][0]["title"] == "rocket \U0001f680"


# --- Imports -------------------------------------------------------------------------------

IMPORT_CASES = [
    ("otm", "fifo", fifo, "named pipe"),
    ("otm", "link to /dev/zero", dev_zero, "leads outside the working directory"),
    ("otm", "huge integer", write('{"project": {"x": ' + HUGE + "}}"), "4,300 digits"),
    (
        "otm",
        "deep nesting",
        write('{"project": {}, "x": ' + "[" * DEEP + "]" * DEEP + "}"),
        "deeper",
    ),
    ("otm", "zones [1]", write('{"project": {}, "trustZones": [1]}'), "`trustZones[0]` must be"),
    (
        "otm",
        "confidentiality null",
        write('{"project": {}, "assets": [{"id": "a", "risk": {"confidentiality": null}}]}'),
        "`assets[0].risk.confidentiality` must be a number",
    ),
    (
        "otm",
        "tmcode's own ids missing",
        write(
            '{"project": {"attributes": {"tmcode": {"system": {"name": "x"}}}},'
            ' "trustZones": [{"attributes": {"tmcode": {}}}]}'
        ),
        "`trustZones[0].id` is missing",
    ),
    (
        "otm",
        "version true",
        write(
            '{"project": {"attributes": {"tmcode": {"version": true, "system": {"name": "x"}}}}}'
        ),
        "`true`",
    ),
    ("threagile", "fifo", fifo, "named pipe"),
    (
        "threagile",
        "assets as a list",
        write("technical_assets: [1, 2]\n"),
        "`technical_assets` must be an object",
    ),
    (
        "threagile",
        "data assets as a list",
        write("technical_assets: {}\ndata_assets: [a]\n"),
        "`data_assets` must be an object",
    ),
    (
        "threagile",
        "unhashable tag",
        write("technical_assets: {}\ndata_assets: {a: {tags: [[x]]}}\n"),
        "`data_assets.a.tags[0]` must be",
    ),
    ("threagile", "huge integer", write(f"technical_assets: {{}}\nx: {HUGE}\n"), "too large"),
    (
        "threagile",
        "deep nesting",
        write("technical_assets: {}\nx: " + "[" * DEEP + "]" * DEEP + "\n"),
        "nesting deeper",
    ),
]


@pytest.mark.parametrize(
    ("fmt", "make", "text"),
    [(c[0], *c[2:]) for c in IMPORT_CASES],
    ids=[f"{c[0]} {c[1]}" for c in IMPORT_CASES],
)
def test_a_hostile_import_is_one_clear_error(tmp_path: Path, fmt: str, make, text: str) -> None:
    source = make(tmp_path / "source.in")
    out = tmp_path / "out.yaml"
    done = run("import", fmt, source, "--output", out, cwd=tmp_path)
    assert_one_clear_error(done, source, text)
    assert not out.exists()


def test_a_docs_output_whose_list_of_files_is_a_fifo_is_one_clear_error(tmp_path: Path) -> None:
    from tmcode.render.site import MANIFEST

    out = tmp_path / "site"
    out.mkdir()
    marker = fifo(out / MANIFEST)
    done = run("docs", MODELS / "support-copilot.yaml", "--output", out, cwd=tmp_path)
    assert_one_clear_error(done, marker, "named pipe")


def test_a_device_named_directly_is_refused_as_a_device(tmp_path: Path) -> None:
    # A link in the checkout to /dev/zero is refused as an escape (above); named directly,
    # by whoever runs tmcode, the device itself is refused.
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    done = run("validate", "/dev/zero", cwd=tmp_path)
    assert_one_clear_error(done, Path("/dev/zero"), "character device")
