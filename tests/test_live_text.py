"""Nothing a foreign file says becomes live: hostile text through the real command line.

Model text, reports and imported files are written by whoever opens a pull request. These
tests run ``tmcode`` as a subprocess on such files and check every output where the text
lands: the terminal, pull-request comments (Markdown), JUnit XML, JSON, the generated
``mkdocs.yml`` and imported models.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import MODELS
from payload import PAYLOAD, live_markdown, payload_model_text
from tmcode.baseline import diff_reports
from tmcode.model.load import load_model
from tmcode.render.escape import HIDDEN, markdown_text, reveal, terminal_text

# The payload, plus what reorders, hides or notifies: bidi override and isolate, zero-width
# and tag characters, a C1 control sequence introducer, YAML's other line breaks, a team
# mention, a `www.` autolink and an issue reference.
HOSTILE = (
    PAYLOAD + " \u202eevil\u202c \u2066x\u2069 a\u200bb \U000e0041 \x9b2J \x85 \u2028 \u2029"
    " @acme/security www.evil.example #1"
)
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")


def tmcode(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command line; output is decoded leniently so that any byte is seen."""
    env = {**os.environ, "NO_COLOR": "1", "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tmcode", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=300,
    )


def hidden_in(text: str) -> list[str]:
    """Hidden characters in an output, line breaks between lines aside."""
    return [repr(m.group()) for m in HIDDEN.finditer(text.replace("\n", ""))]


def yaml_quoted(text: str) -> str:
    """A YAML double-quoted scalar holding ``text`` exactly, whatever characters it has."""
    return (
        '"'
        + "".join(
            ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else f"\\U{ord(ch):08x}" for ch in text
        )
        + '"'
    )


