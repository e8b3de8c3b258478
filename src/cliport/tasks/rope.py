"""Rope tasks: arrange a 20-bead rope along a line of a square outline (tasks.md §5.1, §5.2).

* manipulating-rope: the rope must lie along the open (+y) side of a 3-sided square, either way round.
* align-rope: the rope must lie along one of four segments between the square's corners, named in the
  instruction "align the rope from {direction}" (phrases reproduced verbatim, see tasks.md §7).
Each bead must be within 2 cm (x-y) of its target point; the pick-place primitive moves low and slowly
(height 0.02, speed 0.001). Randomised: square pose, rope start, (align-rope) the segment.
The rope is built from beads joined by point-to-point constraints (env.md §14.5) through scene.client.
"""

from __future__ import annotations

import numpy as np

from cliport.env.task_api import Scene
from cliport.geometry import Transform
from cliport.tasks import catalogue as cat
from cliport.tasks.base import Goal, GoalObject, Task
from cliport.tasks.placing import sample_pose
from cliport.tasks.registry import register_task

N_BEADS = 20
BEAD_RADIUS = 0.005
ROPE_LENGTH = 2 * BEAD_RADIUS * N_BEADS * np.sqrt(2)  # 0.28284
BEAD_SPACING = ROPE_LENGTH / N_BEADS
SETTLE_STEPS = 480
_IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])


def build_rope(scene: Scene, start: np.ndarray) -> list[int]:
    """A vertical column of beads above ``start`` joined by point-to-point constraints (then it falls).

    Beads are registered as rigid objects; the two end beads stay white, the inner ones are red.
    """
    client = scene.client
    collision = client.createCollisionShape(client.GEOM_BOX, halfExtents=[BEAD_RADIUS] * 3)
    visual = client.createVisualShape(client.GEOM_SPHERE, radius=BEAD_RADIUS * 1.5)
    position = np.array(start, dtype=np.float64)
    beads: list[int] = []
    for k in range(N_BEADS):
        position[2] += BEAD_SPACING
        bead = client.createMultiBody(0.1, collision, visual, basePosition=position.tolist())
        if beads:
            joint = client.createConstraint(
                parentBodyUniqueId=beads[-1], parentLinkIndex=-1, childBodyUniqueId=bead,
                childLinkIndex=-1, jointType=client.JOINT_POINT2POINT, jointAxis=(0, 0, 0),
                parentFramePosition=(0, 0, BEAD_SPACING), childFramePosition=(0, 0, 0),
            )  # fmt: skip
            client.changeConstraint(joint, maxForce=100)
        if 0 < k < N_BEADS - 1:
            client.changeVisualShape(bead, -1, rgbaColor=list(cat.color_rgba("red")))
        scene.obj_ids.setdefault("rigid", []).append(bead)
        beads.append(bead)
    return beads


def segment_targets(corner_a: np.ndarray, corner_b: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """N_BEADS points at the centres of N_BEADS equal parts of the segment a -> b, identity rotation."""
    delta = (np.asarray(corner_b, float) - np.asarray(corner_a, float)) / N_BEADS
    return [(np.asarray(corner_a, float) + k * delta + delta / 2, _IDENTITY.copy()) for k in range(N_BEADS)]


class ManipulatingRope(Task):
    """manipulating-rope: close the square's open side with the rope."""

    max_steps = 20
    pos_eps = 0.02
    primitive_params = {"height": 0.02, "speed": 0.001}  # noqa: RUF012
    completed = "done manipulating the rope."
    instruction = "manipulate the rope to complete the square"

    def add_square(self, scene: Scene) -> Transform:
        """The 3-sided square outline (visual only, fixed) at a random pose; returns its frame."""
        pose = sample_pose(self, scene, (ROPE_LENGTH, ROPE_LENGTH, 0.0))
        replacements = {"DIM": (ROPE_LENGTH,), "HALF": (ROPE_LENGTH / 2 - 0.005,)}
        self.add_template(scene, "square/square-template.urdf", replacements, pose, "fixed")
        return Transform.from_pose(*pose)

    def choose_segment(self, scene: Scene, square: Transform) -> tuple[np.ndarray, np.ndarray]:
        half = ROPE_LENGTH / 2
        return square.apply(np.array([half, half, 0.001])), square.apply(np.array([-half, half, 0.001]))

    def add_rope_goal(self, scene: Scene, corner_a: np.ndarray, corner_b: np.ndarray) -> None:
        start = sample_pose(self, scene, (0.1, 0.1, 0.1))[0]
        beads = build_rope(scene, start)
        matches = np.clip(np.eye(N_BEADS) + np.eye(N_BEADS)[::-1], 0, 1)
        self.goals.append(
            Goal([GoalObject(b, 0.0) for b in beads], matches, segment_targets(corner_a, corner_b),
                 replace=False, rotations=False, metric="pose", max_reward=1.0)
        )  # fmt: skip
        for _ in range(SETTLE_STEPS):
            scene.client.stepSimulation()

    def build(self, scene: Scene) -> None:
        square = self.add_square(scene)
        corner_a, corner_b = self.choose_segment(scene, square)
        self.add_rope_goal(scene, corner_a, corner_b)
        self.lang_goals.append(self.instruction)


#: align-rope segments: (from corner, to corner, direction phrase); corners c0..c3 of tasks.md §5.2.
ALIGNMENTS: tuple[tuple[int, int, str], ...] = (
    (0, 1, "front left tip to front right tip"),
    (0, 2, "front right tip to back right corner"),
    (1, 3, "front left tip to back left corner"),
    (3, 2, "back right corner to back left corner"),
)


class AlignRope(ManipulatingRope):
    """align-rope: the rope along one of four named corner-to-corner segments."""

    completed = "done aligning the rope."
    template = "align the rope from {direction}"
    direction = ""  # the phrase of the segment chosen at reset

    def choose_segment(self, scene: Scene, square: Transform) -> tuple[np.ndarray, np.ndarray]:
        h = ROPE_LENGTH / 2
        corners = [square.apply(np.array([x, y, 0.001])) for x, y in ((h, h), (-h, h), (h, -h), (-h, -h))]
        a, b, direction = ALIGNMENTS[int(scene.rng.integers(len(ALIGNMENTS)))]
        self.direction = direction
        return corners[a], corners[b]

    def build(self, scene: Scene) -> None:
        square = self.add_square(scene)
        corner_a, corner_b = self.choose_segment(scene, square)
        self.add_rope_goal(scene, corner_a, corner_b)
        self.lang_goals.append(self.template.format(direction=self.direction))


register_task("manipulating-rope", kind="demo", max_steps=20)(ManipulatingRope)
register_task("align-rope", kind="language", split=None, max_steps=20)(AlignRope)
