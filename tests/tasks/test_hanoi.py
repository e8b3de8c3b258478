"""towers-of-hanoi(-seq): solution moves, disk placement, targets and exact instructions."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.geometry import Transform
from cliport.tasks import catalogue
from cliport.tasks.hanoi import RODS, hanoi_moves
from cliport.tasks.registry import make_task


def test_solution_is_the_spec_sequence():
    assert hanoi_moves(3) == [(0, 2), (1, 1), (0, 1), (2, 2), (0, 0), (1, 2), (0, 2)]
    assert len(hanoi_moves(4)) == 15


def _stand_frame(scene):
    stand = next(b for b in scene.bodies.values() if b.urdf == "hanoi/stand.urdf")
    assert stand.category == "fixed"
    return Transform.from_pose(stand.position, stand.quat)


def test_hanoi_scene_and_goals(fake_scene):
    task = make_task("towers-of-hanoi")
    scene = fake_scene(4)
    task.reset(scene)
    frame = _stand_frame(scene)
    rods = [frame.apply(np.array(r, dtype=float)) for r in RODS]
    disks = [b for b in scene.bodies.values() if b.urdf.startswith("hanoi/disk")]
    assert [d.urdf for d in disks] == ["hanoi/disk0.urdf", "hanoi/disk1.urdf", "hanoi/disk2.urdf"]
    for i, d in enumerate(disks):
        np.testing.assert_allclose(d.position, rods[0] + [0, 0, 0.015 * (1 - i)])
    assert len(task.goals) == 7 and task.lang_goals == ["solve towers of hanoi"] * 7
    disk_ids = [i for i, b in scene.bodies.items() if b.urdf.startswith("hanoi/disk")]
    for goal, (disk, rod) in zip(task.goals, hanoi_moves(3), strict=True):
        assert goal.objects[0].body_id == disk_ids[disk]
        assert goal.max_reward == pytest.approx(1 / 7) and goal.objects[0].symmetry == 0
        np.testing.assert_allclose(goal.targets[0][0], rods[rod])
        np.testing.assert_allclose(goal.targets[0][1], [0, 0, 0, 1])
    assert task.max_steps == 14 and task.completed == "solved towers of hanoi."


@pytest.mark.parametrize(
    ("name", "mode", "allowed"),
    [
        ("towers-of-hanoi-seq-seen-colors", "val", catalogue.TRAIN_COLORS),
        ("towers-of-hanoi-seq-unseen-colors", "train", catalogue.TRAIN_COLORS),
        ("towers-of-hanoi-seq-unseen-colors", "test", catalogue.EVAL_COLORS),
        ("towers-of-hanoi-seq-full", "train", catalogue.COLOR_NAMES),
    ],
)
def test_hanoi_seq_instructions(name, mode, allowed, fake_scene):
    rods = ("lighter brown side", "middle of the stand", "darker brown side")
    rgba_to_name = {catalogue.color_rgba(c): c for c in catalogue.COLOR_NAMES}
    for seed in range(20):
        task = make_task(name, mode)
        scene = fake_scene(seed)
        task.reset(scene)
        disks = [b for b in scene.bodies.values() if b.urdf.startswith("hanoi/disk")]
        colors = [rgba_to_name[d.rgba] for d in disks]
        assert len(set(colors)) == 3 and set(colors) <= set(allowed)
        assert task.lang_goals == [f"move the {colors[d]} ring to the {rods[r]}" for d, r in hanoi_moves(3)]
