"""Blocks and fusion: grouped BatchNorm == separate calls; batched language fusions == per sample."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cliport.errors import ConfigError
from cliport.models.blocks import GroupedBatchNorm2d, StridedPointwiseConv, Up, sample_groups
from cliport.models.fusion import FUSIONS, FusionConvLat, make_fusion
from cliport.models.preprocess import normalize


def test_grouped_batchnorm_equals_separate_calls():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 4, 5, 5, generator=gen)
    grouped, single = GroupedBatchNorm2d(4), GroupedBatchNorm2d(4)
    with torch.no_grad():
        grouped.weight.uniform_(0.5, 1.5, generator=gen)
        grouped.bias.uniform_(-1, 1, generator=gen)
    single.load_state_dict(grouped.state_dict())
    grouped.n_groups = 3
    out = grouped(x)
    ref = torch.cat([single(x[i:i + 2]) for i in range(0, 6, 2)])
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(grouped.running_mean, single.running_mean)
    torch.testing.assert_close(grouped.running_var, single.running_var)
    assert int(grouped.num_batches_tracked) == 3
    grouped.eval()
    single.eval()
    torch.testing.assert_close(grouped(x), single(x))


def test_sample_groups_context_resets():
    up = Up(8, 2)
    with sample_groups(up, 2):
        assert all(m.n_groups == 2 for m in up.modules() if isinstance(m, GroupedBatchNorm2d))
    assert all(m.n_groups is None for m in up.modules() if isinstance(m, GroupedBatchNorm2d))


def test_up_pads_to_skip_and_puts_skip_first():
    up = Up(6, 2)
    out = up(torch.randn(1, 3, 3, 5), torch.randn(1, 3, 7, 10))
    assert out.shape == (1, 2, 7, 10)
    assert up.conv.double_conv[0].in_channels == 6


def test_normalize_padding_value():
    x = torch.zeros(1, 6, 2, 2)
    out = normalize(x, "transporter")
    assert out[0, 0, 0, 0].item() == pytest.approx(-0.18877631 / 0.07276466, rel=1e-6)
    assert out[0, 3, 0, 0].item() == pytest.approx(-0.00509261 / 0.00903967, rel=1e-6)
    clip = normalize(torch.full((1, 6, 1, 1), 255.0), "clip")
    assert clip[0, 2, 0, 0].item() == pytest.approx((1 - 0.40821073) / 0.27577711, rel=1e-6)
    with pytest.raises(ValueError, match="unknown normalisation"):
        normalize(x, "franka2")


@pytest.mark.parametrize("name", ["add", "mult", "max", "concat", "conv", "deep_conv", "film",
                                  "mult_word", "word_attn", "sent_attn"])
def test_language_fusion_batched_equals_per_sample(name):
    gen = torch.Generator().manual_seed(1)
    c, d = 4, 6
    fuse = make_fusion(name, c)
    x1 = torch.randn(3, c, 5, 4, generator=gen)
    word = "word" in name
    x2 = torch.randn(3, 7, d, generator=gen) if word else torch.randn(3, d, generator=gen)
    mask = torch.tensor([[1.0] * 3 + [0.0] * 4, [1.0] * 7, [1.0] * 5 + [0.0] * 2])
    proj = torch.nn.Linear(d, c)
    if name == "film":
        proj = (torch.nn.Linear(d, c), torch.nn.Linear(d, c))
    out = fuse(x1, x2, mask, proj)
    for i in range(3):
        ref = fuse(x1[i:i + 1], x2[i:i + 1], mask[i:i + 1], proj)
        torch.testing.assert_close(out[i:i + 1], ref, atol=1e-6, rtol=1e-6)
    if name == "mult":
        torch.testing.assert_close(out, x1 * proj(x2)[:, :, None, None])
    if name == "mult_word":  # padding tokens do not count
        mean = proj(x2[0, :3]).mean(0)
        torch.testing.assert_close(out[0], x1[0] * mean[:, None, None], atol=1e-6, rtol=1e-6)


def test_conv_fusions_have_original_names_and_sizes():
    conv = make_fusion("conv", 3)
    assert list(conv.state_dict()) == ["conv.1.weight"]
    assert conv.conv[1].weight.shape == (3, 6, 1, 1)
    lat = FusionConvLat(1536, 512)
    assert lat.conv[1].weight.shape == (512, 1536, 1, 1) and lat.conv[1].bias is None
    a, b = torch.randn(1, 3, 2, 2), torch.randn(1, 3, 2, 2)
    torch.testing.assert_close(conv(a, b), torch.nn.functional.conv2d(torch.relu(torch.cat([a, b], 1)),
                                                                        conv.conv[1].weight))


def test_fusion_errors():
    with pytest.raises(ConfigError, match="224-pixel"):
        make_fusion("multi_headed_word_attn", 8)
    with pytest.raises(ConfigError, match="unknown fusion type 'sum'"):
        make_fusion("sum", 8)
    assert "mult" in FUSIONS


@pytest.mark.parametrize(("hw", "stride", "layout"), [
    ((64, 64), 2, torch.contiguous_format), ((65, 33), 2, torch.contiguous_format),
    ((7, 8), 2, torch.contiguous_format), ((65, 33), 2, torch.channels_last),
    ((9, 10), 3, torch.channels_last), ((9, 10), 1, torch.channels_last),
])
def test_strided_pointwise_conv_equals_a_strided_1x1_conv_in_values_and_gradients(hw, stride, layout):
    torch.manual_seed(0)
    ours = StridedPointwiseConv(8, 16, stride=stride).double()
    plain = nn.Conv2d(8, 16, kernel_size=1, stride=stride, bias=False).double()
    plain.weight.data.copy_(ours.weight.data)
    assert list(ours.state_dict()) == ["weight"]
    x = torch.randn(2, 8, *hw, dtype=torch.float64).contiguous(memory_format=layout).requires_grad_()
    y_ours, y_plain = ours(x), plain(x)
    assert y_ours.shape == y_plain.shape == (2, 16, -(-hw[0] // stride), -(-hw[1] // stride))
    torch.testing.assert_close(y_ours, y_plain, rtol=0, atol=1e-12)
    g = torch.randn_like(y_ours)
    gx_ours, gw_ours = torch.autograd.grad(y_ours, (x, ours.weight), g)
    gx_plain, gw_plain = torch.autograd.grad(y_plain, (x, plain.weight), g)
    torch.testing.assert_close(gx_ours, gx_plain, rtol=0, atol=1e-12)
    torch.testing.assert_close(gw_ours, gw_plain, rtol=0, atol=1e-12)
    assert gx_ours.is_contiguous(memory_format=layout)  # the input's layout: no mixed-layout addition


def test_strided_pointwise_conv_gradient_is_the_slice_gradient_bit_for_bit_in_bf16():
    """The layout-keeping subsample gives the same bits as slicing's own backward (bf16, channels_last)."""
    torch.manual_seed(1)
    conv = StridedPointwiseConv(16, 32, stride=2).to(torch.bfloat16)
    x = torch.randn(1, 16, 20, 14).to(torch.bfloat16).contiguous(memory_format=torch.channels_last)
    x.requires_grad_()
    g = torch.randn(1, 32, 10, 7).to(torch.bfloat16)
    (ours,) = torch.autograd.grad(conv(x), x, g)
    (sliced,) = torch.autograd.grad(F.conv2d(x[..., ::2, ::2], conv.weight), x, g)
    assert torch.equal(ours.view(torch.int16), sliced.contiguous().view(torch.int16))
    assert ours.is_contiguous(memory_format=torch.channels_last) and not sliced.is_contiguous(
        memory_format=torch.channels_last)
