"""Wide 3x3 convolutions on small maps as one matrix multiply: the convolution's numbers and gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cliport.models import small_map_conv
from cliport.models.small_map_conv import SmallMapConv2d, conv3x3_matmul, set_small_map_matmul


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize(("n", "h", "w"), [(1, 1, 1), (2, 3, 5), (3, 4, 4), (1, 7, 2)])
def test_matmul_gives_the_convolutions_outputs_and_gradients_in_float64(channels_last, bias, n, h, w):
    torch.manual_seed(0)
    x = torch.randn(n, 6, h, w, dtype=torch.float64)
    weight = torch.randn(5, 6, 3, 3, dtype=torch.float64)
    b = torch.randn(5, dtype=torch.float64) if bias else None
    if channels_last:
        x, weight = x.to(memory_format=torch.channels_last), weight.to(memory_format=torch.channels_last)
    grads = []
    for fn in (lambda *a: F.conv2d(*a, padding=1), conv3x3_matmul):
        xs, ws = x.clone().requires_grad_(), weight.clone().requires_grad_()
        bs = b.clone().requires_grad_() if bias else None
        out = fn(xs, ws, bs)
        assert out.shape == (n, 5, h, w)
        (out * torch.linspace(-1, 1, out.numel(), dtype=torch.float64).view_as(out)).sum().backward()
        grads.append([out.detach(), xs.grad, ws.grad] + ([bs.grad] if bias else []))
    for ref, got in zip(*grads, strict=True):
        torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)


def test_output_is_channels_last_and_bf16_under_autocast_like_the_convolution():
    conv = SmallMapConv2d(512, 8, kernel_size=3, padding=1).to(memory_format=torch.channels_last)
    x = torch.randn(2, 512, 3, 3).to(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = conv(x)
        conv.small_map_matmul = False
        ref = conv(x)
    assert out.dtype == ref.dtype == torch.bfloat16
    assert out.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out.float(), ref.float(), rtol=2e-2, atol=2e-2)


def _calls(monkeypatch) -> list:
    calls: list = []
    real = small_map_conv.conv3x3_matmul
    monkeypatch.setattr(small_map_conv, "conv3x3_matmul", lambda *a: calls.append(a[0].shape) or real(*a))
    return calls


def test_rule_small_maps_of_wide_layers_only(monkeypatch):
    calls = _calls(monkeypatch)
    wide = SmallMapConv2d(512, 4, kernel_size=3, padding=1, bias=False)
    narrow = SmallMapConv2d(256, 4, kernel_size=3, padding=1, bias=False)
    strided = SmallMapConv2d(512, 4, kernel_size=3, stride=2, padding=1, bias=False)
    one_by_one = SmallMapConv2d(512, 4, kernel_size=1, bias=False)
    for conv, x in ((wide, torch.randn(36, 512, 4, 4)),   # 576 positions: matmul
                    (wide, torch.randn(36, 512, 5, 5)),   # 900 > MAX_POSITIONS: convolution
                    (narrow, torch.randn(1, 256, 2, 2)), (strided, torch.randn(1, 512, 4, 4)),
                    (one_by_one, torch.randn(1, 512, 4, 4))):
        out = conv(x)
        torch.testing.assert_close(out, F.conv2d(x, conv.weight, conv.bias, conv.stride, conv.padding),
                                   rtol=1e-4, atol=1e-4)
    assert calls == [(36, 512, 4, 4)]
    assert small_map_conv.MAX_POSITIONS == 600 and small_map_conv.MIN_IN_CHANNELS == 512
    assert wide._matmul_applies(torch.empty(36, 512, 4, 4))
    assert not wide._matmul_applies(torch.empty(36, 512, 4, 4, device="meta"))  # CPU only (measured there)


def test_switch_and_checkpoint_names_are_those_of_conv2d(monkeypatch):
    calls = _calls(monkeypatch)
    model = nn.Sequential(SmallMapConv2d(512, 4, kernel_size=3, padding=1), nn.ReLU())
    assert list(model.state_dict()) == list(nn.Sequential(nn.Conv2d(512, 4, 3, padding=1)).state_dict())
    assert set_small_map_matmul(model, False) == 1
    model(torch.randn(1, 512, 2, 2))
    assert calls == []
    set_small_map_matmul(model, True)
    model(torch.randn(1, 512, 2, 2))
    assert len(calls) == 1


def test_full_size_cliport_uses_the_matmul_on_its_deep_layers(monkeypatch):
    """The rule hits the layers it was made for: the LingUNet's 2048 -> 1024 convolutions and the
    ResNets' 1024-channel 3x3s on the 36 query crops (4 x 4 and 2 x 2 maps)."""
    from cliport.models.blocks import DoubleConv, IdentityBlock

    calls = _calls(monkeypatch)
    block = IdentityBlock(1024, (1024, 1024, 1024))
    up = DoubleConv(2048, 512, 1024)
    with torch.no_grad():
        block(torch.randn(36, 1024, 4, 4))
        up.eval()(torch.randn(36, 2048, 2, 2))
    assert calls == [(36, 1024, 4, 4), (36, 2048, 2, 2), (36, 1024, 2, 2)]


def test_act_under_autocast_reuses_the_cast_weight_until_it_changes():
    conv = SmallMapConv2d(512, 8, kernel_size=3, padding=1).to(memory_format=torch.channels_last)
    x = torch.randn(2, 512, 3, 3).to(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        first = conv(x)
        cast = conv._cast_weight
        assert cast.dtype == torch.bfloat16 and torch.equal(cast, conv.weight.to(torch.bfloat16))
        assert torch.equal(conv(x), first) and conv._cast_weight is cast  # reused, same output
        conv.weight.mul_(2)  # an optimiser step: the version counter moves
        again = conv(x)
        assert conv._cast_weight is not cast
        bias = conv.bias.to(torch.bfloat16).float().view(1, -1, 1, 1)
        torch.testing.assert_close(again.float(), 2 * first.float() - bias,
                                   rtol=2e-2, atol=2e-2)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # training: the cast stays in the autograd graph
        x.requires_grad_(True)
        conv(x).float().sum().backward()
    assert conv.weight.grad is not None and conv.weight.grad.dtype == torch.float32
