"""Evaluation under faults: a kill between the results write and the log cleanup, a second concurrent
evaluation, a full disk (regression cases of benchmarks/faults.py, with fake rollouts: seconds)."""

import errno
import json
import os

import pytest

from cliport.atomic import StorageError
from cliport.eval import runner
from cliport.eval.config import EvalConfig
from cliport.eval.lock import BusyError, results_lock
from cliport.eval.rollout import EpisodeOutcome


def _cfg(root, data):
    return EvalConfig(root_dir=str(root), data_dir=str(data), eval_task="block-insertion",
                      agent="transporter", mode="test", n_demos=3, train_demos=2, checkpoint_type="last",
                      progress=False)


@pytest.fixture
def fake_rollouts(monkeypatch):
    """Rollouts replaced by a function of the seed; the list of jobs run."""
    calls = []

    def run_job(job):
        calls.append(job)
        return job, EpisodeOutcome(job.seed, float(job.seed % 3 == 0), 1, {"lang_goal": "x"})

    monkeypatch.setattr(runner, "_init_worker", lambda *a: runner._STATE.update())
    monkeypatch.setattr(runner, "_run_job", run_job)
    monkeypatch.setattr(runner, "_close_worker", lambda: None)
    return calls


def _results(ckpts):
    return ckpts / "block-insertion-transporter-n3-results-test.json"


def test_kill_after_results_write_leaves_no_partial_log(eval_setup, fake_rollouts, monkeypatch):
    root, data, ckpts = eval_setup
    from cliport.eval.progress_log import EpisodeLog

    forget = EpisodeLog.forget
    monkeypatch.setattr(EpisodeLog, "forget", lambda self, name: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # killed right after the results file was written
        runner.evaluate(_cfg(root, data))
    partial = ckpts / (_results(ckpts).name + ".partial.jsonl")
    assert partial.exists() and "last.ckpt" in json.loads(_results(ckpts).read_text())
    monkeypatch.setattr(EpisodeLog, "forget", forget)
    assert runner.evaluate(_cfg(root, data)) == {}  # nothing left to evaluate...
    assert sorted(p.name for p in ckpts.iterdir()) == ["block-insertion-transporter-n3-results-test.json",
                                                        "last.ckpt"]  # ...and the log is gone


def test_second_evaluation_on_the_same_results_is_refused(eval_setup, fake_rollouts):
    root, data, ckpts = eval_setup
    with results_lock(_results(ckpts)):
        with pytest.raises(BusyError, match="another `cliport eval` .* is writing .*results-test.json"):
            runner.evaluate(_cfg(root, data))
    assert not fake_rollouts and not _results(ckpts).exists()
    runner.evaluate(_cfg(root, data))
    assert "last.ckpt" in json.loads(_results(ckpts).read_text())


def test_full_disk_at_the_first_write_then_rerun(eval_setup, fake_rollouts, monkeypatch):
    root, data, ckpts = eval_setup
    real = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageError, match=r"^cannot write .*results-test.json.partial.jsonl: No space left "
                                           r"on device; free some space"):
        runner.evaluate(_cfg(root, data))  # the first episode's log line cannot be written
    assert not [p for p in ckpts.iterdir() if p.name.startswith(".") or p.suffix == ".json"]
    monkeypatch.setattr(os, "fsync", real)
    runner.evaluate(_cfg(root, data))
    assert len(fake_rollouts) == 1 + 3  # the unlogged episode is run again
    assert len(json.loads(_results(ckpts).read_text())["last.ckpt"]["episodes"]) == 3


def test_missing_model_folder_is_reported_and_not_created(eval_setup, fake_rollouts):
    root, data, ckpts = eval_setup
    cfg = _cfg(root, data)
    cfg.train_demos = 7  # no such experiment
    with pytest.raises(runner.EvalError, match=r"no checkpoint folder .*-n7-train/checkpoints; train first"):
        runner.evaluate(cfg)
    assert not (root / "exps" / "block-insertion-transporter-n7-train").exists()


def test_episode_log_forgets_several_checkpoints_and_rewrites_only_when_a_line_goes(tmp_path):
    from cliport.eval.progress_log import EpisodeLog

    log = EpisodeLog(tmp_path / "results.partial.jsonl")
    for name in ("a", "b", "c"):
        log.append({"checkpoint": name, "repeat": 0, "index": 0, "reward": 1.0})
    inode = log.path.stat().st_ino
    log.forget("x", "y")  # nothing of theirs: the file is not rewritten (same inode)
    assert log.path.stat().st_ino == inode and len(log.path.read_text().splitlines()) == 3
    log.forget("a", "c")
    assert [json.loads(x)["checkpoint"] for x in log.path.read_text().splitlines()] == ["b"]
    log.forget("b")
    assert not log.path.exists()
