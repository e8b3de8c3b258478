"""Crash-safe file writes: write under a temporary name in the same folder, then ``os.replace``.

A reader (or a resumed generator) therefore sees either no file or a complete one, even if the
writer is killed with SIGKILL at any moment. Left-over temporaries start with ``TMP_PREFIX`` and are
removed by :func:`remove_stale_temporaries`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

TMP_PREFIX = ".tmp-"


def _file_mode() -> int:
    """0o666 minus the process umask (mkstemp would leave 0o600, unreadable for co-workers)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_MODE = _file_mode()


def write_atomic(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(file)`` on a temporary file next to ``path``, fsync it, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + path.name + ".", dir=path.parent)
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    return write_atomic(path, lambda f: f.write(data))


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    text = json.dumps(obj, indent=2, sort_keys=False) + "\n"
    return write_bytes_atomic(path, text.encode("utf-8"))


def remove_stale_temporaries(folder: str | Path) -> int:
    """Delete temporaries left by a killed writer; returns how many were removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    removed = 0
    for p in folder.glob(TMP_PREFIX + "*"):
        try:
            p.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed
