"""Rope and pile tasks on the fake scene: targets, matches, zone fractions, colours.

The fake render draws every body as a 4 cm square, which hides neighbouring beads, so rope and pile
oracle rollouts run only in the simulator (test_families_env.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from cliport.geometry import yaw_quat
from cliport.tasks import catalogue as cat
from cliport.tasks.registry import make_task
from cliport.tasks.rope import N_BEADS, ROPE_LENGTH, segment_targets

pytestmark = pytest.mark.usefixtures("fast_free_space")


def rope_scene(fake_scene, seed):
    """Fake scene whose client can build the bead chain (multibodies and constraints)."""
    scene = fake_scene(seed)
    client = scene.client
    client.GEOM_BOX, client.GEOM_SPHERE, client.JOINT_POINT2POINT = 3, 2, 5
    client.createCollisionShape = lambda *a, **k: 0
    client.createVisualShape = lambda *a, **k: 0
    client.constraints = []
    client.createConstraint = lambda **k: client.constraints.append(k) or len(client.constraints)
    client.changeConstraint = lambda *a, **k: None

    def create_multibody(mass, col, vis, basePosition):  # noqa: N803
        body = scene.add_object("bead", (basePosition, (0, 0, 0, 1)), "deformable")
        scene.obj_ids["deformable"].remove(body)
        return body

    client.createMultiBody = create_multibody
    return scene


def test_segment_targets_spacing():
    a, b = np.array([0.5, 0.1, 0.001]), np.array([0.5 - ROPE_LENGTH, 0.1, 0.001])
    targets = segment_targets(a, b)
    assert len(targets) == N_BEADS
    assert np.allclose(targets[0][0], a + (b - a) / 40)
    gaps = np.diff([t[0][0] for t in targets])
    assert np.allclose(gaps, -ROPE_LENGTH / 20) and np.allclose(targets[3][1], [0, 0, 0, 1])


@pytest.mark.parametrize("name", ["manipulating-rope", "align-rope"])
def test_rope_scene(name, fake_scene):
    scene = rope_scene(fake_scene, 2)
    task = make_task(name)
    task.reset(scene)
    (goal,) = task.goals
    assert task.pos_eps == 0.02 and task.primitive_params == {"height": 0.02, "speed": 0.001}
    assert len(goal.objects) == N_BEADS and not goal.rotations and not goal.replace
    assert np.array_equal(goal.matches, np.clip(np.eye(20) + np.eye(20)[::-1], 0, 1))
    beads = [o.body_id for o in goal.objects]
    assert scene.obj_ids["rigid"] == beads and len(scene.client.constraints) == N_BEADS - 1
    zs = [scene.bodies[b].position[2] for b in beads]
    assert np.allclose(np.diff(zs), ROPE_LENGTH / 20)  # a vertical column before it falls
    red = cat.color_rgba("red")
    assert scene.bodies[beads[0]].rgba is None and scene.bodies[beads[-1]].rgba is None
    assert all(scene.bodies[b].rgba == red for b in beads[1:-1])
    ends = goal.targets[0][0], goal.targets[-1][0]
    assert np.linalg.norm(ends[1] - ends[0]) == pytest.approx(ROPE_LENGTH * 19 / 20)
    if name == "align-rope":
        assert task.lang_goals[0].startswith("align the rope from ")


def test_sweeping_zone_fraction(fake_scene):
    scene = fake_scene(1)
    add = scene.add_object

    def add_small(urdf, pose, category="rigid", **kw):  # block/small.urdf is a 1 cm cube
        body = add(urdf, pose, category, **kw)
        scene.bodies[body].dims = (0.01, 0.01, 0.01)
        return body

    scene.add_object = add_small
    task = make_task("sweeping-piles")
    task.reset(scene)
    (goal,) = task.goals
    assert all(p.shape == (3, 1) for p in goal.zone.points.values())
    assert task.ee_type == "spatula" and task.primitive == "push" and goal.replace and not goal.rotations
    assert len(goal.objects) == 50 and goal.matches.shape == (50, 1) and goal.zone.size[:2] == (0.12, 0.12)
    for o in goal.objects:
        x, y = scene.bodies[o.body_id].position[:2]
        assert 0.40 <= x < 0.60 and -0.10 <= y < 0.10
    zone_xyz = goal.targets[0][0]
    for o in goal.objects[20:]:  # far from the zone
        scene.client.resetBasePositionAndOrientation(o.body_id, (0.3, -0.45, 0.01), yaw_quat(0))
    for o in goal.objects[:20]:  # each block is one point at (-0.005, -0.005, -0.005)
        scene.client.resetBasePositionAndOrientation(o.body_id, zone_xyz + (0.005, 0.005, 0.01), yaw_quat(0))
    assert task.step_reward(scene, goal) == pytest.approx(20 / 50)
    reward, _ = task.reward(scene)
    assert reward == pytest.approx(0.4) and not task.done()


@pytest.mark.parametrize("mode", ["train", "test"])
def test_separating_piles_colours_and_zones(fake_scene, mode):
    for seed in range(6):
        scene = fake_scene(seed)
        task = make_task("separating-piles-unseen-colors", mode)
        task.reset(scene)
        (goal,) = task.goals
        zones = [b for b in scene.bodies.values() if b.urdf == "zone/zone.urdf"]
        assert len(zones) == 2 and goal.zone.size[:2] == (0.15, 0.15)
        assert np.linalg.norm(zones[0].position - zones[1].position) >= 0.2
        target = next(z for z in zones if np.allclose(z.position, goal.targets[0][0]))
        words = task.lang_goals[0].split()
        block_color, square_color = words[4], words[-2]
        assert cat.color_rgba(square_color) == target.rgba
        colours = {block_color, *(cat.COLOR_NAMES[[cat.color_rgba(c) for c in cat.COLOR_NAMES].index(z.rgba)]
                                  for z in zones)}  # fmt: skip
        assert len(colours) == 3 and colours <= set(cat.colors_for("unseen", mode))
        blocks = [scene.bodies[o.body_id] for o in goal.objects]
        assert all(b.rgba == cat.color_rgba(block_color) for b in blocks)
