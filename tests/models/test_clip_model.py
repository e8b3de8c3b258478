"""CLIP RN50 architecture: parameter counts, feature shapes, and agreement with hand-written references."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from cliport.models.clip.model import CLIP, ClipConfig, count_parameters

torch.set_num_threads(1)


def _randomise(model: CLIP, seed: int = 0) -> CLIP:
    """Give every parameter and BN statistic a non-trivial random value (zero-init branches included)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=gen) * 0.3)
    return model.eval()


@pytest.fixture(scope="module")
def tiny() -> CLIP:
    return _randomise(CLIP(ClipConfig.tiny()))


def test_full_size_parameter_counts_match_spec() -> None:
    model = CLIP(ClipConfig.rn50())
    visual = count_parameters(model.visual)
    pool = count_parameters(model.visual.attnpool)
    assert count_parameters(model) == 102_007_137
    assert visual - pool == 23_527_264
    assert pool == 14_789_632
    assert count_parameters(model) - visual == 63_690_241
    assert model.visual.channels == (256, 512, 1024, 2048)


@pytest.mark.parametrize(("h", "w"), [(64, 64), (96, 64)])
def test_feature_maps_shapes_and_order(tiny: CLIP, h: int, w: int) -> None:
    x = torch.randn(2, 3, h, w)
    bottleneck, feats = tiny.visual.forward_features(x)
    c = tiny.config.vision_width
    expected = [
        (c // 2, h // 2, w // 2),
        (c // 2, h // 2, w // 2),
        (c, h // 2, w // 2),
        (c, h // 4, w // 4),
        (4 * c, h // 4, w // 4),
        (8 * c, h // 8, w // 8),
        (16 * c, h // 16, w // 16),
        (32 * c, h // 32, w // 32),
    ]
    assert [tuple(f.shape[1:]) for f in feats] == expected
    assert all(f.shape[0] == 2 for f in feats)
    assert torch.equal(bottleneck, feats[-1])


def _bn(x: torch.Tensor, sd: dict, p: str) -> torch.Tensor:
    return (x - sd[p + "running_mean"][:, None, None]) / torch.sqrt(
        sd[p + "running_var"][:, None, None] + 1e-5
    ) * sd[p + "weight"][:, None, None] + sd[p + "bias"][:, None, None]


def _reference_trunk(sd: dict, x: torch.Tensor, layers: tuple[int, ...]) -> torch.Tensor:
    """The modified ResNet written out with functional ops from the state dict."""
    v = "visual."
    x = F.relu(_bn(F.conv2d(x, sd[v + "conv1.weight"], stride=2, padding=1), sd, v + "bn1."))
    x = F.relu(_bn(F.conv2d(x, sd[v + "conv2.weight"], padding=1), sd, v + "bn2."))
    x = F.relu(_bn(F.conv2d(x, sd[v + "conv3.weight"], padding=1), sd, v + "bn3."))
    x = F.avg_pool2d(x, 2)
    for stage, blocks in enumerate(layers, start=1):
        for i in range(blocks):
            p = f"{v}layer{stage}.{i}."
            stride = 2 if (stage > 1 and i == 0) else 1
            y = F.relu(_bn(F.conv2d(x, sd[p + "conv1.weight"]), sd, p + "bn1."))
            y = F.relu(_bn(F.conv2d(y, sd[p + "conv2.weight"], padding=1), sd, p + "bn2."))
            if stride > 1:
                y = F.avg_pool2d(y, stride)
            y = _bn(F.conv2d(y, sd[p + "conv3.weight"]), sd, p + "bn3.")
            if p + "downsample.0.weight" in sd:
                s = F.avg_pool2d(x, stride) if stride > 1 else x
                s = _bn(F.conv2d(s, sd[p + "downsample.0.weight"]), sd, p + "downsample.1.")
            else:
                s = x
            x = F.relu(y + s)
    return x


def test_trunk_matches_functional_reference(tiny: CLIP) -> None:
    x = torch.randn(2, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours, _ = tiny.visual.forward_features(x)
    ref = _reference_trunk(tiny.state_dict(), x, tiny.config.vision_layers)
    assert torch.allclose(ours, ref, rtol=1e-4, atol=1e-4)


def test_attention_pool_matches_manual_computation(tiny: CLIP) -> None:
    sd = tiny.state_dict()
    p = "visual.attnpool."
    fmap = torch.randn(3, 32 * tiny.config.vision_width, 2, 2, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ours = tiny.visual.attnpool(fmap)
    heads = tiny.config.vision_heads
    for b in range(fmap.shape[0]):
        tokens = fmap[b].flatten(1).T  # (HW, C)
        tokens = torch.cat([tokens.mean(0, keepdim=True), tokens]) + sd[p + "positional_embedding"]
        q = tokens[0] @ sd[p + "q_proj.weight"].T + sd[p + "q_proj.bias"]
        k = tokens @ sd[p + "k_proj.weight"].T + sd[p + "k_proj.bias"]
        val = tokens @ sd[p + "v_proj.weight"].T + sd[p + "v_proj.bias"]
        hd = q.shape[0] // heads
        out = []
        for h in range(heads):
            sl = slice(h * hd, (h + 1) * hd)
            weights = torch.softmax(k[:, sl] @ q[sl] / math.sqrt(hd), dim=0)
            out.append(weights @ val[:, sl])
        ref = torch.cat(out) @ sd[p + "c_proj.weight"].T + sd[p + "c_proj.bias"]
        assert torch.allclose(ours[b], ref, rtol=1e-4, atol=1e-5)


def _layer_norm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * w + b


def _reference_text(
    sd: dict, ids: torch.Tensor, layers: int, heads: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """One sequence through the text tower with explicit per-head causal attention."""
    x = sd["token_embedding.weight"][ids] + sd["positional_embedding"]  # (L, W)
    length, width = x.shape
    hd = width // heads
    for i in range(layers):
        p = f"transformer.resblocks.{i}."
        y = _layer_norm(x, sd[p + "ln_1.weight"], sd[p + "ln_1.bias"])
        qkv = y @ sd[p + "attn.in_proj_weight"].T + sd[p + "attn.in_proj_bias"]
        q, k, v = qkv.split(width, dim=-1)
        outs = []
        for h in range(heads):
            sl = slice(h * hd, (h + 1) * hd)
            scores = q[:, sl] @ k[:, sl].T / math.sqrt(hd)  # (L, L)
            scores = scores.masked_fill(torch.ones(length, length).triu(1).bool(), float("-inf"))
            outs.append(torch.softmax(scores, dim=-1) @ v[:, sl])
        x = x + torch.cat(outs, -1) @ sd[p + "attn.out_proj.weight"].T + sd[p + "attn.out_proj.bias"]
        y = _layer_norm(x, sd[p + "ln_2.weight"], sd[p + "ln_2.bias"])
        y = y @ sd[p + "mlp.c_fc.weight"].T + sd[p + "mlp.c_fc.bias"]
        y = y * torch.sigmoid(1.702 * y)
        x = x + y @ sd[p + "mlp.c_proj.weight"].T + sd[p + "mlp.c_proj.bias"]
    x = _layer_norm(x, sd["ln_final.weight"], sd["ln_final.bias"])
    return x[int(ids.argmax())] @ sd["text_projection"], x


def test_text_tower_matches_manual_computation(tiny: CLIP) -> None:
    ids = torch.zeros(2, 77, dtype=torch.long)
    ids[0, :5] = torch.tensor([49406, 320, 2533, 6765, 49407])
    ids[1, :8] = torch.tensor([49406, 1000, 2000, 3000, 4000, 5000, 6000, 49407])
    with torch.no_grad():
        sentence, tokens = tiny.encode_text_features(ids)
    cfg = tiny.config
    assert sentence.shape == (2, cfg.embed_dim) and tokens.shape == (2, 77, cfg.transformer_width)
    sd = tiny.state_dict()
    for b in range(2):
        ref_sentence, ref_tokens = _reference_text(sd, ids[b], cfg.transformer_layers, cfg.transformer_heads)
        assert torch.allclose(sentence[b], ref_sentence, rtol=1e-4, atol=1e-5)
        assert torch.allclose(tokens[b], ref_tokens, rtol=1e-4, atol=1e-5)


def test_text_is_causal_and_batch_independent(tiny: CLIP) -> None:
    ids = torch.zeros(2, 77, dtype=torch.long)
    ids[:, :4] = torch.tensor([49406, 320, 2533, 49407])
    ids[1, 4:6] = torch.tensor([999, 888])  # later tokens must not change earlier states
    with torch.no_grad():
        _, tokens = tiny.encode_text_features(ids)
        single, _ = tiny.encode_text_features(ids[:1])
    assert torch.allclose(tokens[0, :4], tokens[1, :4], atol=1e-6)
    with torch.no_grad():
        both, _ = tiny.encode_text_features(ids)
    assert torch.allclose(both[0], single[0], atol=1e-6)


def test_config_accepts_json_lists_and_rejects_bad_sizes() -> None:
    cfg = ClipConfig(vision_layers=[1, 1, 1, 1], vision_width=4, embed_dim=8, image_resolution=64)  # type: ignore[arg-type]
    assert cfg.vision_layers == (1, 1, 1, 1) and hash(cfg) == hash(ClipConfig(**cfg.to_dict()))
    with pytest.raises(ValueError, match="4 entries"):
        ClipConfig(vision_layers=(1, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="multiple of 32"):
        ClipConfig(image_resolution=100)


def test_wrong_token_shape_is_a_clear_error(tiny: CLIP) -> None:
    with pytest.raises(ValueError, match=r"\(B, 77\)"):
        tiny.encode_text_features(torch.zeros(1, 10, dtype=torch.long))
