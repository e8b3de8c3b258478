"""Every speed/memory option of the training step gives the numbers of the original recipe.

The reference is the original's step as this project first ran it: float32, contiguous memory, the
multi-tensor (unfused) Adam, pick loss -> backward -> pick update, then place loss -> backward -> place
update, every activation kept. Each option (and all of them together) must give the same losses, Adam
moments (i.e. gradients), weights and BatchNorm statistics after two steps: float32 within 1e-5
relative, bf16 autocast within 2e-2 on the losses.
"""

from __future__ import annotations

import copy
import warnings
from contextlib import ExitStack
from unittest import mock

import pytest
import torch

from cliport.agents.policy import build_agent
from cliport.agents.step import original_recipe_step
from cliport.models import small_map_conv

from .conftest import fake_encoders, tiny_batch, tiny_config

STEPS = 2
#: Biases of convolutions followed by a training-mode BatchNorm (the Up blocks' DoubleConv): their
#: gradient is zero in exact arithmetic, so what float arithmetic leaves is rounding noise of sums over
#: every pixel, which any change of summation order changes completely. Not compared.
ZERO_GRADIENT = ("double_conv.0.bias", "double_conv.3.bias")
LR = 1e-3  # larger than the paper's so that the three steps move the weights measurably


def _tiny(agent: str, frozen_precision: str = "fp32"):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # random CLIP
        policy = build_agent(tiny_config(agent, n_rotations=4, lr=LR), allow_random_encoders=True,
                             encoders=fake_encoders(agent), frozen_precision=frozen_precision)
    # private copy: channels_last must not convert the process-wide shared frozen CLIP
    return copy.deepcopy(policy)


def _run(agent: str, *, original: bool = False, fused: bool | None = None, in_backward: bool = False,
         checkpointing: bool = False, channels_last: bool = False, bf16: bool = False,
         small_maps: bool = False):
    with ExitStack() as stack:
        if small_maps:  # the tiny networks' 3x3 layers are narrow: let every one take the matmul path
            stack.enter_context(mock.patch.multiple(small_map_conv, MIN_IN_CHANNELS=1, MAX_POSITIONS=10**6))
            calls = mock.patch.object(small_map_conv, "conv3x3_matmul", wraps=small_map_conv.conv3x3_matmul)
            spy = stack.enter_context(calls)
        out = _run_steps(agent, original=original, fused=fused, in_backward=in_backward,
                         checkpointing=checkpointing, channels_last=channels_last, bf16=bf16)
        if small_maps:
            assert spy.call_count > 0
    return out


def _run_steps(agent: str, *, original: bool, fused: bool | None, in_backward: bool, checkpointing: bool,
               channels_last: bool, bf16: bool):
    policy = _tiny(agent, "bf16" if bf16 else "fp32")
    if channels_last:
        policy = policy.to(memory_format=torch.channels_last)
    policy.set_activation_checkpointing(checkpointing)
    opts = policy.make_optimizers(fused=False if original else fused)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else None
    losses = []
    for step in range(STEPS):
        batch = tiny_batch(2, seed=step)
        if original:
            losses.append(original_recipe_step(policy, batch, opts))
        else:
            info = policy.train_step(batch, opts, autocast=autocast, optimizer_in_backward=in_backward)
            losses.append(float(info["loss"]))
    names = {id(p): n for n, p in policy.named_parameters()}
    moments = {f"{group}/{names[id(p)]}/{k}": v.clone() for group, opt in opts.items()
               for p in opt.param_groups[0]["params"] for k, v in opt.state[p].items()
               if k != "step" and not names[id(p)].endswith(ZERO_GRADIENT)}
    state = {k: v.detach().clone().contiguous() for k, v in policy.state_dict().items()}
    return losses, moments, state


def _kind(key: str) -> str:
    """Moments: optimiser and slot ("pick/exp_avg"); state dict: the tensor's role ("running_mean")."""
    if "/" in key:
        return key.split("/")[0] + "/" + key.split("/")[-1]
    return key.rsplit(".", 1)[-1]


def _close(a: dict, b: dict, rtol: float) -> None:
    """Each tensor within ``rtol`` of the largest entry of its kind (same optimiser and slot, or the state
    dict): gradients that are zero in exact arithmetic (a conv bias before a BatchNorm) are pure
    rounding noise, so an error relative to their own size means nothing."""
    assert a.keys() == b.keys() and a
    scales: dict[str, float] = {}
    for key, value in a.items():
        kind = _kind(key)
        scales[kind] = max(scales.get(kind, 0.0), float(value.double().abs().max()))
    for key in a:
        kind = _kind(key)
        err = float((a[key].double() - b[key].double()).abs().max()) / (scales[kind] or 1.0)
        assert err <= rtol, f"{key}: max error {err:.2e} of the largest {kind} entry > {rtol}"


