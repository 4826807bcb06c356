"""One source of counts, dates and verdicts: every format says the same numbers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import MODELS, run_tmcode
from tmcode.pipeline import check_files
from tmcode.render import RenderOptions, render
from tmcode.render.site import site_files
from tmcode.render.wording import STATUS_WORDS
from tmcode.report import FailOn, Severity, utc_today

MODEL = MODELS / "support-copilot.yaml"
PAST_EXPIRY = "2027-07-01"  # the model's acceptance expires on 2027-06-30


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # A bare environment: no colour, no inherited TZ or NO_COLOR settings.
    return run_tmcode(*args, cwd=cwd, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def expired_report():
    import datetime as dt

    return check_files([MODEL], today=dt.date.fromisoformat(PAST_EXPIRY))


def test_an_expired_finding_is_counted_once(expired_report) -> None:
    s = expired_report.summary
    assert s["by_status"]["expired"] == 1
    assert sum(s["by_status"].values()) == s["total"]
    text = render(expired_report, "text", RenderOptions())
    last = text.strip().splitlines()[-1]
    numbers = dict(
        (word, int(n))
        for n, word in re.findall(r"(\d+) (open|expired|mitigated|accepted|false positive)", last)
    )
    assert numbers == {"open": 17, "expired": 1, "mitigated": 2, "accepted": 0, "false positive": 0}
    assert sum(numbers.values()) == s["total"] == 20


def test_severity_headings_split_by_status_and_add_up(expired_report) -> None:
    text = render(expired_report, "text", RenderOptions())
    matrix = expired_report.summary["by_severity_and_status"]
    for severity in Severity:
        row = matrix[severity.value]
        heading = re.search(rf"^{severity.value.upper()} \((.*)\)$", text, re.M)
        if not any(row.values()):
            assert heading is None
            continue
        assert heading, severity
        said = {word: int(n) for n, word in re.findall(r"(\d+) ([a-z ]+)", heading.group(1))}
        assert sum(said.values()) == sum(row.values())
        assert said.get("open", 0) == row["open"]
        assert said.get("expired", 0) == row["expired"]


def test_every_format_reports_the_same_counts_date_and_verdict(expired_report) -> None:
    options = RenderOptions(fail_on=FailOn.high)
    sentence = "FAIL: 9 finding(s) at or above high."
    totals = "20 findings: 17 open, 1 expired, 2 mitigated, 0 accepted, 0 false positive"
    text = render(expired_report, "text", options)
    assert totals in text and sentence in text and PAST_EXPIRY in text

    markdown = render(expired_report, "markdown", options)
    assert sentence in markdown and totals in markdown and PAST_EXPIRY in markdown
    table = {
        row.split("|")[1].split()[-1]: [int(c) for c in row.split("|")[2:-1]]
        for row in markdown.splitlines()
        if re.match(r"\| \S+ (critical|high|medium|low|info) \|( \d+ \|)+$", row)
    }
    matrix = expired_report.summary["by_severity_and_status"]
    for severity, cells in table.items():
        assert cells == [matrix[severity][st.value] for st in STATUS_WORDS]

    html = render(expired_report, "html", RenderOptions(fail_on=FailOn.high, svg=False))
    assert sentence in html and totals in html and PAST_EXPIRY in html

    data = json.loads(render(expired_report, "json", options))
    assert data["summary"]["by_status"]["expired"] == 1
    assert data["summary"]["date"] == PAST_EXPIRY

    sarif = json.loads(render(expired_report, "sarif", options))
    props = sarif["runs"][0]["properties"]
    assert props == {
        "summary": totals,
        "openBySeverity": data["summary"]["open_by_severity"],
        "date": PAST_EXPIRY,
        "verdict": sentence,
    }

    junit = ET.fromstring(render(expired_report, "junit", options))
    assert junit.get("failures") == "9"
    values = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert values == {
        "tmcode.summary": totals,
        "tmcode.date": PAST_EXPIRY,
        "tmcode.verdict": sentence,
    }

    files = site_files(expired_report, svg=False)
    findings_page = next(v for k, v in files.items() if k.endswith("/findings.md"))
    assert totals in findings_page and PAST_EXPIRY in findings_page


def test_only_new_gates_html_and_junit_like_the_exit_code(expired_report) -> None:
    from tmcode.baseline import apply_baseline

    earlier = json.loads(render(expired_report, "json", RenderOptions()))
    compared = apply_baseline(expired_report, earlier, "main.json")
    options = RenderOptions(fail_on=FailOn.high, only_new=True)
    assert "PASS: no new, regressed or raised open finding at or above high." in render(
        compared, "html", RenderOptions(fail_on=FailOn.high, only_new=True, svg=False)
    )
    assert ET.fromstring(render(compared, "junit", options)).get("failures") == "0"


def test_severity_colours_come_from_one_palette(expired_report) -> None:
    from tmcode.render.diagram import build_view, to_dot, to_mermaid
    from tmcode.render.palette import SEVERITY_STYLE

    loaded = expired_report.sources[0]
    view = build_view(loaded, expired_report.findings)
    html = render(expired_report, "html", RenderOptions(svg=False))
    dot, mermaid = to_dot(view), to_mermaid(view)
    markdown = render(expired_report, "markdown", RenderOptions())
    site_css = site_files(expired_report, svg=False)["docs/stylesheets/tmcode.css"]
    for severity, style in SEVERITY_STYLE.items():
        assert f".sev.{severity.value} {{ background: {style.fill};" in html
        assert f"classDef {severity.value} fill:{style.fill}" in mermaid
        assert style.fill in site_css
        if expired_report.summary["by_severity"][severity.value]:
            assert f"{style.icon} {severity.value}" in markdown
    assert SEVERITY_STYLE[Severity.critical].fill in dot


def test_check_says_why_on_stderr_when_reports_go_to_files(tmp_path: Path) -> None:
    done = run(
        "check",
        str(MODEL),
        "-f",
        "json",
        "-o",
        str(tmp_path / "r.json"),
        "--today",
        PAST_EXPIRY,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    line = done.stderr.strip()
    assert line.startswith("Support Copilot — 20 findings: 17 open, 1 expired")
    assert line.endswith("FAIL: 9 finding(s) at or above high.")
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["total"] == 20


def test_check_json_on_stdout_stays_parsable_with_the_summary_on_stderr(tmp_path: Path) -> None:
    done = run("check", str(MODEL), "-f", "json", "--fail-on", "none", cwd=tmp_path)
    assert done.returncode == 0
    assert json.loads(done.stdout)["summary"]["total"] == 20
    assert "The gate is off (--fail-on none)." in done.stderr


def test_text_on_stdout_is_not_repeated_on_stderr(tmp_path: Path) -> None:
    done = run("check", str(MODEL), "--fail-on", "none", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.strip().splitlines()[-1].startswith("Support Copilot — 20 findings")


def test_version_works_alone(tmp_path: Path) -> None:
    from tmcode import __version__

    done = run("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout == f"tmcode {__version__}\n"


def test_expiry_is_judged_on_the_utc_date_whatever_the_runner_zone(tmp_path: Path) -> None:
    import datetime as dt

    today = dt.datetime.now(dt.timezone.utc).date()
    model = tmp_path / "m.yaml"
    model.write_text(
        MODEL.read_text().replace("expires: 2027-06-30", f"expires: {today.isoformat()}")
    )
    dates = set()
    for zone in ("Etc/GMT+12", "Etc/GMT-14", "UTC"):  # UTC-12 and UTC+14
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tmcode",
                "check",
                str(model),
                "-f",
                "json",
                "--fail-on",
                "none",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={"TZ": zone, "PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 0, done.stderr
        dates.add(json.loads(done.stdout)["summary"]["date"])
    # Three zones, one date (a run straddling UTC midnight could see two).
    assert len(dates) == 1 or dates <= {today.isoformat(), (today + dt.timedelta(1)).isoformat()}
    assert utc_today() in {dt.date.fromisoformat(d) for d in dates}
