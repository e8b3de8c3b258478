"""Every registry agent builds, trains on a batch of 2 and round-trips through our checkpoint format."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from safetensors import safe_open

from cliport.agents.checkpoint import load_agent, save_agent
from cliport.agents.registry import agent_names, agent_spec

from .conftest import fake_encoders, make_tiny, tiny_batch


def _logits(policy, batch):
    policy.eval()
    with torch.no_grad():
        image = policy._image(batch)
        text = policy.encode_text(batch["instruction"], image.shape[0])
        goal = policy._goal(batch)
        return policy.pick_logits(image, text, goal), policy.place_logits(image, batch["p0"], text, goal)


@pytest.mark.parametrize("agent", agent_names())
def test_agent_trains_and_round_trips(agent, tmp_path):
    policy = make_tiny(agent, n_rotations=8)
    batch = tiny_batch(2)
    policy.train()
    loss, info = policy(batch)
    assert loss.ndim == 0 and torch.isfinite(loss)
    torch.testing.assert_close(loss.detach(), info["pick_loss"] + info["place_loss"])
    assert info["pick_dist"].shape == (2,) and info["place_theta"].shape == (2,)
    loss.backward()
    groups = policy.parameter_groups()
    # Every trainable parameter is in the graph. (Values may be exactly zero: tiny random networks can have
    # dead ReLUs, and a constant logit map has zero cross-entropy gradient.)
    for name in ("pick", "place"):
        assert all(p.grad is not None for p in groups[name]), name
    assert sum(float(p.grad.abs().sum()) for p in policy.parameters()) > 0
    # The frozen encoders get no gradient and are not part of the policy's parameters/state.
    for module in policy.encoders.modules():
        assert all(p.grad is None for p in module.parameters())
    own = {id(p) for p in policy.parameters()}
    for module in policy.encoders.modules():
        assert not any(id(p) in own for p in module.parameters())

    before = _logits(policy, batch)
    path = save_agent(policy, tmp_path / f"{agent}.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        again = load_agent(path, allow_random_encoders=True, encoders=fake_encoders(agent))
    assert again.config == policy.config
    after = _logits(again, batch)
    assert torch.equal(before[0], after[0]) and torch.equal(before[1], after[1])


def test_checkpoint_holds_no_frozen_weights(tmp_path):
    policy = make_tiny("cliport")
    path = save_agent(policy, tmp_path / "c.safetensors")
    with safe_open(str(path), framework="pt") as f:
        keys = set(f.keys())
        meta = f.metadata()
    assert keys == set(policy.state_dict())
    assert all(k.startswith(("pick.", "place.")) for k in keys)
    assert not any("clip" in k or "text_encoder" in k for k in keys)
    clip = policy.encoders.image
    n_clip = sum(p.numel() for p in clip.parameters())
    n_file = sum(t.numel() for t in policy.state_dict().values())
    n_trainable = sum(p.numel() for p in policy.parameters())
    assert n_file - n_trainable < n_clip  # only BatchNorm statistics besides the trainable weights
    assert meta["agent"] == "cliport" and meta["format"] == "cliport-agent"


def test_one_frozen_clip_shared_by_all_streams():
    policy = make_tiny("cliport")
    streams = [policy.pick.attn_stream_two, policy.place.key_stream_two, policy.place.query_stream_two]
    assert all(s.image_encoder is policy.encoders.image for s in streams)
    assert policy.encoders.image is policy.encoders.text
    assert all(not p.requires_grad for p in policy.encoders.image.parameters())


def test_batch_of_two_equals_two_batches_of_one():
    policy = make_tiny("cliport")
    policy.eval()
    batch = tiny_batch(2)
    with torch.no_grad():
        loss2, info2 = policy(batch)
        singles = [policy({k: v[i : i + 1] for k, v in batch.items()}) for i in range(2)]
    torch.testing.assert_close(loss2, (singles[0][0] + singles[1][0]) / 2, rtol=1e-5, atol=1e-9)
    for key in ("pick_dist", "place_dist", "place_theta"):
        assert info2[key].tolist() == [s[1][key].item() for s in singles]


def test_train_step_matches_joint_backward():
    """The original's sequential two-optimiser step equals one backward of the summed loss."""
    a, b = make_tiny("transporter", seed=1, n_rotations=8), make_tiny("transporter", seed=1, n_rotations=8)
    batch = tiny_batch(2)
    opt_a, opt_b = a.make_optimizers(), b.make_optimizers()
    info = a.train_step(batch, opt_a)
    b.train()
    loss, _ = b(batch)
    loss.backward()
    for opt in opt_b.values():
        opt.step()
    torch.testing.assert_close(info["loss"], loss.detach())
    for (name, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        torch.testing.assert_close(pa, pb, msg=name)


def test_parameter_groups_are_disjoint_and_complete():
    policy = make_tiny("cliport")
    groups = policy.parameter_groups()
    pick, place = {id(p) for p in groups["pick"]}, {id(p) for p in groups["place"]}
    assert not pick & place
    assert pick | place == {id(p) for p in policy.parameters()}
    opts = policy.make_optimizers()
    assert opts["pick"].defaults["lr"] == 1e-4 and isinstance(opts["place"], torch.optim.Adam)


def test_act_decodes_the_argmax_and_keeps_batchnorm_statistics():
    policy = make_tiny("cliport", act_batchnorm="running", n_rotations=8)
    batch = tiny_batch(1)
    image = batch["image"][0].numpy()
    pick_logits, _ = _logits(policy, batch)
    action = policy.act(image, batch["instruction"][0])
    row, col, theta = action.extras["pick"]
    assert int(pick_logits[0].argmax()) == row * 32 + col and theta == 0.0
    assert action.pose0.position[2] == pytest.approx(float(image[row, col, 3]), abs=1e-6)

    faithful = make_tiny(
        "cliport", n_rotations=8
    )  # act_batchnorm="batch": the original's evaluation numerics
    state = {k: v.clone() for k, v in faithful.state_dict().items()}
    faithful.act(image, batch["instruction"][0])
    assert all(torch.equal(v, faithful.state_dict()[k]) for k, v in state.items())


def test_image_goal_agent_needs_a_goal():
    from cliport.errors import CliportError

    policy = make_tiny("image_goal_transporter", n_rotations=8)
    batch = tiny_batch(1)
    with pytest.raises(CliportError, match="needs a goal image"):
        policy.act(batch["image"][0].numpy())
    obs = {"image": batch["image"][0].numpy(), "goal_image": batch["goal_image"][0].numpy()}
    action = policy.act(obs, return_maps=True)
    assert action.pose1.position.shape == (3,)
    pick_map, place_map = action.extras["pick_map"], action.extras["place_map"]
    assert pick_map.shape == (64, 32) and place_map.shape == (8, 64, 32)
    assert pick_map.sum() == pytest.approx(1.0, rel=1e-4) and place_map.sum() == pytest.approx(1.0, rel=1e-4)
    row, col, theta = action.extras["place"]
    r = round(theta / (2 * np.pi / 8))
    assert place_map[r, row, col] == place_map.max()


def test_bad_inputs_name_the_problem():
    from cliport.errors import CliportError

    policy = make_tiny("transporter")
    batch = tiny_batch(2)
    with pytest.raises(CliportError, match=r"batch\['image'\] must have shape \(B, 64, 32, 6\)"):
        policy({**batch, "image": batch["image"][:, :10]})
    with pytest.raises(CliportError, match="lies outside"):
        policy({**batch, "p1": torch.tensor([[0, 0], [64, 0]])})
    lang = make_tiny("clip_lingunet_transporter")
    with pytest.raises(CliportError, match="one instruction per sample: 2 images, 1 instructions"):
        lang({**batch, "instruction": ["only one"]})


def test_unknown_agent_lists_the_known_ones():
    from cliport.agents.config import AgentConfig
    from cliport.errors import ConfigError

    with pytest.raises(
        ConfigError, match="unknown agent 'two_stream_full_clip_lingunet_lat_transporter'.*'cliport'"
    ):
        AgentConfig(agent="two_stream_full_clip_lingunet_lat_transporter")
    assert agent_spec("cliport").stream_two == "clip_lingunet_lat"
    assert len(agent_names()) == 16


def test_rn50_bert_agent_rebuilds_its_tiny_pretrained_encoders_from_the_file(tmp_path):
    """Without injected encoders: cliport.models.pretrained builds them from ``encoder_options``."""
    from cliport.agents.policy import build_agent

    from .conftest import tiny_config

    options = {
        "rn50": {"width": 4, "layers": [1, 1, 1, 1]},
        "bert": {"dim": 16, "n_layers": 1, "n_heads": 2, "hidden_dim": 32},
    }
    config = tiny_config(
        "two_stream_full_rn50_bert_lingunet_transporter", n_rotations=4, encoder_options=options
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        policy = build_agent(config, allow_random_encoders=True)
        assert policy.encoders.text.sentence_dim == 16 and policy.encoders.image.channels == (16, 32, 64, 128)
        batch = tiny_batch(2)
        loss, _ = policy(batch)
        loss.backward()
        before = _logits(policy, batch)
        again = load_agent(save_agent(policy, tmp_path / "a.safetensors"), allow_random_encoders=True)
    after = _logits(again, batch)
    assert torch.equal(before[0], after[0]) and torch.equal(before[1], after[1])


def test_a_few_steps_fit_one_batch():
    """Training on a fixed batch lowers its loss at every step."""
    policy = make_tiny("transporter", seed=2, n_rotations=4, lr=1e-3)
    batch = tiny_batch(2)
    opts = policy.make_optimizers()
    losses = [float(policy.train_step(batch, opts)["loss"]) for _ in range(6)]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses
