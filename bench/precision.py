"""Print the catalog's recall on vulnerable fixtures and its precision against benign designs.

Usage: python bench/precision.py [--gate high] [--json]

- Recall: of the threat fixtures in tests/threats/<ID>/vulnerable.yaml, the share where the
  threat fires, open, on the target its expected.yaml names; each vulnerable-<controls>.yaml (a
  variant of the design where a mitigation set is offered) counts too, on the target its
  first line names.
- False alarms: an open finding of the fixture's own threat on its expected target in any of
  its mitigated fixtures (mitigated.yaml and mitigated-<controls>.yaml: one per mitigation
  set, each set on its own, on the target of the vulnerable fixture it is written from), and every open or expired finding at or above the gate on a
  design of the benign corpus (tests/benign/*.yaml: well-controlled systems modelled as
  careful teams write them).
- Precision: true detections over true detections plus false alarms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from tmcode.catalog.load import load_catalog
from tmcode.discover import discover_repository
from tmcode.engine import check
from tmcode.model.load import load_model
from tmcode.report import GATING_STATUSES, Severity, Status

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "threats"
BENIGN = ROOT / "tests" / "benign"
TODAY = dt.date(2026, 11, 26)

sys.path.insert(0, str(ROOT / "tests"))
from threats.make_mitigated import target_of  # noqa: E402  (which target each fixture is about)


def _report(catalog, path: Path):
    repo = path.with_name(path.stem + "-repo")
    found = discover_repository(repo) if repo.is_dir() else None
    loaded = load_model(path, known_controls=frozenset(catalog.controls))
    return check([loaded], catalog, today=TODAY, repository=found)


def _fires(catalog, path: Path, threat: str, target: str) -> bool:
    return any(
        f.threat == threat and f.target == target and f.status is Status.open
        for f in _report(catalog, path).findings
    )


def measure(gate: Severity) -> dict[str, object]:
    """Run every fixture and benign design; return the counts and the misses and false alarms."""
    catalog = load_catalog([])
    detected, missed, mitigated_alarms = [], [], []
    mitigated = 0
    for fixture in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        threat = fixture.name
        for path in sorted(fixture.glob("vulnerable*.yaml")):
            if _fires(catalog, path, threat, target_of(path)):
                detected.append(f"{threat}/{path.name}")
            else:
                missed.append(f"{threat}/{path.name}")
        for path in sorted(fixture.glob("mitigated*.yaml")):
            mitigated += 1
            if _fires(catalog, path, threat, target_of(path)):
                mitigated_alarms.append(f"{threat}/{path.name}")
    benign_alarms: dict[str, list[str]] = {}
    for design in sorted(BENIGN.glob("*.yaml")):
        benign_alarms[design.stem] = [
            f"{f.severity.value} {f.status.value} {f.threat} on {f.target}"
            for f in _report(catalog, design).findings
            if f.status in GATING_STATUSES and f.severity >= gate
        ]
    false_alarms = len(mitigated_alarms) + sum(len(a) for a in benign_alarms.values())
    total = len(detected) + len(missed)
    return {
        "gate": gate.value,
        "recall": len(detected) / total if total else 1.0,
        "precision": len(detected) / (len(detected) + false_alarms) if detected else 0.0,
        "fixtures": total,
        "detected": len(detected),
        "missed": missed,
        "mitigated_fixtures": mitigated,
        "mitigated_fixtures_still_open": mitigated_alarms,
        "benign_designs": len(benign_alarms),
        "benign_designs_passing_gate": sum(1 for a in benign_alarms.values() if not a),
        "benign_alarms": benign_alarms,
    }


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gate", default="high", choices=[s.value for s in Severity])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(Severity(args.gate))
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    print(
        f"recall     {result['recall']:.3f}  ({result['detected']}/{result['fixtures']} fixtures)"
    )
    print(f"precision  {result['precision']:.3f}  (gate {result['gate']})")
    for fixture in result["missed"]:
        print(f"  missed: {fixture}: its threat does not fire open")
    still_open = result["mitigated_fixtures_still_open"]
    print(
        f"mitigated  {result['mitigated_fixtures'] - len(still_open)}/"
        f"{result['mitigated_fixtures']} fixtures (one per mitigation set) mitigate their threat"
    )
    for fixture in still_open:
        print(f"  false alarm: {fixture}: its threat is still open")
    passing = result["benign_designs_passing_gate"]
    print(f"benign     {passing}/{result['benign_designs']} designs pass the {args.gate} gate")
    for design, alarms in result["benign_alarms"].items():
        for alarm in alarms:
            print(f"  false alarm: {design}: {alarm}")


if __name__ == "__main__":
    main()
