"""The 20 kitting shapes (``kitting/00.obj`` ... ``19.obj``) and the object template (env.md §14.4).

Each shape is a 2-D outline (with holes for the ring and the counters of R and A) extruded along +z from
z = 0 to 20 mesh units, with the body origin on the bottom face. Outlines are drawn from §14.4 in
millimetres *after* the tasks' 0.003 x-y scale and written in mesh units (mm / 3), so 20 units is about
the nominal 60 mm. Triangulation uses mapbox-earcut; trimesh extrudes and writes the OBJ.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mapbox_earcut
import numpy as np
import trimesh

from cliport.env.assets.props_common import Link, Prop, Shape, export_obj, mesh, write_prop
from cliport.env.assets.registry import asset_generator

#: Task x-y scale of the meshes (mm per mesh unit = 3) and their extrusion height in mesh units.
XY_SCALE = 0.003
HEIGHT_UNITS = 20.0

Ring = np.ndarray  # (N, 2) polygon in mm, counter-clockwise for outlines, any order for holes
Outline = tuple[Ring, list[Ring]]  # (outer, holes)


def _poly(*points: tuple[float, float]) -> Ring:
    return np.asarray(points, dtype=np.float64)


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int) -> Ring:
    """n points on an ellipse from angle a0 to a1 (radians, both included)."""
    t = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _circle(r: float, n: int) -> Ring:
    return _arc(0.0, 0.0, r, r, 0.0, 2 * np.pi, n + 1)[:-1]


def _letter_r() -> Outline:
    outer = _poly((-20.3, -28.4), (-8.5, -28.4), (-8.5, -3.5), (-2.0, -3.5), (7.8, -28.4), (20.3, -28.4),
                  (8.5, -2.0), (13.5, 1.5), (16.0, 6.0), (16.8, 10.6), (16.0, 15.5), (13.5, 21.5),
                  (9.5, 26.0), (4.0, 28.4), (-20.3, 28.4))
    counter = _poly((-8.5, 3.7), (0.0, 3.7), (2.6, 4.6), (3.6, 7.0), (3.6, 14.3), (2.6, 16.7), (0.0, 17.6),
                    (-8.5, 17.6))
    return outer, [counter]


def _letter_a() -> Outline:
    outer = _poly((-24.9, -28.0), (-13.4, -28.5), (-7.7, -12.5), (7.7, -12.5), (13.4, -28.5), (24.9, -28.0),
                  (4.8, 28.5), (-4.8, 28.5))
    return outer, [_poly((-4.5, -2.0), (4.5, -2.0), (0.0, 9.0))]


def _plus() -> Outline:
    a, b = 15.0, 30.0
    return _poly((-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a), (a, b), (-a, b), (-a, a), (-b, a),
                 (-b, -a), (-a, -a)), []


def _letter_t() -> Outline:
    return _poly((-30, -9), (12, -9), (12, -30), (30, -30), (30, 30), (12, 30), (12, 9), (-30, 9)), []


def _flower() -> Outline:
    """Union of four discs of radius 15 centred 15 from the origin: r = 30 max(|cos|, |sin|)."""
    t = np.linspace(0, 2 * np.pi, 129)[:-1]
    r = 30.0 * np.maximum(np.abs(np.cos(t)), np.abs(np.sin(t)))
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1), []


def _star() -> Outline:
    return _poly((6.8, -30.3), (9.8, -9.3), (28.8, 0.0), (9.8, 9.3), (6.8, 30.3), (-8.0, 15.1),
                 (-28.8, 18.7), (-18.9, 0.0), (-28.8, -18.7), (-8.0, -15.1)), []


def _letter_g() -> Outline:
    """A C of elliptical stroke (outer 22.7 x 29.1, 9 mm thick) opening right, with an inward bar."""
    ax, ay, t, open_angle = 22.7, 29.1, 9.0, np.radians(40.0)
    outer = _arc(0, 0, ax, ay, open_angle, 2 * np.pi, 60)  # top-right terminal, round, to (22.7, 0)
    bar_y = -7.0
    inner_x = (ax - t) * np.sqrt(1 - (bar_y / (ay - t)) ** 2)
    bar = _poly((2.0, 0.0), (2.0, bar_y))
    start = 2 * np.pi + np.arctan2(bar_y / (ay - t), inner_x / (ax - t))
    inner = _arc(0, 0, ax - t, ay - t, start, open_angle, 34)
    return np.concatenate([outer, bar, inner]), []


def _letter_v() -> Outline:
    return _poly((-5.2, -28.4), (5.1, -28.4), (23.5, 27.9), (11.6, 28.4), (0.0, -8.2), (-11.7, 28.4),
                 (-23.5, 27.9)), []


def _letter_e() -> Outline:
    return _poly((-16, -28.4), (16, -28.4), (16, -17.4), (-4.2, -17.4), (-4.2, -4.4), (14.6, -4.4),
                 (14.6, 6.7), (-4.2, 6.7), (-4.2, 17.4), (16, 17.4), (16, 28.4), (-16, 28.4)), []


def _heart() -> Outline:
    """Two round lobes (tangent to x = +-28.7 and y = 26.4, through the notch) and lines to the tip."""
    tip, notch, half_width, top = np.array([0.0, -26.4]), np.array([0.0, 18.3]), 28.7, 26.4
    # Lobe circle: centre (half_width - r, top - r), passing through the notch.
    a, b = half_width, top - notch[1]
    # (a - r)^2 + (r - b)^2 = r^2  ->  r^2 - 2 (a + b) r + a^2 + b^2 = 0
    r = (a + b) - np.sqrt((a + b) ** 2 - (a * a + b * b))
    centre = np.array([half_width - r, top - r])
    d = centre - tip
    dist = np.hypot(*d)
    tangent_angle = np.arctan2(d[1], d[0]) - np.arcsin(r / dist) - np.pi / 2  # right-side tangent point
    notch_angle = np.arctan2(notch[1] - centre[1], notch[0] - centre[0])
    right = _arc(centre[0], centre[1], r, r, tangent_angle, notch_angle, 15)[:-1]  # 14 points
    left = right[::-1] * np.array([-1.0, 1.0])
    return np.concatenate([tip[None], right, notch[None], left]), []


def _letter_m() -> Outline:
    return _poly((-27, -28.4), (-15.3, -28.4), (-15.3, 10.6), (0.0, -8.2), (15.2, 10.6), (15.2, -28.4),
                 (27, -28.4), (27, 28.4), (15.2, 28.4), (0.0, 9.6), (-15.3, 28.4), (-27, 28.4)), []


def _regular(n: int, r: float, phase: float) -> Ring:
    t = phase + 2 * np.pi * np.arange(n) / n
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)


#: Outline builders by shape id (tasks.md §3 names: 0 letter R, 1 letter A, 2 triangle, ...).
OUTLINES: dict[int, Callable[[], Outline]] = {
    0: _letter_r,
    1: _letter_a,
    2: lambda: (_poly((-30, 30), (0, -30), (30, 30)), []),
    3: lambda: (_poly((-30, -30), (30, -30), (30, 30), (-30, 30)), []),
    4: _plus,
    5: _letter_t,
    6: lambda: (_poly((37.5, 0), (0, 30), (-37.5, 0), (0, -30)), []),
    7: lambda: (_poly((-28.6, -6.4), (0, -27.2), (28.6, -6.4), (17.7, 27.2), (-17.7, 27.2)), []),
    8: lambda: (_poly((-37.5, -22.5), (37.5, -22.5), (37.5, 22.5), (-37.5, 22.5)), []),
    9: _flower,
    10: _star,
    11: lambda: (_circle(30.0, 64), []),
    12: _letter_g,
    13: _letter_v,
    14: _letter_e,
    15: lambda: (_poly((-30, -30), (30, -30), (30, -12), (-12, -12), (-12, 30), (-30, 30)), []),
    16: lambda: (_circle(30.0, 64), [_circle(12.7, 64)]),
    17: lambda: (_regular(6, 30.0, np.pi / 2), []),
    18: _heart,
    19: _letter_m,
}


def _signed_area(ring: Ring) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def extrude(outer: Ring, holes: list[Ring]) -> trimesh.Trimesh:
    """Outline (mm) with holes -> solid in mesh units: x-y = mm / 3, z from 0 to 20."""
    rings = [outer if _signed_area(outer) > 0 else outer[::-1]]
    rings += [h if _signed_area(h) < 0 else h[::-1] for h in holes]
    vertices = np.concatenate(rings) / (XY_SCALE * 1000.0)  # mm -> mesh units
    ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
    faces = mapbox_earcut.triangulate_float64(vertices, ends).reshape(-1, 3)
    return trimesh.creation.extrude_triangulation(vertices, faces, HEIGHT_UNITS)


def shape_mesh(shape_id: int) -> trimesh.Trimesh:
    """Kitting shape ``shape_id`` (0-19) as an extruded solid in mesh units."""
    outer, holes = OUTLINES[shape_id]()
    return extrude(outer, holes)


@asset_generator("kitting/object-template.urdf", *(f"kitting/{i:02d}.obj" for i in OUTLINES))
def _kitting(root: Path) -> None:
    for shape_id in OUTLINES:
        export_obj(root, f"kitting/{shape_id:02d}.obj", shape_mesh(shape_id))
    shape = Shape(mesh("FNAME0", ("SCALE0", "SCALE1", "SCALE2")), rgba=("COLOR0", "COLOR1", "COLOR2", 1))
    write_prop(root, "kitting/object-template.urdf", Prop("object", [Link("baseLink", [shape], 0.1, 1.0)]))
