"""Task machinery on constructed states: registry, pose match, pose/zone rewards, done, sampler."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.errors import CliportError
from cliport.geometry import TASK_BOUNDS, xyz_to_pix, yaw_quat
from cliport.tasks.base import Goal, GoalObject, Task, Zone, grid_points, pose_matches
from cliport.tasks.registry import UnknownTaskError, make_task, register_task, task_info, task_names

MINE = [
    "align-box-corner", "block-insertion", "block-insertion-easy", "block-insertion-nofixture",
    "block-insertion-sixdof", "block-insertion-translation", "palletizing-boxes", "place-red-in-green",
    "put-block-in-bowl-full", "put-block-in-bowl-seen-colors", "put-block-in-bowl-unseen-colors",
    "stack-block-pyramid", "stack-block-pyramid-seq-full", "stack-block-pyramid-seq-seen-colors",
    "stack-block-pyramid-seq-unseen-colors", "towers-of-hanoi", "towers-of-hanoi-seq-full",
    "towers-of-hanoi-seq-seen-colors", "towers-of-hanoi-seq-unseen-colors",
]  # fmt: skip


def _pose(x, y, yaw=0.0, z=0.02):
    return (np.array([x, y, z]), yaw_quat(yaw))


# ------------------------------------------------------------------ registry
def test_registry_has_my_tasks_with_spec_facts():
    names = task_names()
    assert set(MINE) <= set(names)
    assert task_info("towers-of-hanoi").max_steps == 14
    assert task_info("palletizing-boxes").max_steps == 30
    assert task_info("put-block-in-bowl-unseen-colors").split == "unseen"
    assert task_info("put-block-in-bowl-full").kind == "language"
    assert task_info("block-insertion").kind == "demo" and task_info("block-insertion").split is None
    assert set(task_names("demo")).isdisjoint(task_names("language"))


def test_unknown_task_lists_close_matches():
    with pytest.raises(UnknownTaskError, match="did you mean.*towers-of-hanoi"):
        make_task("tower-of-hanoi")
    with pytest.raises(CliportError, match="mode"):
        make_task("towers-of-hanoi", mode="training")


def test_make_task_sets_name_and_mode():
    task = make_task("stack-block-pyramid-seq-unseen-colors", mode="val")
    assert task.name == "stack-block-pyramid-seq-unseen-colors" and task.mode == "val"
    assert task.ee_type == "suction" and task.primitive == "pick_place"
    assert task.primitive_params == {"height": 0.32, "speed": 0.01}


def test_register_rejects_bad_kind_and_duplicates():
    with pytest.raises(ValueError, match="kind"):
        register_task("x-bad", kind="demos")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="registered twice"):

        class Dup(Task):
            pass

        Dup.__module__ = "somewhere.else"
        register_task("towers-of-hanoi", kind="demo")(Dup)


# ------------------------------------------------------------------ pose match (tasks.md §1.3)
@pytest.mark.parametrize(
    ("dx", "expected"), [(0.0, True), (0.0099, True), (0.0101, False)]
)
def test_pose_match_xy_tolerance_ignores_z(dx, expected):
    a = (np.array([0.5 + dx, 0.0, 0.3]), yaw_quat(0.0))
    assert pose_matches(a, _pose(0.5, 0.0), 0.0, 0.01, np.deg2rad(15)) is expected


@pytest.mark.parametrize(
    ("symmetry", "dyaw_deg", "expected"),
    [
        (np.pi / 2, 14.0, True), (np.pi / 2, 16.0, False), (np.pi / 2, 90 + 14.0, True),
        (np.pi / 2, 90 - 14.0, True), (np.pi / 2, 45.0, False), (2 * np.pi, 90.0, False),
        (2 * np.pi, 359.0, True), (2 * np.pi / 5, 72 + 10.0, True), (0.0, 123.0, True),
    ],
)  # fmt: skip
def test_pose_match_rotation_modulo_symmetry(symmetry, dyaw_deg, expected):
    a = _pose(0.5, 0.1, np.deg2rad(30 + dyaw_deg))
    b = _pose(0.5, 0.1, np.deg2rad(30))
    assert pose_matches(a, b, symmetry, 0.01, np.deg2rad(15)) is expected


# ------------------------------------------------------------------ rewards (tasks.md §1.4)
class _Constructed(Task):
    """A task whose goals are set by the test."""

    def __init__(self, goals, lang=(), **kw):
        super().__init__("constructed", "train")
        self._spec = goals
        self._lang = list(lang)
        for k, v in kw.items():
            setattr(self, k, v)

    def build(self, scene):
        self.goals = list(self._spec)
        self.lang_goals = list(self._lang)


def _add(scene, x, y, yaw=0.0, dims=(0.04, 0.04, 0.04)):
    body = scene.add_object("stacking/block.urdf", _pose(x, y, yaw), "rigid")
    scene.bodies[body].dims = dims
    return body


def test_pose_reward_partial_then_complete(fake_scene):
    scene = fake_scene(0)
    a, b = _add(scene, 0.3, -0.3), _add(scene, 0.3, 0.3)
    targets = [_pose(0.6, 0.0), _pose(0.6, 0.2)]
    goal = Goal([GoalObject(a), GoalObject(b)], np.ones((2, 2)), targets, False, True, "pose", 1.0)
    task = _Constructed([goal], ["do it"])
    task.reset(scene)
    assert task.reward(scene) == (0.0, {}) and not task.done()
    scene.client.resetBasePositionAndOrientation(a, (0.6, 0.2, 0.02), yaw_quat(0))
    reward, extras = task.reward(scene)
    assert reward == pytest.approx(0.5) and extras == {} and task.lang_goal() == "do it"
    # Both objects on the same target also counts (a target may satisfy several objects).
    scene.client.resetBasePositionAndOrientation(b, (0.605, 0.2, 0.02), yaw_quat(0))
    reward, _ = task.reward(scene)
    assert reward == pytest.approx(0.5) and task.done() and task.lang_goal() == "task completed."
    assert task.progress == pytest.approx(1.0)


def test_reward_is_a_delta_and_can_go_negative(fake_scene):
    scene = fake_scene(0)
    a = _add(scene, 0.6, 0.0)
    b = _add(scene, 0.3, 0.3)
    goal = Goal([GoalObject(a), GoalObject(b)], np.eye(2), [_pose(0.6, 0.0), _pose(0.4, 0.4)], False, True,
                "pose", 1.0)  # fmt: skip
    task = _Constructed([goal])
    task.reset(scene)
    assert task.reward(scene)[0] == pytest.approx(0.5)
    scene.client.resetBasePositionAndOrientation(a, (0.3, -0.3, 0.02), yaw_quat(0))
    assert task.reward(scene)[0] == pytest.approx(-0.5)


def test_block_in_bowl_4cm_scores_6cm_does_not(fake_scene):
    """put-block-in-bowl has pos_eps 0.05: a block 4 cm from the bowl origin scores, 6 cm does not."""
    for dist, expected in ((0.04, 1.0), (0.06, 0.0)):
        scene = fake_scene(3)
        task = make_task("put-block-in-bowl-seen-colors")
        task.reset(scene)
        goal = task.goals[0]
        bowl_xy = goal.targets[0][0]
        for obj in goal.objects:
            scene.client.resetBasePositionAndOrientation(
                obj.body_id, (bowl_xy[0] + dist * 0.6, bowl_xy[1] + dist * 0.8, 0.02), yaw_quat(1.0)
            )
        reward, _ = task.reward(scene)
        assert reward == pytest.approx(expected)


def test_sequential_goals_pop_language(fake_scene):
    scene = fake_scene(0)
    a, b = _add(scene, 0.3, -0.3), _add(scene, 0.3, 0.3)
    g1 = Goal([GoalObject(a)], [[1]], [_pose(0.6, 0.0)], False, True, "pose", 0.5)
    g2 = Goal([GoalObject(b)], [[1]], [_pose(0.6, 0.3)], False, True, "pose", 0.5)
    task = _Constructed([g1, g2], ["first", "second"])
    task.reset(scene)
    # Only the first remaining step is evaluated: b on its target earns nothing yet.
    scene.client.resetBasePositionAndOrientation(b, (0.6, 0.3, 0.02), yaw_quat(0))
    assert task.reward(scene)[0] == 0.0 and task.lang_goal() == "first"
    scene.client.resetBasePositionAndOrientation(a, (0.6, 0.0, 0.02), yaw_quat(0))
    assert task.reward(scene)[0] == pytest.approx(0.5) and task.lang_goal() == "second"
    assert task.reward(scene)[0] == pytest.approx(0.5) and task.done()


def test_zone_reward_counts_fraction_of_points(fake_scene):
    scene = fake_scene(0)
    box = _add(scene, 0.5, 0.0, dims=(0.1, 0.02, 0.02))  # box points: 5 x 1 x 1
    pts = grid_points(-np.array([0.05, 0.01, 0.01]), np.array([0.05, 0.01, 0.01]))
    assert pts.shape == (3, 5)
    zone = Zone({box: pts}, _pose(0.5, 0.0, z=0.0), (0.1, 0.1, 0.0))
    goal = Goal([GoalObject(box)], [[1]], [_pose(0.5, 0.0)], False, True, "zone", 1.0, zone)
    task = _Constructed([goal])
    task.reset(scene)
    # Points at x offsets -0.05..0.03 (step 0.02); zone spans ±0.05 strictly -> the -0.05 point is out.
    assert task.reward(scene)[0] == pytest.approx(4 / 5)
    scene.client.resetBasePositionAndOrientation(box, (0.56, 0.0, 0.02), yaw_quat(0))  # x -0.01..0.09
    assert task._reward == pytest.approx(4 / 5)
    task.reward(scene)
    assert task._reward == pytest.approx(2 / 5)
    # Above the zone z bound nothing counts.
    task.zone_bounds = TASK_BOUNDS.copy()
    task.zone_bounds[2, 1] = 0.01
    task.reward(scene)
    assert task._reward == 0.0


def test_small_block_reduces_to_one_point(fake_scene):
    scene = fake_scene(0)
    body = _add(scene, 0.5, 0.0, dims=(0.01, 0.01, 0.01))
    pts = Task("x").box_points(scene, body)
    np.testing.assert_allclose(pts, [[-0.005], [-0.005], [-0.005]])


# ------------------------------------------------------------------ random pose (env.md §6)
def test_random_pose_avoids_registered_objects_and_is_seeded(fake_scene):
    task = Task("x")
    poses = []
    for _ in range(2):
        scene = fake_scene(7)
        for _ in range(5):
            pose, ok = task.random_pose(scene, (0.04, 0.04, 0.04))
            assert ok
            scene.add_object("stacking/block.urdf", pose, "rigid")
        poses.append(np.array([b.position for b in scene.bodies.values()]))
    np.testing.assert_array_equal(poses[0], poses[1])
    xy = poses[0][:, :2]
    assert np.all(xy[:, 0] >= 0.25) and np.all(xy[:, 0] < 0.75) and np.all(np.abs(xy[:, 1]) < 0.5)
    assert np.allclose(poses[0][:, 2], 0.02)
    d = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(len(xy))
    assert d.min() > 0.04  # footprints (4 cm squares in the fake render) never overlap


def test_random_pose_reports_full_table(fake_scene):
    scene = fake_scene(0)
    pose, ok = Task("x").random_pose(scene, (1.2, 1.2, 0.0))  # larger than the workspace
    assert pose is None and ok is False
    assert xyz_to_pix((0.5, 0.0, 0.0)) == (160, 80)


def test_occupancy_cache_matches_full_recompute_and_notices_moves(fake_scene):
    from cliport.tasks import free_space

    def full(scene):
        free_space._CACHES.pop(id(scene), None)
        return free_space.occupied_mask(scene)

    scene = fake_scene(1)
    task = Task("x")
    for _ in range(6):
        pose, _ = task.random_pose(scene, (0.04, 0.04, 0.04))
        body = scene.add_object("stacking/block.urdf", pose, "rigid")
        cached = free_space.occupied_mask(scene)
        np.testing.assert_array_equal(cached, full(scene))
    free_space.occupied_mask(scene)
    before = free_space._cache_for(scene).occupied.sum()
    scene.client.resetBasePositionAndOrientation(body, (0.5, -10.0, 0.02), yaw_quat(0))  # off the table
    after = free_space.occupied_mask(scene)
    np.testing.assert_array_equal(after, full(scene))
    assert after.sum() < before
