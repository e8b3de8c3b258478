"""Heightmap reconstruction and fusion: analytic scenes, the original's rules, and the reference case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cliport.env import heightmap as hm
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, REALSENSE_CAMERAS, TASK_BOUNDS, CameraConfig

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"
REFERENCE_CASE = REFERENCE / "heightmap_case_put_block_in_bowl_seed0.npz"

TABLE_RGB = (47, 47, 47)
BOX_RGB = (255, 87, 89)
# The table top sits 1 mm above z_min: a surface exactly at z_min is a knife edge (the last bit of the
# transform decides whether it is kept by the half-open bounds).
TABLE_Z = 0.001

# Straight-down camera 1 m above the workspace centre: camera x (columns) -> world +y,
# camera y (rows) -> world +x, optical axis -> world -z.
TOP_DOWN = CameraConfig(
    "top", (480, 640), (450.0, 0.0, 320.0, 0.0, 450.0, 240.0, 0.0, 0.0, 1.0), (0.5, 0.0, 1.0),
    (np.sqrt(0.5), np.sqrt(0.5), 0.0, 0.0), (0.01, 10.0),
)


def render_box_scene(
    cam: CameraConfig, box_lo, box_hi, table_z: float = TABLE_Z
) -> tuple[np.ndarray, np.ndarray]:
    """Ray-cast a table (z = table_z) and one axis-aligned box: colour (H, W, 3) and z-depth (H, W)."""
    h, w = cam.image_size
    K = cam.K
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    dirs_cam = np.stack([(cols - K[0, 2]) / K[0, 0], (rows - K[1, 2]) / K[1, 1], np.ones_like(cols)], -1)
    dirs = dirs_cam @ cam.rotation_matrix.T  # (H, W, 3); z-depth = ray parameter t
    origin = np.asarray(cam.position)
    t_table = (table_z - origin[2]) / dirs[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (np.asarray(box_lo) - origin) / dirs
        t2 = (np.asarray(box_hi) - origin) / dirs
    t_near = np.nanmax(np.minimum(t1, t2), axis=-1)
    t_far = np.nanmin(np.maximum(t1, t2), axis=-1)
    hit_box = (t_far >= t_near) & (t_near > 0)
    depth = np.where(hit_box, t_near, t_table)
    color = np.empty((h, w, 3), dtype=np.uint8)
    color[:] = TABLE_RGB
    color[hit_box] = BOX_RGB
    return color, depth.astype(np.float32)


def test_flat_table_gives_its_height_and_full_coverage():
    color, depth = render_box_scene(TOP_DOWN, (9, 9, 9), (9.1, 9.1, 9.1))  # box out of view
    height, cmap = hm.reconstruct(color, depth, TOP_DOWN.K, TOP_DOWN.position, TOP_DOWN.rotation,
                                  TASK_BOUNDS, PIXEL_SIZE)
    assert height.shape == (320, 160) and height.dtype == np.float32
    assert cmap.shape == (320, 160, 3) and cmap.dtype == np.uint8
    assert np.abs(height - TABLE_Z).max() < 1e-6
    assert (cmap == TABLE_RGB).all()  # every cell is seen (2.2 mm per pixel < 3.125 mm cells)


@pytest.mark.parametrize("cam", [TOP_DOWN, REALSENSE_CAMERAS[0]], ids=["top-down", "front"])
def test_box_height_and_footprint(cam):
    lo, hi = np.array([0.45, -0.1, 0.0]), np.array([0.55, 0.05, 0.05])
    color, depth = render_box_scene(cam, lo, hi)
    height, cmap = hm.reconstruct(color, depth, cam.K, cam.position, cam.rotation, TASK_BOUNDS, PIXEL_SIZE)
    # Cell (u, v) covers x in [0.25 + v p, 0.25 + (v+1) p), y in [-0.5 + u p, ...).
    v0, v1 = round((lo[0] - 0.25) / PIXEL_SIZE), round((hi[0] - 0.25) / PIXEL_SIZE)
    u0, u1 = round((lo[1] + 0.5) / PIXEL_SIZE), round((hi[1] + 0.5) / PIXEL_SIZE)
    inner = np.zeros(height.shape, bool)
    inner[u0 + 1 : u1 - 1, v0 + 1 : v1 - 1] = True
    outer = np.zeros(height.shape, bool)
    outer[u0 - 1 : u1 + 1, v0 - 1 : v1 + 1] = True
    tall = height > 0.025
    assert np.abs(height[inner] - 0.05).max() < 1e-3
    assert (cmap[inner] == BOX_RGB).all()
    assert not tall[~outer].any(), "box footprint bleeds more than one pixel"
    seen_far = (cmap.sum(-1) > 0) & ~outer
    assert np.abs(height[seen_far] - TABLE_Z).max() < 1e-6


def test_bounds_are_half_open():
    b = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 0.5]])
    pts = np.array([
        [0.0, 0.0, 0.0],  # min corner: kept
        [1.0, 0.5, 0.1],  # x == x_max: dropped
        [0.5, 1.0, 0.1],  # y == y_max: dropped
        [0.5, 0.5, 0.5],  # z == z_max: dropped
        [0.5, 0.5, -1e-6],  # below z_min: dropped
        [0.999, 0.999, 0.2],  # just inside: last cell
    ], dtype=np.float32)
    cols = np.arange(1, 7, dtype=np.uint8)[:, None].repeat(3, 1)
    height, cmap = hm.heightmap_from_points(pts, cols, b, 0.25)
    assert height.shape == (4, 4)
    expected = np.zeros((4, 4), np.uint8)
    expected[0, 0], expected[3, 3] = 1, 6
    np.testing.assert_array_equal(cmap[..., 0], expected)
    assert height[3, 3] == np.float32(0.2) and height[0, 0] == 0.0


def test_highest_point_wins_whatever_the_input_order():
    b = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    z = np.array([0.3, 0.9, 0.1, 0.5], dtype=np.float32)
    pts = np.stack([np.full(4, 0.1), np.full(4, 0.1), z], -1).astype(np.float32)
    cols = np.array([[10], [20], [30], [40]], np.uint8)
    for perm in ([0, 1, 2, 3], [1, 0, 3, 2], [3, 2, 1, 0]):
        height, cmap = hm.heightmap_from_points(pts[perm], cols[perm], b, 0.5)
        assert height[0, 0] == np.float32(0.9) and cmap[0, 0, 0] == 20
        assert height[1, 1] == 0 and cmap[1, 1, 0] == 0


def test_ties_follow_the_originals_sorted_assignment():
    """Equal heights in one cell: the last point of numpy's default argsort order wins (original rule)."""
    rng = np.random.default_rng(0)
    n = 4000
    pts = np.stack([rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.integers(0, 3, n) / 10], -1)
    pts = pts.astype(np.float32)
    cols = rng.integers(1, 255, (n, 3), dtype=np.uint8)
    b = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    height, cmap = hm.heightmap_from_points(pts, cols, b, 0.1)
    order = np.argsort(pts[:, 2])
    expect_h = np.zeros((10, 10), np.float32)
    expect_c = np.zeros((10, 10, 3), np.uint8)
    for i in order:  # sequential "later write wins", no fancy indexing
        u, v = int(pts[i, 1] / 0.1), int(pts[i, 0] / 0.1)
        expect_h[u, v], expect_c[u, v] = pts[i, 2], cols[i]
    np.testing.assert_array_equal(height, expect_h)
    np.testing.assert_array_equal(cmap, expect_c)


