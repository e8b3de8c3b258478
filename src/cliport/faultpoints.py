"""Named crash points for the fault campaign (``benchmarks/faults.py``): SIGKILL at an exact write moment.

Random kill delays rarely land inside a write that lasts a millisecond, so the writers call
``crash_point(name)`` at their critical moments (temporary file half written, renamed, log line half
appended). With ``CLIPORT_CRASH_AT=name:k`` the k-th call of that name in a process kills that process
with SIGKILL; ``name:k:group`` kills its whole process group, as ``kill -9`` of a job started in its own
session would (the campaign starts each command with ``start_new_session``); with
``CLIPORT_CRASH_TRACE=file`` every call appends its name to that file (so the campaign knows which
moments a command passes through).
Unset (always, outside the campaign), a call costs two environment lookups.
"""

from __future__ import annotations

import os
import signal

_COUNTS: dict[str, int] = {}


def armed() -> bool:
    """True when the campaign has set a crash point or a trace (writers then split a line in two)."""
    return bool(os.environ.get("CLIPORT_CRASH_AT") or os.environ.get("CLIPORT_CRASH_TRACE"))


def crash_point(name: str) -> None:
    """Kill this process group here if ``CLIPORT_CRASH_AT`` names this point and call count."""
    at = os.environ.get("CLIPORT_CRASH_AT")
    trace = os.environ.get("CLIPORT_CRASH_TRACE")
    if not at and not trace:
        return
    _COUNTS[name] = count = _COUNTS.get(name, 0) + 1
    if trace:
        fd = os.open(trace, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{name}\n".encode())
        finally:
            os.close(fd)
    if at:
        want, k, scope = (at.split(":") + ["1", ""])[:3]
        if want == name and count == int(k or 1):
            if scope == "group":
                os.killpg(os.getpgid(0), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)
