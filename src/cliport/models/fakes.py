"""Tiny deterministic stand-ins for the frozen pretrained encoders, for tests and smoke runs.

They implement the :mod:`cliport.models.encoders` Protocols with the right output shapes and strides
but only a few thousand random (seeded, frozen) weights, so decoders, agents and training loops can be
exercised in seconds without CLIP weights. They are never used by a real agent.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cliport.models.encoders import TextFeatures


class FakeImageEncoder(nn.Module):
    """(N, 3, H, W) -> layer4 map at stride 32 + skips at strides 4, 8, 16, 32 (ResNet-50-like)."""

    def __init__(self, channels: tuple[int, int, int, int] = (16, 32, 64, 128), seed: int = 0) -> None:
        super().__init__()
        self.channels = tuple(channels)
        gen = torch.Generator().manual_seed(seed)
        ins = (3, *channels[:3])
        self.convs = nn.ModuleList(
            nn.Conv2d(i, o, kernel_size=3, padding=1) for i, o in zip(ins, channels, strict=True)
        )
        with torch.no_grad():
            for conv in self.convs:
                scale = conv.weight[0].numel() ** -0.5
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * scale)
                conv.bias.copy_(0.1 * torch.randn(conv.bias.shape, generator=gen))
        self.requires_grad_(False)
        self.eval()

    def forward_features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        skips: list[Tensor] = []
        x = F.avg_pool2d(x, 2, ceil_mode=True)  # stem: /2
        for conv in self.convs:
            x = F.relu(conv(F.avg_pool2d(x, 2, ceil_mode=True)))  # /4, /8, /16, /32
            skips.append(x)
        return x, skips


class FakeTextEncoder:
    """Byte-level toy text encoder: tokens = byte embeddings, sentence = projected mean of real tokens."""

    def __init__(self, sentence_dim: int = 32, token_dim: int = 16, max_len: int = 77, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.sentence_dim, self.token_dim, self.max_len = sentence_dim, token_dim, max_len
        self.table = torch.randn(257, token_dim, generator=gen)
        self.proj = torch.randn(token_dim, sentence_dim, generator=gen) / token_dim**0.5

    def encode(self, texts: Sequence[str]) -> TextFeatures:
        ids = torch.zeros(len(texts), self.max_len, dtype=torch.long)
        for i, text in enumerate(texts):
            data = [256, *text.encode("utf-8")[: self.max_len - 1]]  # 256 = start token
            ids[i, : len(data)] = torch.tensor(data)
        mask = (ids != 0).float()  # (B, L)
        tokens = self.table[ids] * mask[..., None]  # (B, L, Dt)
        mean = tokens.sum(1) / mask.sum(1, keepdim=True)  # (B, Dt)
        return TextFeatures(mean @ self.proj, tokens, mask)
