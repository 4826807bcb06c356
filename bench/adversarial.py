"""The adversarial benchmark: model shapes a hostile pull request could use to stall the gate.

Run ``python bench/adversarial.py`` (every shape at its default sizes) or name shapes:
``python bench/adversarial.py boundary-chain agent-chain``; ``--scale 0.1`` shrinks every size.
Each point runs the real command line in a fresh process and reports its wall seconds
(interpreter start-up included), its peak RSS (``ru_maxrss`` from ``wait4``), the bytes it
wrote, and the scaling exponent of time and memory against the previous size
(``log(t2/t1) / log(n2/n1)``: 1.0 is linear). A point that runs past ``--limit`` seconds is
stopped and shown as ``>LIMIT``.

Shapes:
  boundary-chain  boundaries nested N deep (``parent`` chain), one component per level;
                  ``check --format json`` and ``diagram --format dot``/``mermaid``.
  near-miss       N flows each naming a component that does not exist but is one letter away
                  from one that does; ``validate`` (every reference is reported, exit 2).
  agent-chain     web content feeding a chain of N agents by ``agent_message`` flows: every
                  agent is tainted along an evidence path as long as its place in the chain;
                  ``check --format sarif`` and ``--format json``; ``reach --format json``
                  (every agent's blast radius: each is bounded, so the whole is linear).
  source-fan      N web sources feeding one agent at the head of a chain of N agents: every
                  agent is reached by every source; each finding names at most 5 of them and
                  counts the rest, and at most 20 origins are followed per agent (linear).
  dense-flows     100 components and N flows among them; ``diagram --format svg`` (laid out by
                  Graphviz, within its time limit or refused) and ``check --format html``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HEAD = [
    "tmcode: 1",
    "system:",
    "  name: Adversarial",
    "  lifecycle: production",
]


def boundary_chain(n: int) -> str:
    """Boundaries nested ``n`` deep, one component in each."""
    out = [*HEAD, "boundaries:", "  b0:", "    trust: untrusted"]
    for i in range(1, n):
        out += [f"  b{i}:", "    trust: internal", f"    parent: b{i - 1}"]
    out += ["components:"]
    for i in range(n):
        out += [f"  s{i}:", "    kind: service", f"    boundary: b{i}"]
    out += ["flows:"]
    out += [f"  - {{from: s{i}, to: s{i + 1}, kind: api}}" for i in range(n - 1)]
    return "\n".join(out) + "\n"


def near_miss(n: int) -> str:
    """``n`` components and ``n`` flows whose target is one letter off a component id."""
    out = [*HEAD, "boundaries:", "  corp:", "    trust: internal", "components:"]
    for i in range(n):
        out += [f"  service-{i:06d}:", "    kind: service", "    boundary: corp"]
    out += ["flows:"]
    out += [
        f"  - {{from: service-{i:06d}, to: servise-{(i + 1) % n:06d}, kind: api}}" for i in range(n)
    ]
    return "\n".join(out) + "\n"


def agent_chain(n: int) -> str:
    """Web content feeding a chain of ``n`` agents."""
    out = [
        *HEAD,
        "boundaries:",
        "  internet:",
        "    trust: untrusted",
        "  corp:",
        "    trust: internal",
        "components:",
        "  web:",
        "    kind: external_content",
        "    boundary: internet",
        "    content: web",
        "  llm:",
        "    kind: llm",
        "    boundary: corp",
        "    hosting: self_hosted",
    ]
    for i in range(n):
        out += [f"  a{i}:", "    kind: agent", "    boundary: corp", "    model: llm"]
    out += ["flows:", "  - {from: web, to: a0, kind: retrieval}"]
    out += [f"  - {{from: a{i}, to: a{i + 1}, kind: agent_message}}" for i in range(n - 1)]
    return "\n".join(out) + "\n"


def source_fan(n: int) -> str:
    """``n`` web sources feeding one agent that heads a chain of ``n`` agents."""
    out = [
        *HEAD,
        "boundaries:",
        "  internet:",
        "    trust: untrusted",
        "  corp:",
        "    trust: internal",
        "components:",
        "  llm:",
        "    kind: llm",
        "    boundary: corp",
        "    hosting: self_hosted",
    ]
    for i in range(n):
        out += [f"  web{i}:", "    kind: external_content", "    boundary: internet"]
        out += ["    content: web"]
    for i in range(n):
        out += [f"  a{i}:", "    kind: agent", "    boundary: corp", "    model: llm"]
    out += ["flows:"]
    out += [f"  - {{from: web{i}, to: a0, kind: retrieval}}" for i in range(n)]
    out += [f"  - {{from: a{i}, to: a{i + 1}, kind: agent_message}}" for i in range(n - 1)]
    return "\n".join(out) + "\n"


def dense_flows(n: int) -> str:
    """100 services and ``n`` flows among them (distinct ids, so parallel flows are allowed)."""
    size = 100
    out = [*HEAD, "boundaries:", "  corp:", "    trust: internal", "components:"]
    for i in range(size):
        out += [f"  s{i}:", "    kind: service", "    boundary: corp"]
    out += ["flows:"]
    out += [
        f"  - {{id: f{i}, from: s{i % size}, to: s{(i * 7 + 1) % size}, kind: api}}"
        for i in range(n)
    ]
    return "\n".join(out) + "\n"


Command = Callable[[Path, Path], list[str]]


def _cli(*args: str) -> Command:
    def command(model: Path, out: Path) -> list[str]:
        return [sys.executable, "-m", "tmcode", *args[:1], str(model), *args[1:], "-o", str(out)]

    return command


def _validate(model: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "tmcode", "validate", str(model)]


SHAPES: dict[str, tuple[Callable[[int], str], list[int], list[tuple[str, Command]]]] = {
    "boundary-chain": (
        boundary_chain,
        [1_000, 6_000, 20_000, 60_000],
        [
            ("check json", _cli("check", "-f", "json", "--fail-on", "none")),
            ("diagram dot", _cli("diagram", "-f", "dot")),
            ("diagram mermaid", _cli("diagram", "-f", "mermaid")),
        ],
    ),
    "near-miss": (
        near_miss,
        [1_000, 6_000, 20_000, 60_000],
        [("validate", _validate)],
    ),
    "agent-chain": (
        agent_chain,
        [1_000, 8_000, 20_000, 80_000],
        [
            ("check sarif", _cli("check", "-f", "sarif", "--fail-on", "none")),
            ("check json", _cli("check", "-f", "json", "--fail-on", "none")),
            ("reach json", _cli("reach", "-f", "json")),
        ],
    ),
    "source-fan": (
        source_fan,
        [500, 2_000, 8_000, 20_000],
        [("check json", _cli("check", "-f", "json", "--fail-on", "none"))],
    ),
    "dense-flows": (
        dense_flows,
        [500, 2_000, 6_000, 20_000],
        [
            ("diagram svg", _cli("diagram", "-f", "svg")),
            ("check html", _cli("check", "-f", "html", "--fail-on", "none")),
        ],
    ),
}


def measure(cmd: list[str], out: Path, limit: float) -> tuple[float, float, int, int]:
    """Run a command; return (wall seconds or inf, its own peak RSS MB, output bytes, exit code)."""
    start = time.perf_counter()
    stdout = open(out.with_suffix(".stdout"), "wb")  # noqa: SIM115
    with stdout:
        proc = subprocess.Popen(
            cmd, stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = start + limit
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, 9)
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return math.inf, 0.0, 0, -9
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    printed = out.with_suffix(".stdout").stat().st_size
    size = out.stat().st_size if out.exists() else printed
    return wall, usage.ru_maxrss / 1024, size, proc.returncode


def _exponent(n1: int, v1: float, n2: int, v2: float) -> str:
    if not (0 < v1 < math.inf and 0 < v2 < math.inf):
        return "-"
    return f"{math.log(v2 / v1) / math.log(n2 / n1):.2f}"


def main() -> None:
    """Grow every chosen shape and print one table per shape and command."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("shapes", nargs="*", help="any of: " + ", ".join(SHAPES))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds per point")
    args = parser.parse_args()
    chosen = args.shapes or list(SHAPES)
    unknown = [s for s in chosen if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shape {', '.join(unknown)}; choose from {', '.join(SHAPES)}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for shape in chosen:
            make, sizes, commands = SHAPES[shape]
            sizes = [max(10, int(n * args.scale)) for n in sizes]
            models = {}
            for n in sizes:
                models[n] = root / f"{shape}-{n}.yaml"
                models[n].write_text(make(n))
            for label, command in commands:
                print(f"\n{shape}: {label}")
                print(
                    f"{'size':>8} {'model KB':>9} {'seconds':>8} {'peak MB':>8} {'output KB':>10}"
                    f" {'exit':>4} {'time exp':>8} {'mem exp':>8} {'out exp':>8}"
                )
                previous: tuple[int, float, float, int] | None = None
                for n in sizes:
                    out = root / f"{shape}-{n}-{label.replace(' ', '-')}.out"
                    out.unlink(missing_ok=True)
                    wall, peak, size, code = measure(command(models[n], out), out, args.limit)
                    exps = ["-", "-", "-"]
                    if previous is not None:
                        pn, pw, pp, ps = previous
                        exps = [
                            _exponent(pn, pw, n, wall),
                            _exponent(pn, pp, n, peak),
                            _exponent(pn, ps, n, size),
                        ]
                    shown = f">{args.limit:.0f}" if wall == math.inf else f"{wall:.2f}"
                    print(
                        f"{n:>8} {models[n].stat().st_size / 1024:>9.0f} {shown:>8} {peak:>8.0f}"
                        f" {size / 1024:>10.0f} {code:>4} {exps[0]:>8} {exps[1]:>8} {exps[2]:>8}",
                        flush=True,
                    )
                    previous = (n, wall, peak, size)
                    if wall == math.inf:
                        break


if __name__ == "__main__":
    main()
