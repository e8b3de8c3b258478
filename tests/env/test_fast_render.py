"""The faster render path (issue 10) gives the same bytes as the pre-change path.

``Environment()`` (fast_plane, no oracle shadow pass) against ``Environment(**PRE_CHANGE_OPTIONS)`` on the
same seeds: raw camera images, fused 320x160 maps, oracle views and body poses must be equal exactly.
Through oracle steps the old side keeps the new IK and motion (``RENDER_ONLY``), so that only the
render differs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from cliport.env.environment import PRE_CHANGE_OPTIONS, Environment
from cliport.env.plane_visual import fast_plane_urdf, top_face_obj

#: The pre-change render options only: the IK and motion of both paths are the new default's, so that
#: the robot moves the same way and every difference would be the renderer's. (The old IK/motion move
#: the arm a fraction of a millimetre differently; tests/tasks/test_same_episode_old_new.py checks those.)
RENDER_ONLY = {k: v for k, v in PRE_CHANGE_OPTIONS.items() if k not in ("ik", "motion")}


def _pair(task_name: str, old_options: dict = PRE_CHANGE_OPTIONS):
    from cliport.tasks.registry import make_task

    old = Environment(make_task(task_name), parallel_render=False, **old_options)
    new = Environment(make_task(task_name), parallel_render=False)
    return old, new


def _poses(env: Environment) -> list:
    c = env.client
    return [c.getBasePositionAndOrientation(b) for b in range(c.getNumBodies())]


def _assert_same_observation(old_obs: dict, new_obs: dict, old: Environment, new: Environment) -> None:
    for key in ("color", "depth"):
        for a, b in zip(old_obs[key], new_obs[key], strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(a, b), f"{key} images differ in {int((a != b).sum())} values"
    (c_old, h_old), (c_new, h_new) = old.fused_maps(old_obs), new.fused_maps(new_obs)
    assert int((c_old != c_new).any(axis=-1).sum()) == 0
    assert int((h_old != h_new).sum()) == 0


def test_defaults_are_the_new_paths_and_pre_change_options_every_old_one():
    env = Environment(parallel_render=False, **PRE_CHANGE_OPTIONS)
    try:
        assert env.fast_plane is False and env.oracle_shadow_pass is True
        assert (env.ik, env.motion) == ("pybullet", "legacy")
    finally:
        env.close()
    env = Environment(parallel_render=False)
    try:
        assert env.fast_plane is True and env.oracle_shadow_pass is False
        assert (env.ik, env.motion) == ("analytic", "fast")
    finally:
        env.close()


def test_reference_scene_renders_the_same_bytes_and_physics():
    """put-block-in-bowl-seen-colors seed 0 (the reference case's task and seed; our RNG makes our own
    scene for it): raw images, fused maps, oracle view and body poses are equal on both paths."""
    old, new = _pair("put-block-in-bowl-seen-colors")
    try:
        old_obs, _ = old.reset(seed=0)
        new_obs, _ = new.reset(seed=0)
        assert _poses(old) == _poses(new)
        _assert_same_observation(old_obs, new_obs, old, new)
        for a, b in zip(old.render_oracle(), new.render_oracle(), strict=True):
            assert np.array_equal(a, b)
        # The plane really is drawn differently (one visual, a mesh instead of the collision box).
        assert old.client.getVisualShapeData(0)[0][2] != new.client.getVisualShapeData(0)[0][2]
    finally:
        old.close()
        new.close()


@pytest.mark.slow
@pytest.mark.parametrize("task_name", [
    "put-block-in-bowl-seen-colors", "block-insertion", "stack-block-pyramid-seq-seen-colors",
    "towers-of-hanoi-seq-seen-colors", "palletizing-boxes",
])
def test_fresh_scenes_with_oracle_steps_are_the_same(task_name):
    """Two seeds per task, through two oracle steps: every observation, oracle view and pose equal
    between the pre-change render options and the new default (same IK and motion on both)."""
    from cliport.tasks.oracle import make_oracle
    from cliport.tasks.registry import make_task

    assert set(RENDER_ONLY) == {"fast_plane", "oracle_shadow_pass", "fork_when_busy"}
    old, new = _pair(task_name, RENDER_ONLY)
    try:
        for seed in (1, 2):
            runs = []
            for env in (old, new):
                task = make_task(task_name)
                env.set_task(task)
                obs, info = env.reset(seed=seed)
                oracle = make_oracle(task)
                trace = [(obs, env.render_oracle(), _poses(env))]
                for _ in range(2):
                    action = oracle.act(env, obs, info)
                    if action is None:
                        break
                    obs, _, done, _, info = env.step(action)
                    trace.append((obs, env.render_oracle(), _poses(env)))
                    if done:
                        break
                runs.append(trace)
            assert len(runs[0]) == len(runs[1])
            for (o_obs, o_oracle, o_poses), (n_obs, n_oracle, n_poses) in zip(*runs, strict=True):
                assert o_poses == n_poses
                _assert_same_observation(o_obs, n_obs, old, new)
                for a, b in zip(o_oracle, n_oracle, strict=True):
                    assert np.array_equal(a, b)
    finally:
        old.close()
        new.close()


def test_step_without_observation_changes_nothing_else(sim_assets, small_cameras):
    """observe=False returns no observation, and the same reward, info and state as observe=True."""
    from cliport.env.blocks_scene import BlocksScene
    from cliport.geometry import yaw_quat

    envs = [Environment(BlocksScene(n_blocks=2), assets_root=sim_assets, cameras=small_cameras,
                        parallel_render=False) for _ in range(2)]
    try:
        outs = []
        for env, observe in zip(envs, (True, False), strict=True):
            env.reset(seed=3)
            body = env.obj_ids["rigid"][0]
            pos, quat = env.client.getBasePositionAndOrientation(body)
            action = {"pose0": (pos, quat), "pose1": ((pos[0], pos[1] - 0.1 if pos[1] > 0 else pos[1] + 0.1,
                                                        0.02), yaw_quat(0.0))}
            outs.append(env.step(action, observe=observe))
        (obs_a, r_a, t_a, tr_a, info_a), (obs_b, r_b, t_b, tr_b, info_b) = outs
        assert obs_a is not None and obs_b is None
        assert (r_a, t_a, tr_a) == (r_b, t_b, tr_b)
        assert info_a == info_b
        assert _poses(envs[0]) == _poses(envs[1])
    finally:
        for env in envs:
            env.close()


def test_top_face_obj_has_the_box_top_in_pybullet_vertex_order():
    lines = top_face_obj((200.0, 200.0, 10.0)).splitlines()
    assert lines[:4] == [
        "v -100.0 -100.0 5.0", "v 100.0 -100.0 5.0", "v 100.0 100.0 5.0", "v -100.0 100.0 5.0",
    ]
    assert lines[-2:] == ["f 1/1/1 2/2/1 3/3/1", "f 1/1/1 3/3/1 4/4/1"]
    assert "vn 0.0 0.0 1.0" in lines


def test_fast_plane_urdf_adds_one_visual_in_the_collision_frame(sim_assets, tmp_path):
    plane = sim_assets / "plane" / "plane.urdf"
    out = fast_plane_urdf(plane, tmp_path)
    assert out != plane and out.parent == tmp_path
    link = ET.parse(out).getroot().find("link")
    visual, collision = link.find("visual"), link.find("collision")
    assert visual.find("origin").attrib == collision.find("origin").attrib
    assert (tmp_path / "plane_top_face.obj").read_text() == top_face_obj((200.0, 200.0, 10.0))
    # Everything else is the original file's.
    link.remove(visual)
    original = ET.parse(plane).getroot()
    assert ET.tostring(link) == ET.tostring(original.find("link"))


@pytest.mark.parametrize("body", [
    '<visual><geometry><box size="1 1 1"/></geometry></visual>'
    '<collision><geometry><box size="1 1 1"/></geometry></collision>',
    '<collision><origin xyz="0 0 0" rpy="0 0.1 0"/><geometry><box size="1 1 1"/></geometry></collision>',
    '<collision><geometry><sphere radius="1"/></geometry></collision>',
])
def test_other_plane_files_are_loaded_as_they_are(tmp_path, body):
    plane = tmp_path / "plane.urdf"
    plane.write_text(f'<robot name="p"><link name="l">{body}</link></robot>')
    assert fast_plane_urdf(plane, tmp_path) == plane


@pytest.mark.parametrize(("idle", "fork_when_busy", "forks"), [
    (True, False, True), (False, False, False), (False, True, True),
])
def test_automatic_forking_waits_for_an_idle_core(
    sim_assets, small_cameras, monkeypatch, idle, fork_when_busy, forks
):
    from cliport.env import parallel_render
    from cliport.env.blocks_scene import BlocksScene

    if not parallel_render.available():
        pytest.skip("forked rendering needs os.fork")
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    monkeypatch.setattr(parallel_render, "idle_core", lambda: idle)
    calls = []
    real = parallel_render.render_forked
    monkeypatch.setattr(parallel_render, "render_forked", lambda *a: calls.append(1) or real(*a))
    env = Environment(
        BlocksScene(), assets_root=sim_assets, cameras=small_cameras, fork_when_busy=fork_when_busy
    )
    try:
        env.reset(seed=0)
        assert env.parallel_render
        assert bool(calls) is forks
    finally:
        env.close()


def test_idle_core_reads_the_load_average(monkeypatch):
    from cliport.env import parallel_render

    monkeypatch.setattr("os.cpu_count", lambda: 4)
    monkeypatch.setattr("os.getloadavg", lambda: (2.5, 0.0, 0.0))
    assert parallel_render.idle_core()
    monkeypatch.setattr("os.getloadavg", lambda: (3.5, 0.0, 0.0))
    assert not parallel_render.idle_core()
