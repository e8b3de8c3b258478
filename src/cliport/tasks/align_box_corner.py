"""align-box-corner: push a random brown box into a green L corner marker (tasks.md §5).

What: one box of random size and a visual-only corner marker drawn for that size. Randomised: the
box size and shade, the corner and box poses. Success: the box within 1 cm (x-y) and 15° of any of
the four poses that put one of its corners into the marker. Max steps 3.
"""

from __future__ import annotations

import numpy as np

from cliport.env.task_api import Scene
from cliport.geometry import eulerXYZ_to_quat, multiply_poses, quat_to_eulerXYZ
from cliport.tasks import catalogue
from cliport.tasks.base import Goal, GoalObject, Task
from cliport.tasks.registry import register_task

CORNER_TEMPLATE = "corner/corner-template.urdf"
BOX_TEMPLATE = "box/box-template.urdf"


@register_task("align-box-corner", kind="demo", max_steps=3)
class AlignBoxCorner(Task):
    max_steps = 3
    completed = "done with alignment"

    def build(self, scene: Scene) -> None:
        rng = scene.rng
        bx, by, bz = (float(rng.uniform(lo, hi)) for lo, hi in ((0.05, 0.15), (0.05, 0.15), (0.01, 0.06)))
        dim_x = (bx / 2 - 0.025 + 0.0025, bx / 2 + 0.0025)
        dim_y = (by / 2 + 0.0025, by / 2 - 0.025 + 0.0025)
        corner_pose, _ = self.random_pose(scene, (bx, by, 0.0))
        assert corner_pose is not None, "an empty table always has room for the corner"
        self.add_template(scene, CORNER_TEMPLATE, {"DIMX": dim_x, "DIMY": dim_y}, corner_pose, "fixed")

        yaw = quat_to_eulerXYZ(corner_pose[1])[2]
        flipped = (corner_pose[0], eulerXYZ_to_quat((0.0, 0.0, yaw + np.pi)))
        offset = np.array([bx / 2 - by / 2, by / 2 - bx / 2, 0.0])
        alt0 = multiply_poses(corner_pose, (offset, eulerXYZ_to_quat((0.0, 0.0, np.pi / 2))))
        alt1 = multiply_poses(corner_pose, (offset, eulerXYZ_to_quat((0.0, 0.0, 3 * np.pi / 2))))

        box_pose, _ = self.random_pose(scene, (bx, by, bz))
        box_id = self.add_template(scene, BOX_TEMPLATE, {"DIM": (bx, by, bz)}, box_pose, "rigid")
        self.set_color(scene, box_id, catalogue.random_brown_rgba(rng))
        self.goals.append(
            Goal([GoalObject(box_id, 2 * np.pi)], np.ones((1, 4)), [corner_pose, flipped, alt0, alt1],
                 replace=False, rotations=True, metric="pose", max_reward=1.0)
        )  # fmt: skip
        self.lang_goals.append("align the brown box with the green corner")
