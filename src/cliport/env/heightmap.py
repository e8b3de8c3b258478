"""Top-down heightmaps and colormaps from RGB-D images, and their fusion over cameras (env.md §5).

Pure numpy so that the simulator, the scene generator (oracle "true image"), the dataset and the tests
share one implementation. The arithmetic follows the original step by step (float32 point cloud,
float64 camera transform summed term by term, floor to cells, highest point per cell wins, colour mean
rounded half-to-even) so that fused maps match the original's bit for bit; see
``tests/env/test_heightmap.py`` for the reference case.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cliport.errors import CliportError
from cliport.geometry import CameraConfig, matrix_from_quat


class HeightmapError(CliportError, ValueError):
    """Inputs to the heightmap reconstruction have inconsistent shapes or values."""


def grid_shape(bounds: np.ndarray, pixel_size: float) -> tuple[int, int]:
    """(rows, columns) of the map: rows span y, columns span x (320 x 160 for the benchmark)."""
    bounds = np.asarray(bounds, dtype=np.float64)
    if bounds.shape != (3, 2) or not (bounds[:, 1] > bounds[:, 0]).all():
        raise HeightmapError(f"bounds must be a (3, 2) array of [min, max) per axis, got {bounds.tolist()}")
    if not pixel_size > 0:
        raise HeightmapError(f"pixel_size must be positive, got {pixel_size}")
    width = int(np.round((bounds[0, 1] - bounds[0, 0]) / pixel_size))
    height = int(np.round((bounds[1, 1] - bounds[1, 0]) / pixel_size))
    return height, width


def backproject(depth: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """Depth image (H, W) -> camera-frame points (H, W, 3) float32.

    X = (col - cx) d / fx, Y = (row - cy) d / fy, Z = d (+z along the optical axis, +y down the image).
    """
    depth = np.asarray(depth)
    if depth.ndim != 2:
        raise HeightmapError(f"depth must be an (H, W) image, got shape {depth.shape}")
    K = np.asarray(intrinsics, dtype=np.float64).reshape(3, 3)
    h, w = depth.shape
    cols = np.arange(w, dtype=np.float64)[None, :]  # (1, W)
    rows = np.arange(h, dtype=np.float64)[:, None]  # (H, 1)
    points = np.empty((h, w, 3), dtype=np.float32)
    points[..., 0] = (cols - K[0, 2]) * (depth / K[0, 0])
    points[..., 1] = (rows - K[1, 2]) * (depth / K[1, 1])
    points[..., 2] = depth
    return points


def transform_points(points: np.ndarray, position: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """Rigid transform of points (..., 3): R p + t, returned as float32.

    Each output coordinate is summed term by term in float64 (R_i0 x + R_i1 y + R_i2 z + t_i), the
    order the original uses, so results agree to the last float32 bit (a BLAS product could not promise
    that).
    """
    R = np.asarray(rotation, dtype=np.float64).reshape(3, 3)
    t = np.asarray(position, dtype=np.float64).reshape(3)
    p = points.astype(np.float64)
    out = np.empty(points.shape, dtype=np.float32)
    for i in range(3):
        out[..., i] = R[i, 0] * p[..., 0] + R[i, 1] * p[..., 1] + R[i, 2] * p[..., 2] + t[i]
    return out


def heightmap_from_points(
    points: np.ndarray, colors: np.ndarray, bounds: np.ndarray, pixel_size: float
) -> tuple[np.ndarray, np.ndarray]:
    """Scatter world points (N.., 3) with colours (N.., C) into a top-down (rows, cols) grid.

    Points outside the half-open bounds are dropped; the highest point of each cell wins (ties: the
    last in numpy's default argsort order, like the original).
    Returns (heightmap float32 = z - z_min, colormap uint8 (rows, cols, C)).
    """
    bounds = np.asarray(bounds, dtype=np.float64)
    rows, cols = grid_shape(bounds, pixel_size)
    n_channels = colors.shape[-1]
    pts = points.reshape(-1, 3)  # (N, 3)
    col = colors.reshape(-1, n_channels)  # (N, C)
    x, y, z = pts[:, 0], pts[:, 1], pts[:, 2]
    valid = (
        (x >= bounds[0, 0]) & (x < bounds[0, 1])
        & (y >= bounds[1, 0]) & (y < bounds[1, 1])
        & (z >= bounds[2, 0]) & (z < bounds[2, 1])
    )
    index = np.flatnonzero(valid)  # (M,) original order, ascending
    x, y, z = x[index], y[index], z[index]
    u = np.clip(np.floor((y - bounds[1, 0]) / pixel_size).astype(np.int64), 0, rows - 1)
    v = np.clip(np.floor((x - bounds[0, 0]) / pixel_size).astype(np.int64), 0, cols - 1)
    cell = u * cols + v  # (M,)

    # Highest point wins: order the points by z with numpy's default (introsort / SIMD) argsort, as the
    # original does, and keep the last point of that order in each cell. Points of exactly equal z keep
    # whatever order that sort gives them; a stable sort would differ from the original's maps in a few
    # cells (docs/fidelity.md). The last-per-cell rule is applied with an explicit reduction instead of
    # relying on the order of duplicate fancy-index writes.
    order = np.argsort(z)  # (M,)
    last = np.full(rows * cols, -1, dtype=np.int64)
    np.maximum.at(last, cell[order], np.arange(order.size))
    filled = np.flatnonzero(last >= 0)
    src = order[last[filled]]

    heightmap = np.zeros(rows * cols, dtype=np.float32)
    heightmap[filled] = z[src] - bounds[2, 0]
    colormap = np.zeros((rows * cols, n_channels), dtype=np.uint8)
    colormap[filled] = col[index[src]]
    return heightmap.reshape(rows, cols), colormap.reshape(rows, cols, n_channels)


def _check_image_pair(color: np.ndarray, depth: np.ndarray) -> None:
    if color.ndim != 3 or color.shape[-1] not in (3, 4):
        raise HeightmapError(f"color must be (H, W, 3) or (H, W, 4), got shape {color.shape}")
    if depth.shape != color.shape[:2]:
        raise HeightmapError(f"depth shape {depth.shape} does not match color shape {color.shape[:2]}")


def reconstruct(
    color: np.ndarray,
    depth: np.ndarray,
    intrinsics: np.ndarray,
    position: np.ndarray,
    rotation_xyzw: np.ndarray,
    bounds: np.ndarray,
    pixel_size: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One camera's RGB(-segmentation) + depth -> (heightmap (rows, cols) float32, colormap uint8).

    ``color`` may carry a 4th channel (segmentation ids for the oracle); it is scattered like RGB.
    """
    color = np.asarray(color)
    depth = np.asarray(depth)
    _check_image_pair(color, depth)
    for name, value, size in (("intrinsics", intrinsics, 9), ("position", position, 3),
                              ("rotation_xyzw", rotation_xyzw, 4)):
        if np.size(value) != size:
            raise HeightmapError(f"{name} must have {size} numbers, got shape {np.shape(value)}")
    points = backproject(depth, intrinsics)  # (H, W, 3) camera frame
    points = transform_points(points, position, matrix_from_quat(rotation_xyzw))  # (H, W, 3) world
    return heightmap_from_points(points, color, bounds, pixel_size)


def fuse_maps(
    colormaps: Sequence[np.ndarray], heightmaps: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-camera maps -> (colour = mean of non-black views rounded half-to-even, height = max)."""
    cmaps = np.stack([np.asarray(c) for c in colormaps]).astype(np.float64)  # (K, rows, cols, 3)
    hmaps = np.stack([np.asarray(h) for h in heightmaps]).astype(np.float32)  # (K, rows, cols)
    seen = cmaps.sum(axis=3) > 0  # (K, rows, cols)
    count = np.maximum(seen.sum(axis=0), 1)  # (rows, cols)
    color = np.round(cmaps.sum(axis=0) / count[..., None]).astype(np.uint8)
    return color, hmaps.max(axis=0)


def fuse(
    colors: Sequence[np.ndarray],
    depths: Sequence[np.ndarray],
    cameras: Sequence[CameraConfig],
    bounds: np.ndarray,
    pixel_size: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Fuse several cameras into (color (rows, cols, 3) uint8, height (rows, cols) float32).

    Missing cells stay black / 0 (no in-painting), exactly as in the original.
    """
    if not (len(colors) == len(depths) == len(cameras)) or len(cameras) == 0:
        raise HeightmapError(
            f"need one color and one depth image per camera, got {len(colors)} colors, "
            f"{len(depths)} depths, {len(cameras)} cameras"
        )
    cmaps, hmaps = [], []
    for color, depth, cam in zip(colors, depths, cameras, strict=True):
        hmap, cmap = reconstruct(
            np.asarray(color)[..., :3], depth, cam.K, cam.position, cam.rotation, bounds, pixel_size
        )
        cmaps.append(cmap)
        hmaps.append(hmap)
    return fuse_maps(cmaps, hmaps)


def network_input(color: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Fused maps -> the network's (rows, cols, 6) float32 image: RGB 0..255, then height three times."""
    color = np.asarray(color)
    height = np.asarray(height)
    if color.shape[:2] != height.shape or color.shape[-1] != 3:
        raise HeightmapError(f"color {color.shape} and height {height.shape} do not form one map")
    image = np.empty((*height.shape, 6), dtype=np.float32)
    image[..., :3] = color
    image[..., 3:] = height[..., None]
    return image
