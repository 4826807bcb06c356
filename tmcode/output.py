"""Writing output files: atomically, never over an input the user wrote."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tmcode.errors import Problem, UsageError


def write_output(path: Path, content: str | bytes, inputs: list[Path]) -> None:
    """Write ``content`` to ``path`` through a temporary file, refusing to replace an input."""
    resolved = path.resolve()
    if any(resolved == p.resolve() for p in inputs):
        raise UsageError(
            Problem(
                str(path),
                None,
                None,
                "refusing to overwrite an input file",
                "choose another --output",
            )
        )
    resolved.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=resolved.parent, prefix=f".{resolved.name}.")
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as binary:
                binary.write(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
        umask = os.umask(0)  # mkstemp makes 0600 files; give the file the usual permissions
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, resolved)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
