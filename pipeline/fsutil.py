"""Small file helpers: writes that are never seen half-done."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def current_umask() -> int:
    """The process umask: from /proc on Linux (no side effect), else by setting it and setting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes | str, *, private: bool = False) -> None:
    """Write `data` to `path` through a temporary file and a rename, so a killed process leaves the
    old file or the new one, never a truncated one. The file gets the mode any file the user writes
    gets (0666 less the umask), or 0600 when `private` (state, cache). (No fsync: that guards against
    power loss, not a crash, and costs milliseconds per file.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")   # mkstemp: 0600
    try:
        if not private:
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
