"""Import PyBullet without its "pybullet build time: ..." banner on standard output.

The banner is printed by the C extension on import; it pollutes command output such as `cliport tasks`
and JSON printed for scripts. Standard output's file descriptor is pointed at /dev/null for the import only.
"""

from __future__ import annotations

import os
import sys


def import_pybullet_quietly() -> None:
    if "pybullet" in sys.modules:
        return
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (e.g. some embedded interpreters): just import
        import pybullet  # noqa: F401

        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        import pybullet  # noqa: F401

        _flush_c_stdout()  # the banner sits in C's stdio buffer: flush it into /dev/null
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _flush_c_stdout() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass
