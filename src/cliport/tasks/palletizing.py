"""palletizing-boxes: stack 18 boxes, delivered one at a time, on a pallet (tasks.md §5).

What: a 2x3x3 stack of brown boxes (layers alternate 3x2 / 2x3) is built on the pallet, then taken
apart top-down ("time-reversed de-palletizing") to fix the order in which boxes are handed to the
robot; each box appears in the pick area once it is empty. Randomised: box shades, the removal order
within a layer, the spawn yaw. Success: zone metric, fraction of box points over the pallet zone.
Max steps 30.

Speed-up (documented in docs/fidelity.md): the original renders the oracle view once per removed
box and picks a random pixel higher than (max height - 3 cm). The layers are 6.7 cm apart and the
boxes of a layer have equal footprints, so that is a draw among the remaining boxes of the highest
remaining layer; we draw it directly (uniformly) from the layer without rendering.
"""

from __future__ import annotations

import numpy as np

from cliport.env.task_api import Scene
from cliport.geometry import eulerXYZ_to_quat, multiply_poses
from cliport.tasks import catalogue
from cliport.tasks.base import Goal, GoalObject, Task, Zone
from cliport.tasks.registry import register_task

PALLET_URDF = "pallet/pallet.urdf"
BOX_TEMPLATE = "box/box-template.urdf"
PALLET_POSE = (np.array([0.5, 0.25, 0.02]), np.array([0.0, 0.0, 0.0, 1.0]))
ZONE_SIZE = (0.3, 0.25, 0.25)
STACK_SIZE = np.array([0.19, 0.19, 0.19])
STACK_DIM = (2, 3, 3)
MARGIN = 0.01
SPAWN_POSITION = np.array([0.5, -0.25, 0.1])
SETTLE_STEPS = 480


def stack_layout() -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(layer, box size, centre in the pallet frame) of the 18 boxes in creation order."""
    dim = np.array(STACK_DIM)
    size = (STACK_SIZE - (dim - 1) * MARGIN) / dim
    layout = []
    for z in range(dim[2]):
        dim[0], dim[1] = dim[1], dim[0]  # transpose every layer
        size[0], size[1] = size[1], size[0]
        for y in range(dim[1]):
            for x in range(dim[0]):
                centre = (np.array([x, y, z]) + 0.5) * size
                centre += np.array([x * MARGIN - STACK_SIZE[0] / 2, y * MARGIN - STACK_SIZE[1] / 2,
                                    z * MARGIN + 0.03])  # fmt: skip
                layout.append((z, size.copy(), centre))
    return layout


@register_task("palletizing-boxes", kind="demo", max_steps=30)
class PalletizingBoxes(Task):
    max_steps = 30
    completed = "done stacking boxes."

    def build(self, scene: Scene) -> None:
        scene.add_object(PALLET_URDF, PALLET_POSE, "fixed")
        objects, targets, points, layers = [], [], {}, []
        for layer, size, centre in stack_layout():
            pose = multiply_poses(PALLET_POSE, (centre, np.array([0.0, 0.0, 0.0, 1.0])))
            box_id = self.add_template(scene, BOX_TEMPLATE, {"DIM": tuple(size)}, pose, "rigid")
            self.set_color(scene, box_id, catalogue.random_brown_rgba(scene.rng))
            objects.append(GoalObject(box_id, 0.0))
            targets.append(pose)
            points[box_id] = self.box_points(scene, box_id)
            layers.append(layer)

        # Time-reversed de-palletizing: remove boxes top layer first, random order within a layer.
        remaining = list(range(len(objects)))
        removal = []
        while remaining:
            top = max(layers[i] for i in remaining)
            candidates = [i for i in remaining if layers[i] == top]
            i = candidates[int(scene.rng.integers(len(candidates)))]
            remaining.remove(i)
            removal.append(objects[i].body_id)
            pos, quat = targets[i]
            away = pos + np.array([0.0, -10.0, 0.0])
            scene.client.resetBasePositionAndOrientation(objects[i].body_id, away, quat)
        self.spawn_order = removal[::-1]

        zone = Zone(points, PALLET_POSE, ZONE_SIZE)
        n = len(objects)
        self.goals.append(
            Goal(objects, np.eye(n), targets, replace=False, rotations=True, metric="zone",
                 max_reward=1.0, zone=zone)
        )  # fmt: skip
        self.lang_goals.append("stack all the boxes on the pallet")
        self.spawn_box(scene)

    def after_reward(self, scene: Scene) -> None:
        self.spawn_box(scene)

    def spawn_box(self, scene: Scene) -> None:
        """Hand the next box to the robot when no goal box lies in the pick area (y in [-0.5, 0])."""
        if not self.goals:
            return
        if not self.spawn_order:
            self.goals.clear()  # every box was delivered: the episode ends here
            return
        client = scene.client
        empty = all(
            not (-0.5 <= client.getBasePositionAndOrientation(o.body_id)[0][1] <= 0.0)
            for o in self.goals[0].objects
        )
        if empty:
            body = self.spawn_order.pop(0)
            theta = float(scene.rng.random()) * 2 * np.pi
            client.resetBasePositionAndOrientation(body, SPAWN_POSITION, eulerXYZ_to_quat((0.0, 0.0, theta)))
        step = getattr(scene, "step_simulation", client.stepSimulation)  # the env counts its steps
        for _ in range(SETTLE_STEPS):
            step()
