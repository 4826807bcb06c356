"""Writing output files: every target checked first, then written atomically, never over an input.

Each output goes to a temporary file in its target's folder (created exclusively, never through a
symlink), is flushed to disk and renamed over the target. Before anything is written, every
target of the run is checked: no symlink at the target nor on the way to it inside the working
directory, nothing there but a regular, writable file, never one of the run's inputs, never the
same file twice. SIGTERM and SIGINT during a write remove the temporary file before the signal
takes its usual effect.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from tmcode.errors import Problem, UsageError

Content = str | bytes


class _Interrupted(BaseException):
    """A signal that arrived while a file was being written."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _problem(path: Path, message: str, hint: str = "choose another output path") -> Problem:
    return Problem(str(path), None, None, message, hint)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _resolved(path: Path) -> str:
    return str(path.resolve())


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def symlink_on_the_way(path: Path) -> Path | None:
    """The first symlink among the folders of ``path`` that lie inside the working directory.

    The working directory is the checkout a pull request controls; folders outside it (``/tmp``
    on macOS, ``/var/run``) were chosen by whoever runs tmcode and may be symlinks.
    """
    cwd = os.getcwd()
    current = Path(path.anchor) if path.is_absolute() else Path(cwd)
    for part in path.parts[len(Path(path.anchor).parts) if path.is_absolute() else 0 : -1]:
        parent, current = current, current / part
        st = _lstat(current)
        if st is None:
            return None
        if stat.S_ISLNK(st.st_mode) and _within(_resolved(parent), cwd):
            return current
    return None


_KEEP_HINT = "move it aside or choose another path"


def path_problems(
    path: Path, *, folder: bool = False, replace: bool = True, keep_hint: str = _KEEP_HINT
) -> list[Problem]:
    """What stops tmcode from writing ``path`` (a file, or a folder when ``folder``) safely.

    With ``replace`` false an existing file is refused too, with ``keep_hint`` as advice.
    """
    try:
        return _path_problems(path, folder, replace, keep_hint)
    except OSError as exc:
        return [_problem(path, f"cannot check the path: {exc.strerror or exc}")]


def _path_problems(path: Path, folder: bool, replace: bool, keep_hint: str) -> list[Problem]:
    link = symlink_on_the_way(path)
    if link is not None:
        return [_problem(path, f"`{link}` is a symlink; tmcode never writes through one")]
    st = _lstat(path)
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            return [_problem(path, "is a symlink; tmcode never writes through one")]
        if folder:
            if not stat.S_ISDIR(st.st_mode):
                return [_problem(path, "exists and is not a folder")]
            return _writable_folder(path)
        if stat.S_ISDIR(st.st_mode):
            return [_problem(path, "is a folder; give the path of a file")]
        if not stat.S_ISREG(st.st_mode):
            return [_problem(path, "is not a regular file (a device, FIFO or socket)")]
        if not replace:
            return [_problem(path, "already exists; tmcode never overwrites it", keep_hint)]
        if not st.st_mode & 0o222 or not os.access(path, os.W_OK):
            return [_problem(path, "is read-only; tmcode does not replace read-only files")]
    ancestor = path.parent
    while _lstat(ancestor) is None and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return [_problem(path, f"`{ancestor}` is not a folder")]
    return _writable_folder(ancestor, path)


def _writable_folder(folder: Path, target: Path | None = None) -> list[Problem]:
    if os.access(folder, os.W_OK | os.X_OK):
        return []
    return [_problem(target or folder, f"cannot write in the folder `{folder}`")]


def input_files(paths: Iterable[Path]) -> tuple[frozenset[str], frozenset[tuple[int, int]]]:
    """The resolved paths and (device, inode) pairs of a run's inputs."""
    listed = list(paths)
    ids = {i for i in map(_identity, listed) if i is not None}
    return frozenset(_resolved(p) for p in listed), frozenset(ids)


def check_targets(
    targets: Sequence[Path],
    inputs: Iterable[Path],
    *,
    replace: bool = True,
    keep_hint: str = _KEEP_HINT,
) -> None:
    """Raise one UsageError listing every target that cannot be written safely; write nothing."""
    names, ids = input_files(inputs)
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    seen_ids: dict[tuple[int, int], Path] = {}
    for target in targets:
        found = path_problems(target, replace=replace, keep_hint=keep_hint)
        resolved = _resolved(target)
        identity = _identity(target)
        if resolved in names or identity in ids:
            found.append(
                _problem(target, "is one of this run's inputs; refusing to overwrite an input file")
            )
        earlier = seen.get(resolved) or (seen_ids.get(identity) if identity else None)
        if earlier is not None:
            found.append(
                _problem(
                    target,
                    f"is also the output of `{earlier}`; one run writes each file once",
                    "give each output its own path",
                )
            )
        seen.setdefault(resolved, target)
        if identity is not None:
            seen_ids.setdefault(identity, target)
        problems += found
    if problems:
        raise UsageError(problems)


