"""How one or two streams are combined into a single fully-convolutional network (spec §4, §10).

* one stream: ``out = one(x [, lang])``;
* two streams: ``out = fuse(one(x), two(x [, lang]))``;
* lateral: ``(out1, lat) = one(x)``; ``out = fuse(out1, two(x, lat [, lang]))``.

Streams declare what they take through two attributes: ``lateral`` (stream one returns, stream two
consumes, the lateral maps) and ``uses_language``.
"""

from __future__ import annotations

from torch import Tensor, nn

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


def run_streams(
    one: nn.Module, two: nn.Module | None, fusion: nn.Module | None, x: Tensor, lang: TextFeatures | None,
) -> Tensor:
    """Raw padded input (N, 6, H, W) -> fused output (N, d, H, W)."""
    if two is None:
        out = _call(one, x, None, lang)
        return out[0] if isinstance(out, tuple) else out
    out1 = _call(one, x, None, None)
    lat = None
    if isinstance(out1, tuple):
        out1, lat = out1
    if getattr(two, "lateral", False) and lat is None:
        raise ValueError(f"{type(two).__name__} needs lateral maps; {type(one).__name__} gives none")
    out2 = _call(two, x, lat, lang)
    return fusion(out1, out2)
