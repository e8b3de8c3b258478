"""One evaluation at a time per results file: an exclusive ``flock`` on ``.<results name>.lock``.

Two ``cliport eval`` runs on the same experiment and split would both merge into one results JSON and
share one partial-episode log; the second one is refused at start (naming the file and the holder's
pid) instead of mixing results. The lock (:mod:`cliport.flock`) is released by the kernel when its
holder dies, even by SIGKILL, so a killed evaluation never leaves a lock that blocks its rerun; the lock
file is removed when the evaluation ends normally.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from cliport.atomic import storage_error
from cliport.errors import CliportError
from cliport.flock import holder_pid, open_locked, release, write_pid


class BusyError(CliportError):
    """Another process holds the lock."""


def lock_path(results_file: Path) -> Path:
    return results_file.with_name(f".{results_file.name}.lock")


@contextlib.contextmanager
def results_lock(results_file: str | Path) -> Iterator[Path]:
    """Hold the lock of ``results_file`` for the block, or raise :class:`BusyError` at once."""
    path = lock_path(Path(results_file))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = open_locked(path, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (FileNotFoundError, NotADirectoryError):
        raise
    except OSError as err:
        raise storage_error(results_file, err) from err  # name the file the user knows
    if fd is None:
        raise BusyError(
            f"another `cliport eval` (pid {holder_pid(path)}) is writing {results_file}; wait for it to "
            "finish, or evaluate into another root_dir"
        )
    try:
        write_pid(fd)
        yield path
    finally:
        release(path, fd)
