"""packing-shapes: put the named kitting shape into the brown box (tasks.md §5.2).

Five distinct shapes (train shapes in train, test shapes in val/test) in shuffled split colours lie
next to a small container. One zone goal for object 0 only: its single "box point" (the mesh-scale
quirk of tasks.md §1.5, roughly its bottom centre) must be inside the container. One step allowed.
Randomised: shapes, colours, container size and pose, object poses.
"""

from __future__ import annotations

import numpy as np

from cliport.env.task_api import Scene
from cliport.tasks import catalogue as cat
from cliport.tasks.base import Goal, GoalObject, Task, Zone
from cliport.tasks.kitting import N_OBJECTS, OBJECT_SCALE, OBJECT_SIZE, add_kit_shape
from cliport.tasks.placing import add_container, random_size, sample_pose
from cliport.tasks.registry import register_task


class PackingShapes(Task):
    """packing-shapes: one of five shapes into the container."""

    max_steps = 1
    completed = "done packing shapes."
    template = "pack the {obj} in the brown box"

    def draw(self, rng: np.random.Generator) -> tuple[list[int], list[str]]:
        """Five distinct shapes of the mode and the split colours shuffled (seen in train, eval else)."""
        shapes = [int(s) for s in rng.choice(cat.shapes_for(self.mode), N_OBJECTS, replace=False)]
        colors = list(cat.colors_for("unseen", self.mode))
        rng.shuffle(colors)
        return shapes, colors

    def build(self, scene: Scene) -> None:
        shapes, colors = self.draw(scene.rng)
        zone_size = random_size(scene.rng, (0.1, 0.1, 0.05), (0.15, 0.15, 0.05))
        zone_pose = add_container(self, scene, zone_size)
        objects = []
        for shape, color in zip(shapes, colors[:N_OBJECTS], strict=True):
            pose = sample_pose(self, scene, OBJECT_SIZE)
            body = add_kit_shape(self, scene, shape, pose, OBJECT_SCALE, cat.color(color).rgb)
            objects.append(GoalObject(body, 0.0))
        target = objects[0]
        zone = Zone({target.body_id: self.box_points(scene, target.body_id)}, zone_pose,
                    tuple(float(s) for s in zone_size))  # fmt: skip
        self.goals.append(
            Goal([target], np.ones((1, 1)), [zone_pose], replace=False, rotations=True, metric="zone",
                 max_reward=1.0, zone=zone)
        )  # fmt: skip
        self.lang_goals.append(self.template.format(obj=cat.KIT_SHAPES[shapes[0]].name))


register_task("packing-shapes", kind="language", split=None, max_steps=1)(PackingShapes)
