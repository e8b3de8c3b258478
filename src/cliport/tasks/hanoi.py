"""Towers of Hanoi with three disks: towers-of-hanoi and towers-of-hanoi-seq-{seen,unseen,full}.

What: move the 3-disk tower from the light-brown rod to the dark-brown rod (tasks.md §5), one goal
per move of the 7-move solution. Randomised: the stand pose; in the -seq variants the disk colours.
Success: each moved disk's centre within 1 cm (x-y) of its rod; rotation ignored. Max steps 14.
"""

from __future__ import annotations

import numpy as np

from cliport.env.task_api import Scene
from cliport.geometry import Transform
from cliport.tasks import catalogue
from cliport.tasks.base import Goal, GoalObject, Task
from cliport.tasks.registry import register_task

STAND_URDF = "hanoi/stand.urdf"
STAND_SIZE = (0.12, 0.36, 0.01)
RODS = ((0, -0.12, 0.03), (0, 0, 0.03), (0, 0.12, 0.03))
ROD_NAMES = ("lighter brown side", "middle of the stand", "darker brown side")
N_DISKS = 3


def hanoi_moves(n: int, source: int = 0, target: int = 2, spare: int = 1) -> list[tuple[int, int]]:
    """(disk, to-rod) moves of the recursive solution; disk 0 is the smallest."""
    if n == 0:
        return []
    moves = hanoi_moves(n - 1, source, spare, target)
    moves.append((n - 1, target))
    return moves + hanoi_moves(n - 1, spare, target, source)


class HanoiBase(Task):
    max_steps = 14
    completed = "solved towers of hanoi."

    def build(self, scene: Scene) -> None:
        stand_pose, _ = self.random_pose(scene, STAND_SIZE)
        scene.add_object(STAND_URDF, stand_pose, "fixed")
        stand = Transform.from_pose(*stand_pose)
        rods = [stand.apply(np.asarray(r, dtype=np.float64)) for r in RODS]
        disks = []
        for i in range(N_DISKS):
            pos = rods[0] + np.array([0.0, 0.0, 0.015 * (N_DISKS - i - 2)])
            disks.append(scene.add_object(f"hanoi/disk{i}.urdf", (pos, np.asarray(stand_pose[1])), "rigid"))
        colors = self.disk_colors(scene, disks)
        moves = hanoi_moves(N_DISKS)
        identity = np.array([0.0, 0.0, 0.0, 1.0])
        for disk, rod in moves:
            self.goals.append(
                Goal([GoalObject(disks[disk], 0.0)], np.ones((1, 1)), [(rods[rod].copy(), identity)],
                     replace=False, rotations=True, metric="pose", max_reward=1 / len(moves))
            )  # fmt: skip
            self.lang_goals.append(self.instruction(colors, disk, rod))

    def disk_colors(self, scene: Scene, disks: list) -> list[str]:
        return []

    def instruction(self, colors: list[str], disk: int, rod: int) -> str:
        return "solve towers of hanoi"


@register_task("towers-of-hanoi", kind="demo", max_steps=14)
class TowersOfHanoi(HanoiBase):
    """Default disk colours (red, yellow, green); one fixed instruction repeated per move."""


class TowersOfHanoiSeq(HanoiBase):
    """Disks recoloured with three distinct split colours; each move is named."""

    def __init__(self, name: str, mode: str = "train", variant: str = "seen") -> None:
        super().__init__(name, mode)
        self.variant = variant

    def disk_colors(self, scene: Scene, disks: list) -> list[str]:
        names = catalogue.colors_for(self.variant, self.mode)  # type: ignore[arg-type]
        chosen = [names[int(i)] for i in scene.rng.choice(len(names), size=N_DISKS, replace=False)]
        for body_id, name in zip(disks, chosen, strict=True):
            self.set_color(scene, body_id, catalogue.color_rgba(name))
        return chosen

    def instruction(self, colors: list[str], disk: int, rod: int) -> str:
        return f"move the {colors[disk]} ring to the {ROD_NAMES[rod]}"


for _variant in ("seen", "unseen", "full"):
    _suffix = "full" if _variant == "full" else f"{_variant}-colors"
    register_task(
        f"towers-of-hanoi-seq-{_suffix}",
        kind="language", split=_variant, max_steps=14, variant=_variant,  # type: ignore[arg-type]
    )(TowersOfHanoiSeq)
