"""Packing tasks on the fake scene: K-D split, zone fractions, splits, Google-object loading rules."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.geometry import yaw_quat
from cliport.tasks import catalogue as cat
from cliport.tasks.google_objects import ENV_VAR, GoogleObjectsMissing, google_objects_root
from cliport.tasks.kdsplit import container_leaves, kd_split, leaf_size
from cliport.tasks.packing_google import tilt_quirk
from cliport.tasks.registry import make_task

pytestmark = pytest.mark.usefixtures("fast_free_space")



@pytest.mark.parametrize("seed", range(5))
def test_kd_split_tiles_the_container(seed):
    rng = np.random.default_rng(seed)
    size = (0.3, 0.25, 0.05)
    leaves = container_leaves(size, 0.05, rng)
    assert len(leaves) >= 4  # 0.28 x 0.23 interior always splits on both axes
    for leaf in leaves:
        ext = leaf_size(leaf)
        assert np.all(leaf[:3] >= (0.01 - 1e-9, 0.01 - 1e-9, 0)) and np.all(leaf[3:] <= (0.29, 0.24, 0.05))
        assert np.all(ext[:2] <= 2 * 0.05 + 1e-9) and np.all(ext[:2] >= 0.05 - 0.005 - 1e-9)
        assert ext[2] == pytest.approx(0.05)
    # no two leaves overlap; total area = interior minus the cut margins
    for i, a in enumerate(leaves):
        for b in leaves[i + 1 :]:
            overlap = np.minimum(a[3:5], b[3:5]) - np.maximum(a[:2], b[:2])
            assert np.any(overlap <= 1e-9)
    area = sum(float(np.prod(leaf_size(leaf)[:2])) for leaf in leaves)
    assert 0.6 * 0.28 * 0.23 < area < 0.28 * 0.23


def test_kd_split_no_split_below_twice_min_dim():
    leaves = kd_split((0, 0, 0), (0.1, 0.1, 0.05), 0.05, 0.01, np.random.default_rng(0))
    assert len(leaves) == 1 and np.allclose(leaves[0], [0, 0, 0, 0.1, 0.1, 0.05])


def test_packing_boxes_zone_fraction(fake_scene):
    task = make_task("packing-boxes", "train")
    scene = fake_scene(4)
    task.reset(scene)
    goal = task.goals[0]
    assert task.zone_bounds[2, 1] == pytest.approx(0.08)
    n_points = {o.body_id: goal.zone.points[o.body_id].shape[1] for o in goal.objects}
    for obj, target in zip(goal.objects, goal.targets, strict=True):
        scene.client.resetBasePositionAndOrientation(obj.body_id, *target)
    assert task.step_reward(scene, goal) == pytest.approx(1.0)
    first = goal.objects[0].body_id
    scene.client.resetBasePositionAndOrientation(first, (0.3, 0.45, 0.02), yaw_quat(0.3))
    expected = 1 - n_points[first] / sum(n_points.values())
    assert task.step_reward(scene, goal) == pytest.approx(expected)
    # lifted above the zone's z bound: outside as well
    scene.client.resetBasePositionAndOrientation(first, goal.targets[0][0] + (0, 0, 0.2), goal.targets[0][1])
    assert task.step_reward(scene, goal) == pytest.approx(expected)


@pytest.mark.parametrize("name", ["packing-boxes", "packing-boxes-pairs-seen-colors", "packing-shapes"])
def test_ideal_oracle_solves(name, fake_scene, ideal_rollout):
    solved = 0
    for seed in range(3):
        task = make_task(name, "train")
        scene = fake_scene(seed)
        task.reset(scene)
        solved += ideal_rollout(task, scene) >= 0.99
    assert solved >= 2


def test_pairs_colours_and_distractors(fake_scene):
    for seed in range(5):
        task = make_task("packing-boxes-pairs-unseen-colors", "test")
        scene = fake_scene(seed)
        task.reset(scene)
        goal = task.goals[0]
        assert task.zone_bounds[2, 1] == pytest.approx(0.0525)
        assert 1 <= len(task.relevant) <= 2 and set(task.relevant) <= set(cat.EVAL_COLORS)
        goal_ids = {o.body_id for o in goal.objects}
        relevant = {cat.color(c).rgba for c in task.relevant}
        for body_id, body in scene.bodies.items():
            if "box-template" in body.urdf:
                assert (tuple(body.rgba) in relevant) == (body_id in goal_ids)
        n_distractors = sum("box-template" in b.urdf for b in scene.bodies.values()) - len(goal_ids)
        assert n_distractors == 4


def test_packing_shapes_goal_is_object_zero_single_point(fake_scene):
    task = make_task("packing-shapes", "val")
    scene = fake_scene(1)
    add = scene.add_object

    def add_mesh(urdf, pose, category="rigid", **kw):  # PyBullet reports a mesh's scale as its dims
        body = add(urdf, pose, category, **kw)
        repl = scene._templates.get(str(urdf), {})
        if "SCALE" in repl:
            scene.bodies[body].dims = tuple(repl["SCALE"])
        return body

    scene.add_object = add_mesh
    task.reset(scene)
    goal = task.goals[0]
    assert task.max_steps == 1 and len(goal.objects) == 1 and goal.metric == "zone"
    (points,) = goal.zone.points.values()
    assert np.allclose(points, [[-0.0015], [-0.0015], [-0.0005]])  # tasks.md §1.5 quirk


def test_google_root_lookup(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(GoogleObjectsMissing, match=r"google.*lacks meshes_fixed and textures"):
        google_objects_root(tmp_path)
    (tmp_path / "g" / "meshes_fixed").mkdir(parents=True)
    with pytest.raises(GoogleObjectsMissing, match=r"lacks textures/.*CLIPORT_GOOGLE_OBJECTS"):
        google_objects_root(None, tmp_path / "g")
    (tmp_path / "g" / "textures").mkdir()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "g"))
    assert google_objects_root(tmp_path) == tmp_path / "g"


def test_google_task_fails_at_reset_with_clear_error(fake_scene, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    task = make_task("packing-seen-google-objects-seq", "train")
    scene = fake_scene(0)
    scene.assets_root = tmp_path
    with pytest.raises(GoogleObjectsMissing, match="Google Scanned Objects folder"):
        task.reset(scene)
    assert not scene.bodies  # failed before building anything


def test_tilt_quirk_starts_objects_nearly_upside_down():
    for theta in np.linspace(0, 2 * np.pi, 13):
        q = tilt_quirk(yaw_quat(theta))
        assert np.linalg.norm(q) == pytest.approx(1.0)
        angle = np.degrees(2 * np.arccos(min(1.0, abs(q[3]))))
        assert 159 < angle <= 180.001
        assert abs(q[2]) / np.linalg.norm(q[:3]) < 0.2  # axis mostly horizontal


def _google_scene(fake_scene, seed, tmp_path):
    """A fake scene whose client answers the texture and mesh-data calls, plus a fake object folder."""
    root = tmp_path / "google"
    for sub in ("meshes_fixed", "textures"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name in cat.GOOGLE_SEEN_OBJECTS:
        (root / "meshes_fixed" / f"{cat.google_file_stem(name)}.obj").touch()
        (root / "textures" / f"{cat.google_file_stem(name)}.png").touch()
    scene = fake_scene(seed)
    client = scene.client
    client.loadTexture = lambda path: 1
    client.getMeshData = lambda body: (2, [(-0.05, -0.04, -0.03), (0.05, 0.04, 0.03)])
    change = client.changeVisualShape
    client.changeVisualShape = lambda b, link, rgbaColor=None, textureUniqueId=None: (  # noqa: N803
        change(b, link, rgbaColor=rgbaColor) if rgbaColor is not None else None
    )
    return scene, root


@pytest.mark.parametrize("seed", range(4))
def test_google_seq_and_group_goals(fake_scene, tmp_path, seed):
    scene, root = _google_scene(fake_scene, seed, tmp_path)
    seq = make_task("packing-unseen-google-objects-seq", "test")
    seq.google_objects_root = root
    seq.reset(scene)
    loaded = [b for b in scene.bodies.values() if b.category == "rigid"]
    n_pack = len(seq.goals)
    assert 1 <= n_pack < len(loaded) and seq.max_steps == n_pack + 1
    assert all(g.max_reward == pytest.approx(1 / n_pack) and len(g.objects) == 1 for g in seq.goals)
    n_grid = np.prod([len(np.arange(-d, d, 0.02)) for d in (0.05, 0.04, 0.03)])
    assert all(g.zone.points[g.objects[0].body_id].shape == (3, n_grid) for g in seq.goals)
    names = [t.removeprefix("pack the ").removesuffix(" in the brown box") for t in seq.lang_goals]
    assert set(names) <= set(cat.GOOGLE_UNSEEN_EVAL_OBJECTS) and len(set(names)) == len(names)
    assert scene.client.steps == 480

    scene, root = _google_scene(fake_scene, seed, tmp_path)
    group = make_task("packing-seen-google-objects-group", "train")
    group.google_objects_root = root
    group.reset(scene)
    (goal,) = group.goals
    assert group.lang_goals == [f"pack all the {group.target_name} objects in the brown box"]
    assert 1 <= len(goal.objects) and group.max_steps == len(goal.objects) + 1
    assert np.array_equal(goal.matches, np.eye(len(goal.objects)))
