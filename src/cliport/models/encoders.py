"""The interface between the frozen pretrained encoders and the trainable decoders (spec models.md §8-§9).

Why this exists: the CLIP RN50 (and the ImageNet-RN50 / DistilBERT baselines) live in
``models/clip/`` and ``models/pretrained/``; the stream-two decoders only need a few tensors from
them. This module fixes what those tensors are, so either side can be written and tested alone.

Image side (:class:`ImageEncoder`)
    ``forward_features(x)`` takes ``x`` of shape (B, 3, H, W): RGB already normalised with the "clip"
    statistics (the decoder does the normalisation and the RGB slicing). It returns
    ``(bottleneck, skips)``:

    * ``bottleneck``: (B, C4, H/32, W/32) = the layer4 map (2048 channels for RN50), *before* any
      attention pooling;
    * ``skips``: a list whose **last four** entries are the layer1, layer2, layer3, layer4 outputs
      (channels ``channels[0..3]``, strides 4, 8, 16, 32). Entries before those (CLIP's stem maps,
      torchvision's stem) are allowed and ignored. The decoders read ``skips[-2]`` (layer3),
      ``skips[-3]`` (layer2) and ``skips[-4]`` (layer1), exactly as the original.

    Spatial sizes follow the trunk's own arithmetic (e.g. 320 -> 80/40/20/10, 64 -> 16/8/4/2,
    224 -> 56/28/14/7). Outputs may be fp16; decoders cast them to their own dtype.
    The attribute ``channels`` = (C1, C2, C3, C4), e.g. (256, 512, 1024, 2048) for RN50, lets a decoder
    size its layers (tiny encoders make tiny decoders for tests).

Text side (:class:`TextEncoder`)
    ``encode(texts)`` takes B strings and returns :class:`TextFeatures`:

    * ``sentence`` (B, sentence_dim): CLIP = end-token state @ text_projection (1024, not normalised);
      DistilBERT = mean of the last hidden states over the sample's own tokens (768). With B > 1 each
      row must equal encoding that text alone (mask padding out of any mean);
    * ``tokens`` (B, L, token_dim): per-token final states (CLIP: L = 77, 512);
    * ``mask`` (B, L) float: 1.0 for real tokens (CLIP: token id != 0), 0.0 for padding.

    Decoders that need 1024-d sentences and get another size own a trainable ``text_fc`` Linear
    (DistilBERT's 768 -> 1024, spec §9.2); the encoder itself has no trainable parameters.

Ownership rules (spec §8.3 and the project's design): the agent creates ONE frozen encoder and hands
it to every stream as a constructor argument. Decoders must not register it as a sub-module (it never
appears in their ``state_dict()`` or ``parameters()``), and they call it under ``torch.no_grad()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

#: Strides of the four skip maps the decoders use (layer1..layer4 of a ResNet-50).
SKIP_STRIDES = (4, 8, 16, 32)


@dataclass
class TextFeatures:
    """Encoded instructions for a batch of B samples (see module docstring for each field)."""

    sentence: Tensor  # (B, Ds)
    tokens: Tensor  # (B, L, Dt)
    mask: Tensor  # (B, L), 1.0 = real token

    def __len__(self) -> int:
        return int(self.sentence.shape[0])

    def repeat_interleave(self, n: int) -> TextFeatures:
        """Each sample's features repeated ``n`` times in a row: B -> B*n (e.g. one per rotated crop)."""
        return TextFeatures(
            self.sentence.repeat_interleave(n, dim=0),  # (B*n, Ds)
            self.tokens.repeat_interleave(n, dim=0),  # (B*n, L, Dt)
            self.mask.repeat_interleave(n, dim=0),  # (B*n, L)
        )

    def select(self, index: int | slice) -> TextFeatures:
        """The features of a sub-batch (keeps the batch dimension)."""
        idx = slice(index, index + 1) if isinstance(index, int) else index
        return TextFeatures(self.sentence[idx], self.tokens[idx], self.mask[idx])

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> TextFeatures:
        """Move/cast the float tensors (the mask keeps being float)."""
        return TextFeatures(
            self.sentence.to(device=device, dtype=dtype),
            self.tokens.to(device=device, dtype=dtype),
            self.mask.to(device=device, dtype=dtype),
        )


@runtime_checkable
class ImageEncoder(Protocol):
    """A frozen image trunk: normalised RGB (B, 3, H, W) -> (layer4 map, skip list)."""

    #: Channels of layer1..layer4 (RN50: (256, 512, 1024, 2048)).
    channels: tuple[int, int, int, int]

    def forward_features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]: ...


@runtime_checkable
class TextEncoder(Protocol):
    """A frozen text encoder: B strings -> :class:`TextFeatures`."""

    #: Size of ``TextFeatures.sentence`` (CLIP 1024, DistilBERT 768).
    sentence_dim: int
    #: Size of each ``TextFeatures.tokens`` vector (CLIP 512, DistilBERT 768).
    token_dim: int

    def encode(self, texts: Sequence[str]) -> TextFeatures: ...