def named_model(tmp_path: Path, name: str, file: str = "named.yaml") -> Path:
    """support-copilot with another system name (and no id, so the name is its address)."""
    text = (MODELS / "support-copilot.yaml").read_text(encoding="utf-8")
    text = text.replace("  id: support-copilot\n", "").replace(
        "  name: Support Copilot", f"  name: {yaml_quoted(name)}"
    )
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """An old report, a new one holding the payload models, and a hand-forged hostile one."""
    tmp = tmp_path_factory.mktemp("reports")
    (tmp / "payload.yaml").write_text(payload_model_text(), encoding="utf-8")
    named_model(tmp, HOSTILE)
    old, new = tmp / "old.json", tmp / "new.json"
    assert tmcode("check", MODELS / "support-copilot.yaml", "-f", "json", "-o", old, "--fail-on", "none", cwd=tmp).returncode == 0  # fmt: skip
    result = tmcode("check", "payload.yaml", "named.yaml", "-f", "json", "-o", new, "--fail-on", "none", cwd=tmp)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(new.read_text(encoding="utf-8"))
    assert [m["system"]["name"] for m in data["models"]] == [PAYLOAD, HOSTILE]
    # A report is a file in the pull request too: forge one with hostile text in every field.
    forged = json.loads(old.read_text(encoding="utf-8"))
    # (Severity and status are closed sets a baseline is checked against: hostile text there
    # is refused with exit 2, see test_a_baseline_with_hostile_closed_fields_is_refused.)
    for f in forged["findings"][:3]:
        f.update(threat=HOSTILE, title=HOSTILE, target=HOSTILE)
    forged["findings"][3]["status"] = "mitigated"  # a changed finding: "(was …)"
    forged["models"][0]["components"][HOSTILE] = "agent"
    forged["models"][0]["flows"].append(HOSTILE)
    (tmp / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    return {"old": old, "new": new, "forged": tmp / "forged.json"}


DIFFS = [("old", "new"), ("old", "forged"), ("forged", "old")]


@pytest.mark.parametrize(("before", "after"), DIFFS)
def test_markdown_diff_makes_nothing_live(reports, before: str, after: str) -> None:
    result = tmcode("diff", reports[before], reports[after], "--format", "markdown", cwd=reports["old"].parent)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "evil" in result.stdout  # the hostile text is there, shown
    assert not live_markdown(result.stdout), live_markdown(result.stdout)
    assert "\\\\u202e" in result.stdout  # a backslash-escaped backslash: `\u202e` is shown


@pytest.mark.parametrize(("before", "after"), DIFFS)
def test_text_diff_sends_no_control_to_the_terminal(reports, before: str, after: str) -> None:
    result = tmcode("diff", reports[before], reports[after], "--format", "text", cwd=reports["old"].parent)  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not hidden_in(out), hidden_in(out)
    assert "\\x1b[31mANSI" in out and "\\u202eevil" in out and "\\x9b2J" in out
    # A newline in a field cannot forge a line of its own.
    assert not any(line.startswith("next line") for line in out.splitlines())


@pytest.mark.parametrize(("before", "after"), DIFFS)
def test_json_diff_keeps_the_data_and_hides_nothing(reports, before: str, after: str) -> None:
    result = tmcode("diff", reports[before], reports[after], "--format", "json", cwd=reports["old"].parent)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not hidden_in(result.stdout), hidden_in(result.stdout)
    old = json.loads(reports[before].read_text(encoding="utf-8"))
    new = json.loads(reports[after].read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == diff_reports(old, new).to_dict()


def test_json_report_keeps_the_data_and_hides_nothing(reports) -> None:
    text = reports["new"].read_text(encoding="utf-8")
    assert not hidden_in(text), hidden_in(text)
    assert json.loads(text)["models"][1]["system"]["name"] == HOSTILE


@pytest.mark.parametrize("fmt", ["text", "markdown", "junit", "html", "sarif"])
def test_bidi_and_controls_in_a_system_name_are_shown(tmp_path: Path, fmt: str) -> None:
    model = named_model(tmp_path, HOSTILE)
    result = tmcode("check", model, "-f", fmt, "--fail-on", "none", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not hidden_in(out), hidden_in(out)
    if fmt == "text":
        assert "\\u202eevil\\u202c" in out and "\\U000e0041" in out
        assert not any(line.startswith("next line") for line in out.splitlines())
    if fmt == "markdown":
        assert "\\\\u202eevil\\\\u202c" in out
        assert not live_markdown(out), live_markdown(out)
    if fmt == "junit":
        ET.fromstring(out)


@pytest.mark.parametrize(
    "name",
    [
        "m\x1b[31m\x07\x0b\x7f\x9b\u202e.yaml",  # controls, C1 and bidi in a file name
        os.fsdecode(b"m\xff\xfe.yaml"),  # bytes that are not UTF-8 (lone surrogates)
    ],
)
def test_junit_is_well_formed_with_a_hostile_file_name(tmp_path: Path, name: str) -> None:
    model = tmp_path / name
    model.write_bytes((MODELS / "support-copilot.yaml").read_bytes())
    result = tmcode("check", name, "-f", "junit", "-o", "report.xml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # the model fails the gate; the XML is written
    root = ET.parse(tmp_path / "report.xml").getroot()
    files = {e.get("file") for e in root.iter() if e.get("file")}
    assert files == {reveal(name)}
    for args in (("check", name, "--fail-on", "none"), ("validate", name)):
        text = tmcode(*args, cwd=tmp_path)
        assert text.returncode == 0 and not hidden_in(text.stdout + text.stderr), args


def _leaves(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(node, dict):
        assert all(isinstance(k, str) for k in node), node
        return [leaf for k, v in node.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [leaf for v in node for leaf in _leaves(v, path)]
    return [(path, node)]


@pytest.mark.parametrize(
    "name",
    [
        '!!python/object/apply:os.system ["echo tmcode-was-here >&2"]',
        "!!python/name:pymdownx.superfences.fence_code_format",
        "x\nsite_url: https://evil.example\nhooks: [evil.py]\nnav: *a",
        "&a [x]\u2028hooks: [evil.py]\x85extra_javascript: [evil.js]",
        "'\"]}: {site_url: evil} # ",
    ],
)
def test_mkdocs_yml_has_no_tag_anchor_or_key_from_model_text(tmp_path: Path, name: str) -> None:
    from pymdownx.superfences import fence_code_format

    model = named_model(tmp_path, name)
    result = tmcode("docs", model, "--output", "site", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "site" / "mkdocs.yml").read_text(encoding="utf-8")
    # MkDocs reads its configuration with a loader that constructs Python objects.
    config = yaml.unsafe_load(text)
    assert "tmcode-was-here" not in result.stderr
    assert list(config) == [
        "site_name", "use_directory_urls", "theme", "plugins", "extra_css",
        "markdown_extensions", "extra", "extra_javascript", "nav",
    ]  # fmt: skip
    for path, value in _leaves(config):
        if path[-1] == "format":
            assert value is fence_code_format
        else:
            assert isinstance(value, (str, bool)), (path, value)
    assert "&a" not in text.replace("&amp;", "")
    assert config["site_name"].startswith("Threat model: ")
    # One system section: its eight pages, Assurance, and Blast radius when something can act.
    assert any(isinstance(entry, dict) and len(entry[next(iter(entry))]) in (9, 10) for entry in config["nav"][1:2])  # fmt: skip


# An injection in each place an importer takes text from: a newline (or another line break
# YAML knows) followed by a top-level `decisions:` that would accept a threat.
INJECTIONS = [
    "x\ndecisions:\n  - {threat: PI-001, target: system, status: false_positive, reason: x}\n#",
    "x\rdecisions: [{threat: PI-001, target: system, status: false_positive, reason: x}]\r#",
    "x\x85decisions: [{threat: PI-001, target: system, status: false_positive, reason: x}]",
    "x\u2028decisions: [{threat: PI-001, target: system, status: false_positive, reason: x}]",
]
MODEL_KEYS = {"tmcode", "system", "boundaries", "data", "components", "flows"}


def _check_import(tmp_path: Path, fmt: str, source: Path) -> str:
    out = tmp_path / "imported.yaml"
    result = tmcode("import", fmt, source, "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    for loader in (yaml.safe_load, lambda t: yaml.load(t, Loader=yaml.BaseLoader)):
        data = loader(text)
        assert set(data) <= MODEL_KEYS, set(data)
        assert all(ID_PATTERN.match(c) for c in data["components"]), list(data["components"])
    model = load_model(out).model
    assert not model.decisions
    assert all(line.startswith("#") for line in text.split("tmcode: 1\n")[0].splitlines())
    assert "decisions:" in text  # the foreign text is reported, shown in a comment
    return text


@pytest.mark.parametrize("injection", INJECTIONS)
def test_otm_import_adds_no_key(tmp_path: Path, injection: str) -> None:
    document = {
        "otmVersion": "0.2.0",
        "project": {"name": injection, "id": injection, "description": injection},
        "trustZones": [{"id": injection, "name": injection, "risk": {"trustRating": 10}}],
        "assets": [{"id": "a" + injection, "name": injection}],
        "components": [
            {"id": "c" + injection, "name": injection, "type": injection, "description": injection,
             "parent": {"trustZone": injection}, "threats": [{}]},
            {"id": "d" + injection, "name": "d", "type": "agent" + injection,
             "parent": {"component": injection}},
        ],
        "dataflows": [
            {"id": injection, "source": "c" + injection, "destination": "d" + injection,
             "bidirectional": True},
            {"id": "e" + injection, "source": injection, "destination": "c" + injection},
        ],
    }  # fmt: skip
    source = tmp_path / "in.otm.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    text = _check_import(tmp_path, "otm", source)
    assert reveal("c" + injection) in text  # the weird id is reported as it was


@pytest.mark.parametrize("injection", INJECTIONS)
def test_threagile_import_adds_no_key(tmp_path: Path, injection: str) -> None:
    document = {
        "title": injection,
        "description": injection,
        "author": {"name": injection},
        "data_assets": {injection: {"id": "d" + injection, "usage": injection}},
        "trust_boundaries": {
            injection: {"id": "b" + injection, "type": injection, "technical_assets_inside": ["a" + injection]}
        },
        "technical_assets": {
            injection: {
                "id": "a" + injection, "type": injection, "technology": injection,
                "owner": injection, "tags": [injection], injection: 1,
                "communication_links": {
                    injection: {"target": "t" + injection, "protocol": injection},
                    "ok" + injection: {"target": "a" + injection, injection: 1},
                },
            },
            "other": {"id": "o", "technologies": [injection]},
        },
        injection: 1,
    }  # fmt: skip
    source = tmp_path / "in.threagile.yaml"
    source.write_text(json.dumps(document), encoding="utf-8")  # JSON is YAML
    text = _check_import(tmp_path, "threagile", source)
    assert reveal(injection) in text  # the technology is reported as it was


def test_threagile_alias_bomb_is_a_clean_error(tmp_path: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    source = tmp_path / "bomb.yaml"
    source.write_text("\n".join([*lines, "technical_assets: {x: *a8}"]) + "\n")
    result = tmcode("import", "threagile", source, "-o", "out.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "alias bomb" in result.stderr and "Traceback" not in result.stderr
    assert "bomb.yaml:" in result.stderr and not (tmp_path / "out.yaml").exists()


@pytest.mark.parametrize(
    ("fmt", "content", "text"),
    [
        ("threagile", '!!python/object/apply:os.system ["true"]\n', "is not allowed"),
        ("threagile", "technical_assets: {}\ntechnical_assets: {}\n", "cannot parse"),
        ("otm", "[" * 100_000 + "]" * 100_000, "nesting deeper than 64 levels"),
    ],
)
def test_hostile_import_files_are_clean_errors(tmp_path: Path, fmt: str, content: str, text: str) -> None:  # fmt: skip
    source = tmp_path / "in.txt"
    source.write_text(content)
    result = tmcode("import", fmt, source, "-o", "out.yaml", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert text in result.stderr and "Traceback" not in result.stderr


def test_hidden_covers_every_control_format_and_separator_character() -> None:
    categories = {"Cc", "Cf", "Zl", "Zp", "Cs"}
    missing = [
        f"U+{cp:04X}"
        for cp in range(0x110000)
        if unicodedata.category(chr(cp)) in categories and not HIDDEN.match(chr(cp))
    ]
    assert not missing
    sample = "".join(chr(cp) for cp in range(0x3000)) + "\U000e0041\ud800"
    for escape in (reveal, terminal_text, markdown_text):
        assert not HIDDEN.sub("", escape(sample)).count("\x1b")
        assert not hidden_in(escape(sample)), escape


def test_sarif_messages_shown_by_code_scanning_hide_nothing(tmp_path: Path) -> None:
    (tmp_path / "payload.yaml").write_text(payload_model_text(), encoding="utf-8")
    result = tmcode("check", "payload.yaml", "-f", "sarif", "--fail-on", "none", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)["runs"][0]
    texts = [r["message"]["text"] for r in run["results"]]
    texts += [rel["message"]["text"] for r in run["results"] for rel in r.get("relatedLocations", [])]  # fmt: skip
    texts += [s["justification"] for r in run["results"] for s in r.get("suppressions", [])]
    assert any("\\x1b[31mANSI" in t for t in texts)
    assert not [t for t in texts if HIDDEN.search(t)]


@pytest.mark.parametrize("command", [("bom",), ("export", "--format", "otm")])
def test_bom_and_otm_keep_the_data_and_hide_nothing(tmp_path: Path, command: tuple) -> None:
    model = named_model(tmp_path, HOSTILE)
    result = tmcode(*command, model, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not hidden_in(result.stdout), hidden_in(result.stdout)
    assert HOSTILE in [value for _, value in _leaves(json.loads(result.stdout))]


def test_a_baseline_with_hostile_closed_fields_is_refused(reports, tmp_path: Path) -> None:
    forged = json.loads(reports["old"].read_text(encoding="utf-8"))
    forged["findings"][0]["severity"] = HOSTILE
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(forged), encoding="utf-8")
    result = tmcode("diff", bad, reports["old"], "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 2 and "unknown severity" in result.stderr
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr  # shown escaped
