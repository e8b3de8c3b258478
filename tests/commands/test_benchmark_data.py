"""cliport benchmark-data: the three folders with their counts, the table, a resume doing no new work."""

from __future__ import annotations

import json

import pytest

from cliport.commands import benchmark_data
from cliport.errors import CliportError


def _work(root):
    files = [*root.rglob("episodes/*.npz"), *root.rglob("attempts/*.log")]
    return {p: p.read_bytes() for p in files}


def test_plan_covers_the_original_script_and_rejects_unknown_names():
    jobs = benchmark_data.plan()
    assert len(jobs) == 28 * 3
    assert {(j.mode, j.n) for j in jobs} == {("train", 1000), ("val", 100), ("test", 100)}
    grp = benchmark_data.plan("multi-language-conditioned", {"train": 5})
    assert sum(j.mode == "train" for j in grp) == 10 and sum(j.mode == "val" for j in grp) == 18
    with pytest.raises(CliportError, match="no-such-task"):
        benchmark_data.plan("block-insertion,no-such-task")


def test_block_insertion_tiny_then_resume(tmp_path, capsys):
    args = ["tasks=block-insertion", "n_train=2", "n_val=1", "n_test=1", "workers=2",
            f"data_dir={tmp_path}", "progress=false"]
    assert benchmark_data.main(args) == 0
    out = capsys.readouterr().out
    for mode, n in (("train", 2), ("val", 1), ("test", 1)):
        folder = tmp_path / f"block-insertion-{mode}"
        assert len(list((folder / "episodes").glob("*.npz"))) >= n
        assert folder.joinpath("dataset.json").exists()
        row = next(line.split() for line in out.splitlines() if line.startswith("block-insertion") and
                   line.split()[1] == mode)
        assert int(row[2]) == n
    assert "this run: 0 attempts" not in out
    before = _work(tmp_path)
    assert benchmark_data.main(args) == 0
    assert "this run: 0 attempts" in capsys.readouterr().out
    assert _work(tmp_path) == before  # no episode written, no attempt logged
    json.loads((tmp_path / "block-insertion-train" / "dataset.json").read_text())
