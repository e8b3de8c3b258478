"""CLIP's text transformer blocks (spec models.md §8.2): pre-LayerNorm, causal, QuickGELU MLP.

Why this exists: the text tower is rebuilt eagerly from OpenAI's weights; names follow OpenAI's state
dict (``transformer.resblocks.N.attn.in_proj_weight``, ``ln_1``, ``mlp.c_fc``, ``mlp.c_proj``, ``ln_2``)
so the released RN50 weights load unchanged. The embedding tables, the final LayerNorm and the text
projection live on the top-level :class:`cliport.models.clip.model.CLIP`, as in OpenAI's layout.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import Tensor, nn


class LayerNorm(nn.LayerNorm):
    """LayerNorm that always computes in fp32 (the original's rule when the weights are fp16)."""

    def forward(self, x: Tensor) -> Tensor:
        dtype = x.dtype
        return super().forward(x.float()).to(dtype)


class QuickGELU(nn.Module):
    """x * sigmoid(1.702 x), the GELU approximation CLIP was trained with."""

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    """x + attn(ln_1(x)), then x + mlp(ln_2(x)); attention is causal when a mask is given."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_1 = LayerNorm(width)
        self.mlp = nn.Sequential(
            OrderedDict(
                [
                    ("c_fc", nn.Linear(width, width * 4)),
                    ("gelu", QuickGELU()),
                    ("c_proj", nn.Linear(width * 4, width)),
                ]
            )
        )
        self.ln_2 = LayerNorm(width)

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        y = self.ln_1(x)  # (B, L, W)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]  # (B, L, W)
        return x + self.mlp(self.ln_2(x))  # (B, L, W)


class Transformer(nn.Module):
    """A stack of ``layers`` residual attention blocks of ``width`` channels and ``heads`` heads."""

    def __init__(self, width: int, layers: int, heads: int) -> None:
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        for block in self.resblocks:
            x = block(x, mask)  # (B, L, W)
        return x


def causal_mask(
    length: int, device: torch.device | None = None, dtype: torch.dtype = torch.float32
) -> Tensor:
    """(L, L) additive mask: 0 on and below the diagonal, -inf above (token i sees tokens <= i)."""
    mask = torch.full((length, length), float("-inf"), device=device, dtype=dtype)
    return torch.triu(mask, diagonal=1)
