"""CLIP weight files: OpenAI key layout, plain / TorchScript / safetensors loading, checksums, errors."""

from __future__ import annotations

import warnings

import pytest
import torch

from cliport.models.clip.encoder import clear_clip_cache, clip_from_state_dict, load_clip
from cliport.models.clip.model import CLIP, ClipConfig
from cliport.models.clip.weights import (
    OFFICIAL_RN50_SHA256,
    ClipWeightsError,
    read_state_dict,
    resolve_weights_path,
    sha256_file,
)

torch.set_num_threads(1)
TINY = ClipConfig.tiny()


def openai_key_shapes(cfg: ClipConfig) -> dict[str, tuple[int, ...]]:
    """OpenAI's RN50 state-dict names and shapes, written out from the architecture (not from our module)."""
    keys: dict[str, tuple[int, ...]] = {}

    def bn(prefix: str, ch: int) -> None:
        for leaf in ("weight", "bias", "running_mean", "running_var"):
            keys[f"{prefix}.{leaf}"] = (ch,)

    w = cfg.vision_width
    stem = [(3, w // 2), (w // 2, w // 2), (w // 2, w)]
    for i, (cin, cout) in enumerate(stem, start=1):
        keys[f"visual.conv{i}.weight"] = (cout, cin, 3, 3)
        bn(f"visual.bn{i}", cout)
    inplanes = w
    for stage, blocks in enumerate(cfg.vision_layers, start=1):
        planes = w * 2 ** (stage - 1)
        for b in range(blocks):
            p = f"visual.layer{stage}.{b}"
            keys[f"{p}.conv1.weight"] = (planes, inplanes, 1, 1)
            bn(f"{p}.bn1", planes)
            keys[f"{p}.conv2.weight"] = (planes, planes, 3, 3)
            bn(f"{p}.bn2", planes)
            keys[f"{p}.conv3.weight"] = (4 * planes, planes, 1, 1)
            bn(f"{p}.bn3", 4 * planes)
            if b == 0:  # stride 2 or a channel change: avgpool + conv + BN shortcut
                keys[f"{p}.downsample.0.weight"] = (4 * planes, inplanes, 1, 1)
                bn(f"{p}.downsample.1", 4 * planes)
            inplanes = 4 * planes
    embed = 32 * w
    keys["visual.attnpool.positional_embedding"] = ((cfg.image_resolution // 32) ** 2 + 1, embed)
    for proj in ("k_proj", "q_proj", "v_proj"):
        keys[f"visual.attnpool.{proj}.weight"] = (embed, embed)
        keys[f"visual.attnpool.{proj}.bias"] = (embed,)
    keys["visual.attnpool.c_proj.weight"] = (cfg.embed_dim, embed)
    keys["visual.attnpool.c_proj.bias"] = (cfg.embed_dim,)
    tw = cfg.transformer_width
    for i in range(cfg.transformer_layers):
        p = f"transformer.resblocks.{i}"
        keys[f"{p}.attn.in_proj_weight"] = (3 * tw, tw)
        keys[f"{p}.attn.in_proj_bias"] = (3 * tw,)
        keys[f"{p}.attn.out_proj.weight"] = (tw, tw)
        keys[f"{p}.attn.out_proj.bias"] = (tw,)
        for ln in ("ln_1", "ln_2"):
            keys[f"{p}.{ln}.weight"] = (tw,)
            keys[f"{p}.{ln}.bias"] = (tw,)
        keys[f"{p}.mlp.c_fc.weight"] = (4 * tw, tw)
        keys[f"{p}.mlp.c_fc.bias"] = (4 * tw,)
        keys[f"{p}.mlp.c_proj.weight"] = (tw, 4 * tw)
        keys[f"{p}.mlp.c_proj.bias"] = (tw,)
    keys["token_embedding.weight"] = (cfg.vocab_size, tw)
    keys["positional_embedding"] = (cfg.context_length, tw)
    keys["ln_final.weight"] = (tw,)
    keys["ln_final.bias"] = (tw,)
    keys["text_projection"] = (tw, cfg.embed_dim)
    keys["logit_scale"] = ()
    return keys


def synthetic_openai_state(cfg: ClipConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict as OpenAI ships it: fp16 values, metadata scalars, no BN batch counters."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in openai_key_shapes(cfg).items():
        t = torch.randn(shape, generator=gen) * 0.2
        if name.endswith("running_var"):
            t = t.abs() + 0.5
        state[name] = t.half()
    state["input_resolution"] = torch.tensor(cfg.image_resolution)
    state["context_length"] = torch.tensor(cfg.context_length)
    state["vocab_size"] = torch.tensor(cfg.vocab_size)
    return state


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.delenv("CLIPORT_CLIP_WEIGHTS", raising=False)
    monkeypatch.setenv("CLIPORT_CACHE", str(tmp_path / "empty_cache"))
    clear_clip_cache()
    yield
    clear_clip_cache()


def test_our_names_and_shapes_are_openai_s() -> None:
    for cfg in (TINY, ClipConfig.rn50()):
        state = CLIP(cfg).state_dict()
        ours = {k: tuple(v.shape) for k, v in state.items() if not k.endswith("num_batches_tracked")}
        assert ours == openai_key_shapes(cfg)


def test_plain_fp16_state_dict_loads_as_fp32_and_is_frozen(tmp_path) -> None:
    state = synthetic_openai_state(TINY)
    path = tmp_path / "tiny_clip.pt"
    torch.save(state, path)
    model = load_clip(path, config=TINY)
    own = model.state_dict()
    for name, value in state.items():
        if name in own:
            assert own[name].dtype == torch.float32 if value.is_floating_point() else True
            assert torch.equal(own[name], value.to(own[name].dtype)), name
    assert not model.training
    assert all(not p.requires_grad for p in model.parameters())
    assert load_clip(path, config=TINY) is model  # one shared copy per file


def test_safetensors_file_loads(tmp_path) -> None:
    from safetensors.torch import save_file

    state = {k: v for k, v in synthetic_openai_state(TINY, seed=3).items() if v.ndim > 0}
    state["logit_scale"] = torch.tensor([4.6]).reshape(())  # scalars are fine in safetensors
    path = tmp_path / "tiny.safetensors"
    save_file(state, str(path))
    model = load_clip(path, config=TINY)
    assert torch.equal(model.text_projection, state["text_projection"].float())


def test_torchscript_archive_loads_and_checks_sha256(tmp_path) -> None:
    torch.manual_seed(0)
    src = CLIP(TINY).eval()
    for name, value in (("input_resolution", 64), ("context_length", 77), ("vocab_size", 49408)):
        if hasattr(src, name):
            delattr(src, name)  # OpenAI's archive stores these as tensors in the state dict
        src.register_buffer(name, torch.tensor(value))
    ids = torch.zeros(2, 77, dtype=torch.long)
    ids[:, :3] = torch.tensor([49406, 320, 49407])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(src, (torch.randn(2, 3, 64, 64), ids), check_trace=False)
    path = tmp_path / "RN50.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(traced, str(path))

    # "auto" expects OpenAI's official checksum for TorchScript archives.
    with pytest.raises(ClipWeightsError, match=f"does not match the expected {OFFICIAL_RN50_SHA256}"):
        load_clip(path, config=TINY)
    model = load_clip(path, config=TINY, expected_sha256=sha256_file(path))
    for name, value in src.state_dict().items():
        if name in model.state_dict():
            assert torch.equal(model.state_dict()[name], value), name
    model2 = load_clip(path, config=TINY, expected_sha256=None)
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model2.encode_image(image), src.encode_image(image), atol=1e-6)


def test_wrong_sha256_for_plain_file(tmp_path) -> None:
    path = tmp_path / "w.pt"
    torch.save(synthetic_openai_state(TINY), path)
    with pytest.raises(ClipWeightsError, match="does not match"):
        read_state_dict(path, expected_sha256="0" * 64)


def test_missing_file_says_how_to_get_weights(tmp_path) -> None:
    with pytest.raises(ClipWeightsError, match="no such file.*cliport download-clip.*openaipublic"):
        load_clip(tmp_path / "nope.pt")


def test_no_weights_refuses_unless_random_allowed() -> None:
    with pytest.raises(ClipWeightsError, match="no CLIP RN50 weights found.*download-clip"):
        load_clip(config=TINY)
    with pytest.warns(RuntimeWarning, match="RANDOMLY INITIALISED"):
        a = load_clip(config=TINY, allow_random_clip=True, seed=5)
    clear_clip_cache()
    with pytest.warns(RuntimeWarning):
        b = load_clip(config=TINY, allow_random_clip=True, seed=5)
    assert a is not b
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    assert all(torch.equal(x, y) for x, y in pairs)
    assert not any(p.requires_grad for p in a.parameters())


def test_env_var_and_download_folder(tmp_path, monkeypatch) -> None:
    path = tmp_path / "mine.pt"
    torch.save(synthetic_openai_state(TINY), path)
    monkeypatch.setenv("CLIPORT_CLIP_WEIGHTS", str(path))
    assert resolve_weights_path() == path
    assert resolve_weights_path(tmp_path / "mine.pt") == path
    monkeypatch.setenv("CLIPORT_CLIP_WEIGHTS", str(tmp_path / "gone.pt"))
    with pytest.raises(ClipWeightsError, match="CLIPORT_CLIP_WEIGHTS="):
        resolve_weights_path()
    monkeypatch.delenv("CLIPORT_CLIP_WEIGHTS")
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("CLIPORT_CACHE", str(cache))
    assert resolve_weights_path() is None
    (cache / "RN50.pt").write_bytes(path.read_bytes())
    assert resolve_weights_path() == cache / "RN50.pt"


def test_corrupt_files_give_clear_errors(tmp_path) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"this is not a weight file" * 10)
    with pytest.raises(ClipWeightsError, match="cannot read the file.*corrupt"):
        read_state_dict(junk)
    good = tmp_path / "good.pt"
    torch.save(synthetic_openai_state(TINY), good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ClipWeightsError, match="cannot read"):
        read_state_dict(truncated)
    not_dict = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], not_dict)
    with pytest.raises(ClipWeightsError, match="dict of tensors"):
        read_state_dict(not_dict)


def test_key_and_shape_problems_are_listed(tmp_path) -> None:
    state = synthetic_openai_state(TINY)
    del state["visual.layer2.0.conv1.weight"]
    state["visual.extra.weight"] = torch.zeros(3)
    state["text_projection"] = torch.zeros(4, 4)
    state["context_length"] = torch.tensor(64)
    path = tmp_path / "bad.pt"
    torch.save(state, path)
    with pytest.raises(ClipWeightsError) as info:
        load_clip(path, config=TINY)
    msg = str(info.value)
    assert "missing keys: visual.layer2.0.conv1.weight" in msg
    assert "unexpected keys: visual.extra.weight" in msg
    assert "text_projection (4, 4) != (8, 16)" in msg
    assert "context_length is 64, the model has 77" in msg
    # A tiny file does not fit the full RN50.
    torch.save(synthetic_openai_state(TINY), path)
    with pytest.raises(ClipWeightsError, match="wrong shapes"):
        load_clip(path)


def test_fp16_needs_cuda(tmp_path) -> None:
    with pytest.raises(ClipWeightsError, match="CUDA"):
        load_clip(config=TINY, allow_random_clip=True, precision="fp16", device="cpu")


def test_clip_from_state_dict_in_memory() -> None:
    state = synthetic_openai_state(TINY, seed=9)
    where = "checkpoint attention.attn_stream_two.clip_rn50"
    model = clip_from_state_dict(state, config=TINY, source=where)
    assert torch.equal(model.text_projection, state["text_projection"].float())
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    del state["ln_final.bias"]
    with pytest.raises(ClipWeightsError, match=f"{where} .*missing keys: ln_final.bias"):
        clip_from_state_dict(state, config=TINY, source=where)
