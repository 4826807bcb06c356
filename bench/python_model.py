"""What a Python model costs over its YAML twin: the cold ``tmcode validate`` of each.

Run ``python bench/python_model.py [--repeats N]``. A Python model runs in a child Python
process (so that nothing it does can end or hang tmcode), which adds an interpreter start and
an import of tmcode's model classes; this prints the median wall time of validating
``models/ide_agent.py`` and ``models/ide-agent.yaml`` (measured alternately, each in a fresh
process) and the difference.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "models"


def wall(model: Path) -> float:
    """Seconds of one cold ``tmcode validate`` of ``model``."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tmcode", "validate", str(model)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    """Print the median cold validate time of the Python model, its YAML twin, and the gap."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    python, yaml = MODELS / "ide_agent.py", MODELS / "ide-agent.yaml"
    times: dict[Path, list[float]] = {python: [], yaml: []}
    for _ in range(args.repeats):
        for model in (yaml, python):
            times[model].append(wall(model))
    py, ya = statistics.median(times[python]), statistics.median(times[yaml])
    print(f"validate {yaml.name:16} median {ya * 1000:7.0f} ms")
    print(f"validate {python.name:16} median {py * 1000:7.0f} ms")
    print(f"Python model over YAML      {(py - ya) * 1000:+7.0f} ms ({args.repeats} runs each)")


if __name__ == "__main__":
    main()
