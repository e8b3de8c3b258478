"""Video frames recorded while the robot moves, like the original's recorder.

A :class:`FrameRecorder` hooks into the environment's physics stepping and renders the front camera every
``every`` steps at 640 x 720 with shadows off (the vertical field of view recomputed from the new height
with the same focal length, as the original does), keeping the instruction valid at that moment. The
original's step counter advanced twice per joint-motion iteration; ours advances once per physics step,
so ``every=5`` gives a frame every 5 physics steps (96 frames per simulated second at 480 Hz).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from cliport.env import cameras as cams
from cliport.geometry import REALSENSE_CAMERAS, CameraConfig


def video_camera(
    height: int = 640, width: int = 720, base: CameraConfig = REALSENSE_CAMERAS[0]
) -> CameraConfig:
    """The front camera at another image size, same focal length, shadows off."""
    fx, fy = base.intrinsics[0], base.intrinsics[4]
    intrinsics = (fx, 0.0, width / 2, 0.0, fy, height / 2, 0.0, 0.0, 1.0)
    return replace(base, name="video", image_size=(height, width), intrinsics=intrinsics, shadow=0,
                   noise=False)


class FrameRecorder:
    """Collect (frame, instruction) pairs while attached to ``env.step_hooks`` (use as a context manager)."""

    def __init__(self, env: Any, every: int = 5, height: int = 640, width: int = 720) -> None:
        self.env = env
        self.every = max(1, int(every))
        self.camera = video_camera(height, width)
        self.frames: list[np.ndarray] = []
        self.texts: list[str] = []

    def capture(self) -> None:
        img = cams.render(self.env.client, self.camera, self.env.renderer)
        task = getattr(self.env, "task", None)
        self.frames.append(img.color)
        self.texts.append(task.lang_goal() if task is not None else "")

    def __call__(self, env: Any) -> None:
        if env.step_counter % self.every == 0:
            self.capture()

    def __enter__(self) -> FrameRecorder:
        """Capture the current view, then a frame every ``every`` physics steps until the block ends."""
        self.capture()
        self.env.step_hooks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self in self.env.step_hooks:
            self.env.step_hooks.remove(self)
