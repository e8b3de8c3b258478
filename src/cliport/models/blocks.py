"""Convolutional building blocks shared by every stream (spec models.md §6).

Parameter names (``conv1, bn1, ..., shortcut.0/.1``, ``conv.double_conv.{0,1,3,4}``) follow the
original's checkpoints so that released weights map onto these modules by a prefix rename.

ReLUs run in place on tensors that no backward formula reads (a convolution's or an addition's output):
the same numbers, one activation map less to allocate and keep per ReLU.

With ``batchnorm=False`` (the default config) the BatchNorm slots of the residual blocks are
identities without parameters. The U-Net ``Up`` blocks always have real BatchNorm; those use
:class:`GroupedBatchNorm2d`, which can compute training statistics per sample group so that a
batch of B samples behaves exactly like B separate calls (the original ran batch size 1).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cliport.models.layout import cat_channels, every_nth_pixel
from cliport.models.relu import ReLU, relu_
from cliport.models.small_map_conv import SmallMapConv2d


def _bn_or_identity(channels: int, batchnorm: bool) -> nn.Module:
    return nn.BatchNorm2d(channels) if batchnorm else nn.Identity()


class IdentityBlock(nn.Module):
    """Bottleneck residual block with an identity shortcut (needs ``in_planes == filters[2]``)."""

    def __init__(
        self, in_planes: int, filters: Sequence[int], kernel_size: int = 3, final_relu: bool = True,
        batchnorm: bool = False,
    ) -> None:
        super().__init__()
        f1, f2, f3 = filters
        if in_planes != f3:
            raise ValueError(f"IdentityBlock needs in_planes == filters[2], got {in_planes} and {f3}")
        self.final_relu = final_relu
        self.conv1 = nn.Conv2d(in_planes, f1, kernel_size=1, bias=False)
        self.bn1 = _bn_or_identity(f1, batchnorm)
        self.conv2 = SmallMapConv2d(f1, f2, kernel_size=kernel_size, padding=kernel_size // 2, bias=False)
        self.bn2 = _bn_or_identity(f2, batchnorm)
        self.conv3 = nn.Conv2d(f2, f3, kernel_size=1, bias=False)
        self.bn3 = _bn_or_identity(f3, batchnorm)

    def forward(self, x: Tensor) -> Tensor:
        out = relu_(self.bn1(self.conv1(x)))
        out = relu_(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out)) + x
        return relu_(out) if self.final_relu else out


class StridedPointwiseConv(nn.Conv2d):
    """A 1x1 convolution with stride s, computed as "keep every s-th pixel, then a 1x1 convolution".

    The same parameters, names and numbers as ``nn.Conv2d(cin, cout, 1, stride=s)``, but it avoids the
    strided 1x1 kernel, whose channels_last fp32 backward corrupts the heap in torch 2.13's CPU build
    when the input has few channels (e.g. 8 -> 16 at 64 x 64; see docs/performance.md). The subsampling's
    gradient keeps the input's layout (:func:`cliport.models.layout.every_nth_pixel`); stride 1 is a
    plain 1x1 convolution.
    """

    def __init__(self, in_planes: int, out_planes: int, stride: int, bias: bool = False) -> None:
        super().__init__(in_planes, out_planes, kernel_size=1, stride=stride, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        s0, s1 = self.stride
        if (s0, s1) != (1, 1):
            x = every_nth_pixel(x, s0, s1)
        return F.conv2d(x, self.weight, self.bias)


class ConvBlock(nn.Module):
    """Bottleneck residual block with a strided 1x1 projection shortcut."""

    def __init__(
        self, in_planes: int, filters: Sequence[int], kernel_size: int = 3, stride: int = 1,
        final_relu: bool = True, batchnorm: bool = False,
    ) -> None:
        super().__init__()
        f1, f2, f3 = filters
        self.final_relu = final_relu
        self.conv1 = nn.Conv2d(in_planes, f1, kernel_size=1, bias=False)
        self.bn1 = _bn_or_identity(f1, batchnorm)
        self.conv2 = SmallMapConv2d(f1, f2, kernel_size=kernel_size, stride=stride,
                                    padding=kernel_size // 2, bias=False)
        self.bn2 = _bn_or_identity(f2, batchnorm)
        self.conv3 = nn.Conv2d(f2, f3, kernel_size=1, bias=False)
        self.bn3 = _bn_or_identity(f3, batchnorm)
        self.shortcut = nn.Sequential(
            StridedPointwiseConv(in_planes, f3, stride=stride),
            _bn_or_identity(f3, batchnorm),
        )

    def forward(self, x: Tensor) -> Tensor:
        out = relu_(self.bn1(self.conv1(x)))
        out = relu_(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out)) + self.shortcut(x)
        return relu_(out) if self.final_relu else out


def conv_identity(
    in_planes: int, out_planes: int, stride: int = 1, batchnorm: bool = False, upsample: bool = False,
) -> nn.Sequential:
    """CB(in -> out) then IB(out), optionally followed by a x2 bilinear upsample (align_corners=True)."""
    layers: list[nn.Module] = [
        ConvBlock(in_planes, (out_planes,) * 3, stride=stride, batchnorm=batchnorm),
        IdentityBlock(out_planes, (out_planes,) * 3, batchnorm=batchnorm),
    ]
    if upsample:
        layers.append(nn.UpsamplingBilinear2d(scale_factor=2))
    return nn.Sequential(*layers)


def output_head(in_planes: int, mid: int, out_dim: int, batchnorm: bool = False) -> nn.Sequential:
    """ConvBlock(in, (mid, mid, d)) + IdentityBlock(d, (mid, mid, d)), both without final ReLU."""
    return nn.Sequential(
        ConvBlock(in_planes, (mid, mid, out_dim), final_relu=False, batchnorm=batchnorm),
        IdentityBlock(out_dim, (mid, mid, out_dim), final_relu=False, batchnorm=batchnorm),
    )


class GroupedBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d that, in training mode, can normalise each group of samples with its own statistics.

    ``n_groups`` (set with :func:`sample_groups`) splits the batch N into equal consecutive groups;
    each group is normalised with its own batch statistics and the running statistics are updated
    once per group, in order — identical to calling the layer on each group separately. With
    ``n_groups = None`` or in eval mode it is a plain BatchNorm2d.
    """

    n_groups: int | None = None

    def forward(self, x: Tensor) -> Tensor:
        groups = self.n_groups
        if not self.training or groups is None or groups == 1:
            return super().forward(x)
        n, c, h, w = x.shape
        if n % groups:
            raise ValueError(f"batch of {n} cannot be split into {groups} sample groups")
        xg = x.reshape(groups, n // groups, c, h, w)  # (G, n/G, C, H, W)
        var, mean = torch.var_mean(xg, dim=(1, 3, 4), unbiased=False, keepdim=True)  # (G, 1, C, 1, 1)
        out = (xg - mean) * torch.rsqrt(var + self.eps)
        out = out * self.weight.view(1, 1, c, 1, 1) + self.bias.view(1, 1, c, 1, 1)
        if self.track_running_stats and self.running_mean is not None:
            count = (n // groups) * h * w
            with torch.no_grad():
                unbiased = var.view(groups, c) * (count / max(count - 1, 1))
                for g in range(groups):  # sequential, like separate calls
                    self.num_batches_tracked.add_(1)
                    m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                    self.running_mean.mul_(1 - m).add_(mean.view(groups, c)[g], alpha=m)
                    self.running_var.mul_(1 - m).add_(unbiased[g], alpha=m)
        return out.reshape(n, c, h, w)


@contextmanager
def sample_groups(module: nn.Module, n_groups: int) -> Iterator[None]:
    """Within the block, every GroupedBatchNorm2d in ``module`` normalises per group of samples."""
    layers = [m for m in module.modules() if isinstance(m, GroupedBatchNorm2d)]
    for m in layers:
        m.n_groups = n_groups
    try:
        yield
    finally:
        for m in layers:
            m.n_groups = None


class DoubleConv(nn.Module):
    """(conv 3x3 with bias, BatchNorm, ReLU) x 2, as ``double_conv.{0,1,3,4}``."""

    def __init__(self, in_channels: int, out_channels: int, mid_channels: int) -> None:
        super().__init__()
        self.double_conv = nn.Sequential(
            SmallMapConv2d(in_channels, mid_channels, kernel_size=3, padding=1),
            GroupedBatchNorm2d(mid_channels),
            ReLU(),
            SmallMapConv2d(mid_channels, out_channels, kernel_size=3, padding=1),
            GroupedBatchNorm2d(out_channels),
            ReLU(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.double_conv(x)


class Up(nn.Module):
    """U-Net up block: x2 bilinear (align_corners=True), pad to the skip, cat [skip, x], DoubleConv."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = self.up(x)  # (N, C, 2h, 2w)
        dy, dx = skip.shape[-2] - x.shape[-2], skip.shape[-1] - x.shape[-1]
        if dy or dx:
            x = F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(cat_channels([skip.to(x.dtype), x]))  # (N, out, H, W)
