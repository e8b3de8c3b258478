"""The real-robot path: calibrated RGB-D cameras -> the agent's 320x160x6 input -> pick/place poses.

No simulator here: cameras are described by their calibration (intrinsics, camera-to-world pose) and
images; fusion reuses the pure-numpy code of :mod:`cliport.env.heightmap` and the numbers of
:mod:`cliport.geometry`. See docs/real-robot.md.
"""

from cliport.real.api import (
    CameraCalibration,
    CameraFrame,
    PickPlacePlan,
    fuse_cameras,
    network_input_from_cameras,
    plan_pick_place,
)

__all__ = [
    "CameraCalibration",
    "CameraFrame",
    "PickPlacePlan",
    "fuse_cameras",
    "network_input_from_cameras",
    "plan_pick_place",
]
