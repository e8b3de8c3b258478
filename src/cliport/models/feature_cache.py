"""Frozen-encoder features computed once per input within a training step, then reused.

Why this exists: a frozen encoder (CLIP) is a pure function of its input, so within one step there is
no reason to run it twice on the same tensor. That happens when activation checkpointing recomputes a
stream in the backward pass (the stream's CLIP call would run again) and when several streams are
handed the same input tensor. Inside :func:`frozen_feature_cache` the decoders look their input up
here (by tensor identity and version, holding a reference so the identity cannot be reused) before
calling the encoder; outside it nothing is cached, so memory is never held across steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from torch import Tensor

_ACTIVE: ContextVar[dict | None] = ContextVar("frozen_feature_cache", default=None)


@contextmanager
def frozen_feature_cache() -> Iterator[dict]:
    """Within the block, :func:`cached` returns stored features for an input it has already seen."""
    token = _ACTIVE.set({})
    try:
        yield _ACTIVE.get()
    finally:
        _ACTIVE.reset(token)


def cached(encoder: object, x: Tensor, compute: Callable[[Tensor], Any]) -> Any:
    """``compute(x)``, or the stored result for the same (encoder, tensor, version, dtype) in this block."""
    store = _ACTIVE.get()
    if store is None:
        return compute(x)
    key = (id(encoder), id(x), x._version, x.dtype)
    hit = store.get(key)
    if hit is not None and hit[0] is x:
        return hit[1]
    value = compute(x)
    store[key] = (x, value)  # keeps x alive: its id cannot be reused while the block lasts
    return value
