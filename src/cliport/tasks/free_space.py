"""Top-down visibility from vertical rays: free table space and oracle pick cells without a render.

The original finds free table space from a full oracle render (640x480, then reprojected) for every
object it places, and renders again for every oracle action; on CPU those renders cost a large part
of an episode. The oracle camera is near-orthographic and looks straight down, so the object seen in
a cell is the first body hit by a vertical ray through that cell. We cast one vertical ray per
heightmap cell centre (PyBullet ``rayTestBatch``), only for cells under the bounding boxes of the
bodies of interest, and rasterise visual-only bodies (no collision shape: corner markers, square
outlines) from their box visuals; visual-only bodies of other shapes fall back to the oracle render.
Differences from the render are limited to cell edges (ray at the cell centre vs any point in the
cell) and to bodies whose collision differs from their visual (meshes collide as convex hulls).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pybullet

from cliport.env.task_api import Scene
from cliport.geometry import HEIGHTMAP_SHAPE, ORACLE_CAMERA, PIXEL_SIZE, TASK_BOUNDS, Transform

_BATCH = 8000  # below PyBullet's per-call ray limit (16384 rays silently lose some)

#: Rays start where the oracle camera's near plane is (z 1000 - 999.7 = 0.3 m, the task bounds' top):
#: the camera does not see anything higher, e.g. the robot arm above a stack.
_RAY_TOP = float(ORACLE_CAMERA.position[2] - ORACLE_CAMERA.zrange[0])
_RAY_BOTTOM = -0.5


def _cell_centres(bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = HEIGHTMAP_SHAPE
    xs = bounds[0, 0] + (np.arange(cols) + 0.5) * PIXEL_SIZE
    ys = bounds[1, 0] + (np.arange(rows) + 0.5) * PIXEL_SIZE
    return np.meshgrid(xs, ys)  # each (320, 160): x varies along columns, y along rows


_CENTRES = _cell_centres(TASK_BOUNDS)


def _aabb_cells(client, body: int) -> tuple[slice, slice] | None:
    """Row and column slices of the cells under a body's axis-aligned bounding box (all links)."""
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for link in range(-1, client.getNumJoints(body)):
        a, b = client.getAABB(body, link)
        lo, hi = np.minimum(lo, a), np.maximum(hi, b)
    rows, cols = HEIGHTMAP_SHAPE
    c0 = max(int(np.floor((lo[0] - TASK_BOUNDS[0, 0]) / PIXEL_SIZE)), 0)
    c1 = min(int(np.ceil((hi[0] - TASK_BOUNDS[0, 0]) / PIXEL_SIZE)) + 1, cols)
    r0 = max(int(np.floor((lo[1] - TASK_BOUNDS[1, 0]) / PIXEL_SIZE)), 0)
    r1 = min(int(np.ceil((hi[1] - TASK_BOUNDS[1, 0]) / PIXEL_SIZE)) + 1, rows)
    if c0 >= c1 or r0 >= r1:
        return None
    return slice(r0, r1), slice(c0, c1)


