"""K-D split of a container's interior into boxes that pack it exactly (tasks.md §5.1 packing-boxes).

Shared by packing-boxes(-pairs) and the Google-object packing tasks. Pure numpy; the only
randomness comes from the Generator passed in. Registers no task.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cliport.geometry import multiply_poses

PoseTuple = tuple[np.ndarray, np.ndarray]


def kd_split(
    lo: Sequence[float], hi: Sequence[float], min_dim: float, margin: float, rng: np.random.Generator
) -> list[np.ndarray]:
    """Split the box [lo, hi] recursively; return the leaf boxes as (6,) arrays (lo xyz, hi xyz).

    An axis is splittable when its extent exceeds 2 * min_dim; one splittable axis is chosen
    uniformly, cut at U[lo + min_dim, hi - min_dim], and the children are separated by ``margin``.
    Leaves are listed depth first, lower child first.
    """
    leaves: list[np.ndarray] = []
    stack = [np.concatenate([np.asarray(lo, float), np.asarray(hi, float)])]
    while stack:
        box = stack.pop()
        extent = box[3:] - box[:3]
        axes = np.flatnonzero(extent > 2 * min_dim)
        if axes.size == 0:
            leaves.append(box)
            continue
        axis = int(axes[rng.integers(axes.size)])
        cut = box[axis] + min_dim + float(rng.random()) * (extent[axis] - 2 * min_dim)
        low, high = box.copy(), box.copy()
        low[3 + axis] = cut - margin / 2
        high[axis] = cut + margin / 2
        stack.append(high)  # popped after the whole lower subtree
        stack.append(low)
    return leaves


def container_leaves(
    container_size: Sequence[float], min_dim: float, rng: np.random.Generator, margin: float = 0.01
) -> list[np.ndarray]:
    """Leaves of the container interior: root (0.01, 0.01, 0) .. (sx - 0.01, sy - 0.01, sz)."""
    sx, sy, sz = container_size
    return kd_split((0.01, 0.01, 0.0), (sx - 0.01, sy - 0.01, sz), min_dim, margin, rng)


def leaf_size(leaf: np.ndarray) -> np.ndarray:
    return leaf[3:] - leaf[:3]


def leaf_pose(leaf: np.ndarray, container_pose: PoseTuple, container_size: Sequence[float]) -> PoseTuple:
    """World pose of a leaf's centre: corner-frame centre shifted to the container centre (x, y)."""
    centre = leaf[:3] + leaf_size(leaf) / 2
    centre[0] -= container_size[0] / 2
    centre[1] -= container_size[1] / 2
    return multiply_poses(container_pose, (centre, np.array([0.0, 0.0, 0.0, 1.0])))
