"""Original Lightning checkpoints: a synthetic file in the original's key layout (models.md §13), made
from our own weights by renaming, with fp16 CLIP copies, loads and reproduces our outputs exactly."""

from __future__ import annotations

import sys
import types
import warnings
from collections import OrderedDict

import pytest
import torch

from cliport.agents.checkpoint import CheckpointError, read_checkpoint
from cliport.agents.lightning_file import read_lightning_checkpoint
from cliport.agents.original import load_original_checkpoint
from cliport.commands.convert_checkpoint import main as convert_main

from .conftest import make_tiny, tiny_batch, tiny_config

COPIES = ("attention.attn_stream_two", "transport.key_stream_two", "transport.query_stream_two")


@pytest.fixture
def fake_lightning(monkeypatch):
    """Importable stand-ins for the classes a Lightning 1.0 checkpoint pickles by reference."""
    names = [
        "pytorch_lightning",
        "pytorch_lightning.callbacks",
        "pytorch_lightning.callbacks.model_checkpoint",
    ]
    for name in names:
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    cls = type("ModelCheckpoint", (), {"__module__": names[-1]})
    sys.modules[names[-1]].ModelCheckpoint = cls
    return cls


def _original_state(policy, clip_copies: bool = True) -> OrderedDict:
    """Our state renamed to the original's layout, plus three fp16 copies of the frozen CLIP."""
    state = OrderedDict()
    for key, value in policy.state_dict().items():
        head, rest = key.split(".", 1)
        state[{"pick": "attention", "place": "transport"}[head] + "." + rest] = value.clone()
    if clip_copies:
        clip = policy.encoders.image.clip.state_dict()
        for i, prefix in enumerate(COPIES):
            for k, v in clip.items():
                # The original's fp16 recipe: conv/linear/attention weights in fp16, norms stay fp32.
                copy = v.half() if v.is_floating_point() and v.ndim >= 2 else v.clone()
                if k.endswith("running_mean"):
                    copy = copy + 0.01 * i  # train-mode CLIP drifted its statistics differently per copy
                state[f"{prefix}.clip_rn50.{k}"] = copy
    return state


def _save_lightning(path, state, callback_cls) -> None:
    torch.save(
        {
            "epoch": 3,
            "global_step": 4000,
            "pytorch-lightning_version": "1.0.3",
            "callbacks": {callback_cls: {"best_model_score": torch.tensor(1.5e-4), "best_model_path": "x"}},
            "optimizer_states": [],
            "lr_schedulers": [],
            "state_dict": state,
        },
        path,
    )


def _outputs(policy, batch):
    policy.eval()
    with torch.no_grad():
        image = policy._image(batch)
        text = policy.encode_text(batch["instruction"], image.shape[0])
        return policy.pick_logits(image, text, None), policy.place_logits(image, batch["p0"], text, None)


