"""From network outputs to a robot action (spec data_train_eval.md §8).

Why this exists: ``act`` and the tests share one definition of "argmax -> pixel and rotation -> world
pose". Pixels become positions through :mod:`cliport.geometry` with the network input's own height
channel (z bounds 0..0.28); rotation bin r of R becomes yaw −r·2π/R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, eulerXYZ_to_quat, pix_to_xyz
from cliport.types import Action, Pose


@dataclass(frozen=True)
class Decoded:
    """One argmax: pixel (row, col), rotation index, its angle θ = r·2π/R (rad) and its probability."""

    row: int
    col: int
    rotation: int
    theta: float
    confidence: float


def decode_pick(logits: Tensor, shape: tuple[int, int], n_rotations: int = 1) -> Decoded:
    """Pick logits (N,) in (H, W, R) order -> argmax of the softmax."""
    h, w = shape
    prob = torch.softmax(logits.detach().float().reshape(-1), dim=0)  # (H*W*R,)
    i = int(prob.argmax())
    row, rest = divmod(i, w * n_rotations)
    col, r = divmod(rest, n_rotations)
    return Decoded(row, col, r, r * 2 * math.pi / n_rotations, float(prob[i]))


def decode_place(logits: Tensor, shape: tuple[int, int], n_rotations: int) -> Decoded:
    """Place logits (N,) in (R, H, W) order -> argmax taken in (H, W, R) order, as the original does."""
    h, w = shape
    prob = torch.softmax(logits.detach().float().reshape(-1), dim=0)  # (R*H*W,)
    hwr = prob.view(n_rotations, h, w).permute(1, 2, 0).reshape(-1)  # (H*W*R,)
    i = int(hwr.argmax())
    row, rest = divmod(i, w * n_rotations)
    col, r = divmod(rest, n_rotations)
    return Decoded(row, col, r, r * 2 * math.pi / n_rotations, float(hwr[i]))


def pixel_pose(pixel: tuple[int, int], theta: float, heightmap: np.ndarray) -> Pose:
    """Pixel + decoded angle -> world pose: z from the input heightmap, yaw −θ."""
    xyz = pix_to_xyz(pixel, heightmap, bounds=INPUT_BOUNDS, pixel_size=PIXEL_SIZE)
    return Pose(np.asarray(xyz), eulerXYZ_to_quat((0.0, 0.0, -theta)))


def to_action(pick: Decoded, place: Decoded, image: np.ndarray) -> Action:
    """Decoded pick and place -> :class:`cliport.types.Action` (heights from channel 3 of the input)."""
    heightmap = np.asarray(image)[:, :, 3]  # (H, W) metres above z_min
    pose0 = pixel_pose((pick.row, pick.col), pick.theta, heightmap)
    pose1 = pixel_pose((place.row, place.col), place.theta, heightmap)
    extras = {
        "pick": [pick.row, pick.col, pick.theta],
        "place": [place.row, place.col, place.theta],
        "pick_confidence": pick.confidence,
        "place_confidence": place.confidence,
    }
    return Action(pose0, pose1, extras)
