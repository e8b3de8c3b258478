"""A cheaper-to-render ground plane with the same pixels: its collision box's top face as its only visual.

The benchmark's ``plane/plane.urdf`` has no visual, so PyBullet draws its 200 x 200 x 10 m collision box.
TinyRenderer rasterises every triangle over its whole screen bounding box, and it draws each body twice
per camera: once into the shadow map (seen from the light, no back-face culling) and once into the
image (back faces culled). From the cameras only the box's top face is drawn (the camera is inside the
box's four side planes and above it, so sides and bottom are back faces), but the shadow pass draws all
12 triangles of the box, several of them over the full 640 x 480 map.

The side and bottom faces can never darken a pixel: TinyRenderer shades a fragment as shadowed only
where the shadow map holds a surface at least 0.05 nearer to the light, and every light ray in the map
meets the box's top face (z = -0.001) before any side face (100 m away) or the bottom (z = -10), while
every visible surface lies at or above that top face. So a plane whose only visual is the top face,
with the same two triangles (same vertices, same vertex order, normals, colour and frame) renders the
same colour, depth and segmentation bytes (``tests/env/test_fast_render.py``), for about 14 % less
TinyRenderer time (``benchmarks/bench_env.py``). Collision, mass and contact
parameters are the file's own, untouched, so the physics is the same.

Only a plane URDF of that exact form (one link, no visual, one unrotated collision box) is rewritten;
anything else (e.g. a user's own assets) is loaded as it is.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

#: The top face of PyBullet's textured unit cube, as PyBullet builds box visuals: corners (x, y) in
#: units of the half extents at z = +1, its texture coordinates, and the two triangles (0, 1, 2), (0, 2, 3).
_TOP_CORNERS = ((-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0))
_TOP_UVS = ((0.75, 0.25), (1.0, 0.25), (1.0, 0.0), (0.75, 0.0))


def _float32_text(value: float) -> str:
    """The float32 PyBullet stores for ``value``, written so that parsing it gives that float32 back."""
    return repr(float(np.float32(value)))


def top_face_obj(size: tuple[float, float, float]) -> str:
    """OBJ text of the top face of a box of full ``size`` (box frame), vertices as PyBullet stores them."""
    half = [s * 0.5 for s in size]  # PyBullet: extents * 0.5 in double, times the unit cube's +-1
    lines = [
        f"v {_float32_text(half[0] * cx)} {_float32_text(half[1] * cy)} {_float32_text(half[2])}"
        for cx, cy in _TOP_CORNERS
    ]
    lines += [f"vt {u!r} {v!r}" for u, v in _TOP_UVS]
    lines.append("vn 0.0 0.0 1.0")
    lines += ["f 1/1/1 2/2/1 3/3/1", "f 1/1/1 3/3/1 4/4/1"]
    return "\n".join(lines) + "\n"


def _box_collision(link: ET.Element) -> tuple[ET.Element, tuple[float, float, float]] | None:
    """The link's only collision element and its box size, if it is an unrotated box; else None."""
    collisions = link.findall("collision")
    if len(collisions) != 1 or link.findall("visual"):
        return None
    box = collisions[0].find("geometry/box")
    if box is None:
        return None
    origin = collisions[0].find("origin")
    rpy = origin.get("rpy", "0 0 0") if origin is not None else "0 0 0"
    if any(float(v) != 0.0 for v in rpy.split()):
        return None
    size = tuple(float(v) for v in box.get("size", "").split())
    if len(size) != 3:
        return None
    return collisions[0], size  # type: ignore[return-value]


def fast_plane_urdf(plane_urdf: Path, out_dir: Path) -> Path:
    """A copy of ``plane_urdf`` in ``out_dir`` with the top-face visual added, or ``plane_urdf`` itself.

    The copy differs from the original only by one ``<visual>`` element (and the mesh file it names);
    see the module docstring for why the rendered images are the same bytes.
    """
    try:
        tree = ET.parse(plane_urdf)
    except (ET.ParseError, OSError):
        return plane_urdf
    links = tree.getroot().findall("link")
    found = _box_collision(links[0]) if len(links) == 1 else None
    if found is None:
        return plane_urdf
    collision, size = found
    mesh = out_dir / "plane_top_face.obj"
    mesh.write_text(top_face_obj(size))
    visual = ET.Element("visual")
    origin = collision.find("origin")
    if origin is not None:  # the box's own frame: PyBullet applies it to the face as it does to the box
        visual.append(ET.Element("origin", dict(origin.attrib)))
    geometry = ET.SubElement(visual, "geometry")
    ET.SubElement(geometry, "mesh", {"filename": str(mesh)})
    material = ET.SubElement(visual, "material", {"name": "plane_top_face_white"})
    ET.SubElement(material, "color", {"rgba": "1 1 1 1"})  # PyBullet's colour for collision-drawn visuals
    links[0].insert(list(links[0]).index(collision), visual)
    out = out_dir / "plane_top_face.urdf"
    tree.write(out, encoding="unicode")
    return out
