"""Keep freed tensor memory in the process instead of handing it back to the kernel (glibc, Linux).

Why this exists: a CPU training step allocates and frees several GB of activations. glibc serves every
block above its mmap threshold with a fresh ``mmap`` and returns it with ``munmap`` on free, so each
step faults all of that memory in again, page by page, and the kernel zeroes every page: measured on
this project's 2-core machine, ~0.3 s of system time per GB allocated, a large share of a cliport step.
With mmap disabled for malloc (``M_MMAP_MAX = 0``) and a high trim threshold, freed blocks stay in the
heap and the next step reuses them without faults. The peak resident memory is the same high-water
mark plus what fragmentation adds (freed holes are reused, never returned); ``CLIPORT_KEEP_FREED_MEMORY=0``
turns this off. No effect (returns False) where glibc's ``mallopt`` is not available.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
#: Free memory at the top of the heap beyond this is still returned to the kernel (mallopt takes an int).
TRIM_THRESHOLD = 2**31 - 1

_done = False


def reuse_freed_memory() -> bool:
    """Tune glibc malloc once per process for allocate-free cycles of large tensors; True if applied."""
    global _done
    if _done:
        return True
    if os.environ.get("CLIPORT_KEEP_FREED_MEMORY", "1") == "0":
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = mallopt(M_MMAP_MAX, 0) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    if ok:
        _done = True
        log.info("malloc tuned: freed memory is kept for reuse (no mmap/munmap per tensor)")
    return ok
