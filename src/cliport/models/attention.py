"""Pick (attention) module: where to pick, as logits over every pixel (spec models.md §2).

``forward(image (B, 320, 160, 6), lang, softmax=False)`` -> logits (B, 320*160*R) in the original's
(row, col, rotation) flattening, or with ``softmax=True`` probabilities (B, 320, 160, R). All B
samples (x R rotated copies) go through the network in one pass; Up-block BatchNorm statistics in
training mode are still per copy, as when the original ran them one at a time.

Module names follow the original checkpoints: ``attn_stream_one`` / ``attn_stream_two`` / ``fusion``
for two-stream agents, ``attn_stream_one`` for one-stream language agents, ``attn_stream`` for the
plain Transporter module (choose with ``names``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cliport.errors import CliportError
from cliport.models.blocks import sample_groups
from cliport.models.encoders import TextFeatures
from cliport.models.fusion import make_fusion
from cliport.models.rotation import rotate, rotation_angles
from cliport.models.two_stream import run_streams


class ModelInputError(CliportError, ValueError):
    """An input tensor given to a pick/place module has the wrong shape or range."""


def check_image(image: Tensor) -> None:
    if image.dim() != 4 or image.shape[-1] != 6:
        raise ModelInputError(f"image must be (B, H, W, 6) float, got shape {tuple(image.shape)}")


def as_float(image: Tensor) -> Tensor:
    """Floating inputs keep their dtype (float64 runs are used by tests); others become float32."""
    return image if image.is_floating_point() else image.float()


def pad_to_square(x: Tensor) -> tuple[Tensor, tuple[int, int]]:
    """(N, C, H, W) -> zero-padded square (N, C, S, S) and the (row, col) padding on each side."""
    h, w = x.shape[-2:]
    s = max(h, w)
    pr, pc = (s - h) // 2, (s - w) // 2
    return F.pad(x, [pc, s - w - pc, pr, s - h - pr]), (pr, pc)


class PickModule(nn.Module):
    """One or two fused streams evaluated on R rotated copies of the square-padded image."""

    def __init__(
        self, stream_one: nn.Module, stream_two: nn.Module | None = None, fusion: str = "add",
        n_rotations: int = 1, names: tuple[str, str] = ("attn_stream_one", "attn_stream_two"),
        rotation_mode: str = "exact",
    ) -> None:
        super().__init__()
        self.n_rotations = n_rotations
        self.rotation_mode = rotation_mode
        #: Recompute each stream's activations in the backward pass (see cliport.models.two_stream).
        self.activation_checkpointing = False
        self._names = names
        self.add_module(names[0], stream_one)
        if stream_two is not None:
            self.add_module(names[1], stream_two)
            self.fusion = make_fusion(fusion, 1)

    @property
    def stream_one(self) -> nn.Module:
        return getattr(self, self._names[0])

    @property
    def stream_two(self) -> nn.Module | None:
        return getattr(self, self._names[1], None)

    def network(self, x: Tensor, lang: TextFeatures | None) -> Tensor:
        """Padded raw copies (N, 6, S, S) -> (N, 1, S, S), BatchNorm statistics per copy."""
        with sample_groups(self, x.shape[0]):
            return run_streams(self.stream_one, self.stream_two, getattr(self, "fusion", None), x, lang,
                               checkpoint=self.activation_checkpointing)

    def prepare(self, image: Tensor) -> tuple[Tensor, tuple[int, int]]:
        """(B, H, W, 6) -> padded (B, 6, S, S) input of the network and the padding."""
        check_image(image)
        return pad_to_square(as_float(image).permute(0, 3, 1, 2).contiguous())

    def forward(self, image: Tensor, lang: TextFeatures | None = None, softmax: bool = False) -> Tensor:
        x, (pr, pc) = self.prepare(image)  # (B, 6, S, S)
        return self.from_padded(x, image.shape[1:3], (pr, pc), lang, softmax)

    def from_padded(
        self, x: Tensor, hw: tuple[int, int], pad: tuple[int, int], lang: TextFeatures | None, softmax: bool,
    ) -> Tensor:
        b, r = x.shape[0], self.n_rotations
        h, w = hw
        pr, pc = pad
        size = x.shape[-1]
        if r > 1:
            angles = torch.tensor(rotation_angles(r), dtype=x.dtype, device=x.device).repeat(b)  # (B*R,)
            pivots = torch.tensor([size // 2, size // 2], device=x.device).expand(b * r, 2)
            x = rotate(x.repeat_interleave(r, dim=0), angles, pivots, self.rotation_mode)  # (B*R, 6, S, S)
            lang = lang.repeat_interleave(r) if lang is not None else None
        out = self.network(x, lang)  # (B*R, 1, S, S)
        if r > 1:
            out = rotate(out, -angles, pivots, self.rotation_mode)
        out = out[:, :, pr:pr + h, pc:pc + w].reshape(b, r, h, w)  # (B, R, H, W)
        out = out.permute(0, 2, 3, 1)  # (B, H, W, R)
        if softmax:
            return torch.softmax(out.reshape(b, -1), dim=-1).reshape(b, h, w, r)
        return out.reshape(b, h * w * r)  # (B, H*W*R)
