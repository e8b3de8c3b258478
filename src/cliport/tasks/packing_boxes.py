"""Box packing: put boxes that exactly fill a brown container back into it (tasks.md §5.1, §5.2).

* packing-boxes: a container of random size; its interior is K-D split into boxes (random non-brown
  colours) which are then scattered on the table. One zone goal: the fraction of every box's grid
  points inside the container (z below 0.08); the oracle puts each box back at its packed pose.
* packing-boxes-pairs-{seen-colors,unseen-colors,full}: boxes coloured with one or two colours of
  the split, four distractor boxes in other colours, zone z bound 0.0525 (no stacking), instruction
  "pack all the {colors} blocks into the brown box".
Randomised: container size and pose, the split, colours, the scattered poses, distractors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cliport.env.task_api import Scene
from cliport.tasks import catalogue as cat
from cliport.tasks.base import Goal, GoalObject, PoseTuple, Task, Zone, body_pose
from cliport.tasks.kdsplit import container_leaves, leaf_pose, leaf_size
from cliport.tasks.placing import add_box, add_container, random_size, sample_pose
from cliport.tasks.registry import register_task

MIN_BOX_DIM = 0.05
N_DISTRACTORS = 4


@dataclass
class PackedScene:
    """A container and the boxes that fill it, scattered: goal objects, their packed poses, the split."""

    objects: list[GoalObject]
    packed: list[PoseTuple]
    zone_pose: PoseTuple
    zone_size: np.ndarray
    leaves: list[np.ndarray]


class PackingBoxes(Task):
    """packing-boxes: every box of the split back into the container."""

    max_steps = 20
    completed = "done packing boxes."
    instruction = "pack all the boxes inside the brown box"
    zone_z_max = 0.08

    def __init__(self, name: str, mode: str = "train", **kw: object) -> None:
        super().__init__(name, mode)
        self.zone_bounds[2, 1] = self.zone_z_max

    def box_colors(self, rng: np.random.Generator, n_boxes: int) -> list[str]:
        names = [c for c in cat.COLOR_NAMES if c != "brown"]
        return [names[int(rng.integers(len(names)))] for _ in range(n_boxes)]

    def pack(self, scene: Scene) -> PackedScene:
        """Container + the boxes of its K-D split, each then moved to a random pose on the table."""
        rng = scene.rng
        zone_size = random_size(rng, (0.05, 0.05, 0.05), (0.3, 0.3, 0.05))
        zone_pose = add_container(self, scene, zone_size)
        leaves = container_leaves(zone_size, MIN_BOX_DIM, rng)
        colors = self.box_colors(rng, len(leaves))
        objects = []
        for leaf, color in zip(leaves, colors, strict=True):
            body = add_box(self, scene, leaf_size(leaf), leaf_pose(leaf, zone_pose, zone_size),
                           cat.color(color).rgb)  # fmt: skip
            objects.append(GoalObject(body, 0.0))
        packed = []
        for obj, leaf in zip(objects, leaves, strict=True):
            packed.append(body_pose(scene, obj.body_id))
            pose = sample_pose(self, scene, leaf_size(leaf))
            scene.client.resetBasePositionAndOrientation(obj.body_id, pose[0], pose[1])
        return PackedScene(objects, packed, zone_pose, zone_size, leaves)

    def zone_goal(self, scene: Scene, packed: PackedScene) -> Goal:
        """All boxes -> the container zone (box points); oracle targets = the packed poses."""
        points = {o.body_id: self.box_points(scene, o.body_id) for o in packed.objects}
        zone = Zone(points, packed.zone_pose, tuple(float(s) for s in packed.zone_size))
        return Goal(packed.objects, np.eye(len(packed.objects)), packed.packed, replace=False, rotations=True,
                    metric="zone", max_reward=1.0, zone=zone)  # fmt: skip

    def build(self, scene: Scene) -> None:
        self.goals.append(self.zone_goal(scene, self.pack(scene)))
        self.lang_goals.append(self.instruction)


class PackingBoxesPairs(PackingBoxes):
    """packing-boxes-pairs-*: boxes of one or two named colours plus four distractor boxes."""

    completed = "done packing blocks."
    template = "pack all the {colors} blocks into the brown box"
    zone_z_max = 0.0525

    def __init__(self, name: str, mode: str = "train", variant: cat.ColorVariant = "seen", **kw: object):
        super().__init__(name, mode)
        self.variant = variant
        self.relevant: list[str] = []

    def box_colors(self, rng: np.random.Generator, n_boxes: int) -> list[str]:
        names = list(cat.colors_for(self.variant, self.mode))
        picks = rng.choice(len(names), min(2, n_boxes), replace=False)
        self.relevant = [names[int(i)] for i in picks]
        return [self.relevant[int(rng.integers(len(self.relevant)))] for _ in range(n_boxes)]

    def build(self, scene: Scene) -> None:
        packed = self.pack(scene)
        distractor_colors = [c for c in cat.colors_for(self.variant, self.mode) if c not in self.relevant]
        for k in scene.rng.choice(len(packed.leaves), N_DISTRACTORS):
            size = leaf_size(packed.leaves[int(k)])
            pose, ok = self.random_pose(scene, size)
            color = distractor_colors[int(scene.rng.integers(len(distractor_colors)))]
            if ok and pose is not None:
                add_box(self, scene, size, pose, cat.color(color).rgb)
        self.goals.append(self.zone_goal(scene, packed))
        colors = " and ".join(self.relevant[:2])
        self.lang_goals.append(self.template.format(colors=colors))


register_task("packing-boxes", kind="demo", max_steps=20)(PackingBoxes)
for _variant in ("seen", "unseen", "full"):
    register_task(
        f"packing-boxes-pairs-{_variant}-colors" if _variant != "full" else "packing-boxes-pairs-full",
        kind="language", split=_variant, max_steps=20, variant=_variant,
    )(PackingBoxesPairs)  # fmt: skip
