"""Training labels, the pick/place losses and the validation errors (spec data_train_eval.md §7).

Why this exists: the original builds a dense one-hot label map per sample and takes a soft-label cross
entropy averaged over every entry. With a one-hot label that equals ``(logsumexp(z) - z[k]) / N``, which
is what we compute: same value, no (B, 1 843 200) label tensor. Flattening orders follow the modules:
pick logits are (H, W, R) row-major, place logits are (R, H, W).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def rotation_bin(theta: Tensor, n_rotations: int) -> Tensor:
    """Angle (rad) -> rotation index: round(theta / (2π/R)) mod R, rounding half to even like numpy."""
    step = 2 * math.pi / n_rotations
    return torch.remainder(torch.round(theta.double() / step).long(), n_rotations)  # (B,)


def pick_label_index(p0: Tensor, p0_theta: Tensor, shape: tuple[int, int, int]) -> Tensor:
    """Flat index of the one-hot pick label in the (H, W, R) order of the pick logits.

    The original builds its label in (R, H, W) order and the logits in (H, W, R) order; the two agree
    for R = 1 (the only value it uses). We index the logits' own order, which is the intent for any R.
    """
    h, w, r = shape
    k = rotation_bin(p0_theta, r)
    return (p0[:, 0].long() * w + p0[:, 1].long()) * r + k  # (B,)


def place_label_index(p1: Tensor, p1_theta: Tensor, shape: tuple[int, int, int]) -> Tensor:
    """Flat index of the one-hot place label in the (R, H, W) order of the place logits."""
    r, h, w = shape
    k = rotation_bin(p1_theta, r)
    return (k * h + p1[:, 0].long()) * w + p1[:, 1].long()  # (B,)


def check_pixels(name: str, pixels: Tensor, h: int, w: int) -> None:
    """Labels outside the image would index a wrong entry silently; refuse them."""
    from cliport.errors import CliportError

    if pixels.ndim != 2 or pixels.shape[1] != 2:
        raise CliportError(f"batch[{name!r}] must have shape (B, 2), got {tuple(pixels.shape)}")
    bad = (pixels[:, 0] < 0) | (pixels[:, 0] >= h) | (pixels[:, 1] < 0) | (pixels[:, 1] >= w)
    if bool(bad.any()):
        i = int(bad.nonzero()[0, 0])
        raise CliportError(f"batch[{name!r}][{i}] = {pixels[i].tolist()} lies outside the {h}x{w} image")


def one_hot_cross_entropy(logits: Tensor, index: Tensor) -> Tensor:
    """Per-sample mean over all N entries of −onehot · log_softmax(logits): (logsumexp − z[k]) / N.

    logits (B, N) float, index (B,) long -> (B,) float32.
    """
    z = logits.float()  # (B, N)
    n = z.shape[1]
    picked = z.gather(1, index.view(-1, 1)).squeeze(1)  # (B,)
    return (torch.logsumexp(z, dim=1) - picked) / n  # (B,)


def argmax_unravel(flat: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Row-major argmax of each row of (B, N) -> (B, len(shape)) indices into ``shape``."""
    idx = flat.argmax(dim=1)  # (B,)
    out = []
    for size in reversed(shape):
        out.append(idx % size)
        idx = idx // size
    return torch.stack(out[::-1], dim=1)  # (B, len(shape))


def validation_errors(
    pick_logits: Tensor, place_logits: Tensor, batch: dict, shape: tuple[int, int], n_rotations: int
) -> dict[str, Tensor]:
    """The original's validation errors per sample (data_train_eval.md §7).

    dist = L1 pixel distance label ↔ argmax; theta = |θ_label − θ_argmax| mod π with θ_argmax = r·2π/R.
    The argmax of the softmax equals the argmax of the logits, so no softmax is taken.
    """
    h, w = shape
    pick = argmax_unravel(pick_logits, (h, w, 1))  # (B, 3): row, col, r
    place = argmax_unravel(place_logits, (n_rotations, h, w))  # (B, 3): r, row, col
    p0 = batch["p0"].to(pick.device).long()
    p1 = batch["p1"].to(place.device).long()
    th0 = batch["p0_theta"].to(pick.device).double()
    th1 = batch["p1_theta"].to(place.device).double()
    pick_theta = pick[:, 2].double() * (2 * math.pi)
    place_theta = place[:, 0].double() * (2 * math.pi / n_rotations)
    return {
        "pick_dist": (p0 - pick[:, :2]).abs().sum(1).double(),  # (B,)
        "pick_theta": torch.remainder(th0 - pick_theta, math.pi).abs(),  # (B,)
        "place_dist": (p1 - place[:, 1:]).abs().sum(1).double(),  # (B,)
        "place_theta": torch.remainder(th1 - place_theta, math.pi).abs(),  # (B,)
    }
