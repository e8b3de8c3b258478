"""Blocks into bowls: place-red-in-green and put-block-in-bowl-{seen-colors,unseen-colors,full}.

What: 1-3 bowls (fixed) and 1..n_bowls blocks; every block must end in any bowl (tasks.md §5).
Randomised: counts, poses, the block/bowl colours (language variants) and 6 distractor blocks/bowls.
Success: every goal block within 5 cm (x-y) of a bowl origin; max steps n_blocks + 1 in the
language variants (one mistake allowed), 10 in place-red-in-green.
"""

from __future__ import annotations

import numpy as np

from cliport.env.task_api import Scene
from cliport.tasks import catalogue
from cliport.tasks.base import Goal, GoalObject, Task
from cliport.tasks.registry import register_task

BOWL_URDF = "bowl/bowl.urdf"
BLOCK_URDF = "stacking/block.urdf"
BOWL_SIZE = (0.12, 0.12, 0.0)
BLOCK_SIZE = (0.04, 0.04, 0.04)
N_DISTRACTORS = 6
#: Bound on failed distractor placements (the original retried forever; a full table cannot recover).
MAX_DISTRACTOR_TRIES = 100


class BlocksInBowls(Task):
    """Shared scene: bowls, blocks, one all-to-all pose goal and six distractors."""

    pos_eps = 0.05

    def build(self, scene: Scene) -> None:
        rng = scene.rng
        n_bowls = int(rng.integers(1, 4))
        n_blocks = int(rng.integers(1, n_bowls + 1))
        block_color, bowl_color = self.pick_colors(rng)
        bowl_poses = []
        for _ in range(n_bowls):
            pose, _ = self.random_pose(scene, BOWL_SIZE)
            bowl_id = scene.add_object(BOWL_URDF, pose, "fixed")
            self.recolor(scene, bowl_id, bowl_color)
            bowl_poses.append(pose)
        blocks = []
        for _ in range(n_blocks):
            pose, _ = self.random_pose(scene, BLOCK_SIZE)
            block_id = scene.add_object(BLOCK_URDF, pose, "rigid")
            self.recolor(scene, block_id, block_color)
            blocks.append(GoalObject(block_id, 0.0))
        self.goals.append(
            Goal(blocks, np.ones((n_blocks, n_bowls)), bowl_poses, replace=False, rotations=True,
                 metric="pose", max_reward=1.0)
        )  # fmt: skip
        self.lang_goals.append(self.instruction(block_color, bowl_color))
        self.after_goal(n_blocks)
        self.add_distractors(scene, block_color, bowl_color)

    # -- hooks that differ between the two tasks
    def pick_colors(self, rng: np.random.Generator) -> tuple[str | None, str | None]:
        raise NotImplementedError

    def instruction(self, block_color: str | None, bowl_color: str | None) -> str:
        raise NotImplementedError

    def after_goal(self, n_blocks: int) -> None:
        """Language variants allow one mistake: max_steps = n_blocks + 1."""

    def recolor(self, scene: Scene, body_id: int | None, name: str | None) -> None:
        if body_id is not None and name is not None:
            self.set_color(scene, body_id, catalogue.color_rgba(name))

    def distractor_colors(self, block_color: str | None, bowl_color: str | None) -> tuple[list, list]:
        raise NotImplementedError

    def add_distractors(self, scene: Scene, block_color: str | None, bowl_color: str | None) -> None:
        """Six distractors, each a block (U > 0.5) or a bowl, rigid, coloured in palette order."""
        block_colors, bowl_colors = self.distractor_colors(block_color, bowl_color)
        added = tries = 0
        while added < N_DISTRACTORS and tries < MAX_DISTRACTOR_TRIES:
            tries += 1
            is_block = float(scene.rng.random()) > 0.5
            urdf, size, colors = (
                (BLOCK_URDF, BLOCK_SIZE, block_colors) if is_block else (BOWL_URDF, BOWL_SIZE, bowl_colors)
            )
            pose, ok = self.random_pose(scene, size)
            if not ok:
                continue  # the original let the loader fail and retried; same outcome
            body_id = scene.add_object(urdf, pose, "rigid")
            if body_id is None:
                continue
            self.recolor(scene, body_id, colors[added % len(colors)])
            added += 1


@register_task("place-red-in-green", kind="demo", max_steps=10)
class PlaceRedInGreen(BlocksInBowls):
    """Red blocks into green bowls (default prop colours); distractors avoid red blocks/green bowls."""

    max_steps = 10
    completed = "done placing blocks in bowls."

    def pick_colors(self, rng: np.random.Generator) -> tuple[str | None, str | None]:
        return None, None  # props keep their default red / green

    def instruction(self, block_color: str | None, bowl_color: str | None) -> str:
        return "put the red blocks in a green bowl"

    def distractor_colors(self, block_color: str | None, bowl_color: str | None) -> tuple[list, list]:
        names = catalogue.COLOR_NAMES
        return [c for c in names if c != "red"], [c for c in names if c != "green"]


class PutBlockInBowl(BlocksInBowls):
    """Language variant: two distinct split colours, first for blocks, second for bowls."""

    completed = "done placing blocks in bowls."

    def __init__(self, name: str, mode: str = "train", variant: str = "seen") -> None:
        super().__init__(name, mode)
        self.variant = variant
        self.max_steps = 10

    def pick_colors(self, rng: np.random.Generator) -> tuple[str | None, str | None]:
        names = catalogue.colors_for(self.variant, self.mode)  # type: ignore[arg-type]
        first, second = rng.choice(len(names), size=2, replace=False)
        return names[int(first)], names[int(second)]

    def instruction(self, block_color: str | None, bowl_color: str | None) -> str:
        return f"put the {block_color} blocks in a {bowl_color} bowl"

    def after_goal(self, n_blocks: int) -> None:
        self.max_steps = n_blocks + 1

    def distractor_colors(self, block_color: str | None, bowl_color: str | None) -> tuple[list, list]:
        # All 11 palette colours minus the two selected (unseen colours can appear in training).
        rest = [c for c in catalogue.COLOR_NAMES if c not in (block_color, bowl_color)]
        return rest, rest


for _variant in ("seen", "unseen", "full"):
    _suffix = "full" if _variant == "full" else f"{_variant}-colors"
    register_task(
        f"put-block-in-bowl-{_suffix}",
        kind="language", split=_variant, max_steps=10, variant=_variant,  # type: ignore[arg-type]
    )(PutBlockInBowl)
