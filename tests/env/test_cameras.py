"""Camera rendering: depth linearisation, segmentation ids, noise from the env RNG (env.md §4)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pybullet
import pytest
from pybullet_utils import bullet_client

from cliport.env import cameras as cams
from cliport.geometry import ORACLE_CAMERA


def test_linearize_depth_end_points_and_middle():
    near, far = 0.01, 10.0
    np.testing.assert_allclose(cams.linearize_depth(np.array([0.0, 1.0]), near, far), [near, far])
    # b = 0.5 is the harmonic-style midpoint 2nf / (f + n).
    np.testing.assert_allclose(cams.linearize_depth(np.array(0.5), near, far), 2 * near * far / (far + near))


@pytest.fixture()
def scene(sim_assets):
    client = bullet_client.BulletClient(pybullet.DIRECT)
    client.loadURDF(str(sim_assets / "ur5/workspace.urdf"), (0.5, 0, 0))  # id 0
    block = client.loadURDF(str(sim_assets / "builtin/block.urdf"), (0.5, 0.0, 0.02))  # id 1
    yield client, block
    client.disconnect()


def _small(config, factor=8):
    h, w = config.image_size
    k = list(config.intrinsics)
    for i in (0, 2, 4, 5):
        k[i] /= factor
    return replace(config, image_size=(h // factor, w // factor), intrinsics=tuple(k))


def test_oracle_view_segmentation_and_depth(scene):
    client, block = scene
    camera = _small(ORACLE_CAMERA)
    img = cams.render(client, camera, "tiny", segmentation=True)
    h, w = camera.image_size
    assert img.color.shape == (h, w, 3) and img.depth.dtype == np.float32
    assert img.segmentation.dtype == np.uint8
    # Looking straight down from z = 1000: the block top (z 0.04) at the centre, the table around it,
    # and depths measured along the optical axis.
    assert img.segmentation[h // 2, w // 2] == block
    assert img.segmentation[h // 2, w // 2 + 20] == 0
    assert abs(img.depth[h // 2, w // 2] - (1000 - 0.04)) < 2e-3
    assert abs(img.depth[h // 2, w // 2 + 20] - 1000) < 2e-3
    no_seg = cams.render(client, camera, "tiny")
    assert no_seg.segmentation is None
    np.testing.assert_array_equal(no_seg.color, img.color)


def test_noise_is_drawn_per_channel_from_the_given_rng(scene):
    client, _ = scene
    camera = replace(_small(ORACLE_CAMERA), noise=True)
    clean = cams.render(client, replace(camera, noise=False), "tiny")
    a = cams.render(client, camera, "tiny", rng=np.random.default_rng(5))
    b = cams.render(client, camera, "tiny", rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.color, b.color)
    np.testing.assert_array_equal(a.depth, b.depth)
    delta = a.color.astype(int) - clean.color.astype(int)
    assert np.any(delta[..., 0] != delta[..., 1])  # each channel has its own noise (H x W x 3)
    assert 1.0 < np.std(delta) < 5.0 and 0.001 < np.std(a.depth - clean.depth) < 0.005
    with pytest.raises(ValueError, match="rng"):
        cams.render(client, camera, "tiny")


def test_background_segmentation_is_255(scene):
    from cliport.geometry import REALSENSE_CAMERAS

    client, _ = scene
    img = cams.render(client, _small(REALSENSE_CAMERAS[0]), "tiny", segmentation=True)
    # The front camera's top rows look past the table (no plane loaded here): PyBullet's -1 -> 255.
    assert img.segmentation[0, 0] == 255 and img.depth[0, 0] > 9.9
    assert 0 in img.segmentation  # the table (body 0) is seen too