def test_segmentation_channel_is_scattered_like_colour():
    color, depth = render_box_scene(TOP_DOWN, (0.45, -0.1, 0), (0.55, 0.05, 0.05))
    seg = np.where((color == BOX_RGB).all(-1), 7, 0).astype(np.uint8)
    rgbs = np.concatenate([color, seg[..., None]], -1)
    height, cmap = hm.reconstruct(rgbs, depth, TOP_DOWN.K, TOP_DOWN.position, TOP_DOWN.rotation,
                                  TASK_BOUNDS, PIXEL_SIZE)
    assert cmap.shape == (320, 160, 4)
    np.testing.assert_array_equal(cmap[..., 3] == 7, (cmap[..., :3] == BOX_RGB).all(-1))
    assert (height[cmap[..., 3] == 7] > 0.04).all()


def test_fusion_mean_of_non_black_rounded_half_to_even_and_max_height():
    c = np.zeros((3, 2, 3, 3), np.uint8)
    h = np.zeros((3, 2, 3), np.float32)
    c[0, 0, 0], c[1, 0, 0] = 1, 2  # mean 1.5 -> 2
    c[0, 0, 1], c[1, 0, 1] = 2, 3  # mean 2.5 -> 2 (half to even)
    c[:, 0, 2] = [[10, 20, 30], [11, 21, 31], [0, 0, 0]]  # black view ignored
    c[2, 1, 0] = 200  # only one camera sees it
    h[:, 0, 0] = [0.01, 0.03, 0.02]
    color, height = hm.fuse_maps(list(c), list(h))
    assert tuple(color[0, 0]) == (2, 2, 2) and tuple(color[0, 1]) == (2, 2, 2)
    assert tuple(color[0, 2]) == (10, 20, 30)  # 10.5, 20.5, 30.5 -> even
    assert tuple(color[1, 0]) == (200, 200, 200)
    assert (color[1, 1:] == 0).all() and (height[1] == 0).all()  # missing cells stay black / 0
    assert height[0, 0] == np.float32(0.03) and height.dtype == np.float32


