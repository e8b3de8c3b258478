"""The video recorder: frames while the robot moves, at the video size, with the instruction."""

import numpy as np

from cliport.env.blocks_scene import BlocksScene
from cliport.env.environment import Environment
from cliport.env.recording import FrameRecorder, video_camera
from cliport.geometry import yaw_quat
from cliport.types import Action, Pose


def test_video_camera_keeps_the_focal_length_and_turns_shadows_off():
    cam = video_camera(640, 720)
    assert cam.image_size == (640, 720) and cam.intrinsics[0] == 450.0 and cam.intrinsics[2] == 360.0
    assert cam.shadow == 0
    assert abs(cam.fov_y_degrees - np.degrees(2 * np.arctan(320 / 450))) < 1e-9


def test_recorder_renders_every_n_physics_steps_during_an_action(sim_assets, small_cameras):
    env = Environment(BlocksScene(n_blocks=1, positions=[(0.5, 0.0, 0.0)]), assets_root=sim_assets,
                      cameras=small_cameras)
    try:
        env.reset(seed=0)
        start = env.step_counter
        with FrameRecorder(env, every=200, height=64, width=72) as rec:
            action = Action(Pose((0.5, 0.0, 0.02), yaw_quat(0)), Pose((0.5, 0.1, 0.02), yaw_quat(0)))
            env.step(action)
        end = env.step_counter
        assert len(rec.frames) == 1 + end // 200 - start // 200  # the view on entry + one per 200 steps
        assert len(rec.frames) >= 2 and rec.frames[0].shape == (64, 72, 3)
        assert rec.texts == ["move the blocks"] * len(rec.frames)
        assert rec not in env.step_hooks
        assert not all(np.array_equal(rec.frames[0], f) for f in rec.frames[1:])  # the arm moved
    finally:
        env.close()
