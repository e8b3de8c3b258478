"""Block pyramids on a three-plate stand: stack-block-pyramid and its sequential language variants.

What: six blocks must form a 3-2-1 pyramid on the stand (tasks.md §5).
Randomised: stand and block poses; in the -seq variants the block colours (a shuffle of the split's
list). Success: blocks within 1 cm (x-y) and 15° (mod π/2) of the pyramid places. The demo task has
3 row goals (1/2, 1/3, 1/6); the -seq variants 6 one-block goals of 1/6 each. Max steps 12.
"""

from __future__ import annotations

import numpy as np

from cliport.env.task_api import Scene
from cliport.geometry import Transform
from cliport.tasks import catalogue
from cliport.tasks.base import Goal, GoalObject, PoseTuple, Task
from cliport.tasks.registry import register_task

STAND_URDF = "stacking/stand.urdf"
BLOCK_URDF = "stacking/block.urdf"
STAND_SIZE = (0.05, 0.15, 0.005)
BLOCK_SIZE = (0.04, 0.04, 0.04)
#: Pyramid places in the stand frame: bottom row (3), middle row (2), top (1).
PLACES = ((0, -0.05, 0.03), (0, 0, 0.03), (0, 0.05, 0.03), (0, -0.025, 0.08), (0, 0.025, 0.08), (0, 0, 0.13))
DEMO_COLORS = ("purple", "blue", "green", "yellow", "orange", "red")


class PyramidBase(Task):
    """Stand, six coloured blocks (symmetry π/2) and the six place poses."""

    max_steps = 12
    completed = "done stacking block pyramid."

    def build_scene(self, scene: Scene, colors: tuple[str, ...]) -> tuple[list[GoalObject], list[PoseTuple]]:
        stand_pose, _ = self.random_pose(scene, STAND_SIZE)
        scene.add_object(STAND_URDF, stand_pose, "fixed")
        blocks = []
        for i in range(6):
            pose, _ = self.random_pose(scene, BLOCK_SIZE)
            block_id = scene.add_object(BLOCK_URDF, pose, "rigid")
            self.set_color(scene, block_id, catalogue.color_rgba(colors[i]))
            blocks.append(GoalObject(block_id, np.pi / 2))
        stand = Transform.from_pose(*stand_pose)
        targets = [(stand.apply(np.asarray(p, dtype=np.float64)), np.asarray(stand_pose[1])) for p in PLACES]
        return blocks, targets


@register_task("stack-block-pyramid", kind="demo", max_steps=12)
class StackBlockPyramid(PyramidBase):
    def build(self, scene: Scene) -> None:
        blocks, targets = self.build_scene(scene, DEMO_COLORS)
        rows = ((0, 3, 1 / 2), (3, 5, 1 / 3), (5, 6, 1 / 6))
        for lo, hi, share in rows:
            n = hi - lo
            self.goals.append(
                Goal(blocks[lo:hi], np.ones((n, n)), targets[lo:hi], replace=False, rotations=True,
                     metric="pose", max_reward=share)
            )  # fmt: skip
        self.lang_goals += [
            "make the bottom row with the green, blue and purple blocks",
            "make the middle row with the yellow and orange blocks",
            "make the top row with the red block",
        ]


class StackBlockPyramidSeq(PyramidBase):
    """One block at a time, named by colour; the place is named by the stand shades or block colours."""

    def __init__(self, name: str, mode: str = "train", variant: str = "seen") -> None:
        super().__init__(name, mode)
        self.variant = variant

    def block_colors(self, rng: np.random.Generator) -> tuple[str, ...]:
        names = list(catalogue.colors_for(self.variant, self.mode))  # type: ignore[arg-type]
        return tuple(names[int(i)] for i in rng.permutation(len(names)))

    def build(self, scene: Scene) -> None:
        c = self.block_colors(scene.rng)
        blocks, targets = self.build_scene(scene, c)
        places = (
            "the lightest brown block", "the middle brown block", "the darkest brown block",
            f"the {c[0]} and {c[1]} blocks", f"the {c[1]} and {c[2]} blocks", f"the {c[3]} and {c[4]} blocks",
        )  # fmt: skip
        for i in range(6):
            self.goals.append(
                Goal([blocks[i]], np.ones((1, 1)), [targets[i]], replace=False, rotations=True,
                     metric="pose", max_reward=1 / 6)
            )  # fmt: skip
            self.lang_goals.append(f"put the {c[i]} block on {places[i]}")


for _variant in ("seen", "unseen", "full"):
    _suffix = "full" if _variant == "full" else f"{_variant}-colors"
    register_task(
        f"stack-block-pyramid-seq-{_suffix}",
        kind="language", split=_variant, max_steps=12, variant=_variant,  # type: ignore[arg-type]
    )(StackBlockPyramidSeq)
