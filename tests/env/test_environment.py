"""The Gymnasium environment: determinism, Scene services, observations and clear errors (env.md §3, §10)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from cliport.env.actions import ActionError
from cliport.env.assets import AssetError
from cliport.env.blocks_scene import BlocksScene
from cliport.env.cameras import RendererError
from cliport.env.environment import Environment
from cliport.errors import CliportError
from cliport.geometry import REALSENSE_CAMERAS, yaw_quat


@pytest.fixture()
def envs(sim_assets, small_cameras):
    made = []

    def make(task=None, **kwargs) -> Environment:
        kwargs = {"assets_root": sim_assets, "renderer": "tiny", "cameras": small_cameras} | kwargs
        env = Environment(task if task is not None else BlocksScene(), **kwargs)
        made.append(env)
        return env

    yield make
    for env in made:
        env.close()


def _obs_bytes(obs) -> bytes:
    return b"".join(a.tobytes() for key in ("color", "depth") for a in obs[key])


def _actions(env: Environment) -> list[dict]:
    """Move every block 10 cm towards +y (a deterministic function of the scene)."""
    out = []
    for block in env.task.block_ids:
        pos, quat = env.client.getBasePositionAndOrientation(block)
        target = (pos[0], pos[1] + 0.1 if pos[1] < 0.3 else pos[1] - 0.1, 0.02)
        out.append({"pose0": (pos, quat), "pose1": (target, yaw_quat(0.5))})
    return out


def test_two_envs_same_seed_identical_different_seed_differs(envs):
    a, b, c = envs(), envs(), envs()
    obs_a, info_a = a.reset(seed=7)
    obs_b, info_b = b.reset(seed=7)
    obs_c, _ = c.reset(seed=8)
    assert _obs_bytes(obs_a) == _obs_bytes(obs_b)
    assert info_a.keys() == info_b.keys() and len(info_a) == 4  # 3 blocks + lang_goal
    assert _obs_bytes(obs_a) != _obs_bytes(obs_c)
    assert info_a[5][0] != c.info[5][0]
    # Interleave the two envs' steps: neither may disturb the other.
    for act_a, act_b in zip(_actions(a), _actions(b), strict=True):
        obs_a, r_a, *_ = a.step(act_a)
        obs_b, r_b, *_ = b.step(act_b)
        assert _obs_bytes(obs_a) == _obs_bytes(obs_b) and r_a == r_b
    assert a.step_counter == b.step_counter
    assert all(a.info[i][:2] == b.info[i][:2] for i in a.task.block_ids)


@pytest.mark.parametrize("noise", [False, True])
def test_forked_rendering_gives_the_same_bytes(envs, small_cameras, noise):
    from dataclasses import replace

    cameras = tuple(replace(c, noise=noise) for c in small_cameras)
    forked = envs(cameras=cameras, parallel_render=True)
    serial = envs(cameras=cameras, parallel_render=False)
    assert forked.parallel_render and not serial.parallel_render
    obs_f, _ = forked.reset(seed=4)
    obs_s, _ = serial.reset(seed=4)
    assert _obs_bytes(obs_f) == _obs_bytes(obs_s)
    assert _obs_bytes(forked.observe()) == _obs_bytes(serial.observe())


def test_parallel_render_needs_tiny(sim_assets):
    with pytest.raises(CliportError, match="parallel_render needs renderer='tiny'"):
        Environment(BlocksScene(), assets_root=sim_assets, renderer="egl", parallel_render=True)


def test_observation_and_spaces(envs, small_cameras):
    env = envs()
    obs, info = env.reset(seed=0)
    assert len(obs["color"]) == 3 and len(obs["depth"]) == 3
    assert obs["color"][0].shape == (*small_cameras[0].image_size, 3) and obs["color"][0].dtype == np.uint8
    assert obs["depth"][0].dtype == np.float32
    assert env.observation_space.contains(obs)
    assert env.action_space["pose0"][0].shape == (3,)
    # Bodies 0-4: plane, workspace, ur5, suction base, suction head; task objects from 5.
    assert env.task.block_ids == [5, 6, 7] == env.obj_ids["rigid"]
    np.testing.assert_allclose(info[5][2], (0.04, 0.04, 0.04))
    # The front camera looks down on the table: depths between 0.6 and 1.5 m at the image centre.
    h, w = small_cameras[0].image_size
    assert 0.6 < obs["depth"][0][h // 2, w // 2] < 1.5


@pytest.mark.filterwarnings("ignore:.*symmetric and normalized space")  # workspace metres, by design
def test_gymnasium_env_checker(envs):
    from gymnasium.utils.env_checker import check_env

    env = envs(BlocksScene(n_blocks=1))
    check_env(env, skip_render_check=True)  # reset/step contract, spaces, seeding determinism


def test_fill_template_and_oracle(envs, tmp_path):
    env = envs(BlocksScene(positions=[(0.5, 0.2, 0.0)]))
    env.reset(seed=3)
    template = tmp_path / "box-template.urdf"
    template.write_text(
        '<robot name="b"><link name="l"><inertial><mass value="0.1"/><inertia ixx="1" ixy="0" ixz="0" '
        'iyy="1" iyz="0" izz="1"/></inertial><visual><geometry><box size="DIM0 DIM1 DIM2"/></geometry>'
        '</visual><collision><geometry><box size="DIM0 DIM1 DIM2"/></geometry></collision></link></robot>'
    )
    path = env.fill_template(template, {"DIM": (0.05, 0.06, 0.03)})
    assert "0.05 0.06 0.03" in path.read_text() and path.name.startswith("box-template.urdf.")
    box = env.add_object(path, ((0.4, -0.2, 0.015), (0, 0, 0, 1)))
    assert not path.exists()  # deleted once loaded
    np.testing.assert_allclose(env.info[box][2], (0.05, 0.06, 0.03))
    cmap, hmap, mask = env.render_oracle()
    assert cmap.shape == (320, 160, 3) and hmap.shape == (320, 160) and mask.dtype == np.int32
    u, v = int((0.2 + 0.5) / 0.003125), int((0.5 - 0.25) / 0.003125)
    assert mask[u, v] == env.task.block_ids[0] and abs(hmap[u, v] - 0.04) < 0.003
    u, v = int((-0.2 + 0.5) / 0.003125), int((0.4 - 0.25) / 0.003125)
    assert mask[u, v] == box and abs(hmap[u, v] - 0.03) < 0.003
    assert mask[5, 5] == 1  # the workspace surface


def test_unknown_renderer_is_a_clear_error(sim_assets):
    with pytest.raises(RendererError, match="unknown renderer 'opengl'.*tiny"):
        Environment(BlocksScene(), assets_root=sim_assets, renderer="opengl")


def test_egl_without_libegl_names_the_package(sim_assets, monkeypatch):
    import ctypes.util

    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "EGL" else real(name))
    with pytest.raises(RendererError, match="apt-get install -y libegl1"):
        Environment(BlocksScene(), assets_root=sim_assets, renderer="egl")


def test_assets_root_missing_file_names_it(sim_assets, tmp_path, small_cameras):
    root = tmp_path / "assets"
    shutil.copytree(sim_assets, root)
    (root / "ur5/suction/suction-head.urdf").unlink()
    env = Environment(BlocksScene(), assets_root=root, renderer="tiny", cameras=small_cameras)
    try:
        with pytest.raises(AssetError, match="suction-head.urdf is missing") as err:
            env.reset(seed=0)
        assert isinstance(err.value, CliportError)
    finally:
        env.close()
    with pytest.raises(AssetError, match="not a folder"):
        Environment(BlocksScene(), assets_root=tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("pose0", "message"),
    [
        (((0.5, np.nan, 0.02), (0, 0, 0, 1)), "pose0 contains NaN"),
        (((1.2, 0.0, 0.02), (0, 0, 0, 1)), "pose0 position .* outside the workspace on x"),
        (((0.5, 0.0, 0.02), (0, 0, 0, 0)), "zero norm"),
        ((0.5, 0.0), "pose0 must be"),
    ],
)
def test_bad_actions_are_clear_errors(envs, pose0, message):
    env = envs(BlocksScene(n_blocks=1))
    env.reset(seed=0)
    before = env.step_counter
    with pytest.raises(ActionError, match=message):
        env.step({"pose0": pose0, "pose1": ((0.5, 0.1, 0.02), (0, 0, 0, 1))})
    with pytest.raises(ActionError, match="missing pose1"):
        env.step({"pose0": ((0.5, 0.0, 0.02), (0, 0, 0, 1))})
    assert env.step_counter == before  # nothing moved


def test_bad_hz_is_a_clear_error(sim_assets):
    with pytest.raises(CliportError, match="hz must be a positive integer"):
        Environment(BlocksScene(), assets_root=sim_assets, hz=0)


def test_reset_without_task_is_a_clear_error(sim_assets):
    env = Environment(assets_root=sim_assets, renderer="tiny")
    try:
        with pytest.raises(CliportError, match="no task"):
            env.reset(seed=0)
    finally:
        env.close()


# TinyRenderer shades the (0.2, 0.2, 0.2) table like the original (~47); EGL draws it unlit (~51-54).
@pytest.mark.parametrize(("renderer", "grey"), [("tiny", 47), ("egl", 52)])
def test_empty_table_fused_map_is_complete_and_dark_grey(sim_assets, renderer, grey):
    try:
        env = Environment(BlocksScene(n_blocks=0), assets_root=sim_assets, renderer=renderer,
                          cameras=REALSENSE_CAMERAS)
    except RendererError as err:
        pytest.skip(str(err))
    try:
        obs, _ = env.reset(seed=0)
        color, height = env.fused_maps(obs)
        image = env.fused_input(obs)
    finally:
        env.close()
    assert image.shape == (320, 160, 6) and image.dtype == np.float32
    assert np.all(color.sum(axis=2) > 0), "a cell of the fused map has no colour"
    mean = color.reshape(-1, 3).mean(axis=0)
    assert np.all(np.abs(mean - grey) < 3), mean
    assert np.abs(height).max() < 0.002  # a flat table
