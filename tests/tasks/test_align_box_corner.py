"""align-box-corner: box size, corner template values, the four targets and the instruction."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.geometry import quat_to_eulerXYZ, yaw_quat
from cliport.tasks.base import pose_matches
from cliport.tasks.registry import make_task


def test_align_box_corner_scene(fake_scene):
    for seed in range(10):
        task = make_task("align-box-corner")
        scene = fake_scene(seed)
        task.reset(scene)
        assert task.lang_goal() == "align the brown box with the green corner"
        assert task.completed == "done with alignment" and task.max_steps == 3
        goal = task.goals[0]
        box = scene.bodies[goal.objects[0].body_id]
        bx, by, bz = box.dims
        assert 0.05 <= bx <= 0.15 and 0.05 <= by <= 0.15 and 0.01 <= bz <= 0.06
        assert box.position[2] == pytest.approx(bz / 2)
        r, g, b, a = box.rgba
        assert a == 1 and r / g == pytest.approx(156 / 117) and g / b == pytest.approx(117 / 95)
        corner_repl = next(v for k, v in scene._templates.items() if "corner" in k)
        assert corner_repl["DIMX"] == pytest.approx((bx / 2 - 0.0225, bx / 2 + 0.0025))
        assert corner_repl["DIMY"] == pytest.approx((by / 2 + 0.0025, by / 2 - 0.0225))
        corner = next(b for b in scene.bodies.values() if "corner" in b.urdf)
        assert corner.category == "fixed"
        assert goal.matches.shape == (1, 4) and goal.objects[0].symmetry == pytest.approx(2 * np.pi)
        t0, t1, t2, t3 = goal.targets
        np.testing.assert_allclose(t0[0], corner.position)
        np.testing.assert_allclose(t1[0], corner.position)
        yaw = quat_to_eulerXYZ(corner.quat)[2]
        assert pose_matches(t1, (corner.position, yaw_quat(yaw + np.pi)), 2 * np.pi, 1e-6, 1e-6)
        assert pose_matches(t2, (t2[0], yaw_quat(yaw + np.pi / 2)), 2 * np.pi, 1e-6, 1e-6)
        assert pose_matches(t3, (t3[0], yaw_quat(yaw + 3 * np.pi / 2)), 2 * np.pi, 1e-6, 1e-6)
        # The rotated alternatives sit at corner ∘ (bx/2 - by/2, by/2 - bx/2) in the corner frame.
        c = np.cos(yaw), np.sin(yaw)
        off = np.array([bx / 2 - by / 2, by / 2 - bx / 2])
        rotated = np.array([c[0] * off[0] - c[1] * off[1], c[1] * off[0] + c[0] * off[1]])
        np.testing.assert_allclose(t2[0][:2], corner.position[:2] + rotated)
        np.testing.assert_allclose(t3[0], t2[0])
