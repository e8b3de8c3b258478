"""palletizing-boxes: stack layout, de-palletizing order, spawning and the end of the episode."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.tasks.palletizing import stack_layout
from cliport.tasks.registry import make_task


def test_stack_layout_matches_spec():
    layout = stack_layout()
    assert len(layout) == 18
    sizes = {tuple(np.round(s, 6)) for _, s, _ in layout}
    small = round(0.17 / 3, 6)
    assert sizes == {(small, 0.09, small), (0.09, small, small)}
    layer0 = [c for z, s, c in layout if z == 0]
    assert len(layer0) == 6
    # Layer 0 is transposed first: 3 boxes along x (size 0.0567), 2 along y (size 0.09).
    s0 = layout[0][1]
    assert s0[0] == pytest.approx(0.17 / 3) and s0[1] == pytest.approx(0.09)
    np.testing.assert_allclose(layout[0][2], [0.5 * 0.17 / 3 - 0.095, 0.045 - 0.095, 0.17 / 6 + 0.03])
    assert layout[6][1][0] == pytest.approx(0.09)  # next layer swapped back


def test_palletizing_spawns_one_box_and_ends_after_the_last(fake_scene):
    task = make_task("palletizing-boxes")
    scene = fake_scene(0)
    task.reset(scene)
    goal = task.goals[0]
    assert goal.metric == "zone" and len(goal.objects) == 18 and np.array_equal(goal.matches, np.eye(18))
    assert goal.zone.size == (0.3, 0.25, 0.25)
    ys = [scene.bodies[o.body_id].position[1] for o in goal.objects]
    in_area = [y for y in ys if -0.5 <= y <= 0]
    assert len(in_area) == 1 and len(task.spawn_order) == 17
    spawned = next(o.body_id for o in goal.objects if -0.5 <= scene.bodies[o.body_id].position[1] <= 0)
    np.testing.assert_allclose(scene.bodies[spawned].position, [0.5, -0.25, 0.1])
    # The first spawned box is one of the bottom layer (removed last when de-palletizing).
    target = goal.targets[[o.body_id for o in goal.objects].index(spawned)]
    assert target[0][2] == pytest.approx(0.02 + 0.17 / 6 + 0.03)
    assert scene.client.steps == 480
    # While the pick area is occupied nothing new is spawned.
    task.reward(scene)
    assert len(task.spawn_order) == 17
    # Deliver boxes: each time the pick area empties the next box appears; after the last, goals clear.
    for _ in range(17):
        scene.client.resetBasePositionAndOrientation(spawned, target[0], target[1])
        task.reward(scene)
        spawned = next(o.body_id for o in goal.objects
                       if -0.5 <= scene.bodies[o.body_id].position[1] <= 0)  # fmt: skip
        target = goal.targets[[o.body_id for o in goal.objects].index(spawned)]
    assert task.spawn_order == [] and not task.done()
    task.reward(scene)
    assert task.goals == [] and task.done()
    assert task.lang_goal() == "stack all the boxes on the pallet"  # language list left untouched
