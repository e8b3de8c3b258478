"""The real-robot API: calibrations are checked, and fusing the simulator's camera images through it
gives exactly the environment's own observation maps."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.errors import CliportError
from cliport.geometry import REALSENSE_CAMERAS, matrix_from_quat
from cliport.real import (
    CameraCalibration,
    CameraFrame,
    fuse_cameras,
    network_input_from_cameras,
    plan_pick_place,
)
from cliport.types import Action, Pose


@pytest.fixture(scope="module")
def sim_obs(sim_assets, small_cameras):
    from cliport.env.blocks_scene import BlocksScene
    from cliport.env.environment import Environment

    env = Environment(BlocksScene(n_blocks=3), assets_root=sim_assets, renderer="tiny", cameras=small_cameras)
    try:
        obs, _ = env.reset(seed=3)
        maps = env.fused_maps(obs)
        image = env.fused_input(obs)
    finally:
        env.close()
    return obs, maps, image


def _frames(cameras, obs, as_matrix=False):
    frames = []
    for cam, color, depth in zip(cameras, obs["color"], obs["depth"], strict=True):
        rot = matrix_from_quat(cam.rotation) if as_matrix else np.array(cam.rotation)
        cal = CameraCalibration(np.reshape(cam.intrinsics, (3, 3)), np.array(cam.position), rot, cam.name)
        frames.append(CameraFrame(cal, color, depth))
    return frames


def test_fusion_equals_environment_observation(sim_obs, small_cameras):
    obs, (env_color, env_height), env_image = sim_obs
    color, height = fuse_cameras(_frames(small_cameras, obs))
    assert color.dtype == np.uint8 and height.dtype == np.float32
    np.testing.assert_array_equal(color, env_color)
    np.testing.assert_array_equal(height, env_height)
    image = network_input_from_cameras(_frames(small_cameras, obs))
    assert image.shape == (320, 160, 6)
    np.testing.assert_array_equal(image, env_image)
    assert (height > 0.01).sum() > 50  # the blocks are in the map, not an empty table


def test_rotation_matrix_gives_the_same_map_as_quaternion(sim_obs, small_cameras):
    obs, (env_color, env_height), _ = sim_obs
    color, height = fuse_cameras(_frames(small_cameras, obs, as_matrix=True))
    # A matrix is turned into a quaternion (sign may flip, last bits may change): at most a few cells of
    # points lying exactly on a cell border can move.
    assert (color != env_color).any(axis=-1).mean() < 1e-3
    assert (height != env_height).mean() < 1e-3


def test_from_config_matches_simulator_camera():
    cal = CameraCalibration.from_config(REALSENSE_CAMERAS[0])
    np.testing.assert_array_equal(cal.intrinsics, REALSENSE_CAMERAS[0].K)
    np.testing.assert_array_equal(cal.rotation, np.array(REALSENSE_CAMERAS[0].rotation))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(intrinsics=np.eye(2)), "intrinsics"),
        (dict(intrinsics=np.diag([-1.0, 1.0, 1.0])), "focal"),
        (dict(position=np.zeros(2)), "position"),
        (dict(rotation=np.array([0.0, 0.0, 0.0, 2.0])), "norm 1"),
        (dict(rotation=np.diag([1.0, 1.0, -1.0])), "proper rotation"),
        (dict(rotation=np.zeros(5)), "quaternion"),
    ],
)
def test_bad_calibration_is_a_clear_error(kwargs, message):
    base = dict(
        intrinsics=np.diag([450.0, 450.0, 1.0]), position=np.zeros(3), rotation=np.array([0, 0, 0, 1.0])
    )
    with pytest.raises(CliportError, match=message):
        CameraCalibration(**{**base, **kwargs}, name="cam0")


def test_bad_images_are_clear_errors():
    cal = CameraCalibration(np.diag([450.0, 450.0, 1.0]), np.zeros(3), np.array([0, 0, 0, 1.0]), "cam0")
    color = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(CliportError, match="at least one"):
        fuse_cameras([])
    with pytest.raises(CliportError, match="does not match"):
        fuse_cameras([CameraFrame(cal, color, np.zeros((4, 4), np.float32))])
    with pytest.raises(CliportError, match="float metres"):
        fuse_cameras([CameraFrame(cal, color, np.zeros((4, 5), np.uint16))])
    with pytest.raises(CliportError, match="uint8"):
        fuse_cameras([CameraFrame(cal, color.astype(np.float32), np.zeros((4, 5), np.float32))])


class _RecordingPolicy:
    """Returns fixed poses and keeps what it was given."""

    def __init__(self):
        self.seen = None

    def act(self, obs, instruction=None):
        self.seen = (np.array(obs), instruction)
        pick = Pose([0.5, 0.1, 0.02], [0, 0, 0, 1])
        place = Pose([0.6, -0.2, 0.0], [0, 0, 0.7071068, 0.7071068])
        return Action(pick, place, {"pick": [1, 2, 0.0]})


def test_plan_pick_place_passes_fused_input_and_instruction(sim_obs, small_cameras):
    obs, _, env_image = sim_obs
    policy = _RecordingPolicy()
    plan = plan_pick_place(policy, _frames(small_cameras, obs), "pack the blocks")
    np.testing.assert_array_equal(policy.seen[0], env_image)
    assert policy.seen[1] == "pack the blocks"
    np.testing.assert_array_equal(plan.pick.position, [0.5, 0.1, 0.02])
    np.testing.assert_array_equal(plan.place.rotation, [0, 0, 0.7071068, 0.7071068])
    assert plan.extras == {"pick": [1, 2, 0.0]}
