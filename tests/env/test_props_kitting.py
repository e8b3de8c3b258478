"""The 20 kitting shapes: sizes, outlines, holes and symmetries of env.md §14.4, and loading in PyBullet."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pybullet as pb
import pytest
import trimesh

from cliport.env.assets import ensure_assets
from cliport.env.assets.kitting_shapes import OUTLINES, extrude, shape_mesh

MM_PER_UNIT = 3.0  # x-y: the tasks' 0.003 scale; z: 1 unit = 1 mm at the objects' 0.001 scale

#: Half extents (x, y) in mm after scaling, from the §14.4 table.
HALF_EXTENTS = {
    0: (20.3, 28.4), 1: (24.9, 28.5), 2: (30, 30), 3: (30, 30), 4: (30, 30), 5: (30, 30), 6: (37.5, 30),
    7: (28.6, 27.2), 8: (37.5, 22.5), 9: (30, 30), 10: (28.8, 30.3), 11: (30, 30), 12: (22.7, 29.1),
    13: (23.5, 28.4), 14: (16, 28.4), 15: (30, 30), 16: (30, 30), 17: (26, 30), 18: (28.7, 26.4),
    19: (27, 28.4),
}

#: Key vertices (mm) the table names explicitly.
KEY_VERTICES = {
    1: [(-4.5, -2), (4.5, -2), (0, 9), (4.8, 28.5), (-24.9, -28)],
    2: [(-30, 30), (0, -30), (30, 30)],
    7: [(-28.6, -6.4), (0, -27.2), (28.6, -6.4), (17.7, 27.2), (-17.7, 27.2)],
    10: [(6.8, -30.3), (28.8, 0), (-28.8, 18.7), (9.8, 9.3), (-18.9, 0)],
    13: [(5.1, -28.4), (23.5, 27.9), (0, -8.2), (-11.7, 28.4)],
    17: [(0, 30), (0, -30), (26, 15), (-26, -15)],
    18: [(0, -26.4), (0, 18.3)],
    19: [(0, -8.2)],
}


def rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


#: Maps each listed shape onto itself (2x2 linear maps on x-y).
SYMMETRIES = {
    3: rotation(np.pi / 2), 4: rotation(np.pi / 2), 6: rotation(np.pi), 8: rotation(np.pi),
    9: rotation(np.pi / 2), 11: rotation(2 * np.pi / 64), 16: rotation(2 * np.pi / 64),
    17: rotation(np.pi / 3),
    1: np.diag([-1.0, 1.0]), 2: np.diag([-1.0, 1.0]), 5: np.diag([1.0, -1.0]), 13: np.diag([-1.0, 1.0]),
    18: np.diag([-1.0, 1.0]), 19: np.diag([-1.0, 1.0]),  # E is not: its middle arm is off-centre
}


@pytest.fixture(scope="module")
def meshes() -> dict[int, trimesh.Trimesh]:
    return {i: shape_mesh(i) for i in OUTLINES}


def footprint_mm(m: trimesh.Trimesh) -> np.ndarray:
    return np.unique(np.round(m.vertices[:, :2] * MM_PER_UNIT, 6), axis=0)


def test_twenty_shapes():
    assert sorted(OUTLINES) == list(range(20))


@pytest.mark.parametrize("i", range(20))
def test_shape_is_an_extruded_outline_of_the_tabled_size(meshes, i):
    m = meshes[i]
    assert m.is_watertight and m.volume > 0
    lo, hi = m.bounds
    assert (lo[2], hi[2]) == (0.0, 20.0)  # bottom face at the origin, 20 units (20 mm) thick
    np.testing.assert_allclose(hi[:2] * MM_PER_UNIT, HALF_EXTENTS[i], atol=0.35)
    np.testing.assert_allclose(-lo[:2] * MM_PER_UNIT, HALF_EXTENTS[i], atol=0.35)
    # The triangulation covers the outline minus its holes exactly (no self-overlap, holes cut out).
    outer, holes = OUTLINES[i]()

    def area(ring: np.ndarray) -> float:
        x, y = ring[:, 0], ring[:, 1]
        return abs(0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)))

    expected_mm3 = (area(outer) - sum(area(h) for h in holes)) * 20.0
    assert m.volume * MM_PER_UNIT**2 == pytest.approx(expected_mm3, rel=1e-9)


def test_holes_of_ring_and_letters(meshes):
    ring_mm3 = meshes[16].volume * MM_PER_UNIT**2
    assert ring_mm3 == pytest.approx(np.pi * (30**2 - 12.7**2) * 20, rel=0.01)
    for i, hole_mm2 in ((0, 12.1 * 13.9 * 0.9), (1, 9 * 11 / 2)):
        _, holes = OUTLINES[i]()
        assert len(holes) == 1
        solid = extrude(OUTLINES[i]()[0], [])
        assert (solid.volume - meshes[i].volume) * MM_PER_UNIT**2 == pytest.approx(hole_mm2 * 20, rel=0.1)


@pytest.mark.parametrize("i", sorted(KEY_VERTICES))
def test_key_vertices(meshes, i):
    pts = footprint_mm(meshes[i])
    for v in KEY_VERTICES[i]:
        assert np.hypot(*(pts - v).T).min() < 0.2, f"shape {i} lacks vertex {v}"


@pytest.mark.parametrize("i", sorted(SYMMETRIES))
def test_symmetric_shapes_look_symmetric(meshes, i):
    pts = footprint_mm(meshes[i])
    mapped = pts @ SYMMETRIES[i].T
    gaps = np.min(np.linalg.norm(mapped[:, None] - pts[None], axis=-1), axis=1)
    assert gaps.max() < 0.15


def test_letters_are_not_symmetric(meshes):
    """R, G and L have no mirror symmetry: a flipped copy does not land on the outline."""
    for i in (0, 12, 15):
        pts = footprint_mm(meshes[i])
        mapped = pts * [-1.0, 1.0]
        gaps = np.min(np.linalg.norm(mapped[:, None] - pts[None], axis=-1), axis=1)
        assert gaps.max() > 3.0


_counter = itertools.count()


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> Path:
    only = ["kitting/object-template.urdf", *(f"kitting/{i:02d}.obj" for i in range(20))]
    return ensure_assets(tmp_path_factory.mktemp("kit-assets"), only=only)


def test_object_and_hole_templates_load_at_task_scales(assets):
    cid = pb.connect(pb.DIRECT)
    try:
        pb.setPhysicsEngineParameter(enableFileCaching=0, physicsClientId=cid)
        template = (assets / "kitting/object-template.urdf").read_text()
        for i in range(20):
            for scale, thickness in (((0.003, 0.003, 0.001), 0.02), ((0.003, 0.003, 0.0001), 0.002)):
                text = template.replace("FNAME0", str(assets / f"kitting/{i:02d}.obj"))
                for k in range(3):
                    text = text.replace(f"SCALE{k}", str(scale[k])).replace(f"COLOR{k}", "0.2")
                path = assets / f"filled-{next(_counter)}.urdf"
                path.write_text(text)
                body = pb.loadURDF(str(path), useFixedBase=True, physicsClientId=cid)
                lo, hi = (np.array(v) for v in pb.getAABB(body, -1, physicsClientId=cid))
                margin = (hi - lo) / 2 - [*(np.array(HALF_EXTENTS[i]) / 1000), thickness / 2]
                assert ((margin > -4e-4) & (margin < 4e-3)).all(), (i, scale, margin)
                vis = pb.getVisualShapeData(body, physicsClientId=cid)[0]
                np.testing.assert_allclose(vis[3], scale)  # env info reports the mesh scale
                np.testing.assert_allclose(vis[7], (0.2, 0.2, 0.2, 1.0))
    finally:
        pb.disconnect(cid)
