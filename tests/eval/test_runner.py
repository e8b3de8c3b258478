"""The evaluation runner: seeds in index order, repeats, resume after an interruption, clear errors."""

import types

import pytest

from cliport.eval import runner
from cliport.eval.config import EvalConfig
from cliport.eval.rollout import EpisodeOutcome, repeat_seed


def _cfg(root, data, **kw):
    base = dict(root_dir=str(root), data_dir=str(data), eval_task="block-insertion", agent="transporter",
                mode="test", n_demos=3, train_demos=2, checkpoint_type="last", progress=False)
    base.update(kw)
    return EvalConfig(**base)


@pytest.fixture
def fake_rollouts(monkeypatch):
    """Replace the simulator rollout by a function of the seed; record which jobs ran."""
    calls = []

    def init(cfg, checkpoint, keep_frames):
        runner._STATE.update(cfg=cfg)

    def run_job(job):
        calls.append(job)
        seed = repeat_seed(job.seed, job.repeat)
        reward = float(seed % 3 == 0)
        return job, EpisodeOutcome(seed, reward, 1, {"lang_goal": f"seed {seed}", 5: (0.5, 0.1)})

    monkeypatch.setattr(runner, "_init_worker", init)
    monkeypatch.setattr(runner, "_run_job", run_job)
    monkeypatch.setattr(runner, "_close_worker", lambda: None)
    return calls


def test_results_follow_seed_order_and_repeats(eval_setup, fake_rollouts):
    root, data, ckpts = eval_setup
    produced = runner.evaluate(_cfg(root, data, n_repeats=2))
    entry = produced["last.ckpt"]
    seeds = [10001, 10003, 10005]
    expected = [float(repeat_seed(s, r) % 3 == 0) for r in range(2) for s in seeds]
    assert [e[0] for e in entry["episodes"]] == expected
    assert entry["n_repeats"] == 2 and entry["summary"]["over"] == "repeats"
    assert entry["episodes"][0][1]["5"] == [0.5, 0.1]  # object ids become string keys
    assert (ckpts / "block-insertion-transporter-n3-results-test.json").exists()


def test_interrupted_evaluation_resumes_without_redoing_episodes(eval_setup, fake_rollouts, monkeypatch):
    root, data, ckpts = eval_setup
    original = runner._run_job

    def dying(job):
        if len(fake_rollouts) == 2:
            raise KeyboardInterrupt
        return original(job)

    monkeypatch.setattr(runner, "_run_job", dying)
    with pytest.raises(KeyboardInterrupt):
        runner.evaluate(_cfg(root, data))
    assert len(fake_rollouts) == 2
    monkeypatch.setattr(runner, "_run_job", original)
    produced = runner.evaluate(_cfg(root, data))
    assert [j.index for j in fake_rollouts] == [0, 1, 2]  # episode 2 ran once, 0 and 1 were not redone
    assert len(produced["last.ckpt"]["episodes"]) == 3
    assert not list(ckpts.glob("*.partial.jsonl"))


def test_clear_errors(eval_setup, fake_rollouts, tmp_path):
    root, data, ckpts = eval_setup
    with pytest.raises(runner.EvalError, match="does not exist.*cliport demos"):
        runner.evaluate(_cfg(root, tmp_path / "nowhere"))
    with pytest.raises(runner.EvalError, match="only 3|holds 3 episodes"):
        runner.evaluate(_cfg(root, data, n_demos=5))
    other = root / "exps" / "block-insertion-cliport-n2-train" / "checkpoints"
    other.mkdir(parents=True)
    (other / "last.ckpt").write_bytes((ckpts / "last.ckpt").read_bytes())
    with pytest.raises(runner.EvalError, match="belongs to agent 'transporter', not agent='cliport'"):
        runner.evaluate(_cfg(root, data, agent="cliport"))


@pytest.mark.parametrize(("device", "tuned"), [("cpu", True), ("cpu:0", True), ("cuda", False)])
def test_cpu_workers_keep_freed_memory_for_act(eval_setup, monkeypatch, device, tuned):
    """act() allocates its activations anew each call: on CPU the worker keeps freed memory for reuse
    (cliport.allocator; the speed-up is measured in docs/performance.md, not here)."""
    root, data, _ = eval_setup
    calls = []
    monkeypatch.setattr(runner, "reuse_freed_memory", lambda: calls.append(1) or True)
    import cliport.agents.checkpoint as checkpoint

    monkeypatch.setattr(checkpoint, "load_agent", lambda *a, **k: types.SimpleNamespace())
    cfg = EvalConfig(root_dir=str(root), data_dir=str(data), eval_task="block-insertion", agent="transporter",
                     device=device, progress=False)
    try:
        runner._init_worker(cfg, "unused.ckpt", False)
    finally:
        env = runner._STATE.pop("env", None)
        if env is not None:
            env.close()
        runner._STATE.clear()
    assert calls == ([1] if tuned else [])