#: option -> (settings, gradient tolerance relative to the largest gradient, or None: losses and state
#: only). Options that keep the arithmetic give the reference's gradients to float rounding. The fused
#: Adam kernel rounds the first update differently (~1e-7); the second step's gradients, sums of many
#: cancelling terms, then move by up to ~1e-4 of the largest one. NHWC convolutions sum in another
#: order, and the tiny networks' Up blocks normalise 2 x 2 maps per sample, whose BatchNorm amplifies
#: that rounding in a few weight gradients to a few % of the largest: their exact equality is tested in
#: float64 (test_channels_last.py, 1e-9); here the losses (1e-5) and the state (1e-3) are compared.
OPTIONS = {
    "one backward, fused Adam": (dict(), 1e-3),
    "one backward, unfused Adam": (dict(fused=False), 1e-6),
    "optimizer in backward": (dict(in_backward=True, fused=False), 1e-6),
    "activation checkpointing": (dict(checkpointing=True, fused=False), 1e-6),
    "all together": (dict(in_backward=True, checkpointing=True), 1e-3),
    "channels_last": (dict(channels_last=True, fused=False), None),
    "all together, channels_last": (dict(in_backward=True, checkpointing=True, channels_last=True), None),
    # another summation order, amplified in a few gradients as for NHWC (float64 equality of the maps and
    # gradients of whole agents: test_channels_last.py)
    "small maps as matmuls": (dict(small_maps=True, fused=False), None),
    "all together, channels_last, small maps as matmuls":
        (dict(in_backward=True, checkpointing=True, channels_last=True, small_maps=True), None),
}


class _References(dict):
    """The original recipe's run per agent, computed on first use."""

    def __missing__(self, agent: str):
        self[agent] = _run(agent, original=True)
        return self[agent]


@pytest.fixture(scope="module")
def reference():
    return _References()


#: The default suite checks cliport (CLIP, language, lateral maps, Up-block BatchNorm) with each memory
#: option and everything together, the transporter with everything together; the rest is slow.
DEFAULT_CASES = {("cliport", "optimizer in backward"), ("cliport", "activation checkpointing"),
                 ("cliport", "all together"), ("cliport", "all together, channels_last"),
                 ("transporter", "all together, channels_last"),
                 ("cliport", "small maps as matmuls"),
                 ("cliport", "all together, channels_last, small maps as matmuls")}
CASES = [pytest.param(agent, option, marks=() if (agent, option) in DEFAULT_CASES else pytest.mark.slow)
         for agent in ("cliport", "transporter") for option in OPTIONS]


@pytest.mark.parametrize(("agent", "option"), CASES)
def test_fp32_options_give_the_original_recipes_numbers(reference, agent, option):
    settings, grad_rtol = OPTIONS[option]
    losses, moments, state = _run(agent, **settings)
    ref_losses, ref_moments, ref_state = reference[agent]
    torch.testing.assert_close(torch.tensor(losses), torch.tensor(ref_losses), rtol=1e-5, atol=0)
    assert len(set(losses)) == STEPS  # the batches and the updates change the loss
    if grad_rtol is not None:
        _close(ref_moments, moments, grad_rtol)  # exp_avg carries the gradients, exp_avg_sq their squares
    # weights and BatchNorm running statistics (a second update per step would move them by momentum 0.1)
    _close(ref_state, state, 1e-5 if grad_rtol is not None else 1e-3)
    changed = [k for k in ref_state if k.endswith("running_mean")]
    if agent == "cliport":  # the LingUNet's Up blocks: the recompute must not update them twice
        assert changed


@pytest.mark.parametrize("agent", ["cliport", "transporter"])
def test_bf16_default_step_stays_within_2e_2_of_the_original_recipe(reference, agent):
    losses, _, _ = _run(agent, bf16=True, in_backward=True, channels_last=True)
    torch.testing.assert_close(torch.tensor(losses), torch.tensor(reference[agent][0]), rtol=2e-2, atol=0)


def test_frozen_clip_runs_once_per_input_and_gets_no_gradients():
    policy = _tiny("cliport").set_activation_checkpointing(True)
    clip = policy.encoders.image
    calls = []
    inner = clip.forward_features

    def counting(x):
        calls.append(tuple(x.shape))
        return inner(x)

    object.__setattr__(clip, "forward_features", counting)
    opts = policy.make_optimizers()
    policy.train_step(tiny_batch(2), opts)
    # pick image, place key image, place query crops: once each although both streams recompute
    assert len(calls) == 3, calls
    calls.clear()
    policy.set_activation_checkpointing(False)  # no recompute, no cache: still once per input
    policy.train_step(tiny_batch(2, seed=1), opts)
    assert len(calls) == 3, calls
    assert all(not p.requires_grad and p.grad is None for p in clip.parameters())
