"""Demo generation against the stand-in runner: parallelism, shards, resume, SIGKILL, config."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cliport.data.config import DemosConfig, parse_overrides
from cliport.data.episode import load_episode
from cliport.data.generate import generate
from cliport.data.schedule import Outcomes, ScheduleError, Shard, seed_of_attempt
from cliport.data.store import DatasetError, read_meta
from cliport.errors import ConfigError

HERE = Path(__file__).resolve().parent
RUNNER = "standin_runner:make_runner"


def _cfg(data_dir: Path, **kw) -> DemosConfig:
    return DemosConfig(data_dir=str(data_dir), task="standin", runner=RUNNER, progress=False, **kw)


def _contents(folder: Path) -> dict[int, bytes]:
    meta = read_meta(folder)
    return {e.seed: (folder / e.file).read_bytes() for e in meta.episodes}


def test_seed_schedule_matches_the_original():
    assert [seed_of_attempt("train", k) for k in range(3)] == [0, 2, 4]
    assert [seed_of_attempt("val", k) for k in range(3)] == [1, 3, 5]
    assert [seed_of_attempt("test", k) for k in range(3)] == [10001, 10003, 10005]
    assert seed_of_attempt("val", 4999) == 9999
    with pytest.raises(ScheduleError, match="10001 would reach the test seeds"):
        seed_of_attempt("val", 5000)


def test_selection_needs_every_earlier_seed():
    o = Outcomes({0: True, 2: False, 6: True})
    assert o.selection("train", 2) is None and o.first_unknown("train", 2) == 4
    o.add(4, False)
    assert o.selection("train", 2) == [0, 6]
    assert not o.needed(8, 2) and o.needed(8, 3)


def test_generation_keeps_only_successes_in_seed_order(tmp_path):
    report = generate(_cfg(tmp_path, n=5))
    meta = read_meta(report.folder)
    assert report.complete and meta.n == 5 and [e.index for e in meta.episodes] == list(range(5))
    seeds = meta.seeds
    assert seeds == sorted(seeds) and all(s % 2 == 0 for s in seeds)
    for e in meta.episodes:
        ep = load_episode(report.folder / e.file)
        assert ep.total_reward > 0.99 and ep.seed == e.seed and len(ep) == ep.n_actions + 1 == 3
    log = (report.folder / "attempts" / "main.log").read_text().split()
    tried = [int(x) for x in log[0::3]]
    assert tried == list(range(0, 2 * len(tried), 2))  # every attempt in schedule order, none skipped
    assert report.attempts == len(tried) and report.successes == 5


def test_workers_two_equals_workers_one_byte_for_byte(tmp_path):
    one = generate(_cfg(tmp_path / "a", n=6, workers=1))
    two = generate(_cfg(tmp_path / "b", n=6, workers=2))
    assert _contents(one.folder) == _contents(two.folder)
    assert len(_contents(one.folder)) == 6


def test_shards_then_merge_equal_the_unsharded_dataset(tmp_path):
    whole = generate(_cfg(tmp_path / "whole", mode="val", n=7))
    part0 = generate(_cfg(tmp_path / "sh", mode="val", n=7, shard="0/2"))
    part1 = generate(_cfg(tmp_path / "sh", mode="val", n=7, shard="1/2"))
    assert part0.attempts and part1.attempts
    merged = generate(_cfg(tmp_path / "sh", mode="val", n=7, merge=True))
    assert merged.selected == whole.selected
    assert _contents(whole.folder) == _contents(merged.folder)
    a = json.loads((whole.folder / "dataset.json").read_text())
    b = json.loads((merged.folder / "dataset.json").read_text())
    assert a["episodes"] == b["episodes"]


def test_merge_before_all_shards_names_the_missing_seed(tmp_path):
    generate(_cfg(tmp_path, n=4, shard="0/3"))
    with pytest.raises(DatasetError, match=r"seed 2 \(attempt 1\) has not been tried"):
        generate(_cfg(tmp_path, n=4, merge=True))


def test_rerun_resumes_without_new_attempts_and_extends(tmp_path):
    first = generate(_cfg(tmp_path, n=4))
    again = generate(_cfg(tmp_path, n=4))
    assert again.attempts == 0 and again.selected == first.selected
    more = generate(_cfg(tmp_path, n=6))
    assert more.selected[:4] == first.selected and len(more.selected) == 6
    assert more.attempts < first.attempts + 6


def _spawn(data_dir: Path, n: int, delay: float) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(HERE), STANDIN_DELAY=str(delay))
    args = [sys.executable, "-m", "cliport.demos", f"n={n}", "task=standin", f"data_dir={data_dir}",
            f"runner={RUNNER}", "progress=false"]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_sigkill_at_random_moments_then_rerun_completes(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "standin-train"
    log = folder / "attempts" / "main.log"
    for k in range(4):
        size = log.stat().st_size if log.exists() else 0
        proc = _spawn(tmp_path, 8, 0.04)
        deadline = time.monotonic() + 120
        while (not log.exists() or log.stat().st_size == size) and time.monotonic() < deadline:
            time.sleep(0.01)  # wait until this run has finished an attempt (start-up time varies with load)
        time.sleep(float(rng.uniform(0.0, 0.25)))  # then kill at a random moment of its work
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if k == 0:  # really killed mid-generation: some attempts logged, no index yet
            assert log.read_text()
            assert not (folder / "dataset.json").exists()
    proc = _spawn(tmp_path, 8, 0.0)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    meta = read_meta(folder)
    assert meta.n == 8 and len(set(meta.seeds)) == 8
    assert not list(folder.rglob(".tmp-*"))
    for e in meta.episodes:  # every listed episode loads
        assert load_episode(folder / e.file).seed == e.seed
    reference = generate(_cfg(tmp_path / "ref", n=8))
    assert _contents(reference.folder) == _contents(folder)


def test_overrides_and_errors():
    cfg = parse_overrides(["n=3", "mode=val", "disp", "record.save_video=True", "workers=2", "shard=1/4"])
    assert (cfg.n, cfg.mode, cfg.disp, cfg.record.save_video, cfg.workers) == (3, "val", True, True, 2)
    assert Shard.parse(cfg.shard) == Shard(1, 4)
    with pytest.raises(ConfigError, match="unknown key 'nn'"):
        parse_overrides(["nn=3"])
    with pytest.raises(ConfigError, match="unknown key 'record.fsp'"):
        parse_overrides(["record.fsp=3"])
    with pytest.raises(ConfigError, match="key 'n'"):
        parse_overrides(["n=many"])
    with pytest.raises(ConfigError, match="mode"):
        parse_overrides(["mode=training"])
    with pytest.raises(ConfigError, match="shard"):
        Shard.parse("2/2")


def test_video_per_episode(tmp_path):
    import imageio.v3 as iio

    cfg = _cfg(tmp_path, n=1)
    cfg.record.save_video = True
    report = generate(cfg)
    videos = sorted((report.folder / "videos").glob("*.mp4"))
    assert videos, "no video written"
    frames = iio.imread(videos[-1])
    assert frames.ndim == 4 and frames.shape[0] >= 3


def test_save_data_false_is_a_dry_run(tmp_path):
    report = generate(_cfg(tmp_path, n=3, save_data=False))
    assert report.complete and len(report.selected) == 3
    assert not (report.folder / "dataset.json").exists()
    assert not list(report.folder.rglob("*.npz")) and not list(report.folder.rglob("*.log"))


def test_entries_follow_the_original_episode_layout(tmp_path):
    """Entry k: observation before action k, reward on arrival (0 first), info/instruction there."""
    from standin_runner import StandinRunner

    result = StandinRunner(_cfg(tmp_path)).run(2)
    ep = result.episode
    assert result.ok and len(ep) == 3 and ep.n_actions == 2
    np.testing.assert_array_equal(ep.reward, [0.0, 0.5, 0.5])
    assert ep.instruction == [f"put the block in step {k}" for k in range(3)]
    assert ep.obj_ids.tolist() == [7] and ep.obj_pose.shape == (3, 1, 7)
    np.testing.assert_allclose(ep.pick[:, 3:], [[0, 0, 0.3826834, 0.9238795]] * 2)
    assert not StandinRunner(_cfg(tmp_path)).run(0).ok  # seed 0 fails: total reward 0.5


def test_runner_check_and_dead_worker_give_clear_errors(tmp_path):
    from cliport.errors import CliportError

    with pytest.raises(ConfigError, match="unknown task 'bogus'"):
        generate(DemosConfig(data_dir=str(tmp_path), task="bogus", runner=RUNNER, progress=False))
    with pytest.raises(ConfigError, match="cannot be imported"):
        generate(DemosConfig(data_dir=str(tmp_path), task="x", runner="no_such_module:f", progress=False))
    cfg = DemosConfig(data_dir=str(tmp_path), task="standin", n=3, workers=2, progress=False,
                      runner="standin_runner:make_crashing_runner")
    with pytest.raises(CliportError, match=r"worker process died while running seeds \[.*2.*\]"):
        generate(cfg)
