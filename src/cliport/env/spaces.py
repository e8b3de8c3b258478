"""Gymnasium observation and action spaces of the environment (env.md §2, §10)."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from cliport.geometry import ACTION_POSITION_HIGH, ACTION_POSITION_LOW, CameraConfig


def observation_space(cameras: tuple[CameraConfig, ...]) -> spaces.Dict:
    """{"color": per-camera (H, W, 3) uint8, "depth": per-camera (H, W) float32 metres}.

    Depth is bounded by the far plane plus a margin for the optional depth noise.
    """
    color = spaces.Tuple(
        spaces.Box(0, 255, (*c.image_size, 3), dtype=np.uint8) for c in cameras
    )
    depth = spaces.Tuple(
        spaces.Box(0.0, c.zrange[1] + 1.0, c.image_size, dtype=np.float32) for c in cameras
    )
    return spaces.Dict({"color": color, "depth": depth})


def _pose_space() -> spaces.Tuple:
    position = spaces.Box(ACTION_POSITION_LOW.astype(np.float32), ACTION_POSITION_HIGH.astype(np.float32),
                          dtype=np.float32)
    rotation = spaces.Box(-1.0, 1.0, (4,), dtype=np.float32)
    return spaces.Tuple((position, rotation))


def action_space() -> spaces.Dict:
    """{"pose0": (position, quaternion), "pose1": (position, quaternion)}."""
    return spaces.Dict({"pose0": _pose_space(), "pose1": _pose_space()})
