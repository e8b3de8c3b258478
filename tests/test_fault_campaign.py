"""The fault campaign script itself, at its smallest: one kill of `cliport demos`, then the rerun (slow)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_one_kill_of_demos_is_survived_byte_for_byte(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "faults.py"), "--kills", "1", "--commands", "demos-w1",
         "--sections", "kill", "--work", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=900, check=True)
    row = next(line for line in proc.stdout.splitlines() if line.startswith("| demos-w1 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:6] == ["1/1", "0", "0", "0", "1/1"], proc.stdout
