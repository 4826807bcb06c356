"""The pull-request gate against a baseline, on the real command line: what counts as new.

Gate runs go through the installed `tmcode` in a subprocess; baselines and diffs through the
in-process command line (the `cli` fixture), which is faster. Both run in ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MODELS

TMCODE = shutil.which("tmcode", path=str(Path(sys.executable).parent)) or "tmcode"
TODAY = "2026-11-26"
IDE = (MODELS / "ide-agent.yaml").read_text()
SUPPORT = (MODELS / "mitigated" / "support-agent.yaml").read_text()
REFUNDS = "        scopes: [spend]\n        credential: service_account\n"
TERMINAL = "      terminal:\n        scopes: [execute, network]\n"
FORGE = "        scopes: [read, write, send]\n"


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) by ``new``."""
    assert old in text, old
    return text.replace(old, new)


def tmcode(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed command line in ``cwd``."""
    return subprocess.run(
        [TMCODE, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # reports name model files as given: relative, as in CI


def baseline(cli, tmp_path: Path, model: str, name: str = "main") -> str:
    """Write ``model`` and its JSON report (the main branch's); return the report's name."""
    (tmp_path / f"{name}.yaml").write_text(model)
    done = cli("check", f"{name}.yaml", "-f", "json", "-o", f"{name}.json")
    assert done.exit_code in (0, 1), done.output
    return f"{name}.json"


def diff(cli, *args: str) -> str:
    """The output of `tmcode diff`, which must succeed."""
    done = cli("diff", *args)
    assert done.exit_code == 0, done.output
    return done.stdout


def gate(tmp_path: Path, base: str, *models: str, today: str = TODAY):
    """Check ``models`` against ``base`` with --fail-on-new; return the run and its JSON report."""
    done = tmcode(
        tmp_path,
        "check",
        *models,
        "--baseline",
        base,
        "--fail-on-new",
        "--today",
        today,
        "-f",
        "text",
        "-o",
        "pr.txt",
        "-f",
        "json",
        "-o",
        "pr.json",
        "-f",
        "markdown",
        "-o",
        "pr.md",
    )
    assert done.returncode in (0, 1), done.stderr
    return done, (tmp_path / "pr.txt").read_text(), json.loads((tmp_path / "pr.json").read_text())


def line_of(text: str, *words: str) -> str:
    """The one line of ``text`` holding every word."""
    found = [line for line in text.splitlines() if all(w in line for w in words)]
    assert len(found) == 1, (words, found)
    return found[0]


def changes(report: dict) -> dict[tuple[str, str, str], str]:
    return {
        (f["location"]["file"], f["threat"], f["target"]): f["change"] for f in report["findings"]
    }


def test_deleting_human_approval_is_a_regression_that_fails(cli, tmp_path: Path) -> None:
    base = baseline(cli, tmp_path, SUPPORT)
    (tmp_path / "pr.yaml").write_text(
        edit(
            SUPPORT,
            REFUNDS + "        controls: [budget_cap, human_approval]\n",
            REFUNDS + "        controls: [budget_cap]\n",
        )
    )
    done, text, report = gate(tmp_path, base, "pr.yaml")
    assert done.returncode == 1
    assert line_of(text, "[regressed]").startswith("    CRITICAL AG-001 ")
    assert line_of(text, "AG-001", "agent.tools.refunds").endswith(
        "(was critical, mitigated; now open)"
    )
    assert line_of(text, "compared with").endswith(
        ": 0 new, 1 regressed, 0 severity raised, 0 accepted, 0 fixed, 0 severity lowered, 13 unchanged, 1 no longer found (not open)"
    )
    assert "FAIL: 1 new, regressed or raised finding(s)" in text.splitlines()[-1]
    [row] = report["baseline"]["regressed"]
    assert (row["threat"], row["target"], row["status"], row["was"]) == (
        "AG-001",
        "agent.tools.refunds",
        "open",
        {"severity": "critical", "status": "mitigated"},
    )
    out = diff(cli, base, "pr.json")
    assert out.startswith("This change reopens 1 (AG-001 on agent.tools.refunds).")
    assert line_of(out, "CRITICAL AG-001").endswith(
        "on agent.tools.refunds (was critical, mitigated; now open)"
    )
    comment = (tmp_path / "pr.md").read_text()
    assert "**Regressions (open again)**\n- **critical** `AG-001`" in comment
    # Without --fail-on-new the gate fails too, as before.
    assert cli("check", "pr.yaml", "--today", TODAY).exit_code == 1


@pytest.mark.parametrize("same_id", [False, True], ids=["no-ids", "same-id"])
def test_a_second_system_reusing_ids_brings_new_findings(
    cli, tmp_path: Path, same_id: bool
) -> None:
    first = (
        edit(IDE, "  name: IDE coding agent\n", "  name: IDE coding agent\n  id: ide\n")
        if same_id
        else IDE
    )
    base = baseline(cli, tmp_path, first)
    (tmp_path / "copy.yaml").write_text(edit(first, "  name: IDE coding agent\n", "  name: Copy\n"))
    done, text, report = gate(tmp_path, base, "main.yaml", "copy.yaml")
    assert done.returncode == 1, text
    labels = changes(report)
    assert {c for (file, _, _), c in labels.items() if file == "copy.yaml"} == {"new"}
    assert {c for (file, _, _), c in labels.items() if file == "main.yaml"} == {"unchanged"}
    assert report["baseline"]["new"] == sum(1 for f, _, _ in labels if f == "copy.yaml") == 19
    ids = {f["id"] for f in report["findings"]}
    assert len(ids) == (19 if same_id else 38)  # distinct systems never share fingerprints
    # Listed in either order, the copy's findings are still the new ones.
    _, _, again = gate(tmp_path, base, "copy.yaml", "main.yaml")
    assert changes(again) == labels


def test_a_severity_rise_fails_and_a_fall_is_listed(cli, tmp_path: Path) -> None:
    base = baseline(cli, tmp_path, IDE)
    (tmp_path / "pr.yaml").write_text(
        edit(IDE, FORGE, "        scopes: [read, write, send, spend]\n")
    )
    done, text, report = gate(tmp_path, base, "pr.yaml")
    assert done.returncode == 1
    assert line_of(text, "[severity raised]").startswith("    CRITICAL AG-001 ")
    assert report["baseline"]["counts"]["new"] == 0
    [row] = report["baseline"]["severity_raised"]
    assert (row["target"], row["severity"], row["was"]["severity"]) == (
        "agent.tools.forge-mcp",
        "critical",
        "high",
    )
    # The other way round, the same change lowers a severity: listed, and the gate passes.
    # (The report a run reads is never one it writes: keep the PR's report aside first.)
    (tmp_path / "pr.json").rename(tmp_path / "raised.json")
    lower, _, back = gate(tmp_path, "raised.json", "main.yaml")
    assert lower.returncode == 0
    assert [r["target"] for r in back["baseline"]["severity_lowered"]] == ["agent.tools.forge-mcp"]


def test_newly_mitigated_is_fixed(cli, tmp_path: Path) -> None:
    base = baseline(cli, tmp_path, IDE)
    (tmp_path / "pr.yaml").write_text(
        edit(IDE, TERMINAL, TERMINAL + "        controls: [human_approval]\n")
    )
    done, text, report = gate(tmp_path, base, "pr.yaml")
    assert done.returncode == 0
    # Approving each command settles every threat about the agent running commands on its own
    # (catalog/overlaps.yaml): AG-001, and AG-002, OUT-001 and OUT-003 on the same permission.
    assert line_of(text, "[newly mitigated]", "AG-001").startswith("    CRITICAL AG-001 ")
    assert line_of(text, "AG-001", "on agent.tools.terminal").endswith("(now mitigated, was open)")
    assert ", 4 fixed," in line_of(text, "compared with")
    assert sorted(
        (r["threat"], r["status"], r["was"]["status"]) for r in report["baseline"]["fixed"]
    ) == [(t, "mitigated", "open") for t in ("AG-001", "AG-002", "OUT-001", "OUT-003")]
    md = diff(cli, base, "pr.json", "--format", "markdown")
    # With every command approved, execute is no longer a consequential scope of the agent.
    assert md.startswith("### This change fixes 4; lowers the severity of 3\\.")
    assert "- **high** `PI-002`" in md and "on `agent` (was critical)" in md
    assert "**Fixed**\n- **critical** `AG-001`" in md and "(now mitigated, was open)" in md


def test_an_expired_acceptance_is_a_regression(cli, tmp_path: Path) -> None:
    fraud = (MODELS / "mitigated" / "fraud-scoring.yaml").read_text()
    base = baseline(cli, tmp_path, fraud)
    (tmp_path / "pr.yaml").write_text(fraud)
    on_time, _, _ = gate(tmp_path, base, "pr.yaml", today="2027-09-30")
    assert on_time.returncode == 0
    late, text, _ = gate(tmp_path, base, "pr.yaml", today="2027-10-01")
    assert late.returncode == 1
    assert line_of(text, "ML-001", "[regressed]").endswith("[expired] [regressed]")
    assert line_of(text, "ML-001 ", "on scorer").endswith("(was high, accepted; now expired)")


def test_a_new_finding_dismissed_at_once_is_listed_for_review(cli, tmp_path: Path) -> None:
    base = baseline(cli, tmp_path, IDE)
    pr = edit(IDE, "    users: single\n", "    users: multiple\n")
    (tmp_path / "pr.yaml").write_text(pr)
    done, _, report = gate(tmp_path, base, "pr.yaml")
    new = [(f["threat"], f["target"]) for f in report["findings"] if f["change"] == "new"]
    assert done.returncode == 1 and new
    threat, target = new[0]
    (tmp_path / "pr.yaml").write_text(
        pr
        + "decisions:\n"
        + "".join(
            f"  - threat: {t}\n    target: {g}\n    status: false_positive\n    reason: not ours\n"
            for t, g in new
        )
    )
    done, _, report = gate(tmp_path, base, "pr.yaml")
    assert done.returncode == 0  # a decision in the model is the reviewers' call...
    out = diff(cli, base, "pr.json")
    assert out.splitlines()[0] == f"This change accepts or dismisses {len(new)}."
    assert "Accepted or marked false positive" in out  # ...so the diff shows it to them
    assert f"{threat} " in line_of(out, threat, target, "now false_positive, new")


def test_diff_lists_changes_worst_first(cli, tmp_path: Path) -> None:
    before = edit(IDE, TERMINAL, TERMINAL + "        controls: [human_approval]\n")
    base = baseline(cli, tmp_path, before)
    after = edit(
        edit(
            edit(IDE, "    users: single\n", "    users: multiple\n"),
            FORGE,
            "        scopes: [read, write, send, spend]\n",
        ),
        "    source: community\n",
        "    source: vendor\n",
    )
    (tmp_path / "pr.yaml").write_text(after)
    done, text, report = gate(tmp_path, base, "pr.yaml")
    assert done.returncode == 1
    counts = report["baseline"]["counts"]
    # Dropping the terminal's approval reopens the four threats it settled (catalog/overlaps.yaml),
    # and its execute raises the agent's PI-002, AG-004 and OBS-001 again.
    assert [counts[k] for k in ("new", "regressed", "severity_raised", "fixed")] == [2, 4, 4, 2]
    for fmt, headings in (
        ("text", ["New open findings", "Regressions (open again)", "Severity raised", "Fixed"]),
        (
            "markdown",
            [
                "**New open findings**",
                "**Regressions (open again)**",
                "**Severity raised**",
                "**Fixed**",
            ],
        ),
    ):
        out = diff(cli, base, "pr.json", "--format", fmt)
        lines = out.splitlines()
        assert [lines.index(h) for h in headings] == sorted(lines.index(h) for h in headings)
        summary = next(line for line in lines if line.startswith("Findings: "))
        assert summary == f"Findings: {report['baseline']['counts_summary']}."
        assert lines.index(summary) > lines.index(headings[-1])
    data = json.loads(diff(cli, base, "pr.json", "--format", "json"))
    assert list(data)[list(data).index("new_open") :][:6] == [
        "new_open",
        "regressed",
        "severity_raised",
        "accepted",
        "fixed",
        "severity_lowered",
    ]
    assert data["counts"] == counts
    # The check summary line says the same counts as the diff.
    assert line_of(text, "compared with").endswith(report["baseline"]["counts_summary"])


def _previous_fingerprint(threat: str, target: str, system: str | None) -> str:
    """How tmcode 0.1 fingerprinted findings: a system without an id added nothing."""
    text = "\x1f".join([threat, target, system or ""])
    return "tmc-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def test_a_baseline_of_the_previous_version_still_matches(cli, tmp_path: Path) -> None:
    base = baseline(cli, tmp_path, IDE)
    old = json.loads((tmp_path / base).read_text())
    for f in old["findings"]:
        f["id"] = _previous_fingerprint(f["threat"], f["target"], f["system"])
    (tmp_path / "old.json").write_text(json.dumps(old))
    done, text, report = gate(tmp_path, "old.json", "main.yaml")
    assert done.returncode == 0, text
    assert report["baseline"]["counts"]["unchanged"] == 19
    assert {f["id"] for f in report["findings"]}.isdisjoint(f["id"] for f in old["findings"])
    # Without `systems`, `models` or `system` the report cannot say whose findings they are.
    for key in ("systems", "models", "system"):
        del old[key]
    (tmp_path / "older.json").write_text(json.dumps(old))
    done = tmcode(tmp_path, "check", "main.yaml", "--baseline", "older.json", "--fail-on-new")
    assert done.returncode == 2
    assert done.stderr.startswith("older.json:1:1: not a tmcode JSON report: finding 1 (")
    assert "names no system" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "closed", "unknown status `closed`"),
        ("severity", "huge", "unknown severity `huge`"),
    ],
)
def test_a_baseline_with_unknown_values_is_refused(
    cli, tmp_path: Path, field: str, value: str, message: str
) -> None:
    base = baseline(cli, tmp_path, IDE)
    data = json.loads((tmp_path / base).read_text())
    data["findings"][0][field] = value
    (tmp_path / base).write_text(json.dumps(data))
    done = tmcode(tmp_path, "check", "main.yaml", "--baseline", base, "--fail-on-new")
    assert done.returncode == 2 and message in done.stderr
