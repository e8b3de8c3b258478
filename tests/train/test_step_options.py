"""The training step's speed/memory settings: config keys, validation, wiring, the malloc tuning."""

from __future__ import annotations

import pytest

from cliport.config import parse_overrides, to_object
from cliport.errors import ConfigError
from cliport.train.config import TrainConfig, validate


def test_defaults():
    t = TrainConfig().train
    assert t.activation_checkpointing is False and t.optimizer_in_backward is True


@pytest.mark.parametrize("key", ["activation_checkpointing", "optimizer_in_backward"])
def test_non_boolean_values_are_refused_naming_the_key(key):
    cfg = TrainConfig()
    setattr(cfg.train, key, "yes")
    with pytest.raises(ConfigError, match=f"train.{key} must be true or false"):
        validate(cfg)


@pytest.mark.parametrize(("ckpt", "in_backward"), [(True, False), (False, True)])
def test_train_hands_the_settings_to_the_loop(monkeypatch, tmp_path, synthetic_data, ckpt, in_backward):
    from cliport.train import run

    seen = {}

    def fake_fit(policy, settings, *args, **kwargs):
        seen.update(ckpt=settings.activation_checkpointing, in_backward=settings.optimizer_in_backward)
        return run.LoopResult(0, 0)

    monkeypatch.setattr(run, "fit", fake_fit)
    cfg = to_object(parse_overrides(TrainConfig, [
        f"root_dir={tmp_path}", f"train.data_dir={synthetic_data}", "train.task=place-red-in-green",
        "train.agent=transporter", "train.n_demos=3", "train.n_steps=1", "train.progress=false",
        "train.accelerator=cpu", "train.n_rotations=4", "train.model_options={resnet_base: 4}",
        f"train.activation_checkpointing={str(ckpt).lower()}",
        f"train.optimizer_in_backward={str(in_backward).lower()}",
    ]))
    run.train(cfg)
    assert seen == {"ckpt": ckpt, "in_backward": in_backward}


def test_loop_with_both_settings_matches_the_plain_loop(tmp_path, tiny):
    """The loop's step with optimizer_in_backward gives the same weights (the tiny policy has no streams
    to checkpoint: that flag is checked with real agents in tests/agents/test_same_numbers.py)."""
    import torch

    from cliport.train.loop import LoopSettings, fit

    policy_cls, batches = tiny
    finals = []
    for i, (ckpt, in_backward) in enumerate([(False, False), (True, True)]):
        policy = policy_cls()
        settings = LoopSettings(n_steps=5, lr=0.1, save_steps=[], last_every=100, progress=False,
                                activation_checkpointing=ckpt, optimizer_in_backward=in_backward)
        fit(policy, settings, batches, lambda: [], tmp_path / str(i), lambda: {})
        finals.append(policy.state_dict())
    for key in finals[0]:
        torch.testing.assert_close(finals[1][key], finals[0][key], rtol=1e-6, atol=0)


def test_resumed_moments_take_the_channels_last_layout_of_their_parameters():
    """A checkpoint stores Adam's moments contiguously; the fused kernel needs the parameter's layout."""
    import torch

    from cliport.agents.step import match_state_layout

    def run(resume: bool) -> torch.Tensor:
        torch.manual_seed(0)
        w = torch.nn.Parameter(torch.randn(4, 3, 5, 5).contiguous(memory_format=torch.channels_last))
        opt = torch.optim.Adam([w], lr=0.1, fused=True)
        for step in range(3):
            w.grad = torch.randn(4, 3, 5, 5).contiguous(memory_format=torch.channels_last)
            opt.step()
            if resume and step == 0:  # what a save + load gives back
                saved = opt.state_dict()
                saved["state"][0] = {k: v.contiguous() for k, v in saved["state"][0].items()}
                opt.load_state_dict(saved)
                match_state_layout({"o": opt})
                assert opt.state[w]["exp_avg"].stride() == w.stride()
        return w.detach().clone()

    assert torch.equal(run(resume=True), run(resume=False))
