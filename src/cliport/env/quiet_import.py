"""Keep PyBullet's C-level chatter ("pybullet build time: ...", "argv[0]=") out of the terminal.

The messages are printed by the C extension into C's stdio buffer; they pollute command output such as
`cliport tasks` and JSON printed for scripts. :func:`c_stdout_silenced` points file descriptor 1 at
/dev/null around such calls and flushes C's buffer before restoring it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


def _flush_c_stdout() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def c_stdout_silenced() -> Iterator[None]:
    """Discard whatever C code writes to standard output and standard error inside the block."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        saved = [os.dup(1), os.dup(2)]
    except OSError:  # no real stdout/stderr: nothing to protect
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
        _flush_c_stdout()
    finally:
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


def import_pybullet_quietly() -> None:
    if "pybullet" in sys.modules:
        return
    with c_stdout_silenced():
        import pybullet  # noqa: F401
