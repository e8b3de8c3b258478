"""The frozen CLIP stored in bfloat16 (bf16 training) computes exactly what bf16 autocast computed before.

bf16 autocast already ran CLIP's convolutions and linears in bfloat16, casting the fp32 weights on every
call; storing them in bf16 removes the casts and half the memory and must not change a single output.
Against float32 arithmetic bf16 differs by a few 1e-3 relative (measured below), more than the 1e-3
the issue allows for a precision change, so float32 training keeps float32 CLIP weights.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from cliport.models.clip.encoder import ClipEncoder, clear_clip_cache, load_clip
from cliport.models.clip.model import ClipConfig

CFG = ClipConfig(**{**ClipConfig.tiny().to_dict(), "vision_width": 8})


@pytest.fixture(scope="module")
def encoders():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # random CLIP
        fp32 = ClipEncoder(load_clip(None, allow_random_clip=True, config=CFG, seed=3))
        bf16 = ClipEncoder(load_clip(None, allow_random_clip=True, config=CFG, seed=3, precision="bf16"))
    yield fp32, bf16
    clear_clip_cache()


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).norm() / b.float().norm())


def test_bf16_weights_only_touch_conv_linear_and_attention(encoders):
    fp32, bf16 = encoders
    assert fp32.clip is not bf16.clip  # separate cache entries: the fp32 model is untouched
    dtypes = {n: p.dtype for n, p in bf16.clip.named_parameters()}
    assert dtypes["visual.conv1.weight"] == torch.bfloat16
    assert dtypes["visual.layer1.0.conv2.weight"] == torch.bfloat16
    assert dtypes["transformer.resblocks.0.attn.in_proj_weight"] == torch.bfloat16
    assert dtypes["visual.bn1.weight"] == torch.float32 and dtypes["ln_final.weight"] == torch.float32
    assert all(p.dtype == torch.float32 for p in fp32.clip.parameters())


def test_bf16_weights_give_exactly_the_autocast_outputs(encoders):
    fp32, bf16 = encoders
    x = torch.randn(2, 3, 64, 96, generator=torch.Generator().manual_seed(0))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ref_bottleneck, ref_skips = fp32.forward_features(x)
        ref_text = fp32.encode(["put the red block in the green bowl", "stack the blocks"])
        bottleneck, skips = bf16.forward_features(x)
        text = bf16.encode(["put the red block in the green bowl", "stack the blocks"])
    assert float(ref_bottleneck.abs().max()) > 0  # a random CLIP with live features
    torch.testing.assert_close(bottleneck, ref_bottleneck, rtol=0, atol=0)
    for a, b in zip(skips, ref_skips, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(text.sentence, ref_text.sentence, rtol=0, atol=0)
    torch.testing.assert_close(text.tokens, ref_text.tokens, rtol=0, atol=0)


def test_bf16_against_float32_arithmetic_is_a_few_1e_3(encoders):
    fp32, bf16 = encoders
    x = torch.randn(2, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    exact, _ = fp32.forward_features(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low, _ = bf16.forward_features(x)
    err = _rel(low, exact)
    assert 1e-4 < err < 2e-2, err  # bf16 rounding (8-bit mantissa): not within 1e-3, so fp32 runs keep fp32


def test_bf16_clip_runs_without_autocast_too(encoders):
    """act() and validation run without autocast: the bf16 CLIP casts its input and returns fp32."""
    _, bf16 = encoders
    bottleneck, skips = bf16.forward_features(torch.randn(1, 3, 64, 64))
    assert bottleneck.dtype == torch.float32 and skips[-1].dtype == torch.bfloat16
    assert bf16.encode(["a"]).sentence.dtype == torch.float32
