"""The bad-input corpus (docs/reliability.md): each case gets exit code 2 and one exact line, no traceback.

Cases run in-process through ``cliport.cli.main``; one runs as a subprocess to check the real console
script and ``CLIPORT_DEBUG=1``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.data.factories import make_folder

from cliport.cli import main

TI = ["train.task=block-insertion", "train.agent=transporter", "train.n_steps=1", "train.n_rotations=4"]

#: (case, argv, the exact error line); ``{root}`` is the test's working folder.
CASES = [
    ("unknown command", ["frobnicate"], "cliport: unknown command 'frobnicate'"),
    ("unknown key", ["train", "train.nope=1"], None),
    ("unknown mode", ["demos", "task=block-insertion", "mode=bogus", "n=1"],
     "cliport demos: error: mode must be train, val or test, got 'bogus'"),
    ("n < 1", ["demos", "task=block-insertion", "n=0"],
     "cliport demos: error: n must be >= 1 (the number of episodes to generate), got 0"),
    ("workers=0", ["demos", "task=block-insertion", "n=1", "workers=0"],
     "cliport demos: error: workers must be >= 1, got 0"),
    ("shard=3/2", ["demos", "task=block-insertion", "n=1", "shard=3/2"],
     "cliport demos: error: shard '3/2': need 0 <= i < N"),
    ("demos data_dir is a file", ["demos", "task=block-insertion", "n=1", "data_dir=afile"],
     "cliport demos: error: data_dir 'afile' is a file, not a folder; pass data_dir=<folder>"),
    ("train data_dir is a file", ["train", *TI, "train.n_demos=1", "train.data_dir=afile"],
     "cliport train: error: train.data_dir 'afile' is a file, not a folder; pass train.data_dir=<folder>"),
    ("train n_demos < 1", ["train", *TI, "train.n_demos=0"],
     "cliport train: error: train.n_demos must be >= 1"),
    ("dataset.json not JSON", ["train", *TI, "train.n_demos=1", "train.data_dir=bad"],
     "cliport train: error: bad/block-insertion-train/dataset.json is corrupt (Expecting property name "
     "enclosed in double quotes: line 1 column 2 (char 1))"),
    ("missing dataset folder", ["train", *TI, "train.n_demos=1", "train.data_dir=nodata"],
     "cliport train: error: dataset folder nodata/block-insertion-train does not exist (generate it with "
     "`cliport demos`)"),
    ("results file misnamed / not JSON", ["results", "res.json"],
     "cliport results: error: res.json is not named like '<task>-<agent>-n<N>-results-<mode>.json'"),
    ("missing results file", ["results", "nothere/results.json"], None),
    ("unknown eval task", ["eval", "eval_task=nope", "agent=transporter"], None),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    folder = make_folder(tmp_path / "bad", "block-insertion", "train", [1])
    (folder / "dataset.json").write_text("{not json")
    (tmp_path / "res.json").write_text("nope")
    return tmp_path


@pytest.mark.parametrize(("case", "argv", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_one_exact_line(case, argv, message, workdir, capsys, monkeypatch):
    monkeypatch.delenv("CLIPORT_DEBUG", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line[line.index("cliport"):] for line in err.splitlines() if "cliport" in line]
    assert lines, err
    if message is not None:
        assert message in lines


def test_console_script_and_debug_switch(workdir):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    env.pop("CLIPORT_DEBUG", None)
    cmd = [sys.executable, "-m", "cliport.cli", "demos", "task=block-insertion", "n=1", "data_dir=afile"]
    quiet = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 2
    assert quiet.stderr.strip() == (
        "cliport demos: error: data_dir 'afile' is a file, not a folder; pass data_dir=<folder>"
    )
    loud = subprocess.run(cmd, env={**env, "CLIPORT_DEBUG": "1"}, capture_output=True, text=True, timeout=120)
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "ConfigError" in loud.stderr