def test_network_input_layout():
    color = np.arange(320 * 160 * 3, dtype=np.int64).reshape(320, 160, 3) % 256
    height = np.linspace(0, 0.2, 320 * 160, dtype=np.float32).reshape(320, 160)
    image = hm.network_input(color.astype(np.uint8), height)
    assert image.shape == (320, 160, 6) and image.dtype == np.float32
    np.testing.assert_array_equal(image[..., :3], color)
    for k in (3, 4, 5):
        np.testing.assert_array_equal(image[..., k], height)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(hm.HeightmapError, match="depth shape"):
        hm.reconstruct(np.zeros((4, 5, 3), np.uint8), np.zeros((4, 4)), TOP_DOWN.K, TOP_DOWN.position,
                       TOP_DOWN.rotation, TASK_BOUNDS, PIXEL_SIZE)
    with pytest.raises(hm.HeightmapError, match="color must be"):
        hm.reconstruct(np.zeros((4, 4)), np.zeros((4, 4)), TOP_DOWN.K, TOP_DOWN.position,
                       TOP_DOWN.rotation, TASK_BOUNDS, PIXEL_SIZE)
    with pytest.raises(hm.HeightmapError, match="rotation_xyzw must have 4 numbers"):
        hm.reconstruct(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4)), TOP_DOWN.K, TOP_DOWN.position,
                       (0, 0, 1), TASK_BOUNDS, PIXEL_SIZE)
    with pytest.raises(hm.HeightmapError, match="bounds must be a"):
        hm.heightmap_from_points(np.zeros((1, 3)), np.zeros((1, 3), np.uint8), TASK_BOUNDS[:2], PIXEL_SIZE)
    with pytest.raises(hm.HeightmapError, match="pixel_size must be positive"):
        hm.heightmap_from_points(np.zeros((1, 3)), np.zeros((1, 3), np.uint8), TASK_BOUNDS, 0.0)
    with pytest.raises(hm.HeightmapError, match="one color and one depth image per camera"):
        hm.fuse([np.zeros((4, 4, 3), np.uint8)], [], REALSENSE_CAMERAS[:1], TASK_BOUNDS, PIXEL_SIZE)


def test_reference_case_is_reproduced_exactly():
    if not REFERENCE_CASE.exists():
        pytest.skip(f"reference data not found at {REFERENCE_CASE}")
    ref = np.load(REFERENCE_CASE)
    cameras = [
        CameraConfig(f"cam{k}", (480, 640), tuple(ref["intrinsics"][k]), tuple(ref["positions"][k]),
                     tuple(ref["rotations_xyzw"][k]), (0.01, 10.0))
        for k in range(3)
    ]
    for ours, theirs in zip(REALSENSE_CAMERAS, cameras, strict=True):  # our presets are the same cameras
        np.testing.assert_allclose(ours.position, theirs.position)
        np.testing.assert_allclose(ours.rotation, theirs.rotation, atol=1e-7)
    np.testing.assert_allclose(ref["bounds"], INPUT_BOUNDS)
    color, height = hm.fuse(list(ref["color"]), list(ref["depth"]), cameras, ref["bounds"],
                            float(ref["pixel_size"]))
    np.testing.assert_array_equal(color, ref["fused_color"])
    np.testing.assert_array_equal(height, ref["fused_height"])
    assert color.dtype == np.uint8 and height.dtype == np.float32
