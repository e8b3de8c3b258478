"""Block insertion: put the L block into the L fixture (block-insertion and its four variants).

What: one L-shaped block and one L-shaped fixture (tasks.md §5). Randomised: both poses; the
variants fix the yaw to π/2 (-translation), also fix the block (-easy), lift and tilt the fixture
in six degrees of freedom (-sixdof, 2 cm tolerance) or omit the fixture body (-nofixture).
Success: block within 1 cm (x-y) and 15° (no symmetry) of the target pose. Max steps 3.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cliport.env.task_api import Scene
from cliport.geometry import eulerXYZ_to_quat
from cliport.tasks.base import Goal, GoalObject, PoseTuple, Task
from cliport.tasks.registry import register_task

BLOCK_URDF = "insertion/ell.urdf"
FIXTURE_URDF = "insertion/fixture.urdf"
SIZE = (0.1, 0.1, 0.04)


@register_task("block-insertion", kind="demo", max_steps=3)
class BlockInsertion(Task):
    max_steps = 3
    completed = "done with insertion."

    def build(self, scene: Scene) -> None:
        block_id = self.add_block(scene)
        target = self.add_fixture(scene)
        self.goals.append(
            Goal([GoalObject(block_id, 2 * np.pi)], np.ones((1, 1)), [target], replace=False, rotations=True,
                 metric="pose", max_reward=1.0)
        )  # fmt: skip
        self.lang_goals.append("put the L shape block in the L shape hole")

    def sample_pose(self, scene: Scene, size: Sequence[float]) -> PoseTuple:
        pose, _ = self.random_pose(scene, size)
        assert pose is not None, "an empty table always has room for the block"
        return pose

    def add_block(self, scene: Scene) -> int:
        return scene.add_object(BLOCK_URDF, self.sample_pose(scene, SIZE), "rigid")

    def add_fixture(self, scene: Scene) -> PoseTuple:
        pose = self.sample_pose(scene, SIZE)
        scene.add_object(FIXTURE_URDF, pose, "fixed")
        return pose


@register_task("block-insertion-translation", kind="demo", max_steps=3)
class BlockInsertionTranslation(BlockInsertion):
    """Every sampled pose gets yaw π/2 (the yaw draw still happens, as in the original)."""

    def sample_pose(self, scene: Scene, size: Sequence[float]) -> PoseTuple:
        pos, _ = super().sample_pose(scene, size)
        return pos, eulerXYZ_to_quat((0.0, 0.0, np.pi / 2))


@register_task("block-insertion-easy", kind="demo", max_steps=3)
class BlockInsertionEasy(BlockInsertionTranslation):
    """The block always starts at (0.5, 0, 0.02) with yaw π/2."""

    def add_block(self, scene: Scene) -> int:
        pose = (np.array([0.5, 0.0, 0.02]), eulerXYZ_to_quat((0.0, 0.0, np.pi / 2)))
        return scene.add_object(BLOCK_URDF, pose, "rigid")


@register_task("block-insertion-sixdof", kind="demo", max_steps=3)
class BlockInsertionSixDof(BlockInsertion):
    """The fixture floats 3-13 cm up with roll and pitch in ±π/4; six-DoF oracle; 2 cm tolerance."""

    sixdof = True
    pos_eps = 0.02

    def add_fixture(self, scene: Scene) -> PoseTuple:
        pos, _ = self.sample_pose(scene, SIZE)
        rng = scene.rng
        z = float(rng.random()) / 10 + 0.03
        pos = np.array([pos[0], pos[1], SIZE[2] / 2 + z])
        roll = (float(rng.random()) - 0.5) * np.pi / 2
        pitch = (float(rng.random()) - 0.5) * np.pi / 2
        yaw = float(rng.random()) * 2 * np.pi
        pose = (pos, eulerXYZ_to_quat((roll, pitch, yaw)))
        scene.add_object(FIXTURE_URDF, pose, "fixed")
        return pose


@register_task("block-insertion-nofixture", kind="demo", max_steps=3)
class BlockInsertionNoFixture(BlockInsertion):
    """A target pose is sampled but no fixture body is loaded."""

    def add_fixture(self, scene: Scene) -> PoseTuple:
        return self.sample_pose(scene, SIZE)
