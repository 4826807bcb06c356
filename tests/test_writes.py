"""Writing never destroys what it should not: every output, on the real command line."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MODELS, ROOT
from tmcode.catalog.load import load_catalog
from tmcode.errors import UsageError
from tmcode.output import cleanup_on_signals, write_atomically, write_files
from tmcode.pipeline import check_files
from tmcode.render.site import MANIFEST, site_files, write_site

MODEL = MODELS / "support-copilot.yaml"


def tmcode(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line; a FIFO or a blocking open would hit the timeout."""
    return subprocess.run(
        [sys.executable, "-m", "tmcode", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


def refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 with one clear message naming the problem, and no traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def small_model(folder: Path, name: str, system: str = "Demo") -> Path:
    """A valid one-component model named ``system``."""
    path = folder / name
    path.write_text(
        f"tmcode: 1\nsystem: {{name: {system}}}\nboundaries: {{corp: {{trust: internal}}}}\n"
        "components:\n  app: {kind: service, boundary: corp}\n"
    )
    return path


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# ---------------------------------------------------------------- single-file outputs


def test_a_symlink_at_the_output_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "report.json"
    link.symlink_to(victim)
    refused(tmcode("check", MODEL, "-f", "json", "-o", link), "symlink")
    assert victim.read_text() == "precious\n" and link.is_symlink()
    refused(tmcode("schema", "-o", link), "symlink")
    assert victim.read_text() == "precious\n"


def test_a_symlinked_folder_inside_the_working_directory_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "reports").symlink_to(outside)
    refused(tmcode("schema", "-o", "reports/schema.json", cwd=checkout), "reports", "symlink")
    assert list(outside.iterdir()) == []


def test_read_only_fifo_folder_and_unwritable_targets_are_refused(tmp_path: Path) -> None:
    read_only = tmp_path / "old.json"
    read_only.write_text("keep\n")
    read_only.chmod(0o444)
    refused(tmcode("schema", "-o", read_only), "read-only")
    assert read_only.read_text() == "keep\n"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused(tmcode("schema", "-o", fifo), "FIFO")  # returns: nothing opens the FIFO
    refused(tmcode("schema", "-o", tmp_path), "is a folder")
    refused(tmcode("schema", "-o", read_only / "x.json"), "is not a folder")
    refused(tmcode("schema", "-o", tmp_path / ("x" * 300 + ".json")), "too long")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root may write in any folder
        refused(tmcode("schema", "-o", locked / "x.json"), "cannot write in the folder")
    assert no_temp_files(tmp_path)


def test_a_failing_write_is_one_clear_error_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(UsageError, match="cannot write the file: No space left"):
        write_files([(tmp_path / "a.json", "{}"), (tmp_path / "b.json", "{}")], [])
    assert list(tmp_path.iterdir()) == []


def test_an_output_never_replaces_an_input_of_the_run(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_bytes(MODEL.read_bytes())
    twin = tmp_path / "twin.yaml"
    os.link(model, twin)
    for target in (model, twin, tmp_path / "." / "model.yaml"):
        refused(tmcode("check", model, "-f", "json", "-o", target), "input")
        refused(tmcode("export", model, "-o", target), "input")
    assert model.read_bytes() == MODEL.read_bytes()
    baseline = tmp_path / "main.json"
    assert tmcode("check", model, "-f", "json", "-o", baseline, "--fail-on", "none").returncode == 0
    before = baseline.read_bytes()
    refused(tmcode("check", model, "--baseline", baseline, "-f", "json", "-o", baseline), "input")
    assert baseline.read_bytes() == before
    catalog = tmp_path / "catalog"
    (catalog / "threats").mkdir(parents=True)
    (catalog / "controls.yaml").write_text("controls: {}\n")
    refused(tmcode("check", model, "--catalog", catalog, "-o", catalog / "controls.yaml"), "input")
    assert (catalog / "controls.yaml").read_text() == "controls: {}\n"
    refused(tmcode("import", "threagile", model, "-o", model, "--force"), "input")


def test_two_formats_never_share_a_path_and_nothing_is_written_on_refusal(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.json"
    args = ["check", MODEL, "-f", "json", "-o", report, "-f", "sarif", "-o", tmp_path / "."]
    refused(tmcode(*args[:6], "-f", "sarif", "-o", tmp_path / "." / "report.json"), "once")
    assert not report.exists()
    refused(tmcode(*args), "is a folder")
    assert not report.exists()  # the good target waits until every target is checked


def test_import_replaces_only_with_force(tmp_path: Path) -> None:
    source = ROOT / "tests" / "interchange" / "threagile-chatbot.yaml"
    out = tmp_path / "imported.yaml"
    out.write_text("mine\n")
    refused(tmcode("import", "threagile", source, "-o", out), "already exists", "--force")
    assert out.read_text() == "mine\n"


# ---------------------------------------------------------------- signals


SLOW_WRITE = """
import os, sys, time
def slow_fsync(fd):
    print("writing", flush=True)
    time.sleep(120)
os.fsync = slow_fsync
from tmcode._cli import main
sys.argv = ["tmcode", *sys.argv[1:]]
main()
"""


def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("the previous report\n")
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITE, "check", MODEL, "-f", "html", "-o", target],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "writing\n"  # fsync of the temporary file began
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == -signal.SIGTERM
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert no_temp_files(tmp_path)
    assert target.read_text() == "the previous report\n"


def test_a_signal_cleans_up_and_reaches_the_previous_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    monkeypatch.setattr(os, "fsync", lambda fd: signal.raise_signal(signal.SIGTERM))
    try:
        with pytest.raises(SystemExit) as stopped, cleanup_on_signals():
            write_atomically(tmp_path / "out.txt", "text")
        assert stopped.value.code == 128 + signal.SIGTERM
        assert received == [signal.SIGTERM]  # delivered once, to the handler that was there
        assert signal.getsignal(signal.SIGTERM) is handler
        with pytest.raises(KeyboardInterrupt), cleanup_on_signals():
            monkeypatch.setattr(os, "fsync", lambda fd: signal.raise_signal(signal.SIGINT))
            write_atomically(tmp_path / "out.txt", "text")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- init


def test_init_checks_everything_before_writing_anything(tmp_path: Path) -> None:
    (tmp_path / ".github").write_text("a file, not a folder\n")
    refused(tmcode("init", tmp_path), ".github", "is not a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".github"]
    (tmp_path / ".github").unlink()
    (tmp_path / "threat-model.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    refused(tmcode("init", tmp_path), "symlink")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["threat-model.yaml"]


# ---------------------------------------------------------------- docs


def test_docs_removes_only_files_it_wrote_and_keeps_the_users(tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = small_model(tmp_path, "first.yaml", "First system")
    assert tmcode("docs", first, "-o", site).returncode == 0
    manifest = json.loads((site / MANIFEST).read_text())
    page = site / "docs" / "first-system" / "index.md"
    assert manifest["files"]["docs/first-system/index.md"] == [
        hashlib.sha256(page.read_bytes()).hexdigest()
    ]
    (site / "docs" / "notes.md").write_text("my notes\n")
    second = small_model(tmp_path, "second.yaml", "Second system")
    assert tmcode("docs", second, "-o", site).returncode == 0
    assert not (site / "docs" / "first-system").exists()  # its own old pages, folder and all
    assert (site / "docs" / "second-system" / "index.md").is_file()
    assert (site / "docs" / "notes.md").read_text() == "my notes\n"
    index = site / "docs" / "index.md"
    index.write_text("edited by hand\n")
    refused(tmcode("docs", second, "-o", site), "changed since")
    assert index.read_text() == "edited by hand\n"
    assert no_temp_files(site)


def test_a_forged_manifest_never_deletes_the_users_files(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    readme = site / "README.md"
    readme.write_text("# the user's README\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("outside\n")
    digest = hashlib.sha256(readme.read_bytes()).hexdigest()
    for forged in ("README.md", "docs/../README.md", "docs/../../victim.txt"):
        body = {"written-by": "tmcode", "version": 1, "files": {forged: [digest]}}
        (site / MANIFEST).write_text(json.dumps(body))
        refused(tmcode("docs", MODEL, "-o", site), "never writes here")
    (site / MANIFEST).write_text("README.md\n")
    refused(tmcode("docs", MODEL, "-o", site), "not valid JSON")
    (site / MANIFEST).unlink()
    (site / ".tmcode-site").write_text("README.md\n")  # the marker of earlier versions
    refused(tmcode("docs", MODEL, "-o", site), "not written by tmcode")
    assert readme.read_text() == "# the user's README\n" and victim.read_text() == "outside\n"
    assert sorted(p.name for p in site.iterdir()) == [".tmcode-site", "README.md"]


def test_docs_never_follows_a_symlink_inside_its_output(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert tmcode("docs", MODEL, "-o", site).returncode == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.md").write_text("outside\n")
    pages = site / "docs" / "support-copilot"
    os.rename(pages, tmp_path / "moved")
    pages.symlink_to(outside)
    refused(tmcode("docs", MODEL, "-o", site), "symlink")
    assert sorted(os.listdir(outside)) == ["index.md"]
    assert (outside / "index.md").read_text() == "outside\n"
    pages.unlink()
    (site / "docs" / "secret.md").symlink_to(tmp_path / "victim")  # mkdocs would publish it
    refused(tmcode("docs", MODEL, "-o", site), "secret.md", "symlink")
    assert not (tmp_path / "victim").exists()


def test_site_page_paths_never_collide(tmp_path: Path) -> None:
    models = [
        small_model(tmp_path, "threats.yaml", "Threats"),
        small_model(tmp_path, "a.yaml", "Demo"),
        small_model(tmp_path, "b.yaml", "Demo"),
        small_model(tmp_path, "c.yaml", "Demo 2"),
        small_model(tmp_path, "d.yaml", "Standards"),
    ]
    case = tmp_path / "case.yaml"
    case.write_text(
        "tmcode: 1\nsystem: {name: Case}\nboundaries: {corp: {trust: internal}}\n"
        "components:\n  App: {kind: service, boundary: corp}\n"
        "  app: {kind: service, boundary: corp}\n  app-2: {kind: service, boundary: corp}\n"
        "flows:\n  - {from: App, to: app, kind: prompt}\n"
    )
    report = check_files([*models, case], catalogs=[], today=None)
    files = site_files(report, svg=False)
    pages = [name for name in files if name.endswith(".md")]
    assert len({p.casefold() for p in pages}) == len(pages)
    assert files["docs/threats/index.md"].startswith("# Threat catalog")
    for slug in ("threats-2", "demo", "demo-2", "demo-2-2", "standards-2"):
        assert f"docs/{slug}/index.md" in files, slug
    assert {n for n in files if n.startswith("docs/case/components/")} == {
        "docs/case/components/App.md",
        "docs/case/components/app-2.md",
        "docs/case/components/app-2-2.md",
    }
    assert "(app-2.md)" in files["docs/case/components/App.md"]  # links follow the page names
    assert site_files(report, svg=False) == files  # deterministic
    assert (
        len(load_catalog().threats) == len([p for p in pages if p.startswith("docs/threats/")]) - 1
    )


def test_a_rebuild_interrupted_half_way_can_be_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = check_files([MODEL], catalogs=[], today=None)
    files = site_files(report, svg=False)
    site = tmp_path / "site"
    write_site(files, site)
    changed = {name: f"{content}\n" for name, content in files.items()}
    renames = 0
    real_replace = os.replace

    def fail_half_way(src: str, dst: str) -> None:
        nonlocal renames
        renames += 1
        if renames == len(files) // 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", fail_half_way)
    with pytest.raises(UsageError, match="cannot write the file"):
        write_site(changed, site)
    monkeypatch.setattr(os, "replace", real_replace)
    halves = {(site / name).read_text() == content for name, content in changed.items()}
    assert halves == {True, False}  # some pages new, some old
    write_site(changed, site)  # the manifest written first knows both contents
    assert all((site / name).read_text() == content for name, content in changed.items())
    assert no_temp_files(site)
