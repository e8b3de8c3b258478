"""Memory layouts of gradients in a channels_last network: keep them dense.

Why this exists: a concatenation's backward hands each input a slice of the output's gradient. In a
channels_last (NHWC) network such a channel slice is neither NCHW- nor NHWC-dense (its pixel stride is
the concatenation's channel count), and the ops that receive it fall off their fast paths: a bf16
bilinear-upsample backward takes 27 ms on a 36 x 16 x 64 x 64 slice against 8.6 ms for a dense copy
plus the same backward on it (``benchmarks/profile_step.py --layouts`` lists such calls). The same happens
to the zero-filled contiguous gradient that slicing (``x[..., ::2, ::2]``) returns, which then meets a
channels_last gradient in a residual addition (mixed-layout bf16 addition: ~8x a same-layout one).

Everything here is an identity on values: gradients are the same numbers, only laid out densely.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def memory_layout(x: Tensor) -> torch.memory_format:
    """``channels_last`` for an NHWC-strided 4-d tensor that is not also NCHW-contiguous, else contiguous."""
    if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


class _DenseGrad(torch.autograd.Function):
    """Identity whose backward returns the gradient dense in the layout its input had."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:  # type: ignore[override]
        ctx.layout = memory_layout(x)
        return x.as_strided(x.size(), x.stride())  # (view_as may rewrite a size-1 dim's stride)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:  # type: ignore[override]
        return grad.contiguous(memory_format=ctx.layout)  # no copy when already dense that way


def _dense(x: Tensor) -> bool:
    return x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last)


def dense_grad(x: Tensor) -> Tensor:
    """``x`` itself; its gradient arrives dense in ``x``'s layout (a copy only where it was not).
    Only for dense 4-d tensors that need a gradient (an expanded tensor's gradient is summed anyway)."""
    if x.dim() == 4 and x.requires_grad and torch.is_grad_enabled() and _dense(x):
        return _DenseGrad.apply(x)
    return x


def cat_channels(tensors: Sequence[Tensor]) -> Tensor:
    """``torch.cat(tensors, dim=1)`` whose backward gives every input a dense gradient (module docstring)."""
    return torch.cat([dense_grad(t) for t in tensors], dim=1)


class _EveryNthPixel(torch.autograd.Function):
    """``x[..., ::s0, ::s1]`` (made dense) whose gradient has ``x``'s layout.

    Slicing's own backward builds a zero-filled *contiguous* gradient per sliced dimension; here the
    backward writes the incoming gradient into one zero tensor laid out like ``x``: the same values.
    """

    @staticmethod
    def forward(ctx, x: Tensor, s0: int, s1: int) -> Tensor:  # type: ignore[override]
        layout = memory_layout(x)
        ctx.meta = (x.shape, layout, s0, s1)
        return x[..., ::s0, ::s1].clone(memory_format=layout)  # a copy even where the slice is dense

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        shape, layout, s0, s1 = ctx.meta
        out = torch.empty(shape, dtype=grad.dtype, device=grad.device, memory_format=layout).zero_()
        out[..., ::s0, ::s1] = grad
        return out, None, None


def every_nth_pixel(x: Tensor, s0: int, s1: int) -> Tensor:
    """``x[..., ::s0, ::s1]``, with a gradient in ``x``'s layout (module docstring)."""
    return _EveryNthPixel.apply(x, s0, s1)