def write_output(
    path: Path,
    content: Content,
    inputs: Iterable[Path],
    *,
    replace: bool = True,
    keep_hint: str = _KEEP_HINT,
) -> None:
    """Check ``path`` and write ``content`` to it atomically (see the module's rules)."""
    write_files([(path, content)], inputs, replace=replace, keep_hint=keep_hint)


def write_files(
    files: Sequence[tuple[Path, Content]],
    inputs: Iterable[Path],
    *,
    replace: bool = True,
    keep_hint: str = _KEEP_HINT,
) -> list[Path]:
    """Check every target, then write each; nothing is written if any target is refused."""
    check_targets([path for path, _ in files], inputs, replace=replace, keep_hint=keep_hint)
    with cleanup_on_signals():
        write_all_atomically(files)
    return [path for path, _ in files]


@contextmanager
def cleanup_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into an exception for the block, then deliver the signal.

    The exception unwinds through ``write_atomically``, which removes its temporary file; the
    previous handlers are restored afterwards, and the signal is raised again so that it has
    its usual effect (ending the process, or KeyboardInterrupt).
    """
    previous: dict[int, Any] = {}
    try:
        try:
            if threading.current_thread() is threading.main_thread():
                for signum in (signal.SIGTERM, signal.SIGINT):
                    old = signal.getsignal(signum)
                    if old not in (signal.SIG_IGN, None):
                        previous[signum] = old
                        signal.signal(signum, _raise_interrupted)
            yield
        finally:
            _restore(previous)
    except _Interrupted as exc:  # raised in the block, or while the handlers were restored
        _restore(previous)
        signal.raise_signal(exc.signum)
        raise SystemExit(128 + exc.signum) from None


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise _Interrupted(signum)


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def write_atomically(path: Path, content: Content) -> None:
    """Write one file through a temporary file beside it, fsync and rename; no checks."""
    write_all_atomically([(path, content)])


def write_all_atomically(files: Sequence[tuple[Path, Content]]) -> None:
    """Stage each file as a temporary file beside its target, flush, then rename each; no checks.

    One file is flushed with fsync; several with one sync, which costs what one fsync does
    rather than one per file. Temporary files are removed on any error or signal.
    """
    staged: list[tuple[Path, Path]] = []
    if not files:
        return
    current = files[0][0]
    try:
        for current, content in files:
            _stage(current, _bytes(content), staged, fsync=len(files) == 1)
        if len(files) > 1:
            os.sync()
        while staged:
            tmp, current = staged[0]
            os.replace(tmp, current)
            staged.pop(0)
    except OSError as exc:
        raise UsageError(
            _problem(current, f"cannot write the file: {exc.strerror or exc}", "check the path")
        ) from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


def _stage(path: Path, data: bytes, staged: list[tuple[Path, Path]], *, fsync: bool) -> None:
    """Write ``data`` to a new temporary file beside ``path``, recorded in ``staged`` first."""
    old = _lstat(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        staged.append((tmp, path))
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            staged.pop()
            continue
        break
    try:
        if old is not None and stat.S_ISREG(old.st_mode):
            os.fchmod(fd, stat.S_IMODE(old.st_mode) & 0o777)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


_MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_SHA256 = frozenset("0123456789abcdef")


def recorded_files(
    root: Path, *, manifest: str, owns: Callable[[str], bool]
) -> dict[str, list[str]]:
    """Check the output folder ``root`` and return what its manifest records (see write_tree)."""
    try:
        return _recorded_files(root, manifest, owns)
    except OSError as exc:
        raise UsageError(_problem(root, f"cannot read the folder: {exc.strerror or exc}")) from None


def _recorded_files(root: Path, manifest: str, owns: Callable[[str], bool]) -> dict[str, list[str]]:
    problems = path_problems(root, folder=True)
    if problems:
        raise UsageError(problems)
    recorded: dict[str, list[str]] = {}
    if _lstat(root) is not None:
        links = _symlinks_under(root)
        if links:
            raise UsageError(
                [
                    _problem(
                        link,
                        "is a symlink inside the output folder; tmcode never follows one",
                        f"remove it, or choose another output folder than {root}",
                    )
                    for link in links
                ]
            )
        if _lstat(root / manifest) is not None:
            recorded = _read_manifest(root / manifest, owns)
        elif _has_entries(root):
            raise UsageError(
                _problem(
                    root,
                    f"the folder is not empty and was not written by tmcode (it has no {manifest})",
                    "choose an empty or new output folder",
                )
            )
    return recorded


def write_tree(
    root: Path,
    files: Mapping[str, Content],
    inputs: Iterable[Path],
    *,
    manifest: str,
    owns: Callable[[str], bool],
) -> list[str]:
    """Write ``files`` (keyed by relative path) under the folder ``root``, which tmcode owns.

    ``root/manifest`` records each file written with its SHA-256. A later run replaces or
    removes only files listed there whose content still matches (``owns`` says which names
    the manifest may list at all); anything else in the way is refused, as is any symlink
    under ``root`` and a non-empty ``root`` without a manifest. Everything is checked before
    anything is written; the manifest is written first (listing old and new content) and last.
    A file whose content is unchanged is left as it is.
    """
    try:
        ours, stale = _plan_tree(root, files, inputs, manifest, owns)
    except OSError as exc:
        raise UsageError(_problem(root, f"cannot read the folder: {exc.strerror or exc}")) from None
    new = {rel: _digest(_bytes(content)) for rel, content in files.items()}
    interim = {rel: sorted({ours[rel], new[rel]} if rel in ours else {new[rel]}) for rel in new}
    interim.update({rel: [ours[rel]] for rel in stale})
    with cleanup_on_signals():
        write_atomically(root / manifest, _manifest_text(interim))
        write_all_atomically(
            [(root / rel, data) for rel, data in files.items() if ours.get(rel) != new[rel]]
        )
        for rel in stale:
            _remove(root, rel)
        write_atomically(root / manifest, _manifest_text({rel: [d] for rel, d in new.items()}))
    return sorted(files)


def _plan_tree(
    root: Path,
    files: Mapping[str, Content],
    inputs: Iterable[Path],
    manifest: str,
    owns: Callable[[str], bool],
) -> tuple[dict[str, str], list[str]]:
    """Check everything ``write_tree`` will do; return the digests of our files and the stale ones."""
    unsafe = [rel for rel in files if not _safe_relative(rel) or not owns(rel)]
    if unsafe:
        raise UsageError(
            [_problem(root / rel, "is not a path inside the folder") for rel in unsafe]
        )
    recorded = recorded_files(root, manifest=manifest, owns=owns)
    ours = {
        rel: digest
        for rel, digests in recorded.items()
        if (digest := _file_digest(root / rel)) is not None and digest in digests
    }
    foreign = [
        _problem(
            root / rel,
            f"exists and is not a file tmcode wrote there (not listed in {manifest}, "
            "or changed since)",
            "move it aside, or choose a new output folder",
        )
        for rel in files
        if rel not in ours and _lstat(root / rel) is not None
    ]
    if foreign:
        raise UsageError(foreign)
    stale = sorted(rel for rel in ours if rel not in files)
    names, ids = input_files(inputs)
    check_targets([root / rel for rel in files] + [root / manifest], inputs)
    used = [
        _problem(root / rel, "is one of this run's inputs; refusing to remove it")
        for rel in stale
        if _resolved(root / rel) in names or _identity(root / rel) in ids
    ]
    if used:
        raise UsageError(used)
    return ours, stale


def _has_entries(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return any(True for _ in entries)


def _bytes(content: Content) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str | None:
    """The SHA-256 of a regular file, or None when there is none (never opens a FIFO)."""
    st = _lstat(path)
    if st is None or not stat.S_ISREG(st.st_mode):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return _digest(handle.read())


def _symlinks_under(root: Path) -> list[Path]:
    found: list[Path] = []
    folders = [root]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_symlink():
                    found.append(Path(entry.path))
                elif entry.is_dir(follow_symlinks=False):
                    folders.append(Path(entry.path))
    return sorted(found)


def _safe_relative(rel: str) -> bool:
    parts = rel.split("/")
    return (
        "\\" not in rel and "\0" not in rel and all(part not in ("", ".", "..") for part in parts)
    )


def _read_manifest(path: Path, owns: Callable[[str], bool]) -> dict[str, list[str]]:
    """The files a manifest records with their digests; a UsageError if it is not one tmcode wrote."""
    hint = f"delete {path.name} and the files it lists, or choose a new output folder"
    from tmcode.input_file import read_json_file

    # The one reader of inputs: a regular file only (a FIFO cannot block), bounded, no links.
    data = read_json_file(
        path,
        _MAX_MANIFEST_BYTES,
        error=UsageError,
        expected="a manifest tmcode wrote",
        size_hint="a manifest this large is not one tmcode wrote",
        hint=hint,
    )
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or data.get("written-by") != "tmcode":
        raise UsageError(_problem(path, "is not a manifest tmcode wrote", hint))
    problems = []
    for rel, digests in files.items():
        if not _safe_relative(rel) or not owns(rel):
            problems.append(
                _problem(
                    path, f"lists `{rel}`, a file tmcode never writes here; it was edited", hint
                )
            )
        elif not isinstance(digests, list) or not all(
            isinstance(d, str) and len(d) == 64 and set(d) <= _SHA256 for d in digests
        ):
            problems.append(_problem(path, f"has no SHA-256 digests for `{rel}`", hint))
    if problems:
        raise UsageError(problems)
    return files


def _manifest_text(files: Mapping[str, list[str]]) -> str:
    body = {"written-by": "tmcode", "version": 1, "files": dict(sorted(files.items()))}
    return json.dumps(body, indent=1) + "\n"


def _remove(root: Path, rel: str) -> None:
    """Remove ``root/rel`` and then each folder on the way that it leaves empty."""
    path = root / rel
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise UsageError(_problem(path, f"cannot remove the file: {exc.strerror or exc}")) from None
    for folder in path.parents:
        if folder == root or root not in folder.parents:
            break
        try:
            folder.rmdir()
        except OSError:
            break
