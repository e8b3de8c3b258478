"""Calibrated RGB-D cameras -> fused top-down maps -> a policy's pick and place poses (world frame).

The "world" frame is the frame the camera extrinsics are given in; the workspace bounds
(``cliport.geometry.INPUT_BOUNDS``: x 0.25..0.75 m, y -0.5..0.5 m, z 0..0.28 m) are read in that frame,
so calibrate the cameras against the robot base with the table top at z = 0, as in the benchmark.
The returned poses are then directly the robot's pick and place targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from cliport.env.heightmap import HeightmapError, fuse_maps, network_input, reconstruct
from cliport.errors import CliportError
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, CameraConfig, quat_from_matrix
from cliport.types import Action, Pose


class RealCameraError(CliportError, ValueError):
    """A camera calibration or image does not fit the real-robot API."""


@dataclass(frozen=True)
class CameraCalibration:
    """One calibrated camera: 3x3 intrinsics K and its camera-to-world pose.

    The camera frame is the usual pinhole one: +z along the optical axis, +x right, +y down the image.
    ``position`` is the camera centre in world metres; ``rotation`` its orientation as a quaternion
    (x, y, z, w) or a 3x3 rotation matrix (columns = camera axes in the world frame).
    """

    intrinsics: np.ndarray  # (3, 3) or 9 numbers, row-major
    position: np.ndarray  # (3,)
    rotation: np.ndarray  # (4,) quaternion xyzw or (3, 3) matrix
    name: str = "camera"

    def __post_init__(self) -> None:
        K = np.asarray(self.intrinsics, dtype=np.float64)
        if K.size != 9:
            raise RealCameraError(f"camera {self.name!r}: intrinsics need 9 numbers (3x3 K), got {K.shape}")
        K = K.reshape(3, 3)
        if not (K[0, 0] > 0 and K[1, 1] > 0):
            raise RealCameraError(f"camera {self.name!r}: focal lengths fx, fy must be positive, got {K}")
        t = np.asarray(self.position, dtype=np.float64)
        if t.size != 3:
            raise RealCameraError(f"camera {self.name!r}: position needs 3 numbers, got shape {t.shape}")
        r = np.asarray(self.rotation, dtype=np.float64)
        if r.shape == (3, 3):
            if not np.allclose(r @ r.T, np.eye(3), atol=1e-6) or np.linalg.det(r) <= 0:
                raise RealCameraError(f"camera {self.name!r}: rotation matrix is not a proper rotation")
            r = quat_from_matrix(r)
        elif r.size == 4:
            r = r.reshape(4)
            if not np.isclose(np.linalg.norm(r), 1.0, atol=1e-6):
                raise RealCameraError(f"camera {self.name!r}: quaternion (x, y, z, w) must have norm 1")
        else:
            raise RealCameraError(
                f"camera {self.name!r}: rotation must be a quaternion (x, y, z, w) or a 3x3 matrix, "
                f"got shape {r.shape}"
            )
        object.__setattr__(self, "intrinsics", K)
        object.__setattr__(self, "position", t.reshape(3))
        object.__setattr__(self, "rotation", r)

    @classmethod
    def from_config(cls, config: CameraConfig) -> CameraCalibration:
        """The calibration of one of the simulator's cameras (e.g. ``geometry.REALSENSE_CAMERAS``)."""
        return cls(config.K, np.asarray(config.position), np.asarray(config.rotation), config.name)


@dataclass(frozen=True)
class CameraFrame:
    """One camera's images with its calibration: colour (H, W, 3) uint8, depth (H, W) metres.

    Depth is the distance along the optical axis (z in the camera frame), as RealSense reports it once
    scaled to metres; invalid pixels should be 0 or NaN (they are dropped).
    """

    calibration: CameraCalibration
    color: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float metres


def _checked_images(frame: CameraFrame) -> tuple[np.ndarray, np.ndarray]:
    color = np.asarray(frame.color)
    depth = np.asarray(frame.depth)
    name = frame.calibration.name
    if color.ndim != 3 or color.shape[-1] < 3:
        raise RealCameraError(f"camera {name!r}: color must be (H, W, 3), got shape {color.shape}")
    if color.dtype != np.uint8:
        raise RealCameraError(f"camera {name!r}: color must be uint8 0..255, got {color.dtype}")
    if depth.shape != color.shape[:2]:
        raise RealCameraError(
            f"camera {name!r}: depth shape {depth.shape} does not match color shape {color.shape[:2]}"
        )
    if not np.issubdtype(depth.dtype, np.floating):
        raise RealCameraError(
            f"camera {name!r}: depth must be float metres, got {depth.dtype} (scale raw units first)"
        )
    return color[..., :3], depth


def fuse_cameras(
    frames: Sequence[CameraFrame],
    bounds: np.ndarray = INPUT_BOUNDS,
    pixel_size: float = PIXEL_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Any number of calibrated cameras -> (color (320, 160, 3) uint8, height (320, 160) float32).

    The same reconstruction and fusion as the simulator's observation (highest point per cell, colour
    mean over the cameras that see a cell); cells no camera sees stay black / 0.
    """
    if len(frames) == 0:
        raise RealCameraError("fuse_cameras needs at least one CameraFrame")
    cmaps, hmaps = [], []
    for frame in frames:
        color, depth = _checked_images(frame)
        cal = frame.calibration
        try:
            hmap, cmap = reconstruct(
                color, depth, cal.intrinsics, cal.position, cal.rotation, bounds, pixel_size
            )
        except HeightmapError as exc:
            raise RealCameraError(f"camera {cal.name!r}: {exc}") from exc
        cmaps.append(cmap)
        hmaps.append(hmap)
    return fuse_maps(cmaps, hmaps)


def network_input_from_cameras(
    frames: Sequence[CameraFrame],
    bounds: np.ndarray = INPUT_BOUNDS,
    pixel_size: float = PIXEL_SIZE,
) -> np.ndarray:
    """Calibrated cameras -> the agent's (320, 160, 6) float32 input: RGB 0..255, then height x3."""
    return network_input(*fuse_cameras(frames, bounds, pixel_size))


class ActingPolicy(Protocol):
    """What plan_pick_place needs of a policy (``cliport.agents.Policy`` is one)."""

    def act(self, obs: Any, instruction: str | None = None) -> Action: ...


@dataclass
class PickPlacePlan:
    """A policy's answer for one scene: pick and place poses in the world frame, plus what it saw."""

    pick: Pose
    place: Pose
    image: np.ndarray  # (320, 160, 6) float32: the fused input the policy saw
    extras: dict = field(default_factory=dict)  # decoding details (pixels, angles, confidences)


def plan_pick_place(
    policy: ActingPolicy,
    frames: Sequence[CameraFrame],
    instruction: str,
) -> PickPlacePlan:
    """Fuse the cameras, run ``policy.act(image, instruction)``, return the pick and place poses.

    The poses are (position (x, y, z) metres, quaternion xyzw) in the frame of the camera extrinsics;
    the place rotation carries the predicted yaw. Send them to the robot as a pick-and-place primitive.
    """
    image = network_input_from_cameras(frames)  # (320, 160, 6) over INPUT_BOUNDS, as the agents decode
    action = policy.act(image, instruction)
    return PickPlacePlan(action.pose0, action.pose1, image, dict(action.extras))
