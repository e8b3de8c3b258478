"""FFT correlation == direct convolution (values and gradients), and the batched form == per sample."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cliport.models.correlation import _fast_len, correlate


def inputs(b=2, r=5, c=3, h=40, w=24, k=8, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    key = torch.randn(b, c, h, w, generator=gen, dtype=dtype, requires_grad=True)
    ker = torch.randn(b, r, c, k, k, generator=gen, dtype=dtype, requires_grad=True)
    return key, ker


def test_fast_len():
    assert [_fast_len(n) for n in (448, 288, 449, 11, 1)] == [448, 288, 450, 12, 1]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fft_equals_conv_values_and_gradients(dtype):
    key, ker = inputs(dtype=dtype)
    weight = torch.randn(2, 5, 41, 25, generator=torch.Generator().manual_seed(3), dtype=dtype)
    out_fft = correlate(key, ker, padding=4, method="fft")
    g_fft = torch.autograd.grad((out_fft * weight).sum(), (key, ker))
    out_conv = correlate(key, ker, padding=4, method="conv")
    g_conv = torch.autograd.grad((out_conv * weight).sum(), (key, ker))
    assert out_fft.shape == out_conv.shape == (2, 5, 40 + 8 - 8 + 1, 24 + 8 - 8 + 1)
    tol = 1e-9 if dtype == torch.float64 else 1e-5
    scale = out_conv.abs().max()
    assert (out_fft - out_conv).abs().max() <= tol * scale
    for a, b in zip(g_fft, g_conv, strict=True):
        assert (a - b).abs().max() <= tol * b.abs().max()


def test_batched_equals_per_sample_conv2d():
    key, ker = inputs(b=3, r=4)
    out = correlate(key, ker, padding=4, method="fft")
    for i in range(3):
        ref = F.conv2d(key[i:i + 1], ker[i], padding=4)  # (1, R, H', W'): the original's call
        torch.testing.assert_close(out[i:i + 1], ref, atol=1e-9, rtol=0)


def test_shape_errors_are_clear():
    key, ker = inputs()
    with pytest.raises(ValueError, match="shape mismatch"):
        correlate(key, ker[:1], padding=4)
    with pytest.raises(ValueError, match="unknown correlation method"):
        correlate(key, ker, padding=4, method="winograd")
