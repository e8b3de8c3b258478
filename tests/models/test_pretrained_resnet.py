"""ImageNet ResNet-50 encoder: torchvision key layout, parameter count, reference forward, loading."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F

from cliport.models.encoders import SKIP_STRIDES, ImageEncoder
from cliport.models.pretrained import load_rn50, load_rn50_untrained
from cliport.models.pretrained.files import PretrainedWeightsError
from cliport.models.pretrained.resnet import ResNet50Encoder, ResNet50Trunk

torch.set_num_threads(1)
TINY = {"width": 4, "layers": (1, 2, 1, 1)}


def torchvision_key_shapes(width: int, layers: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """torchvision resnet50 state-dict names/shapes (without fc), written out from the architecture."""
    keys: dict[str, tuple[int, ...]] = {"conv1.weight": (width, 3, 7, 7)}

    def bn(prefix: str, ch: int) -> None:
        for leaf in ("weight", "bias", "running_mean", "running_var"):
            keys[f"{prefix}.{leaf}"] = (ch,)

    bn("bn1", width)
    inplanes = width
    for stage, blocks in enumerate(layers, start=1):
        planes = width * 2 ** (stage - 1)
        for b in range(blocks):
            p = f"layer{stage}.{b}"
            keys[f"{p}.conv1.weight"] = (planes, inplanes, 1, 1)
            bn(f"{p}.bn1", planes)
            keys[f"{p}.conv2.weight"] = (planes, planes, 3, 3)
            bn(f"{p}.bn2", planes)
            keys[f"{p}.conv3.weight"] = (4 * planes, planes, 1, 1)
            bn(f"{p}.bn3", 4 * planes)
            if b == 0:
                keys[f"{p}.downsample.0.weight"] = (4 * planes, inplanes, 1, 1)
                bn(f"{p}.downsample.1", 4 * planes)
            inplanes = 4 * planes
    return keys


def synthetic_torchvision_state(width: int, layers: tuple[int, ...], seed: int = 0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in torchvision_key_shapes(width, layers).items():
        t = torch.randn(shape, generator=gen) * 0.3
        state[name] = t.abs() + 0.5 if name.endswith("running_var") else t
        if name.endswith("running_mean"):  # torchvision files carry the BN counters
            state[name.removesuffix("running_mean") + "num_batches_tracked"] = torch.tensor(7)
    state["fc.weight"] = torch.randn(1000, 32 * width, generator=gen)
    state["fc.bias"] = torch.randn(1000, generator=gen)
    return state


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("CLIPORT_RN50_WEIGHTS", raising=False)


def test_full_size_count_and_names() -> None:
    trunk = ResNet50Trunk()
    assert sum(p.numel() for p in trunk.parameters()) == 23_508_032
    for width, layers in ((64, (3, 4, 6, 3)), (TINY["width"], TINY["layers"])):
        state = ResNet50Trunk(layers, width).state_dict()
        ours = {k: tuple(v.shape) for k, v in state.items() if not k.endswith("num_batches_tracked")}
        assert ours == torchvision_key_shapes(width, layers)


def _bn(x, sd, p):
    return F.batch_norm(x, sd[p + "running_mean"], sd[p + "running_var"], sd[p + "weight"], sd[p + "bias"])


def _reference(sd: dict, x: torch.Tensor, layers: tuple[int, ...]) -> list[torch.Tensor]:
    x = F.max_pool2d(F.relu(_bn(F.conv2d(x, sd["conv1.weight"], stride=2, padding=3), sd, "bn1.")), 3, 2, 1)
    feats = [x]
    for stage, blocks in enumerate(layers, start=1):
        for b in range(blocks):
            p = f"layer{stage}.{b}."
            stride = 2 if stage > 1 and b == 0 else 1
            y = F.relu(_bn(F.conv2d(x, sd[p + "conv1.weight"]), sd, p + "bn1."))
            y = F.relu(_bn(F.conv2d(y, sd[p + "conv2.weight"], stride=stride, padding=1), sd, p + "bn2."))
            y = _bn(F.conv2d(y, sd[p + "conv3.weight"]), sd, p + "bn3.")
            if p + "downsample.0.weight" in sd:
                s = _bn(F.conv2d(x, sd[p + "downsample.0.weight"], stride=stride), sd, p + "downsample.1.")
            else:
                s = x
            x = F.relu(y + s)
        feats.append(x)
    return feats


def test_loads_torchvision_state_and_matches_reference(tmp_path) -> None:
    state = synthetic_torchvision_state(**TINY)
    path = tmp_path / "resnet50-tiny.pth"
    torch.save(state, path)
    enc = load_rn50(path, **TINY)
    assert isinstance(enc, ImageEncoder)
    assert enc.channels == (16, 32, 64, 128)
    x = torch.randn(2, 3, 96, 64, generator=torch.Generator().manual_seed(4))
    bottleneck, feats = enc.forward_features(x)
    ref = _reference(state, x, TINY["layers"])
    assert len(feats) == 5
    for ours, want in zip(feats, ref, strict=True):
        assert torch.allclose(ours, want, rtol=1e-4, atol=1e-4)
    for skip, ch, stride in zip(feats[-4:], enc.channels, SKIP_STRIDES, strict=True):
        assert skip.shape == (2, ch, 96 // stride, 64 // stride)
    assert feats[0].shape == (2, 4, 24, 16)  # stem after max-pool: /4
    assert torch.equal(bottleneck, feats[-1]) and not bottleneck.requires_grad


def test_env_var_and_errors(tmp_path, monkeypatch) -> None:
    with pytest.raises(PretrainedWeightsError, match="no ImageNet ResNet-50 weights.*CLIPORT_RN50_WEIGHTS"):
        load_rn50(**TINY)
    with pytest.raises(PretrainedWeightsError, match="no such file"):
        load_rn50(tmp_path / "missing.pth", **TINY)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\x00garbage")
    with pytest.raises(PretrainedWeightsError, match="cannot read"):
        load_rn50(junk, **TINY)
    path = tmp_path / "w.pth"
    state = synthetic_torchvision_state(**TINY)
    del state["layer3.0.conv2.weight"]
    torch.save(state, path)
    with pytest.raises(PretrainedWeightsError, match="missing keys: layer3.0.conv2.weight"):
        load_rn50(path, **TINY)
    torch.save(synthetic_torchvision_state(**TINY), path)
    monkeypatch.setenv("CLIPORT_RN50_WEIGHTS", str(path))
    assert isinstance(load_rn50(**TINY), ResNet50Encoder)
    with pytest.raises(PretrainedWeightsError, match="wrong shapes"):
        load_rn50()  # tiny file, full-size trunk


def test_random_and_untrained_variants() -> None:
    with pytest.warns(RuntimeWarning, match="RANDOMLY INITIALISED"):
        load_rn50(allow_random=True, **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the untrained variant is random by definition: no warning
        a = load_rn50_untrained(seed=3, **TINY)
        b = load_rn50_untrained(seed=3, **TINY)
    c = load_rn50_untrained(seed=4, **TINY)
    x = torch.randn(1, 3, 64, 64)
    assert torch.equal(a.forward_features(x)[0], b.forward_features(x)[0])
    assert not torch.equal(a.forward_features(x)[0], c.forward_features(x)[0])
    assert not any(p.requires_grad for p in a.parameters())


def test_train_mode_keeps_running_statistics(tmp_path) -> None:
    path = tmp_path / "w.pth"
    torch.save(synthetic_torchvision_state(**TINY), path)
    enc = load_rn50(path, **TINY)
    x = torch.randn(3, 3, 64, 64)
    before = enc.forward_features(x)[0]
    torch.nn.ModuleList([enc]).train()
    assert torch.equal(before, enc.forward_features(x)[0])
    batch = load_rn50(path, batchnorm="batch", **TINY).train()
    assert not torch.allclose(before, batch.forward_features(x)[0])
