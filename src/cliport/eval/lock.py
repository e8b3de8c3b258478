"""One evaluation at a time per results file: an exclusive ``flock`` on ``.<results name>.lock``.

Two ``cliport eval`` runs on the same experiment and split would both merge into one results JSON and
share one partial-episode log; the second one is refused at start (naming the file and the holder's
pid) instead of mixing results. ``flock`` is released by the kernel when its holder dies, even by
SIGKILL, so a killed evaluation never leaves a lock that blocks its rerun; the lock file is removed when
the evaluation ends normally.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from cliport.atomic import storage_error
from cliport.errors import CliportError


class BusyError(CliportError):
    """Another process holds the lock."""


def lock_path(results_file: Path) -> Path:
    return results_file.with_name(f".{results_file.name}.lock")


@contextlib.contextmanager
def results_lock(results_file: str | Path) -> Iterator[Path]:
    """Hold the lock of ``results_file`` for the block, or raise :class:`BusyError` at once."""
    path = lock_path(Path(results_file))
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            if isinstance(err, FileNotFoundError | NotADirectoryError):
                raise
            raise storage_error(results_file, err) from err  # name the file the user knows
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise BusyError(
                f"another `cliport eval` (pid {holder}) is writing {results_file}; wait for it to finish, "
                "or evaluate into another root_dir"
            ) from None
        try:  # the previous holder may have removed the file between our open and our lock: retry
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        with contextlib.suppress(OSError):  # the holder's pid is for the message only (a full disk: no pid)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still holding the lock: no one else is inside
        os.close(fd)
