"""Place (transport) module: where to place and at which rotation, given the pick pixel (spec §3).

``forward(image (B, 320, 160, 6), pick_pixels (B, 2) long, lang, softmax=False)`` -> logits
(B, 36*320*160) flattened in (rotation, row, col) order, or probabilities (B, 36, 320, 160).

Per sample: pad 32; 36 rotated 64 x 64 query crops about the pick pixel ("crop before the network");
key network(s) once on the padded image, query network(s) once on the 36 crops; cross-correlate
(FFT or direct, see :mod:`cliport.models.correlation`); resize 385x225 -> 384x224; crop the padding.
Everything is batched over B (one network call for the B keys, one for the B x 36 crops, one
correlation). Up-block BatchNorm statistics in training mode are per sample (1 key image, 36 crops),
as in the original's batch-size-1 runs.

Names: ``key_stream_one/two``, ``query_stream_one/two``, ``fusion_key``, ``fusion_query`` (two streams)
or ``key_resnet`` / ``query_resnet`` for the plain Transporter (choose with ``names``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cliport.models.attention import ModelInputError, as_float, check_image
from cliport.models.blocks import sample_groups
from cliport.models.correlation import correlate
from cliport.models.encoders import TextFeatures
from cliport.models.fusion import make_fusion
from cliport.models.rotation import rotated_crops, rotation_angles
from cliport.models.two_stream import run_streams

TWO_STREAM_NAMES = ("key_stream_one", "key_stream_two", "query_stream_one", "query_stream_two")
PLAIN_NAMES = ("key_resnet", "", "query_resnet", "")


class PlaceModule(nn.Module):
    """Key and query fully-convolutional networks + rotated-crop correlation."""

    def __init__(
        self, key_one: nn.Module, query_one: nn.Module, key_two: nn.Module | None = None,
        query_two: nn.Module | None = None, fusion: str = "conv", kernel_dim: int = 3,
        n_rotations: int = 36, crop_size: int = 64, names: tuple[str, str, str, str] = TWO_STREAM_NAMES,
        correlation: str = "auto", rotation_mode: str = "exact",
    ) -> None:
        super().__init__()
        if (key_two is None) != (query_two is None):
            raise ValueError("give both key_two and query_two, or neither")
        self.n_rotations, self.crop_size, self.pad_size = n_rotations, crop_size, crop_size // 2
        self.correlation, self.rotation_mode = correlation, rotation_mode
        #: Recompute each stream's activations in the backward pass (see cliport.models.two_stream).
        self.activation_checkpointing = False
        self._names = names
        self.add_module(names[0], key_one)
        self.add_module(names[2], query_one)
        if key_two is not None:
            self.add_module(names[1], key_two)
            self.add_module(names[3], query_two)
            self.fusion_key = make_fusion(fusion, kernel_dim)
            self.fusion_query = make_fusion(fusion, kernel_dim)

    def _stream(self, i: int) -> nn.Module | None:
        return getattr(self, self._names[i], None) if self._names[i] else None

    def key_features(self, x: Tensor, lang: TextFeatures | None) -> Tensor:
        """Padded raw images (B, 6, Hp, Wp) -> (B, d, Hp, Wp)."""
        with sample_groups(self, x.shape[0]):
            return run_streams(self._stream(0), self._stream(1), getattr(self, "fusion_key", None), x, lang,
                               checkpoint=self.activation_checkpointing)

    def query_features(self, crops: Tensor, lang: TextFeatures | None, n_samples: int) -> Tensor:
        """Crops (B*R, 6, k, k) -> (B*R, d, k, k); BatchNorm statistics per sample's R crops."""
        fusion = getattr(self, "fusion_query", None)
        with sample_groups(self, n_samples):
            return run_streams(self._stream(2), self._stream(3), fusion, crops, lang,
                               checkpoint=self.activation_checkpointing)

    def prepare(self, image: Tensor, pick_pixels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """-> padded input (B, 6, Hp, Wp), pivots (B, 2), rotated crops (B*R, 6, k, k)."""
        check_image(image)
        b, h, w = image.shape[:3]
        p = torch.as_tensor(pick_pixels, device=image.device).long().reshape(-1, 2)
        if p.shape[0] != b:
            raise ModelInputError(f"got {p.shape[0]} pick pixels for {b} images")
        if bool(((p < 0) | (p >= torch.tensor([h, w], device=p.device))).any()):
            raise ModelInputError(f"pick pixels must lie inside the {h}x{w} image, got {p.tolist()}")
        x = F.pad(as_float(image).permute(0, 3, 1, 2).contiguous(), [self.pad_size] * 4)  # (B, 6, Hp, Wp)
        pivots = p + self.pad_size
        angles = torch.tensor(rotation_angles(self.n_rotations), dtype=x.dtype, device=x.device)
        crops = rotated_crops(x, pivots, angles, self.crop_size, self.rotation_mode)  # (B, R, 6, k, k)
        return x, pivots, crops.reshape(b * self.n_rotations, *crops.shape[2:])

    def correlate(self, key: Tensor, kernel: Tensor, softmax: bool) -> Tensor:
        """key (B, d, Hp, Wp), kernel (B*R, d, k, k) -> logits (B, R*H*W) or probabilities (B, R, H, W)."""
        b, _, hp, wp = key.shape
        kernel = kernel.reshape(b, self.n_rotations, *kernel.shape[1:])  # (B, R, d, k, k)
        out = correlate(key, kernel, self.pad_size, self.correlation)  # (B, R, Hp+1, Wp+1)
        out = F.interpolate(out, size=(hp, wp), mode="bilinear", align_corners=False)  # (B, R, Hp, Wp)
        p = self.pad_size
        out = out[:, :, p:-p, p:-p]  # (B, R, H, W)
        if softmax:
            return torch.softmax(out.reshape(b, -1), dim=-1).reshape(out.shape)
        return out.reshape(b, -1)

    def forward(
        self, image: Tensor, pick_pixels: Tensor, lang: TextFeatures | None = None, softmax: bool = False,
    ) -> Tensor:
        x, _, crops = self.prepare(image, pick_pixels)
        b = x.shape[0]
        key = self.key_features(x, lang)  # (B, d, Hp, Wp)
        query_lang = lang.repeat_interleave(self.n_rotations) if lang is not None else None
        kernel = self.query_features(crops, query_lang, b)  # (B*R, d, k, k)
        return self.correlate(key, kernel, softmax)