def ray_hits(client, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First body hit by a vertical ray through each selected cell centre, and the hit height.

    ``cells`` is a (320, 160) bool mask; returns (ids int32 (-1: none), z float64), each of its True
    count, in row-major order (the order of ``np.flatnonzero(cells)``).
    """
    gx, gy = _CENTRES
    n = int(cells.sum())
    top = np.stack([gx[cells], gy[cells], np.full(n, _RAY_TOP)], axis=1)
    bottom = top.copy()
    bottom[:, 2] = _RAY_BOTTOM
    ids: list[int] = []
    zs: list[float] = []
    for s in range(0, n, _BATCH):
        starts, ends = top[s : s + _BATCH].tolist(), bottom[s : s + _BATCH].tolist()
        hits = client.rayTestBatch(starts, ends)
        if len(hits) != len(starts):
            raise RuntimeError(f"rayTestBatch answered {len(hits)} of {len(starts)} rays")
        ids += [h[0] for h in hits]
        zs += [h[3][2] for h in hits]
    return np.asarray(ids, dtype=np.int32), np.asarray(zs, dtype=np.float64)


def has_primitive_collision(client, body: int) -> bool:
    """True if the body collides only through boxes/spheres/cylinders/capsules (what the camera sees).

    Mesh collision shapes are convex hulls in PyBullet, so for them rays and the render can differ.
    """
    links = range(-1, client.getNumJoints(body))
    shapes = [s for link in links for s in client.getCollisionShapeData(body, link)]
    return bool(shapes) and all(s[2] != pybullet.GEOM_MESH for s in shapes)


def visible_cells(client, body: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat heightmap indices of the cells where ``body`` is the top-most surface, and its height there."""
    box = _aabb_cells(client, body)
    if box is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    cells = np.zeros(HEIGHTMAP_SHAPE, dtype=bool)
    cells[box] = True
    ids, z = ray_hits(client, cells)
    mine = ids == body
    return np.flatnonzero(cells)[mine], z[mine]


def _has_collision(client, body: int) -> bool:
    for link in range(-1, client.getNumJoints(body)):
        if client.getCollisionShapeData(body, link):
            return True
    return False


def _link_pose(client, body: int, link: int) -> Transform:
    if link == -1:
        return Transform.from_pose(*client.getBasePositionAndOrientation(body))
    state = client.getLinkState(body, link)
    return Transform.from_pose(state[4], state[5])


def _rasterise_boxes(client, body: int, occupied: np.ndarray) -> bool:
    """Mark the cells under every box visual of ``body``; False if it has a non-box visual."""
    gx, gy = _CENTRES
    for shape in client.getVisualShapeData(body):
        link, geom, dims, frame_pos, frame_quat = shape[1], shape[2], shape[3], shape[5], shape[6]
        if geom != pybullet.GEOM_BOX:
            return False
        # Visual frames are reported relative to the link's inertial frame for links, base frame for -1.
        world = _link_pose(client, body, link) @ Transform.from_pose(frame_pos, frame_quat)
        local = world.inverse()
        pts = np.stack([gx.ravel(), gy.ravel(), np.zeros(gx.size)])  # (3, N) on the table plane
        q = local.apply(pts)
        half = np.asarray(dims, dtype=np.float64) / 2
        inside = (np.abs(q[0]) <= half[0]) & (np.abs(q[1]) <= half[1])
        occupied |= inside.reshape(HEIGHTMAP_SHAPE)
    return True


@dataclass
class OccupancyCache:
    """The last occupancy mask of a scene and the body poses it was computed for.

    While no registered body moves, adding a body can only add occupied cells (every cell it covers
    is occupied whether or not it hides another registered body), so only new bodies need rays. The
    cache is valid only if every body it knows is still registered at exactly the same pose;
    otherwise (an object moved, a new episode) the mask is recomputed in full.
    """

    poses: dict[int, tuple] = field(default_factory=dict)
    occupied: np.ndarray | None = None


#: One cache per live scene: id(scene) -> (weak reference to the scene, cache).
_CACHES: dict[int, tuple[weakref.ref, OccupancyCache]] = {}


def _cache_for(scene: Scene) -> OccupancyCache:
    entry = _CACHES.get(id(scene))
    if entry is None or entry[0]() is not scene:
        for key in [k for k, (ref, _) in _CACHES.items() if ref() is None]:
            del _CACHES[key]
        entry = (weakref.ref(scene), OccupancyCache())
        _CACHES[id(scene)] = entry
    return entry[1]


def occupied_mask(scene: Scene) -> np.ndarray:
    """(320, 160) bool: cells whose top-most body is a registered object (fixed, rigid, deformable)."""
    client = scene.client
    cache = _cache_for(scene)
    registered = [i for ids in scene.obj_ids.values() for i in ids]
    poses = {b: client.getBasePositionAndOrientation(b) for b in registered}
    if cache.occupied is not None and all(
        poses.get(b) == p for b, p in cache.poses.items()
    ):
        occupied = cache.occupied.copy()
        new = [b for b in registered if b not in cache.poses]
    else:
        occupied = np.zeros(HEIGHTMAP_SHAPE, dtype=bool)
        new = registered
    solid = {b for b in registered if _has_collision(client, b)}
    # Only cells under a (new) registered body's bounding box can show that body.
    cells = np.zeros(HEIGHTMAP_SHAPE, dtype=bool)
    for body in new:
        box = _aabb_cells(client, body) if body in solid else None
        if box is not None:
            cells[box] = True
    if cells.any():
        occupied[cells] |= np.isin(ray_hits(client, cells)[0], list(solid))
    need_render = [b for b in new if b not in solid and not _rasterise_boxes(client, b, occupied)]
    if need_render:
        _, _, ids = scene.render_oracle()
        occupied |= np.isin(ids, need_render)
    cache.poses, cache.occupied = poses, occupied.copy()
    return occupied
