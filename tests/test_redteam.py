"""Regressions found by red-teaming the gate: each reproduces an attack that once worked."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from conftest import MODELS, run_tmcode

IDE_PY = (MODELS / "ide_agent.py").read_text()


def test_a_symlink_in_the_checkout_to_a_file_outside_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$SECRETHASH:20228:0:99999:7:::\n")
    work = tmp_path / "repo"
    (work / "cat").mkdir(parents=True)
    (work / "threat-model.yaml").symlink_to(secret)
    (work / "cat" / "controls.yaml").symlink_to(secret)
    (work / "main.json").symlink_to(secret)
    runs = [
        run_tmcode("validate", "threat-model.yaml", cwd=work),
        run_tmcode("check", MODELS / "ide-agent.yaml", "--catalog", "cat", cwd=work),
        run_tmcode(
            "check", MODELS / "ide-agent.yaml", "--baseline", "main.json", "--fail-on-new", cwd=work
        ),
    ]
    for done in runs:
        assert done.returncode == 2, done.stderr
        assert "SECRETHASH" not in done.stdout + done.stderr
        assert "leads outside the working directory" in done.stderr
    # A link that stays inside the checkout is an ordinary way to name a model.
    (work / "real.yaml").write_text((MODELS / "ide-agent.yaml").read_text())
    (work / "inside.yaml").symlink_to("real.yaml")
    assert run_tmcode("validate", "inside.yaml", cwd=work).returncode == 0


def test_a_python_model_cannot_rewrite_the_baseline_it_is_compared_with(tmp_path: Path) -> None:
    base = tmp_path / "main.json"
    model = tmp_path / "threat-model.py"
    approved = '"terminal": Permission(scopes=["execute", "network"], controls=["human_approval"])'
    model.write_text(
        IDE_PY.replace('"terminal": Permission(scopes=["execute", "network"])', approved)
    )
    done = run_tmcode("check", model, "-f", "json", "-o", base, "--fail-on", "none", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # The PR removes the approval and, while the model runs, forges the baseline to match.
    forge = (
        "import json, pathlib\n"
        f"p = pathlib.Path({str(base)!r})\n"
        "d = json.loads(p.read_text())\n"
        "for f in d['findings']:\n"
        "    f.update(status='open', severity='critical')\n"
        "p.write_text(json.dumps(d))\n"
    )
    model.write_text(forge + IDE_PY)
    gated = run_tmcode(
        "check", model, "--baseline", base, "--fail-on-new",
        "-f", "json", "-o", tmp_path / "pr.json", cwd=tmp_path,
    )  # fmt: skip
    report = json.loads((tmp_path / "pr.json").read_text())
    # The gate compared with the baseline as it was before the model ran.
    assert report["baseline"]["counts"]["regressed"] >= 1, gated.stderr
    assert gated.returncode == 1


def test_processes_a_python_model_leaves_behind_are_ended(tmp_path: Path) -> None:
    marker = tmp_path / "orphan-ran"
    model = tmp_path / "fork.py"
    model.write_text(
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    time.sleep(3)\n"
        f"    open({str(marker)!r}, 'w').write('x')\n"
        "    os._exit(0)\n" + IDE_PY
    )
    started = time.monotonic()
    done = run_tmcode("validate", model, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 3  # nothing held tmcode's output open
    time.sleep(4)
    assert not marker.exists()


def test_a_value_repeated_through_aliases_cannot_flood_the_output(tmp_path: Path) -> None:
    model = tmp_path / "blow.yaml"
    lines = [
        "tmcode: 1",
        "system: {name: S}",
        "boundaries: {b: {trust: internal}}",
        "components:",
        "  c0: {kind: tool, boundary: b, name: &a 1." + "1" * 200_000 + "}",
        *(f"  c{i}: {{kind: tool, boundary: b, name: *a}}" for i in range(1, 50)),
    ]
    model.write_text("\n".join(lines) + "\n")
    done = run_tmcode("validate", model, cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr) < 50 * 2 * 1200  # each message and hint clipped
    assert "more characters)" in done.stderr


def test_a_symlink_escape_check_ignores_paths_named_outside_the_checkout(tmp_path: Path) -> None:
    # Whoever runs tmcode may name any file by its own path; only the checkout is suspect.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run_tmcode("validate", MODELS / "ide-agent.yaml", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert os.path.commonpath([str(elsewhere), str(MODELS)]) != str(elsewhere)