def test_synthetic_original_checkpoint_reproduces_outputs(tmp_path, fake_lightning):
    ours = make_tiny("cliport", seed=3, n_rotations=8)
    path = tmp_path / "steps=4000-val_loss=0.00014655.ckpt"
    _save_lightning(path, _original_state(ours), fake_lightning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        loaded, report = load_original_checkpoint(
            path, tiny_config("cliport", n_rotations=8), allow_random_encoders=True
        )
    batch = tiny_batch(2)
    a, b = _outputs(ours, batch), _outputs(loaded, batch)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert set(report.dropped_frozen) == {f"{p}.clip_rn50" for p in COPIES}
    assert report.clip_max_weight_diff == 0.0  # equal after casting ours to the copies' fp16
    assert report.clip_max_stat_diff == pytest.approx(0.02, abs=1e-6)
    assert report.loaded == len(ours.state_dict())
    assert report.metadata["global_step"] == "4000"


def test_convert_command_writes_our_format_without_clip(tmp_path, fake_lightning, capsys):
    ours = make_tiny("cliport", seed=4, n_rotations=8)
    src, dst = tmp_path / "best.ckpt", tmp_path / "best.safetensors"
    _save_lightning(src, _original_state(ours), fake_lightning)
    cfg = tiny_config("cliport", n_rotations=8)
    settings = cfg.to_json().replace('"agent": "cliport", ', "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert (
            convert_main(
                [str(src), str(dst), "--agent", "cliport", "--config-json", settings, "--allow-random-clip"]
            )
            == 0
        )
    out = capsys.readouterr().out
    assert "frozen encoder copy dropped: transport.query_stream_two.clip_rn50" in out
    config, state, meta = read_checkpoint(dst)
    assert config == cfg and meta["converted_from"] == "best.ckpt"
    assert state.keys() == ours.state_dict().keys()
    assert all(torch.equal(state[k], v) for k, v in ours.state_dict().items())


def test_convert_without_clip_weights_drops_copies_unchecked(tmp_path, fake_lightning, monkeypatch):
    monkeypatch.delenv("CLIPORT_CLIP_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no downloaded weights either
    monkeypatch.setenv("HOME", str(tmp_path))
    ours = make_tiny("cliport", seed=5, n_rotations=8)
    src = tmp_path / "last.ckpt"
    _save_lightning(src, _original_state(ours), fake_lightning)
    policy, report = load_original_checkpoint(src, tiny_config("cliport", n_rotations=8))
    assert report.not_compared == [f"{p}.clip_rn50" for p in COPIES]
    assert all(torch.equal(policy.state_dict()[k], v) for k, v in ours.state_dict().items())


def test_mismatching_clip_copy_is_refused(tmp_path, fake_lightning):
    ours = make_tiny("cliport", seed=6, n_rotations=8)
    state = _original_state(ours)
    key = next(k for k in state if k.startswith("transport.key_stream_two.clip_rn50.visual.conv1"))
    state[key] = state[key] + 1
    path = tmp_path / "x.ckpt"
    _save_lightning(path, state, fake_lightning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(CheckpointError, match="frozen copy transport.key_stream_two.clip_rn50 differs"):
            load_original_checkpoint(path, tiny_config("cliport", n_rotations=8), allow_random_encoders=True)


def test_plain_transporter_layout_and_strict_keys(tmp_path, fake_lightning):
    ours = make_tiny("transporter", seed=7, n_rotations=8)
    state = _original_state(ours, clip_copies=False)
    assert any(k.startswith("attention.attn_stream.") for k in state)
    assert any(k.startswith("transport.key_resnet.") for k in state)
    path = tmp_path / "t.ckpt"
    _save_lightning(path, state, fake_lightning)
    loaded, _ = load_original_checkpoint(path, tiny_config("transporter", n_rotations=8))
    batch = tiny_batch(1)
    assert all(torch.equal(x, y) for x, y in zip(_outputs(ours, batch), _outputs(loaded, batch), strict=True))

    del state["transport.query_resnet.layers.0.weight"]
    state["attention.extra.weight"] = torch.zeros(1)
    _save_lightning(path, state, fake_lightning)
    with pytest.raises(CheckpointError, match=r"1 missing: place.query_resnet.layers.0.weight; 1 unexpected"):
        load_original_checkpoint(path, tiny_config("transporter", n_rotations=8))


def test_untrusted_objects_are_refused(tmp_path, monkeypatch):
    mod = types.ModuleType("evil_payload")
    cls = type("Gadget", (), {"__module__": "evil_payload"})
    mod.Gadget = cls
    monkeypatch.setitem(sys.modules, "evil_payload", mod)
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "extra": cls()}, path)
    with pytest.raises(CheckpointError, match=r"outside the allow-list \(evil_payload.Gadget\)"):
        read_lightning_checkpoint(path)


def test_our_loader_points_original_files_to_the_converter(tmp_path, fake_lightning):
    path = tmp_path / "model.bin"
    _save_lightning(path, {}, fake_lightning)
    with pytest.raises(CheckpointError, match="convert it first with `cliport convert-checkpoint"):
        read_checkpoint(path)
    garbage = tmp_path / "g.safetensors"
    garbage.write_bytes(b"\x00" * 5)
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        read_checkpoint(garbage)


def test_frozen_copy_can_replace_the_encoder_without_touching_the_shared_one(tmp_path, fake_lightning):
    ours = make_tiny("cliport", seed=8, n_rotations=8)
    path = tmp_path / "f.ckpt"
    _save_lightning(path, _original_state(ours), fake_lightning)
    shared_before = {k: v.clone() for k, v in ours.encoders.image.state_dict().items()}
    prefix = "transport.query_stream_two.clip_rn50"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        loaded, report = load_original_checkpoint(
            path,
            tiny_config("cliport", n_rotations=8),
            allow_random_encoders=True,
            frozen_from_checkpoint=prefix,
        )
    assert report.clip_loaded_from == prefix
    enc = loaded.encoders.image
    assert enc is loaded.encoders.text and enc is not ours.encoders.image
    assert loaded.pick.attn_stream_two.image_encoder is enc
    mean = enc.state_dict()["clip.visual.bn1.running_mean"]
    torch.testing.assert_close(mean, shared_before["clip.visual.bn1.running_mean"] + 0.02)  # copy 2's drift
    assert all(torch.equal(v, ours.encoders.image.state_dict()[k]) for k, v in shared_before.items())
