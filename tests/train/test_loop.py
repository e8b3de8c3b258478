"""The training loop: save steps, checkpoint names, resume after a kill gives the same final weights."""

import torch

from cliport.train.loop import LoopSettings, fit, make_optimizers
from cliport.train.state import load_training_checkpoint


def _settings(**kw):
    base = dict(n_steps=30, lr=1e-2, save_steps=[10, 20], last_every=7, progress=False)
    base.update(kw)
    return LoopSettings(**base)


def test_saves_at_save_steps_with_the_original_names(tmp_path, tiny):
    TinyPolicy, batch_for_step = tiny

    def _val():
        return [batch_for_step(1000 + i) for i in range(3)]

    policy = TinyPolicy()
    res = fit(policy, _settings(), batch_for_step, _val, tmp_path, lambda: {})
    names = sorted(p.name for p in tmp_path.glob("*.ckpt"))
    assert names[-1] == "steps=00020-val_loss=" + names[-1].split("val_loss=")[1]
    assert any(n.startswith("steps=00010-val_loss=") for n in names)
    assert "last.ckpt" in names
    assert res.end_step == 30 and res.last_val_loss is not None
    state, step, header = load_training_checkpoint(tmp_path / "last.ckpt", make_optimizers(policy, lr=1.0))
    assert step == 30
    assert all(torch.equal(state[k], v) for k, v in policy.state_dict().items())


def test_interrupted_run_resumes_and_ends_with_identical_weights(tmp_path, tiny):
    TinyPolicy, batch_for_step = tiny

    def _val():
        return [batch_for_step(1000 + i) for i in range(3)]

    torch.set_num_threads(1)
    ref = TinyPolicy()
    fit(ref, _settings(), batch_for_step, _val, tmp_path / "ref", lambda: {})

    run = tmp_path / "run"
    first = TinyPolicy()
    r1 = fit(first, _settings(), batch_for_step, _val, run, lambda: {}, stop_after=17)
    assert r1.end_step == 17
    # "kill": the process dies; a fresh process builds a fresh policy and resumes from last.ckpt (step 14)
    second = TinyPolicy()
    r2 = fit(second, _settings(), batch_for_step, _val, run, lambda: {})
    assert r2.resumed_from is not None and r2.start_step == 14 and r2.end_step == 30
    for key, value in ref.state_dict().items():
        assert torch.equal(value, second.state_dict()[key]), key
