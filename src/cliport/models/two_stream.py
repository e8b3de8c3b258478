"""How one or two streams are combined into a single fully-convolutional network (spec §4, §10).

* one stream: ``out = one(x [, lang])``;
* two streams: ``out = fuse(one(x), two(x [, lang]))``;
* lateral: ``(out1, lat) = one(x)``; ``out = fuse(out1, two(x, lat [, lang]))``.

Streams declare what they take through two attributes: ``lateral`` (stream one returns, stream two
consumes, the lateral maps) and ``uses_language``.

With ``checkpoint=True`` each stream runs under activation checkpointing (torch.utils.checkpoint,
non-reentrant): its intermediate maps are dropped after the forward pass and recomputed in the backward
pass, one stream at a time, which trades one extra forward of the trainable layers for most of the
activation memory. The recompute gives the same numbers: the per-sample BatchNorm groups of the forward
are restored, the running statistics are not updated a second time, and the frozen encoder's features
are reused (:mod:`cliport.models.feature_cache`) rather than recomputed.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint as torch_checkpoint

from cliport.models.blocks import GroupedBatchNorm2d
from cliport.models.encoders import TextFeatures


def _call(stream: nn.Module, x: Tensor, lat: list[Tensor] | None, lang: TextFeatures | None) -> Tensor:
    kwargs = {}
    if getattr(stream, "uses_language", False):
        if lang is None:
            raise ValueError(f"{type(stream).__name__} needs text features (lang) but got None")
        kwargs["lang"] = lang
    if lat is not None and getattr(stream, "lateral", False):
        kwargs["lat"] = lat
    return stream(x, **kwargs)


class _Recomputable:
    """A stream call that can run again in the backward pass with the forward's exact behaviour."""

    def __init__(self, stream: nn.Module) -> None:
        self.stream = stream
        self.calls = 0
        self.norms = [m for m in stream.modules() if isinstance(m, GroupedBatchNorm2d)]
        self.groups = [m.n_groups for m in self.norms]  # the sample groups in force at the forward

    def __call__(self, x: Tensor, lat: list[Tensor] | None, lang: TextFeatures | None):
        self.calls += 1
        if self.calls == 1:
            return _call(self.stream, x, lat, lang)
        saved = [(m.n_groups, [b.clone() for b in _stats(m)]) for m in self.norms]
        for m, groups in zip(self.norms, self.groups, strict=True):
            m.n_groups = groups
        try:
            return _call(self.stream, x, lat, lang)
        finally:  # the recompute must not move the running statistics a second time
            for m, (groups, stats) in zip(self.norms, saved, strict=True):
                m.n_groups = groups
                for buf, value in zip(_stats(m), stats, strict=True):
                    buf.copy_(value)


def _stats(m: GroupedBatchNorm2d) -> list[Tensor]:
    """The running-statistics buffers (live tensors) of a BatchNorm."""
    return [b for b in (m.running_mean, m.running_var, m.num_batches_tracked) if b is not None]


def _run(stream: nn.Module, x: Tensor, lat: list[Tensor] | None, lang: TextFeatures | None,
         checkpoint: bool):
    trainable = any(p.requires_grad for p in stream.parameters())
    if not (checkpoint and trainable and torch.is_grad_enabled()):
        return _call(stream, x, lat, lang)
    return torch_checkpoint(_Recomputable(stream), x, lat, lang, use_reentrant=False)


def run_streams(
    one: nn.Module, two: nn.Module | None, fusion: nn.Module | None, x: Tensor, lang: TextFeatures | None,
    checkpoint: bool = False,
) -> Tensor:
    """Raw padded input (N, 6, H, W) -> fused output (N, d, H, W)."""
    if two is None:
        out = _run(one, x, None, lang, checkpoint)
        return out[0] if isinstance(out, tuple) else out
    out1 = _run(one, x, None, None, checkpoint)
    lat = None
    if isinstance(out1, tuple):
        out1, lat = out1
    if getattr(two, "lateral", False) and lat is None:
        raise ValueError(f"{type(two).__name__} needs lateral maps; {type(one).__name__} gives none")
    out2 = _run(two, x, lat, lang, checkpoint)
    return fusion(out1, out2)
