"""A finished dataset folder holds exactly the episodes its index lists, the same bytes for any workers.

Workers run ahead of the n-th success; a success found that way (issue 10: ``episodes/000008.npz``
beside a 4-episode index with workers=2) must not stay on disk, and the attempt log must not depend
on completion order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cliport.data.config import DemosConfig
from cliport.data.generate import generate
from cliport.data.store import read_meta


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _check(tmp_path: Path, n: int, **kw) -> None:
    trees = []
    for workers in (1, 2, 3):
        rep = generate(DemosConfig(data_dir=str(tmp_path / f"w{workers}"), n=n, workers=workers,
                                   progress=False, **kw))
        assert rep.complete
        meta = read_meta(rep.folder)
        on_disk = sorted(str(p.relative_to(rep.folder)) for p in (rep.folder / "episodes").glob("*"))
        assert on_disk == sorted(e.file for e in meta.episodes) and meta.n == n
        trees.append(_tree(rep.folder))
    assert trees[1] == trees[0] and trees[2] == trees[0]  # every file, dataset.json and log included


@pytest.mark.parametrize("n", [4, 5])
def test_standin_folder_is_exactly_its_index(tmp_path, n, monkeypatch):
    monkeypatch.setenv("STANDIN_DELAY", "0.01")  # let the workers overlap
    _check(tmp_path, n, task="standin", runner="standin_runner:make_runner", mode="train")


@pytest.mark.slow
@pytest.mark.parametrize("n", [4, 5])
def test_real_task_folder_is_exactly_its_index(tmp_path, n):
    _check(tmp_path, n, task="block-insertion", mode="train")
