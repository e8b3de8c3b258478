"""block-insertion and its variants: poses, fixture, tolerance and instruction."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.geometry import quat_to_eulerXYZ
from cliport.tasks.registry import make_task

VARIANTS = ["block-insertion", "block-insertion-easy", "block-insertion-nofixture", "block-insertion-sixdof",
            "block-insertion-translation"]  # fmt: skip


@pytest.mark.parametrize("name", VARIANTS)
def test_insertion_variants(name, fake_scene):
    for seed in range(5):
        task = make_task(name)
        scene = fake_scene(seed)
        task.reset(scene)
        assert task.lang_goal() == "put the L shape block in the L shape hole"
        assert task.completed == "done with insertion." and task.max_steps == 3
        goal = task.goals[0]
        assert goal.objects[0].symmetry == pytest.approx(2 * np.pi) and goal.matches.shape == (1, 1)
        block = scene.bodies[goal.objects[0].body_id]
        fixtures = [b for b in scene.bodies.values() if b.urdf == "insertion/fixture.urdf"]
        target_pos, target_quat = goal.targets[0]
        if name == "block-insertion-nofixture":
            assert fixtures == []
        else:
            assert len(fixtures) == 1 and fixtures[0].category == "fixed"
            np.testing.assert_allclose(fixtures[0].position, target_pos)
        roll, pitch, yaw = quat_to_eulerXYZ(target_quat)
        if name in ("block-insertion-translation", "block-insertion-easy"):
            assert yaw == pytest.approx(np.pi / 2)
            assert quat_to_eulerXYZ(block.quat)[2] == pytest.approx(np.pi / 2)
        if name == "block-insertion-easy":
            np.testing.assert_allclose(block.position, [0.5, 0.0, 0.02])
        if name == "block-insertion-sixdof":
            assert task.sixdof and task.pos_eps == 0.02
            assert 0.05 <= target_pos[2] <= 0.15 and abs(roll) <= np.pi / 4 and abs(pitch) <= np.pi / 4
        else:
            assert not task.sixdof and task.pos_eps == 0.01 and target_pos[2] == pytest.approx(0.02)
