"""stack-block-pyramid(-seq): places, goal structure and exact instructions."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.geometry import Transform
from cliport.tasks import catalogue
from cliport.tasks.registry import make_task
from cliport.tasks.stacking import PLACES


def test_pyramid_goals_and_places(fake_scene):
    task = make_task("stack-block-pyramid")
    scene = fake_scene(2)
    task.reset(scene)
    assert [g.max_reward for g in task.goals] == pytest.approx([1 / 2, 1 / 3, 1 / 6])
    assert [g.matches.shape for g in task.goals] == [(3, 3), (2, 2), (1, 1)]
    assert task.lang_goals == [
        "make the bottom row with the green, blue and purple blocks",
        "make the middle row with the yellow and orange blocks",
        "make the top row with the red block",
    ]
    stand = next(b for b in scene.bodies.values() if b.urdf == "stacking/stand.urdf")
    frame = Transform.from_pose(stand.position, stand.quat)
    targets = [t for g in task.goals for t in g.targets]
    for place, (pos, quat) in zip(PLACES, targets, strict=True):
        np.testing.assert_allclose(pos, frame.apply(np.array(place, dtype=float)))
        np.testing.assert_allclose(quat, stand.quat)
    blocks = [o for g in task.goals for o in g.objects]
    assert all(o.symmetry == pytest.approx(np.pi / 2) for o in blocks)
    names = ("purple", "blue", "green", "yellow", "orange", "red")
    assert [scene.bodies[o.body_id].rgba for o in blocks] == [catalogue.color_rgba(c) for c in names]


@pytest.mark.parametrize(
    ("name", "mode", "allowed"),
    [
        ("stack-block-pyramid-seq-seen-colors", "test", catalogue.TRAIN_COLORS),
        ("stack-block-pyramid-seq-unseen-colors", "train", catalogue.TRAIN_COLORS),
        ("stack-block-pyramid-seq-unseen-colors", "test", catalogue.EVAL_COLORS),
        ("stack-block-pyramid-seq-full", "val", catalogue.COLOR_NAMES),
    ],
)
def test_pyramid_seq_instructions(name, mode, allowed, fake_scene):
    for seed in range(20):
        task = make_task(name, mode)
        scene = fake_scene(seed)
        task.reset(scene)
        blocks = [g.objects[0].body_id for g in task.goals]
        rgba_to_name = {catalogue.color_rgba(c): c for c in catalogue.COLOR_NAMES}
        c = [rgba_to_name[scene.bodies[b].rgba] for b in blocks]
        assert len(set(c)) == 6 and set(c) <= set(allowed)
        assert task.lang_goals == [
            f"put the {c[0]} block on the lightest brown block",
            f"put the {c[1]} block on the middle brown block",
            f"put the {c[2]} block on the darkest brown block",
            f"put the {c[3]} block on the {c[0]} and {c[1]} blocks",
            f"put the {c[4]} block on the {c[1]} and {c[2]} blocks",
            f"put the {c[5]} block on the {c[3]} and {c[4]} blocks",
        ]
        assert [g.max_reward for g in task.goals] == pytest.approx([1 / 6] * 6)
        assert task.max_steps == 12 and task.completed == "done stacking block pyramid."
