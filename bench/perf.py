"""The performance benchmark: tmcode against the YAML parse floor and against pytm.

Run ``python bench/perf.py`` (sizes 100 1000 5000 10000 20000 by default, or give sizes).
Every figure comes from a fresh process (``bench/_stage.py``) so that one stage's memory and
garbage never weigh on the next; stages are measured alternately with the parse floor, and
each figure is the median of ``--repeats`` runs. Peak memory is the process's maximum RSS.

With pytm 1.4.0 installed (``pip install 'tmcode[bench]'``) it also runs an equivalent pytm
model (same nodes and flows, ``bench/pytm_bridge.py``) through pytm's matching and JSON
output beside ``tmcode check --format json``, and compares the cold start of both CLIs on a
20-component model. Pass ``--pytm-example PATH`` to time pytm's own ``tm.py`` instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synth import synthetic_model  # noqa: E402

STAGES = [
    "load",
    "check",
    "render:text",
    "render:json",
    "render:sarif",
    "render:markdown",
    "render:html",
    "render:junit",
    "site",
]


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS in MB, stdout)."""
    start = time.perf_counter()
    with subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        out = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, out


def stage(name: str, model: Path, out: Path) -> tuple[float, float]:
    """Seconds of the stage's own work (imports excluded) and the process's peak MB."""
    _, peak, text = run([sys.executable, str(HERE / "_stage.py"), name, str(model), str(out)])
    return json.loads(text)["seconds"], peak


def exponent(sizes: list[int], times: list[float]) -> list[str]:
    """Scaling exponents between consecutive sizes: log(t2/t1) / log(n2/n1)."""
    return [
        f"{math.log(t2 / t1) / math.log(n2 / n1):.2f}" if t1 > 0 and t2 > 0 else "-"
        for (n1, t1), (n2, t2) in zip(zip(sizes, times), zip(sizes[1:], times[1:]))
    ]


def tmcode_cli() -> list[str]:
    """The tmcode command of this interpreter."""
    return [sys.executable, "-m", "tmcode"]


def pytm_python() -> str | None:
    """An interpreter that can import pytm, if one is available."""
    candidates = [os.environ.get("PYTM_PYTHON"), sys.executable]
    for python in filter(None, candidates):
        probe = subprocess.run([python, "-c", "import pytm"], capture_output=True)
        if probe.returncode == 0:
            return python
    return None


def main() -> None:
    """Measure and print every table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 5000, 10000, 20000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pytm-sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("--pytm-example", type=Path, default=None)
    args = parser.parse_args()
    from pytm_bridge import pytm_script

    from tmcode.model.load import load_model

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = []
        for n in args.sizes:
            model = root / f"m{n}.yaml"
            model.write_text(synthetic_model(n))
            samples: dict[str, list[tuple[float, float]]] = {s: [] for s in ["floor", *STAGES]}
            for r in range(args.repeats):
                for name in ["floor", *STAGES]:
                    samples[name].append(stage(name, model, root / f"site-{n}-{r}-{name}"))
                    if name != "floor":
                        samples["floor"].append(stage("floor", model, root / "unused"))
            med = {
                k: (statistics.median(t for t, _ in v), max(m for _, m in v))
                for k, v in samples.items()
            }
            rows.append((n, model.stat().st_size, med))
        print(
            "Seconds of work (median of fresh processes), ratio to the parse floor, peak RSS of the check process"
        )
        print(
            f"{'components':>10} {'MB':>6} {'floor':>7} {'load':>7} {'x':>5} {'check':>7} {'x':>5} {'peak MB':>8} "
            + " ".join(f"{s.split(':')[-1]:>8}" for s in STAGES[2:])
        )
        for n, size, med in rows:
            floor = med["floor"][0]
            print(
                f"{n:>10} {size / 1e6:>6.2f} {floor:>7.3f} {med['load'][0]:>7.3f} {med['load'][0] / floor:>5.2f} "
                f"{med['check'][0]:>7.3f} {med['check'][0] / floor:>5.2f} {med['check'][1]:>8.0f} "
                + " ".join(f"{med[s][0]:>8.3f}" for s in STAGES[2:])
            )
        sizes = [n for n, _, _ in rows]
        if len(sizes) > 1:
            print("\nScaling exponents between consecutive sizes (1.0 is linear)")
            for name in ["floor", *STAGES]:
                print(
                    f"  {name:>15}: "
                    + ", ".join(exponent(sizes, [med[name][0] for _, _, med in rows]))
                )

        python = pytm_python()
        if python is None:
            print(
                "\npytm is not installed: pip install 'tmcode[bench]' (or set PYTM_PYTHON) to compare"
            )
            return
        print(
            "\nAgainst pytm 1.4.0: equivalent model, whole command (start-up, matching, JSON output)"
        )
        print(
            f"{'components':>10} {'flows':>6} {'pytm s':>8} {'tmcode s':>9} {'ratio':>6} {'pytm MB':>8} {'tmcode MB':>9}"
        )
        for n in args.pytm_sizes:
            model = root / f"m{n}.yaml"
            if not model.exists():
                model.write_text(synthetic_model(n))
            loaded = load_model(model).model
            script = root / f"pytm{n}.py"
            script.write_text(pytm_script(loaded))
            flows = script.read_text().count("Dataflow(n[")
            pytm_runs, our_runs = [], []
            for _ in range(args.repeats):  # alternately, so that machine noise hits both
                pytm_runs.append(
                    run([python, str(script), "--json", str(root / f"pytm{n}.json")], cwd=root)
                )
                our_runs.append(
                    run(
                        [
                            *tmcode_cli(),
                            "check",
                            str(model),
                            "-f",
                            "json",
                            "-o",
                            str(root / f"tm{n}.json"),
                            "--fail-on",
                            "none",
                        ],
                        cwd=root,
                    )
                )
            pytm = (statistics.median(r[0] for r in pytm_runs), max(r[1] for r in pytm_runs))
            ours = (statistics.median(r[0] for r in our_runs), max(r[1] for r in our_runs))
            print(
                f"{n:>10} {flows:>6} {pytm[0]:>8.2f} {ours[0]:>9.2f} {pytm[0] / ours[0]:>5.1f}x "
                f"{pytm[1]:>8.0f} {ours[1]:>9.0f}"
            )
        small = root / "m20.yaml"
        small.write_text(synthetic_model(20))
        example = args.pytm_example
        if example is None:
            example = root / "pytm20.py"
            example.write_text(pytm_script(load_model(small).model))
        cold_pytm = statistics.median(
            run([python, str(example), "--json", str(root / "cold.json")], cwd=example.parent)[0]
            for _ in range(7)
        )
        cold_ours = statistics.median(
            run([*tmcode_cli(), "check", str(small), "--fail-on", "none"])[0] for _ in range(7)
        )
        print(
            f"\nCold start (median of 7): tmcode check on 20 components {cold_ours:.3f} s, "
            f"pytm {example.name} --json {cold_pytm:.3f} s, ratio {cold_ours / cold_pytm:.2f}"
        )


if __name__ == "__main__":
    main()
