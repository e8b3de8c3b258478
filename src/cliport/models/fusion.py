"""Fusion of two feature maps, or of a feature map with language (spec models.md §6, "Fusion modules").

Every fusion is called as ``fuse(x1, x2, mask=None, proj=None)`` with x1 = visual features (N, C, H, W).
If x2 has fewer dimensions (a language vector (N, D) or per-token states (N, T, D)), ``proj`` (a Linear,
or a (gamma, beta) pair for FiLM) maps it to C channels and it is tiled over all H x W positions. Each
row of x2 belongs to the same row of x1 (batched, unlike the original which held one sample); a
single row is broadcast over the batch. Modules with weights keep the original's names (``conv.1``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from cliport.errors import ConfigError
from cliport.models.layout import cat_channels
from cliport.models.relu import ReLU

Proj = Callable[[Tensor], Tensor] | tuple[nn.Module, nn.Module] | None


def _tile(x1: Tensor, x2: Tensor, proj: Proj) -> Tensor:
    """(N or 1, D) -> (N, C, H, W) after the projection."""
    if x2.dim() >= x1.dim():
        return x2
    v = proj(x2) if callable(proj) else x2  # (N, C)
    return v[:, :, None, None].expand(x1.shape[0], -1, x1.shape[2], x1.shape[3])


class Fusion(nn.Module):
    """Base class; ``input_dim`` is the channel count C of x1."""

    def __init__(self, input_dim: int = 3) -> None:
        super().__init__()
        self.input_dim = input_dim

    def forward(self, x1: Tensor, x2: Tensor, mask: Tensor | None = None, proj: Proj = None) -> Tensor:
        raise NotImplementedError


class FusionAdd(Fusion):
    def forward(self, x1, x2, mask=None, proj=None):
        return x1 + _tile(x1, x2, proj)


class FusionMult(Fusion):
    def forward(self, x1, x2, mask=None, proj=None):
        return x1 * _tile(x1, x2, proj)


class FusionMax(Fusion):
    def forward(self, x1, x2, mask=None, proj=None):
        return torch.maximum(x1, _tile(x1, x2, proj))


class FusionConcat(Fusion):
    def forward(self, x1, x2, mask=None, proj=None):
        return cat_channels([x1, _tile(x1, x2, proj)])  # (N, 2C, H, W)


class FusionConv(Fusion):
    """ReLU([x1; x2]) then conv 1x1 2C -> C, bias-free."""

    def __init__(self, input_dim: int = 3) -> None:
        super().__init__(input_dim)
        self.conv = nn.Sequential(
            ReLU(), nn.Conv2d(2 * input_dim, input_dim, kernel_size=1, bias=False)
        )

    def forward(self, x1, x2, mask=None, proj=None):
        return self.conv(cat_channels([x1, _tile(x1, x2, proj)]))  # (N, C, H, W)


class FusionDeepConv(Fusion):
    """ReLU, conv 2C->C, ReLU, conv C->C, ReLU, conv C->C (1x1, bias-free)."""

    def __init__(self, input_dim: int = 3) -> None:
        super().__init__(input_dim)
        c = input_dim
        self.conv = nn.Sequential(
            ReLU(), nn.Conv2d(2 * c, c, kernel_size=1, bias=False),
            ReLU(), nn.Conv2d(c, c, kernel_size=1, bias=False),
            ReLU(), nn.Conv2d(c, c, kernel_size=1, bias=False),
        )

    def forward(self, x1, x2, mask=None, proj=None):
        return self.conv(cat_channels([x1, _tile(x1, x2, proj)]))


class FusionConvLat(nn.Module):
    """Lateral fusion: ReLU([x1; x2]) then conv 1x1 in -> out, bias-free (x2 = stream-one features)."""

    def __init__(self, input_dim: int, output_dim: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            ReLU(), nn.Conv2d(input_dim, output_dim, kernel_size=1, bias=False)
        )

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return self.conv(cat_channels([x1, x2]))  # (N, out, H, W)


class FusionFiLM(Fusion):
    """x1 * tile(gamma(l)) + tile(beta(l)); ``proj`` is the (gamma, beta) pair of Linear layers."""

    def forward(self, x1, x2, mask=None, proj=None):
        if not isinstance(proj, tuple):
            raise TypeError("FiLM fusion needs proj=(gamma, beta)")
        gamma, beta = proj
        return x1 * _tile(x1, x2, gamma) + _tile(x1, x2, beta)


def _token_projection(x2: Tensor, mask: Tensor, proj: Proj) -> tuple[Tensor, Tensor]:
    """Per-token states (N, T, D) -> projected (N, T, C) and the float mask (N, T)."""
    if mask is None:
        raise ValueError("word-level fusion needs the token mask")
    tokens = proj(x2) if callable(proj) else x2  # (N, T, C)
    return tokens, mask.to(tokens.dtype)


class FusionMultWord(Fusion):
    """Mean over the n real tokens t of x1 * tile(proj(w_t))."""

    def forward(self, x1, x2, mask=None, proj=None):
        tokens, m = _token_projection(x2, mask, proj)
        mean = (tokens * m[..., None]).sum(1) / m.sum(1, keepdim=True)  # (N, C)
        return x1 * mean[:, :, None, None]


class FusionWordAttention(Fusion):
    """For each real token: softmax over positions of <x1(pos), proj(w_t)>; mean of x1 * weights."""

    def forward(self, x1, x2, mask=None, proj=None):
        n, c, h, w = x1.shape
        tokens, m = _token_projection(x2, mask, proj)
        flat = x1.reshape(n, c, h * w)  # (N, C, HW)
        weights = torch.softmax(torch.einsum("ncp,ntc->ntp", flat, tokens), dim=-1)  # (N, T, HW)
        weights = (weights * m[..., None]).sum(1) / m.sum(1)[:, None]  # (N, HW)
        return (flat * weights[:, None, :]).reshape(n, c, h, w)


class FusionSentenceAttention(Fusion):
    """Softmax over positions of <x1(pos), proj(s)> / sqrt(C); x1 * weights."""

    def forward(self, x1, x2, mask=None, proj=None):
        n, c, h, w = x1.shape
        s = proj(x2) if callable(proj) else x2  # (N, C)
        flat = x1.reshape(n, c, h * w)  # (N, C, HW)
        scores = torch.einsum("ncp,nc->np", flat, s.expand(n, -1)) / math.sqrt(s.shape[-1])
        return (flat * torch.softmax(scores, dim=-1)[:, None, :]).reshape(n, c, h, w)


#: name -> fusion class (spec §6). multi_headed_word_attn is deliberately absent (see make_fusion).
FUSIONS: dict[str, type[Fusion]] = {
    "add": FusionAdd,
    "mult": FusionMult,
    "max": FusionMax,
    "concat": FusionConcat,
    "conv": FusionConv,
    "deep_conv": FusionDeepConv,
    "film": FusionFiLM,
    "mult_word": FusionMultWord,
    "word_attn": FusionWordAttention,
    "sent_attn": FusionSentenceAttention,
}


def make_fusion(name: str, input_dim: int) -> Fusion:
    """Build a fusion module by its config name; unknown or unsupported names raise ConfigError."""
    if name == "multi_headed_word_attn":
        raise ConfigError(
            "fusion type 'multi_headed_word_attn' only works for 224-pixel CLIP inputs (fixed 7/14/28 "
            "positional tables) and cannot run at CLIPort resolutions; choose one of " + ", ".join(FUSIONS)
        )
    if name not in FUSIONS:
        raise ConfigError(f"unknown fusion type {name!r}; expected one of {', '.join(FUSIONS)}")
    return FUSIONS[name](input_dim)
