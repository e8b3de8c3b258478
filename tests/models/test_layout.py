"""Dense-gradient helpers: identities on values, and gradients that arrive dense in the input's layout."""

from __future__ import annotations

import pytest
import torch

from cliport.models.layout import cat_channels, dense_grad, every_nth_pixel, memory_layout

CL = torch.channels_last


def _bits(t: torch.Tensor) -> torch.Tensor:
    return t.contiguous().view(torch.int16 if t.dtype is torch.bfloat16 else torch.int32)


def test_memory_layout_names_nhwc_only_when_it_is_not_also_nchw():
    assert memory_layout(torch.zeros(2, 3, 4, 5).contiguous(memory_format=CL)) is CL
    assert memory_layout(torch.zeros(2, 3, 4, 5)) is torch.contiguous_format
    assert memory_layout(torch.zeros(2, 1, 4, 5).contiguous(memory_format=CL)) is torch.contiguous_format
    assert memory_layout(torch.zeros(3, 4)) is torch.contiguous_format


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_cat_channels_gives_the_same_values_and_gradient_bits_as_torch_cat_but_dense(dtype):
    torch.manual_seed(0)
    a = torch.randn(2, 5, 6, 7).to(dtype).contiguous(memory_format=CL).requires_grad_()
    b = torch.randn(2, 3, 6, 7).to(dtype).contiguous(memory_format=CL).requires_grad_()
    g = torch.randn(2, 8, 6, 7).to(dtype).contiguous(memory_format=CL)
    ours = cat_channels([a, b])
    plain = torch.cat([a, b], dim=1)
    assert torch.equal(ours, plain) and ours.stride() == plain.stride()
    ga, gb = torch.autograd.grad(ours, (a, b), g)
    pa, pb = torch.autograd.grad(plain, (a, b), g)
    assert torch.equal(_bits(ga), _bits(pa)) and torch.equal(_bits(gb), _bits(pb))
    assert ga.is_contiguous(memory_format=CL) and gb.is_contiguous(memory_format=CL)
    assert not pa.is_contiguous(memory_format=CL)  # torch's own: a channel slice, neither layout


def test_dense_grad_keeps_the_strides_of_a_single_sample_channels_last_map():
    """A size-1 batch's stride must survive (torch.cat picks its output layout from its inputs')."""
    x = torch.randn(1, 48, 6, 6).contiguous(memory_format=CL).requires_grad_()
    assert dense_grad(x).stride() == x.stride()
    assert cat_channels([x, x]).is_contiguous(memory_format=CL)


def test_dense_grad_leaves_expanded_and_gradient_free_tensors_alone():
    v = torch.randn(2, 4, 1, 1, requires_grad=True).expand(2, 4, 3, 3)
    assert dense_grad(v) is v
    x = torch.randn(2, 4, 3, 3)
    assert dense_grad(x) is x
    with torch.no_grad():
        y = torch.randn(2, 4, 3, 3, requires_grad=True)
        assert dense_grad(y) is y


@pytest.mark.parametrize("layout", [torch.contiguous_format, CL])
def test_every_nth_pixel_matches_slicing_and_keeps_the_layout(layout):
    torch.manual_seed(2)
    x = torch.randn(2, 4, 9, 10).contiguous(memory_format=layout).requires_grad_()
    y = every_nth_pixel(x, 2, 3)
    assert torch.equal(y, x[..., ::2, ::3])
    g = torch.randn_like(y)
    (ours,) = torch.autograd.grad(y, x, g)
    (plain,) = torch.autograd.grad(x[..., ::2, ::3], x, g)
    assert torch.equal(ours, plain)
    assert ours.is_contiguous(memory_format=layout)


def test_every_nth_pixel_returns_a_copy_that_may_be_changed_in_place():
    """On a 1 x 1 map the slice is the whole (dense) tensor; the output must still not be a view of x."""
    x = torch.randn(1, 4, 1, 1, requires_grad=True)
    y = every_nth_pixel(x, 2, 2)
    y.relu_()  # would raise on a view returned by a custom Function
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(g, (x > 0).float())
