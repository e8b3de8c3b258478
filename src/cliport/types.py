"""The small records that cross package boundaries: poses, actions, training samples, episode metadata.

Typed dataclasses rather than the positional tuples of the original, so that a field is read by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Pose:
    """A rigid pose: position (x, y, z) in metres and quaternion (x, y, z, w), PyBullet order."""

    position: np.ndarray
    rotation: np.ndarray

    def __post_init__(self) -> None:
        self.position = np.asarray(self.position, dtype=np.float64).reshape(3)
        self.rotation = np.asarray(self.rotation, dtype=np.float64).reshape(4)

    def as_tuple(self) -> tuple[np.ndarray, np.ndarray]:
        return (self.position, self.rotation)

    @classmethod
    def identity(cls, position=(0.0, 0.0, 0.0)) -> Pose:
        return cls(np.asarray(position), np.array([0.0, 0.0, 0.0, 1.0]))


@dataclass
class Action:
    """A two-pose action: pick (or push start) ``pose0`` and place (or push end) ``pose1``."""

    pose0: Pose
    pose1: Pose
    #: Optional decoding details for logging (pixels, angles, heatmap maxima).
    extras: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The original's action dictionary {"pose0": (pos, quat), "pose1": (pos, quat)}."""
        return {"pose0": self.pose0.as_tuple(), "pose1": self.pose1.as_tuple()}


@dataclass
class Sample:
    """One training sample (data_train_eval.md §3): a fused input and the pick/place labels."""

    image: np.ndarray  # (320, 160, 6) float32: RGB 0..255 + height x3
    p0: tuple[int, int]  # pick pixel (row, col)
    p0_theta: float  # pick angle (rad)
    p1: tuple[int, int]  # place pixel (row, col)
    p1_theta: float  # place angle (rad)
    instruction: str = ""
    goal_image: np.ndarray | None = None  # (320, 160, 6) for image-goal agents
    task: str = ""


@dataclass
class EpisodeMeta:
    """What identifies a stored episode: where it came from and how it went."""

    task: str
    mode: str
    seed: int
    length: int
    total_reward: float
    format_version: int = 1
