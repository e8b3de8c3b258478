"""The benchmark's numbers (bounds, pixel size, camera intrinsics, poses) live only in geometry.py."""

import re
from pathlib import Path

import numpy as np

from cliport import geometry

SRC = Path(geometry.__file__).parent

# Literals that would betray a second definition of the geometry.
FORBIDDEN = [
    r"0\.003125",  # pixel size
    r"\b3\.125e-3\b",
    r"\b450\.0?\b\s*,\s*0\.0?\s*,\s*320",  # RealSense intrinsics
    r"63e4|630000",  # oracle focal length
    r"\(\s*1\.0\s*,\s*0\.0?\s*,\s*0\.75\s*\)",  # front camera position
    r"\[\s*\[\s*0\.25\s*,\s*0\.75\s*\]",  # bounds arrays
]


def test_geometry_literals_appear_only_in_geometry_py():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "geometry.py":
            continue
        text = path.read_text()
        for pattern in FORBIDDEN:
            for m in re.finditer(pattern, text):
                line = text[: m.start()].count("\n") + 1
                offenders.append(f"{path.relative_to(SRC)}:{line}: {m.group(0)}")
    assert not offenders, "geometry defined outside geometry.py:\n" + "\n".join(offenders)


def test_pixel_world_round_trip_and_conventions():
    # row indexes y, column indexes x; pixel -> world gives the pixel's corner; world -> pixel rounds
    x, y, z = geometry.pix_to_xyz((10, 20), None)
    assert (x, y, z) == (0.25 + 20 * geometry.PIXEL_SIZE, -0.5 + 10 * geometry.PIXEL_SIZE, 0.0)
    assert geometry.xyz_to_pix((x, y, 0.0)) == (10, 20)
    assert geometry.xyz_to_pix((0.25 + 20.6 * geometry.PIXEL_SIZE, -0.5, 0.0)) == (0, 21)
    hm = np.zeros(geometry.HEIGHTMAP_SHAPE)
    hm[3, 4] = 0.07
    assert geometry.pix_to_xyz((3, 4), hm)[2] == 0.07
    assert geometry.HEIGHTMAP_SHAPE == (320, 160) and geometry.INPUT_SHAPE == (320, 160, 6)


def test_camera_quaternions_match_the_spec():
    spec = {
        "front": (0.653281, 0.653281, -0.270598, -0.270598),
        "left": (-0.359605, 0.868163, -0.315985, 0.130885),
        "right": (-0.868163, 0.359605, -0.130885, 0.315985),
    }
    for cam in geometry.REALSENSE_CAMERAS:
        assert np.allclose(cam.rotation, spec[cam.name], atol=1e-6)
        assert abs(cam.fov_y_degrees - 56.145) < 1e-3
    assert np.allclose(geometry.ORACLE_CAMERA.rotation, (0.707107, 0.707107, 0, 0), atol=1e-6)
    assert np.allclose(geometry.REALSENSE_CAMERAS[1].forward, (0.4545, -0.4545, -0.7660), atol=1e-4)
    assert np.allclose(geometry.REALSENSE_CAMERAS[0].up, (-0.7071, 0, 0.7071), atol=1e-4)


def test_euler_helpers_are_inverse():
    rng = np.random.default_rng(0)
    for _ in range(50):
        e = rng.uniform(-1.2, 1.2, 3)
        assert np.allclose(geometry.quat_to_eulerXYZ(geometry.eulerXYZ_to_quat(tuple(e))), e, atol=1e-9)
    q = geometry.eulerXYZ_to_quat((0, 0, 0.7))
    assert np.allclose(q, geometry.yaw_quat(0.7))
