"""The one frozen CLIP that every stream of an agent shares (spec models.md §8.3, §12).

Why this exists: the original holds three independent, identical frozen CLIP copies per ``cliport``
agent. We build one, load it once per (file, device, precision) in a process-wide cache, and expose it
through :class:`ClipEncoder`, which implements both :class:`~cliport.models.encoders.ImageEncoder` and
:class:`~cliport.models.encoders.TextEncoder`. All its calls run under ``torch.no_grad()``.

BatchNorm (spec §12): the original put the frozen CLIP in train mode during training steps, so its
BatchNorms normalised with the current batch's statistics and drifted their running statistics. We keep
CLIP in eval mode (running statistics of the released weights) whatever ``.train()`` is called on a
parent module; ``batchnorm="batch"`` gives the original's training-time behaviour for reproducing
released checkpoints (see docs/fidelity.md, section CLIP).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from cliport.models.clip.model import CLIP, ClipConfig, half_precision_
from cliport.models.clip.tokenizer import tokenize
from cliport.models.clip.weights import (
    HOW_TO_GET,
    ClipWeightsError,
    load_into,
    read_state_dict,
    resolve_weights_path,
)
from cliport.models.encoders import TextFeatures

Precision = Literal["fp32", "fp16"]
_CACHE: dict[tuple[object, ...], CLIP] = {}


def load_clip(
    clip_weights: str | os.PathLike[str] | None = None,
    device: str | torch.device = "cpu",
    *,
    precision: Precision = "fp32",
    allow_random_clip: bool = False,
    config: ClipConfig | None = None,
    expected_sha256: str | None = "auto",
    seed: int = 0,
) -> CLIP:
    """The frozen CLIP model (eval mode, ``requires_grad=False``), built once per process and key.

    Weights come from ``clip_weights`` / ``$CLIPORT_CLIP_WEIGHTS`` / the download folder. Without any,
    this refuses (saying how to get them) unless ``allow_random_clip=True``, which builds a randomly
    initialised CLIP from ``seed`` and warns. ``precision="fp16"`` applies the original's fp16 recipe and
    needs a CUDA device.
    """
    cfg = config or ClipConfig.rn50()
    device = torch.device(device)
    if precision not in ("fp32", "fp16"):
        raise ClipWeightsError(f"precision must be 'fp32' or 'fp16', got {precision!r}")
    if precision == "fp16" and device.type != "cuda":
        raise ClipWeightsError("precision='fp16' is for CUDA devices (CPU fp16 is slow); use 'fp32'")
    path = resolve_weights_path(clip_weights)
    if path is None and not allow_random_clip:
        raise ClipWeightsError(f"no CLIP RN50 weights found; {HOW_TO_GET}")
    if path is None:
        key: tuple[object, ...] = ("random", seed, cfg, str(device), precision)
    else:
        stat = path.stat()
        file_id = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        key = (*file_id, expected_sha256, cfg, str(device), precision)
    if key in _CACHE:
        return _CACHE[key]
    if path is None:
        warnings.warn(
            "CLIP RN50 is RANDOMLY INITIALISED (allow_random_clip=True): its features are meaningless and "
            f"results will not match CLIPort; {HOW_TO_GET}",
            RuntimeWarning,
            stacklevel=2,
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = CLIP(cfg)
    else:
        state = read_state_dict(path, expected_sha256)  # first: a bad file is reported before building
        model = CLIP(cfg)
        load_into(model, state, source=str(path))
    model = _frozen(model, device, precision)
    _CACHE[key] = model
    return model


def _frozen(model: CLIP, device: torch.device, precision: Precision) -> CLIP:
    if precision == "fp16":
        half_precision_(model)
    model.requires_grad_(False)
    return model.to(device).eval()


def clip_from_state_dict(
    state: Mapping[str, Tensor],
    device: str | torch.device = "cpu",
    *,
    precision: Precision = "fp32",
    config: ClipConfig | None = None,
    source: str = "state dict",
) -> CLIP:
    """A frozen CLIP from tensors already in memory (e.g. the ``clip_rn50.*`` copies inside an original
    CLIPort checkpoint, prefix stripped), checked key by key. Not cached."""
    model = load_into(CLIP(config or ClipConfig.rn50()), state, source=source)
    return _frozen(model, torch.device(device), precision)


def clear_clip_cache() -> None:
    """Forget the cached CLIP models (tests; freeing memory)."""
    _CACHE.clear()


class ClipEncoder(nn.Module):
    """CLIP as the decoders' frozen image + text encoder (implements both encoder Protocols).

    ``forward_features(x)``: (B, 3, H, W) clip-normalised RGB -> (layer4 (B, 2048, H/32, W/32) fp32,
    8 maps: stem conv1..3, stem pool, layer1..4). ``encode(texts)``: B strings -> TextFeatures with
    sentence (B, 1024), tokens (B, 77, 512), mask (B, 77).
    """

    def __init__(self, clip: CLIP, batchnorm: Literal["eval", "batch"] = "eval") -> None:
        super().__init__()
        if batchnorm not in ("eval", "batch"):
            raise ValueError(f"batchnorm must be 'eval' or 'batch', got {batchnorm!r}")
        self.clip = clip
        self.batchnorm = batchnorm
        vis = clip.visual
        self.channels: tuple[int, int, int, int] = vis.channels
        self.sentence_dim = int(clip.text_projection.shape[1])
        self.token_dim = int(clip.transformer.width)
        self.train(False)

    def train(self, mode: bool = True) -> ClipEncoder:
        """Keep CLIP frozen in eval mode; with ``batchnorm="batch"`` its BatchNorms follow ``mode``."""
        self.training = mode
        self.clip.eval()
        if self.batchnorm == "batch" and mode:
            for mod in self.clip.visual.modules():
                if isinstance(mod, nn.BatchNorm2d):
                    mod.train()
        return self

    @property
    def device(self) -> torch.device:
        return self.clip.token_embedding.weight.device

    def forward_features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        with torch.no_grad():
            bottleneck, feats = self.clip.visual.forward_features(x.to(self.device))
        return bottleneck.float(), feats

    def encode(self, texts: Sequence[str]) -> TextFeatures:
        ids = tokenize(list(texts), self.clip.context_length).to(self.device)  # (B, 77)
        return self.encode_ids(ids)

    def encode_ids(self, ids: Tensor) -> TextFeatures:
        """Already tokenized (B, 77) ids -> TextFeatures (fp32)."""
        with torch.no_grad():
            sentence, tokens = self.clip.encode_text_features(ids)  # (B, 1024), (B, 77, 512)
        mask = (ids != 0).float()  # (B, 77)
        return TextFeatures(sentence.float(), tokens.float(), mask)

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        return self.forward_features(x)


def clip_encoder(
    clip_weights: str | os.PathLike[str] | None = None,
    device: str | torch.device = "cpu",
    **kwargs: object,
) -> ClipEncoder:
    """Shortcut: :func:`load_clip` (same keyword arguments, plus ``batchnorm``) wrapped in a ClipEncoder."""
    batchnorm = kwargs.pop("batchnorm", "eval")
    return ClipEncoder(load_clip(clip_weights, device, **kwargs), batchnorm=batchnorm)  # type: ignore[arg-type]
