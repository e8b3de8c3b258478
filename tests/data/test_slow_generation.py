"""Heavy generation checks (``-m slow``): the real simulator and a local Ray instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from cliport.data.config import DemosConfig
from cliport.data.episode import load_episode
from cliport.data.generate import generate
from cliport.data.store import read_meta

HERE = Path(__file__).resolve().parent


def _contents(folder: Path) -> dict[int, bytes]:
    return {e.seed: (folder / e.file).read_bytes() for e in read_meta(folder).episodes}


@pytest.mark.slow
def test_real_task_workers_two_equals_workers_one(tmp_path):
    kw = dict(task="put-block-in-bowl-seen-colors", mode="train", n=2, progress=False)
    one = generate(DemosConfig(data_dir=str(tmp_path / "a"), workers=1, **kw))
    two = generate(DemosConfig(data_dir=str(tmp_path / "b"), workers=2, **kw))
    assert one.complete and two.complete
    assert _contents(one.folder) == _contents(two.folder)
    ep = load_episode(one.folder / read_meta(one.folder).episodes[0].file)
    assert ep.total_reward > 0.99 and ep.instruction[0].startswith("put the")
    from cliport.data.dataset import DemoDataset

    ds = DemoDataset(one.folder)
    for i in range(6):  # the pick label lies on a block (raised above the table) in the fused map
        item = ds[i]
        r, c = item["p0"]
        assert item["image"][r, c, 3] > 0.01, (i, r, c)


@pytest.mark.slow
def test_ray_shards_equal_unsharded(tmp_path):
    ray = pytest.importorskip("ray")
    from cliport.data.ray_shards import generate_with_ray

    def cfg(d: str) -> DemosConfig:
        return DemosConfig(data_dir=str(tmp_path / d), task="standin", n=6, progress=False,
                           runner="standin_runner:make_runner")

    whole = generate(cfg("whole"))
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": str(HERE)}})
    try:
        sharded = generate_with_ray(cfg("ray"), n_shards=3)
    finally:
        ray.shutdown()
    assert sharded.complete and sharded.selected == whole.selected
    assert _contents(whole.folder) == _contents(sharded.folder)
