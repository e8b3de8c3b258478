"""Shared test fixtures: generated simulator assets (once per session) and small cameras."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cliport.geometry import REALSENSE_CAMERAS, CameraConfig

#: The assets the simulator itself needs (robot, grippers, table, built-in block).
SIM_ASSETS = [
    "plane/plane.urdf", "ur5/workspace.urdf", "ur5/ur5.urdf", "ur5/suction/suction-base.urdf",
    "ur5/suction/suction-head.urdf", "ur5/spatula/spatula-base.urdf", "builtin/block.urdf",
    "builtin/small_block.urdf",
]


@pytest.fixture(scope="session")
def sim_assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the generated robot/scene assets (not the task props)."""
    from cliport.env.assets import ensure_assets

    return ensure_assets(tmp_path_factory.mktemp("assets"), only=SIM_ASSETS)


def scaled_camera(config: CameraConfig, factor: int) -> CameraConfig:
    """The same camera with an image ``factor`` times smaller (same field of view)."""
    h, w = config.image_size
    k = list(config.intrinsics)
    for i in (0, 2, 4, 5):
        k[i] /= factor
    return replace(config, image_size=(h // factor, w // factor), intrinsics=tuple(k))


@pytest.fixture(scope="session")
def small_cameras() -> tuple[CameraConfig, ...]:
    """The three benchmark cameras at 120 x 160 pixels: cheap observations for tests."""
    return tuple(scaled_camera(c, 4) for c in REALSENSE_CAMERAS)
