"""Kitting tasks: fit five shapes into the matching holes of a kit board (tasks.md §5.1, §5.2).

* assembling-kits: five shapes (drawn with replacement from the mode's shapes) lie around a kit
  with five holes of the same shapes, each hole at an independent random yaw. One goal step: every
  object may go to any hole of its shape, within 1 cm and 15° modulo the shape's symmetry.
* assembling-kits-easy: the same with 30° tolerance; train shapes are all but the square and the
  circle; val/test use one of those two for all five objects (homogeneous) and, as in the original,
  get an empty match matrix (see ``_matches``), so they cannot be solved.
* assembling-kits-seq-{seen-colors,unseen-colors,full}: coloured objects, five goal steps in random
  order, each "put the <colour> <shape> in the <loc><shape> hole" with a spatial word for repeated
  shapes; each object must go to its own hole.
Randomised: kit pose, shapes, hole yaws, object poses, (seq) colours and goal order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cliport.env.task_api import Category, Scene
from cliport.errors import CliportError
from cliport.geometry import Transform, eulerXYZ_to_quat
from cliport.tasks import catalogue as cat
from cliport.tasks.base import Goal, GoalObject, PoseTuple, Task
from cliport.tasks.placing import sample_pose
from cliport.tasks.registry import register_task

KIT_SIZE = (0.28, 0.2, 0.005)
#: Hole centres in the kit frame (metres).
HOLE_POSITIONS: tuple[tuple[float, float, float], ...] = (
    (-0.09, 0.045, 0.0014),
    (0.0, 0.045, 0.0014),
    (0.09, 0.045, 0.0014),
    (-0.045, -0.045, 0.0014),
    (0.045, -0.045, 0.0014),
)
OBJECT_SIZE = (0.08, 0.08, 0.02)
OBJECT_SCALE = (0.003, 0.003, 0.001)
HOLE_SCALE = (0.003, 0.003, 0.0001)
N_OBJECTS = 5
FIXED_COLORS = ("purple", "blue", "green", "yellow", "red")


def add_kit_shape(
    task: Task,
    scene: Scene,
    shape: int,
    pose: PoseTuple,
    scale: Sequence[float],
    rgb: Sequence[float],
    category: Category = "rigid",
) -> int:
    """Load kitting mesh ``shape`` (index 0-19) through the object template; return its body id."""
    mesh = str((scene.assets_root / cat.KIT_SHAPES[shape].mesh).resolve())
    replacements = {"FNAME": (mesh,), "SCALE": tuple(scale), "COLOR": tuple(rgb[:3])}
    body = task.add_template(scene, "kitting/object-template.urdf", replacements, pose, category)
    if body is None:
        raise CliportError(f"{task.name}: could not load kitting shape {shape:02d}")
    return body


def hole_descriptor(i: int, shapes: Sequence[int], positions: Sequence[np.ndarray]) -> str:
    """Spatial word (with trailing space) of hole i among holes of the same shape; "" if unique.

    x grows away from the robot ("top" = smaller x), y grows to the right (tasks.md §5.2).
    """
    others = [positions[j] for j in range(len(shapes)) if j != i and shapes[j] == shapes[i]]
    if not others:
        return ""
    p = positions[i]
    if all(p[0] < o[0] and abs(p[0] - o[0]) > abs(p[1] - o[1]) for o in others):
        return "top "
    if all(p[0] > o[0] and abs(p[0] - o[0]) > abs(p[1] - o[1]) for o in others):
        return "bottom "
    if all(p[1] < o[1] for o in others):
        return "left "
    if all(p[1] > o[1] for o in others):
        return "right "
    return "middle "


class AssemblingKits(Task):
    """assembling-kits(-easy): all five shapes into holes of their shape, one goal step."""

    max_steps = 10
    completed = "done assembling blocks."
    instruction = "put all the blocks inside the holes they fit in"

    def __init__(self, name: str, mode: str = "train", easy: bool = False, **kw: object) -> None:
        super().__init__(name, mode)
        self.easy = easy
        if easy:
            self.rot_eps = float(np.deg2rad(30))

    # ---------------------------------------------------------------- shared scene pieces
    def draw_shapes(self, rng: np.random.Generator) -> list[int]:
        """Five shape indices for this mode (with replacement; easy val/test: one shape five times)."""
        if self.easy:
            if self.mode == "train":
                return [int(s) for s in rng.choice(cat.EASY_TRAIN_SHAPES, N_OBJECTS)]
            return [int(rng.choice(cat.EASY_TEST_SHAPES))] * N_OBJECTS
        return [int(s) for s in rng.choice(self.shape_pool(), N_OBJECTS)]

    def shape_pool(self) -> tuple[int, ...]:
        return cat.shapes_for(self.mode)

    def build_kit(self, scene: Scene, shapes: Sequence[int]) -> list[PoseTuple]:
        """Kit board and the five hole silhouettes; returns the hole (target) poses in the world."""
        kit_pose = sample_pose(self, scene, KIT_SIZE)
        scene.add_object("kitting/kit.urdf", kit_pose, "fixed")
        kit = Transform.from_pose(*kit_pose)
        targets = []
        for i, shape in enumerate(shapes):
            pos = kit.apply(np.asarray(HOLE_POSITIONS[i]))
            rot = eulerXYZ_to_quat((0.0, 0.0, float(scene.rng.random()) * 2 * np.pi))
            add_kit_shape(self, scene, shape, (pos, rot), HOLE_SCALE, cat.HOLE_RGBA, "fixed")
            targets.append((pos, rot))
        return targets

    def add_objects(self, scene: Scene, shapes: Sequence[int], colors: Sequence[str]) -> list[GoalObject]:
        objects = []
        for shape, color in zip(shapes, colors, strict=True):
            pose = sample_pose(self, scene, OBJECT_SIZE)
            body = add_kit_shape(self, scene, shape, pose, OBJECT_SCALE, cat.color(color).rgb)
            objects.append(GoalObject(body, cat.KIT_SHAPES[shape].symmetry))
        return objects

    def _matches(self, shapes: Sequence[int]) -> np.ndarray:
        """matches[i, j] = 1 iff hole j has object i's shape.

        Quirk kept from the original: its homogeneous easy val/test shape list was a Python list, whose
        comparison with a shape yielded no matches at all, so those goals can never be satisfied.
        """
        n = len(shapes)
        if self.easy and self.mode != "train":
            return np.zeros((n, n), dtype=np.int64)
        arr = np.asarray(shapes)
        return (arr[:, None] == arr[None, :]).astype(np.int64)

    # ---------------------------------------------------------------- scene
    def build(self, scene: Scene) -> None:
        shapes = self.draw_shapes(scene.rng)
        targets = self.build_kit(scene, shapes)
        objects = self.add_objects(scene, shapes, FIXED_COLORS)
        self.goals.append(
            Goal(objects, self._matches(shapes), targets, replace=False, rotations=True, metric="pose",
                 max_reward=1.0)
        )  # fmt: skip
        self.lang_goals.append(self.instruction)


class AssemblingKitsSeq(AssemblingKits):
    """assembling-kits-seq-*: coloured shapes, one object per goal step, in random order."""

    max_steps = 5
    completed = "done assembling kit."
    template = "put the {color} {obj} in the {loc}{obj} hole"

    def __init__(self, name: str, mode: str = "train", variant: cat.ColorVariant = "seen", **kw: object):
        super().__init__(name, mode)
        self.variant = variant

    def shape_pool(self) -> tuple[int, ...]:
        return cat.ALL_SHAPES if self.variant == "full" else cat.shapes_for(self.mode)

    def draw_colors(self, rng: np.random.Generator) -> list[str]:
        """The split's colours shuffled (a copy: the original shuffled its module-level list)."""
        colors = list(cat.colors_for(self.variant, self.mode))
        rng.shuffle(colors)
        return colors[:N_OBJECTS]

    def build(self, scene: Scene) -> None:
        shapes = self.draw_shapes(scene.rng)
        colors = self.draw_colors(scene.rng)
        targets = self.build_kit(scene, shapes)
        hole_xyz = [t[0] for t in targets]
        locs = [hole_descriptor(i, shapes, hole_xyz) for i in range(N_OBJECTS)]
        objects = self.add_objects(scene, shapes, colors)
        order = scene.rng.permutation(N_OBJECTS)
        for i in (int(k) for k in order):
            self.goals.append(
                Goal([objects[i]], np.ones((1, 1)), [targets[i]], replace=False, rotations=True,
                     metric="pose", max_reward=1.0 / N_OBJECTS)
            )  # fmt: skip
            name = cat.KIT_SHAPES[shapes[i]].name
            self.lang_goals.append(self.template.format(color=colors[i], obj=name, loc=locs[i]))
        self.max_steps = N_OBJECTS


register_task("assembling-kits", kind="demo", max_steps=10)(AssemblingKits)
register_task("assembling-kits-easy", kind="demo", max_steps=10, easy=True)(AssemblingKits)
for _variant in ("seen", "unseen", "full"):
    register_task(
        f"assembling-kits-seq-{_variant}-colors" if _variant != "full" else "assembling-kits-seq-full",
        kind="language", split=_variant, max_steps=5, variant=_variant,
    )(AssemblingKitsSeq)  # fmt: skip
