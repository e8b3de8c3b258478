"""models/relu.py: the in-place ReLU gives torch's ReLU values (and bits, but for the sign of zeros),
forward and backward."""

from __future__ import annotations

import pytest
import torch

from cliport.models.relu import ReLU, relu_


def _values(dtype: torch.dtype) -> torch.Tensor:
    torch.manual_seed(0)
    x = torch.randn(2, 5, 7, 3).to(dtype)
    special = torch.tensor([0.0, -0.0, float("inf"), float("-inf"), 1e-40, -1e-40, 3.0e38, -3.0e38])
    x.view(-1)[: special.numel()] = special.to(dtype)
    return x.to(memory_format=torch.channels_last)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_forward_gives_torch_relus_values_in_place(dtype):
    x = _values(dtype)
    ref = torch.relu(x)
    out = relu_(x)
    assert out.data_ptr() == x.data_ptr() and out.dtype == dtype and out.stride() == ref.stride()
    assert torch.equal(out, ref)
    assert torch.equal(ReLU()(_values(dtype)), ref)
    bits = torch.int16 if dtype is torch.bfloat16 else torch.int32
    differ = out.view(bits) != ref.view(bits)
    if dtype is torch.bfloat16:  # only torch's -0 (kept) against our +0
        assert torch.equal(ref[differ], torch.zeros(int(differ.sum()), dtype=dtype))
        assert torch.signbit(ref[differ]).all() and not torch.signbit(out).any()
    else:
        assert not differ.any()


def test_bf16_backward_is_relus_and_autograd_sees_the_in_place_change():
    w = torch.randn(2, 5, 7, 3, dtype=torch.bfloat16, requires_grad=True)
    grads = []
    for fn in (lambda t: torch.relu_(t), relu_):
        w.grad = None
        h = w * 2  # a non-leaf, as the conv outputs the streams apply it to
        out = fn(h)
        assert out is h
        (out.float() * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
        grads.append(w.grad.clone())
    assert torch.equal(grads[0], grads[1])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        before = w * 1
        y = before * before  # saves `before` for backward
        relu_(before)
        y.sum().backward()


def test_negative_nan_is_the_one_difference():
    x = torch.tensor([0x7FC0, -64, -16512], dtype=torch.int16).view(torch.bfloat16)  # NaN, -NaN, -1.0
    assert torch.isnan(x[:2]).all() and torch.signbit(x[1]) and x[2] == -1
    out = relu_(x.clone())
    assert torch.isnan(out[0]) and out[1] == 0 and out[2] == 0
