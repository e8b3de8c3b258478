"""The same seed gives the same demo bytes in processes started with different ``PYTHONHASHSEED``.

String hashing is randomised per process; anything that iterated a set or dict of strings to choose
colours, objects or orders would make datasets differ between runs. Two real ``cliport demos``
processes (a fast task, one episode, run side by side) must write identical folders.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_bytes_do_not_depend_on_pythonhashseed(tmp_path):
    procs = []
    for hash_seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1")
        cmd = [sys.executable, "-m", "cliport.cli", "demos", "task=block-insertion", "n=1",
               f"data_dir={tmp_path / hash_seed}", "progress=false"]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    a, b = (_tree(tmp_path / s / "block-insertion-train") for s in ("1", "4242"))
    assert "episodes/000000.npz" in a and "dataset.json" in a
    assert a == b
