"""3x3 convolutions on small maps, computed as one matrix multiply (the same numbers, less time).

Why this exists: the deepest layers of the trainable streams are 3x3 convolutions with huge weights on
tiny maps: the LingUNet's 2048 -> 1024 convolutions see 36 x 2 x 2 or 36 x 4 x 4 positions (the query
crops) and 10 x 10 to 24 x 14 (pick image, key map); the ResNets' 1024-channel layers 36 x 4 x 4. There
oneDNN's convolution runs at 100-300 GFLOP/s on this CPU, while one matrix multiply of the same
arithmetic runs at 1-2 TFLOP/s in bfloat16 (AMX): on 2 threads a 2048 -> 1024 layer's training step on
the 36 crops at 2 x 2 takes 289 ms as a convolution and 111 ms as a matrix multiply
(``benchmarks/bench_small_map_conv.py``). On larger maps the convolution wins, so the rule below keeps
the convolution there.

The matrix multiply is the convolution's definition (im2col): every output pixel is the dot product of
its 3 x 3 x C neighbourhood, zero padded, with each filter. Only the order of the additions differs from
oneDNN's, as it differs between oneDNN's own kernels (tested: float64 equal to 1e-12, float32 1e-5).
Parameters, names and checkpoints are those of ``nn.Conv2d``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: Largest number of output positions (batch x height x width) computed as a matrix multiply, and the
#: fewest input channels: below this many channels a layer is cheap either way. Measured crossover on
#: 2 threads (docs/performance.md): the matrix multiply wins up to ~600 positions with >= 512 channels
#: (1.2-2.9x per training step) and loses from ~1600 (36 x 8 x 8: 0.8x; 40 x 40: 0.7x).
MAX_POSITIONS = 600
MIN_IN_CHANNELS = 512


def conv3x3_matmul(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``F.conv2d(x, weight, bias, padding=1)`` for a 3 x 3 kernel, as one matrix multiply.

    x: (N, C, H, W), weight: (O, C, 3, 3). Works on channels-last memory without copies of the weight
    (its memory is (O, 3, 3, C) there, exactly the matrix needed); returns (N, O, H, W) in channels-last
    memory.
    """
    n, c, h, w = x.shape
    out_channels = weight.shape[0]
    padded = F.pad(x.permute(0, 2, 3, 1), (0, 0, 1, 1, 1, 1))  # (N, H+2, W+2, C)
    taps = [padded[:, i : i + h, j : j + w, :] for i in range(3) for j in range(3)]
    cols = torch.stack(taps, dim=3).reshape(n * h * w, 9 * c)  # (N*H*W, 9*C), columns (ky, kx, c)
    matrix = weight.permute(0, 2, 3, 1).reshape(out_channels, 9 * c)  # (O, 9*C), same column order
    out = cols @ matrix.t()  # (N*H*W, O)
    if bias is not None:
        out = out + bias.to(out.dtype)  # as the convolution under autocast: the bias in the output dtype
    return out.view(n, h, w, out_channels).permute(0, 3, 1, 2)  # (N, O, H, W), channels-last memory


class SmallMapConv2d(nn.Conv2d):
    """``nn.Conv2d`` that computes a 3 x 3, stride-1, padding-1 convolution on CPU as a matrix multiply
    when the map is small (:data:`MAX_POSITIONS`) and the layer wide (:data:`MIN_IN_CHANNELS`); every
    other call is the ordinary convolution. ``small_map_matmul = False``
    (``Policy.set_small_map_matmul``) restores the convolution everywhere, as the benchmark's original
    recipe runs it."""

    small_map_matmul: bool = True

    def _matmul_applies(self, x: Tensor) -> bool:
        # CPU only: the crossover was measured on oneDNN; cuDNN was not measured (no device lent)
        if not self.small_map_matmul or x.dim() != 4 or x.device.type != "cpu":
            return False
        if (self.kernel_size, self.stride, self.padding, self.dilation, self.groups) != (
            (3, 3), (1, 1), (1, 1), (1, 1), 1
        ) or self.padding_mode != "zeros":
            return False
        n, c, h, w = x.shape
        return c >= MIN_IN_CHANNELS and n * h * w <= MAX_POSITIONS

    def forward(self, x: Tensor) -> Tensor:
        if self._matmul_applies(x):
            return conv3x3_matmul(x, self._inference_weight(x), self.bias)
        return super().forward(x)

    def _inference_weight(self, x: Tensor) -> Tensor:
        """The weight; without autograd under autocast (act() with ``precision=bf16``), its low-precision
        copy, kept while the weight is unchanged (its version counter). Autocast caches the casts of
        parameters only within one autocast region and never those of views such as the weight matrix,
        so each act() cast these 8-75 MB weights again (~70 ms of a cliport act())."""
        device = x.device.type
        if torch.is_grad_enabled() or not torch.is_autocast_enabled(device):
            return self.weight
        dtype = torch.get_autocast_dtype(device)
        key = (self.weight._version, self.weight.data_ptr(), dtype)
        if getattr(self, "_cast_key", None) != key:
            self._cast_weight, self._cast_key = self.weight.detach().to(dtype), key
        return self._cast_weight


def set_small_map_matmul(module: nn.Module, enabled: bool) -> int:
    """Switch the matrix-multiply path of every :class:`SmallMapConv2d` in ``module``; returns how many."""
    layers = [m for m in module.modules() if isinstance(m, SmallMapConv2d)]
    for m in layers:
        m.small_map_matmul = bool(enabled)
    return len(layers)
