"""cliport.allocator: freed tensor memory kept for reuse (no page faults per step), and its off switch."""

from __future__ import annotations

import os
import subprocess
import sys

_FAULTS = """
import resource, sys, torch
from cliport.allocator import reuse_freed_memory
if sys.argv[1] == "tuned":
    assert reuse_freed_memory() and reuse_freed_memory()
faults = []
for _ in range(12):  # a training step's pattern: large activations allocated, then all freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x = torch.ones(25_000_000)
    y = torch.ones(10_000_000)
    del x, y
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(sum(faults[8:]))  # steady state
"""


def test_reused_memory_is_not_faulted_in_again():
    faults = {}
    for mode in ("plain", "tuned"):
        cmd = [sys.executable, "-c", _FAULTS, mode]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        faults[mode] = int(out.stdout.split()[-1])
    pages = 4 * 140e6 / 4096  # four iterations of 140 MB
    assert faults["plain"] > 0.5 * pages, faults  # glibc mmaps fresh blocks: their pages fault again
    assert faults["tuned"] < 0.5 * faults["plain"], faults  # the freed blocks are (mostly) reused


def test_keeping_freed_memory_can_be_turned_off():
    code = "from cliport.allocator import reuse_freed_memory; print(reuse_freed_memory())"
    env = {**os.environ, "CLIPORT_KEEP_FREED_MEMORY": "0"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split()[-1] == "False"
