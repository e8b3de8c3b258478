"""Pile tasks: push 50 small blocks into a square zone with the spatula (tasks.md §5.1, §5.2).

* sweeping-piles: one green zone; all blocks (red) into it.
* separating-piles-{seen-colors,unseen-colors,full}: two zones of different colours; the blocks (a
  third colour) go into the one named in "push the pile of {block} blocks into the {square} square".
Zone metric (each block is a single point, tasks.md §1.5); replace is true so the oracle keeps
pushing the block farthest from the zone. Randomised: zone poses, block positions and yaws, colours,
(separating) the target zone.
"""

from __future__ import annotations

import numpy as np

from cliport.env.task_api import Scene
from cliport.geometry import eulerXYZ_to_quat
from cliport.tasks import catalogue as cat
from cliport.tasks.base import Goal, GoalObject, PoseTuple, Task, Zone
from cliport.tasks.placing import sample_pose
from cliport.tasks.registry import register_task

N_BLOCKS = 50
MARKER_SIZE = (0.12, 0.12, 0.0)


def add_pile(task: Task, scene: Scene, rgba: tuple[float, ...] | None = None) -> list[int]:
    """50 small blocks at x in 0.40 + U[0, 0.2], y in -0.10 + U[0, 0.2], z 0.01, random yaw."""
    rng, bounds = scene.rng, task.bounds
    blocks = []
    for _ in range(N_BLOCKS):
        x = bounds[0, 0] + 0.15 + float(rng.random()) * 0.2
        y = bounds[1, 0] + 0.4 + float(rng.random()) * 0.2
        quat = eulerXYZ_to_quat((0.0, 0.0, float(rng.random()) * 2 * np.pi))
        body = scene.add_object("block/small.urdf", (np.array([x, y, 0.01]), quat), "rigid")
        if rgba is not None:
            task.set_color(scene, body, rgba)
        blocks.append(body)
    return blocks


class SweepingPiles(Task):
    """sweeping-piles: push the whole pile into the green square."""

    ee_type = "spatula"
    primitive = "push"
    primitive_params: dict[str, float] = {}  # noqa: RUF012
    max_steps = 20
    completed = "done sweeping."
    instruction = "push the pile of blocks into the green square"
    zone_size = (0.12, 0.12, 0.0)

    def pile_goal(self, scene: Scene, blocks: list[int], zone_pose: PoseTuple) -> Goal:
        zone = Zone({b: self.box_points(scene, b) for b in blocks}, zone_pose, self.zone_size)
        return Goal([GoalObject(b, 0.0) for b in blocks], np.ones((len(blocks), 1)), [zone_pose],
                    replace=True, rotations=False, metric="zone", max_reward=1.0, zone=zone)  # fmt: skip

    def build(self, scene: Scene) -> None:
        zone_pose = sample_pose(self, scene, MARKER_SIZE)
        scene.add_object("zone/zone.urdf", zone_pose, "fixed")
        blocks = add_pile(self, scene)
        self.goals.append(self.pile_goal(scene, blocks, zone_pose))
        self.lang_goals.append(self.instruction)


class SeparatingPiles(SweepingPiles):
    """separating-piles-*: two coloured squares; the pile goes into the named one."""

    completed = "done separating pile."
    template = "push the pile of {block_color} blocks into the {square_color} square"
    zone_size = (0.15, 0.15, 0.0)
    min_zone_distance = 0.2

    def __init__(self, name: str, mode: str = "train", variant: cat.ColorVariant = "seen", **kw: object):
        super().__init__(name, mode)
        self.variant = variant

    def draw_colors(self, rng: np.random.Generator) -> tuple[str, str, str]:
        """Three distinct colour names of the split: zone 1, zone 2, blocks."""
        names = cat.colors_for(self.variant, self.mode)
        a, b, c = (names[int(i)] for i in rng.choice(len(names), 3, replace=False))
        return a, b, c

    def build(self, scene: Scene) -> None:
        zone_colors = self.draw_colors(scene.rng)
        block_color = zone_colors[2]
        first = sample_pose(self, scene, self.zone_size)
        second = sample_pose(self, scene, self.zone_size)
        while np.linalg.norm(np.asarray(first[0]) - np.asarray(second[0])) < self.min_zone_distance:
            second = sample_pose(self, scene, self.zone_size)
        zones = [first, second]
        for pose, color in zip(zones, zone_colors[:2], strict=True):
            body = scene.add_object("zone/zone.urdf", pose, "fixed")
            self.set_color(scene, body, cat.color_rgba(color))
        target = int(scene.rng.integers(2))
        blocks = add_pile(self, scene, cat.color_rgba(block_color))
        self.goals.append(self.pile_goal(scene, blocks, zones[target]))
        instruction = self.template.format(block_color=block_color, square_color=zone_colors[target])
        self.lang_goals.append(instruction)


register_task("sweeping-piles", kind="demo", ee="spatula", primitive="push", max_steps=20)(SweepingPiles)
for _variant in ("seen", "unseen", "full"):
    register_task(
        f"separating-piles-{_variant}-colors" if _variant != "full" else "separating-piles-full",
        kind="language", split=_variant, ee="spatula", primitive="push", max_steps=20, variant=_variant,
    )(SeparatingPiles)  # fmt: skip
