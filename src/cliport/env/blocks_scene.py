"""A built-in scene ("a few blocks", suction, pick-and-place) so the simulator is usable without tasks.

It implements :class:`~cliport.env.task_api.SceneTask` with the smallest behaviour that exercises the
environment: blocks placed at free random poses drawn from the scene's RNG, no goals, reward 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cliport.env.task_api import Scene
from cliport.geometry import yaw_quat

BLOCK_URDF = "builtin/block.urdf"
BLOCK_SIZE = 0.04


@dataclass
class BlocksScene:
    """``n_blocks`` 4 cm blocks at random non-overlapping poses (or at fixed ``positions``)."""

    n_blocks: int = 3
    #: Optional fixed (x, y, yaw) per block; when None, poses are drawn from the scene's RNG.
    positions: list[tuple[float, float, float]] | None = None
    ee_type: str = "suction"
    primitive: str = "pick_place"
    primitive_params: dict[str, float] = field(default_factory=dict)
    max_steps: int = 10
    mode: str = "train"
    name: str = "builtin-blocks"
    block_urdf: str = BLOCK_URDF
    block_size: float = BLOCK_SIZE
    block_ids: list[int] = field(default_factory=list)

    def sample_positions(self, rng: np.random.Generator) -> list[tuple[float, float, float]]:
        """Block centres in x [0.35, 0.65], y [-0.35, 0.35], at least 8 cm apart; yaw in [0, 2pi)."""
        chosen: list[tuple[float, float, float]] = []
        while len(chosen) < self.n_blocks:
            x, y = rng.uniform(0.35, 0.65), rng.uniform(-0.35, 0.35)
            if all(np.hypot(x - cx, y - cy) > 0.08 for cx, cy, _ in chosen):
                chosen.append((float(x), float(y), float(rng.uniform(0, 2 * np.pi))))
        return chosen

    def reset(self, scene: Scene) -> None:
        poses = self.positions if self.positions is not None else self.sample_positions(scene.rng)
        self.block_ids = [
            scene.add_object(self.block_urdf, ((x, y, self.block_size / 2), yaw_quat(yaw)), "rigid")
            for x, y, yaw in poses
        ]

    def reward(self, scene: Scene) -> tuple[float, dict]:
        return 0.0, {}

    def done(self) -> bool:
        return False

    def lang_goal(self) -> str:
        return "move the blocks"
