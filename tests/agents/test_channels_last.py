"""channels_last (NHWC) memory is a speed setting only: every agent gives the same numbers in it."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from cliport.agents.checkpoint import load_agent, save_agent
from cliport.agents.registry import agent_names

from .conftest import IMAGE_SIZE, make_tiny, tiny_batch


def _maps_and_grads(policy, batch, text):
    """Pick and place logits of the (float64) modules and the gradients of a fixed projection of them."""
    image = batch["image"].double()
    goal = batch["goal_image"].double() if policy.spec.uses_goal_image else None
    pick = policy.pick_logits(image, text, goal)
    place = policy.place_logits(image, batch["p0"], text, goal)
    gen = torch.Generator().manual_seed(1)
    loss = (pick * torch.randn(pick.shape, generator=gen, dtype=pick.dtype)).sum() + (
        place * torch.randn(place.shape, generator=gen, dtype=place.dtype)).sum()
    policy.zero_grad(set_to_none=True)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in policy.named_parameters() if p.grad is not None}
    return pick.detach(), place.detach(), grads


def _assert_same(pick_a, place_a, grads_a, pick_b, place_b, grads_b) -> None:
    """Maps equal to 1e-9; each gradient within 1e-9 of the largest gradient entry."""
    torch.testing.assert_close(pick_b, pick_a, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(place_b, place_a, rtol=1e-9, atol=1e-9)
    assert grads_a.keys() == grads_b.keys() and grads_a
    scale = max(float(g.abs().max()) for g in grads_a.values())
    for name in grads_a:
        torch.testing.assert_close(grads_b[name] / scale, grads_a[name] / scale, rtol=0, atol=1e-9,
                                   msg=lambda m, name=name: f"{name}: {m}")


@pytest.mark.parametrize("agent", agent_names())
def test_channels_last_gives_the_same_maps_and_gradients(agent):
    # float64 so that rounding cannot hide a layout mistake: both layouts must agree to ~1e-10.
    dense = make_tiny(agent, n_rotations=4)
    batch = tiny_batch(2)
    text = dense.encode_text(batch["instruction"], 2)  # the frozen text encoder computes in float32
    text = text.to(dtype=torch.float64) if text is not None else None
    # A private copy (deepcopy keeps the streams' references to the encoders consistent): .double() and
    # channels_last must not convert the process-wide shared frozen CLIP that other tests use.
    dense = copy.deepcopy(dense).double()
    nhwc = copy.deepcopy(dense).to(memory_format=torch.channels_last)
    convs = [p for n, p in nhwc.named_parameters() if p.ndim == 4]
    assert convs and all(p.is_contiguous(memory_format=torch.channels_last) for p in convs)
    pick_a, place_a, grads_a = _maps_and_grads(dense.train(), batch, text)
    pick_b, place_b, grads_b = _maps_and_grads(nhwc.train(), batch, text)
    _assert_same(pick_a, place_a, grads_a, pick_b, place_b, grads_b)


@pytest.mark.parametrize("agent", ["transporter", "cliport", "two_stream_clip_lingunet_lat_transporter"])
def test_small_maps_as_matmuls_give_the_same_maps_and_gradients(agent, monkeypatch):
    """models/small_map_conv.py inside whole agents, in float64: every 3x3 layer of the tiny networks is
    forced onto the matmul path (they are narrower than the full-size rule's 512 channels)."""
    from cliport.models import small_map_conv

    policy = make_tiny(agent, n_rotations=4)
    batch = tiny_batch(2)
    text = policy.encode_text(batch["instruction"], 2)
    text = text.to(dtype=torch.float64) if text is not None else None
    conv = copy.deepcopy(policy).double().to(memory_format=torch.channels_last).set_small_map_matmul(False)
    matmul = copy.deepcopy(conv).set_small_map_matmul(True)
    monkeypatch.setattr(small_map_conv, "MIN_IN_CHANNELS", 1)
    monkeypatch.setattr(small_map_conv, "MAX_POSITIONS", 10**6)
    calls = []
    real = small_map_conv.conv3x3_matmul
    monkeypatch.setattr(small_map_conv, "conv3x3_matmul", lambda *a: calls.append(1) or real(*a))
    pick_a, place_a, grads_a = _maps_and_grads(conv.train(), batch, text)
    assert not calls
    pick_b, place_b, grads_b = _maps_and_grads(matmul.train(), batch, text)
    assert calls
    _assert_same(pick_a, place_a, grads_a, pick_b, place_b, grads_b)


@pytest.mark.parametrize("agent", ["transporter", "cliport", "two_stream_clip_lingunet_lat_transporter"])
def test_channels_last_float32_train_step_and_act_run(agent):
    """The fp32 CPU kernels used in NHWC (a strided 1x1 backward once corrupted the heap here)."""
    policy = copy.deepcopy(make_tiny(agent, n_rotations=4)).to(memory_format=torch.channels_last)
    opts = policy.make_optimizers()
    policy.train()
    loss, _ = policy(tiny_batch(2))
    loss.backward()
    for opt in opts.values():
        opt.step()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p).all() for p in policy.parameters())
    image = tiny_batch(1, seed=3)["image"][0].numpy()
    action = policy.act(image, "put the red block in the green bowl", return_maps=True,
                        goal=np.zeros((*IMAGE_SIZE, 6), np.float32))
    assert np.isclose(action.extras["pick_map"].sum(), 1, atol=1e-4)
    assert action.extras["place_map"].shape == (4, *IMAGE_SIZE)


def test_load_agent_channels_last_rebuilds_nhwc_weights_with_the_stored_values(tmp_path):
    policy = make_tiny("transporter", n_rotations=4)
    path = save_agent(policy, tmp_path / "agent.safetensors")
    again = load_agent(path, channels_last=True)
    convs = {n: p for n, p in again.named_parameters() if p.ndim == 4}
    assert convs and all(p.is_contiguous(memory_format=torch.channels_last) for p in convs.values())
    dense = dict(policy.named_parameters())
    assert all(torch.equal(p, dense[n]) for n, p in convs.items())
    first = load_agent(path).pick.attn_stream.layers[0].weight  # default: contiguous NCHW
    assert not first.is_contiguous(memory_format=torch.channels_last)
