"""act() precision: float32 by default (as the original evaluated), bfloat16 autocast on request."""

import numpy as np
import pytest
import torch

from cliport.errors import CliportError, ConfigError
from cliport.eval.config import EvalConfig, validate

from .conftest import make_tiny, tiny_batch


def _act_recording_autocast(policy, precision: str) -> tuple[list, object]:
    policy.act_precision = precision
    seen = []
    pick_logits = policy.pick_logits

    def spy(*args, **kwargs):
        seen.append((torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")))
        return pick_logits(*args, **kwargs)

    policy.pick_logits = spy
    batch = tiny_batch(1)
    action = policy.act(batch["image"][0].numpy(), batch["instruction"][0])
    return seen, action


@pytest.mark.parametrize("agent", ["transporter", "cliport"])
def test_act_runs_float32_by_default_and_bf16_autocast_on_request(agent):
    policy = make_tiny(agent)
    assert policy.act_precision == "32"
    seen, fp32_action = _act_recording_autocast(policy, "32")
    assert seen == [(False, seen[0][1])]
    seen, bf16_action = _act_recording_autocast(policy, "bf16")
    assert seen == [(True, torch.bfloat16)]
    for action in (fp32_action, bf16_action):  # both decode to poses inside the workspace
        assert np.all(np.isfinite(action.pose0.position)) and np.all(np.isfinite(action.pose1.position))


def test_bad_act_precision_is_named():
    policy = make_tiny("transporter")
    policy.act_precision = "fp8"
    with pytest.raises(CliportError, match="act precision must be 32 or bf16, got 'fp8'"):
        policy.act(tiny_batch(1)["image"][0].numpy())
    with pytest.raises(ConfigError, match="precision must be 32 or bf16, got 'fp16'"):
        validate(EvalConfig(eval_task="block-insertion", precision="fp16"))
