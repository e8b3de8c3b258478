"""Generators for the mesh-based task props: bowl, hanoi disks, pallet; and the rope bead description
(env.md §14.3, §14.5).

Meshes are built in metres, then written in the original's mesh units (the URDFs scale them back), so
the files and the URDF scales match the original's layout. The bowl keeps the original's off-centre
body frame and its concave collision as separate convex parts (one OBJ group each).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from cliport.env.assets.props_common import (
    BLUE,
    GREEN,
    RED,
    WOOD,
    YELLOW,
    Link,
    Prop,
    Shape,
    export_obj,
    mesh,
    write_prop,
)
from cliport.env.assets.registry import asset_generator

# ---------------------------------------------------------------------------------------------
# Bowl: a straight-flared open cup, off-centre in its body frame like the original's mesh.

BOWL_SCALE = (1.25, 1.25, 0.25)
BOWL_CENTER = (-0.025, 0.008)  # geometric centre of the bowl in the body frame (m)
BOWL_RIM_RADIUS = 0.057
BOWL_BASE_RADIUS = 0.044
BOWL_HEIGHT = 0.035
BOWL_WALL = 0.004  # horizontal wall thickness and floor thickness (m)
BOWL_WALL_PIECES = 13  # + 1 floor = 14 convex collision parts


def _bowl_profile() -> np.ndarray:
    """Closed (radius, z) profile of the bowl's wall and floor, from the axis and back (metres)."""
    return np.array([
        [0.0, 0.0],
        [BOWL_BASE_RADIUS, 0.0],
        [BOWL_RIM_RADIUS, BOWL_HEIGHT],
        [BOWL_RIM_RADIUS - BOWL_WALL, BOWL_HEIGHT],
        [BOWL_BASE_RADIUS - BOWL_WALL + BOWL_WALL * (BOWL_RIM_RADIUS - BOWL_BASE_RADIUS) / BOWL_HEIGHT,
         BOWL_WALL],
        [0.0, BOWL_WALL],
    ])


def _radius_at(z: float, inner: bool) -> float:
    r = BOWL_BASE_RADIUS + (BOWL_RIM_RADIUS - BOWL_BASE_RADIUS) * z / BOWL_HEIGHT
    return r - BOWL_WALL if inner else r


def _to_mesh_units(m: trimesh.Trimesh) -> trimesh.Trimesh:
    m = m.copy()
    m.apply_translation((BOWL_CENTER[0], BOWL_CENTER[1], 0.0))
    m.apply_scale(1.0 / np.asarray(BOWL_SCALE))
    return m


def bowl_visual() -> trimesh.Trimesh:
    """The bowl surface in metres, centred on the axis (before the off-centre shift)."""
    return trimesh.creation.revolve(_bowl_profile(), sections=48)


def bowl_collision_parts() -> dict[str, trimesh.Trimesh]:
    """Floor disk + wall segments standing on it, each convex, in metres centred on the axis."""
    parts = {"floor": trimesh.creation.cylinder(BOWL_BASE_RADIUS, BOWL_WALL, sections=32)}
    parts["floor"].apply_translation((0, 0, BOWL_WALL / 2))
    edges = np.linspace(0, 2 * np.pi, BOWL_WALL_PIECES + 1)
    for k in range(BOWL_WALL_PIECES):
        corners = []
        for angle in (edges[k], edges[k + 1]):
            c, s = np.cos(angle), np.sin(angle)
            # Walls stand on the floor disk rather than on the ground: only the floor touches the table,
            # one contact manifold per bowl instead of 14 (a resting rigid bowl cost ~0.13 ms per step).
            for z in (BOWL_WALL, BOWL_HEIGHT):
                for inner in (False, True):
                    r = _radius_at(z, inner)
                    corners.append((r * c, r * s, z))
        parts[f"wall{k:02d}"] = trimesh.convex.convex_hull(np.array(corners))
    return parts


@asset_generator("bowl/bowl.urdf", "bowl/textured-0008192.obj", "bowl/cup.obj")
def _bowl(root: Path) -> None:
    export_obj(root, "bowl/textured-0008192.obj", _to_mesh_units(bowl_visual()))
    export_obj(root, "bowl/cup.obj", {k: _to_mesh_units(v) for k, v in bowl_collision_parts().items()})
    shapes = [Shape(mesh("textured-0008192.obj", BOWL_SCALE), rgba=GREEN, collision=False),
              Shape(mesh("cup.obj", BOWL_SCALE), visual=False)]
    link = Link("baseLink", shapes, 0.1, 1.0, inertial_xyz=(-0.01, 0.0, 0.02))
    write_prop(root, "bowl/bowl.urdf", Prop("bowl", [link]))


# ---------------------------------------------------------------------------------------------
# Towers of Hanoi disks: annuli 1 cm thick, centred, in millimetre mesh units (URDF scale 0.001).
# The visual mesh has 64 segments like the original's; the collision mesh is 16 convex sectors, each
# its own OBJ group, so the disk collides as a ring (it slides down a rod) rather than as the solid
# convex hull of the annulus. 16 pieces instead of 64 make a physics step of a Hanoi scene ~4x cheaper;
# the 16-gon hole (inner radius 14.7 mm) still clears the 5 mm rods by far.

DISK_INNER_RADIUS = 0.015
DISK_OUTER_RADII = (0.030, 0.035, 0.040, 0.045)
DISK_THICKNESS = 0.010
DISK_SEGMENTS = 64
DISK_COLLISION_SECTORS = 16
DISK_COLORS = (RED, YELLOW, GREEN, BLUE)


def disk_sectors(outer_radius: float, n: int = DISK_SEGMENTS) -> dict[str, trimesh.Trimesh]:
    """The annulus as ``n`` convex sector prisms, in metres, centred at the origin."""
    edges = np.linspace(0, 2 * np.pi, n + 1)
    half = DISK_THICKNESS / 2
    parts = {}
    for k in range(n):
        corners = [(r * np.cos(a), r * np.sin(a), z) for a in edges[k:k + 2]
                   for r in (DISK_INNER_RADIUS, outer_radius) for z in (-half, half)]
        parts[f"sector{k:02d}"] = trimesh.convex.convex_hull(np.array(corners))
    return parts


def _make_disk_generator(i: int) -> None:
    urdf, obj, col = f"hanoi/disk{i}.urdf", f"hanoi/disk{i}.obj", f"hanoi/disk{i}-collision.obj"

    @asset_generator(urdf, obj, col)
    def _disk(root: Path) -> None:
        for name, n in ((obj, DISK_SEGMENTS), (col, DISK_COLLISION_SECTORS)):
            sectors = disk_sectors(DISK_OUTER_RADII[i], n)
            for part in sectors.values():
                part.apply_scale(1000.0)  # metres -> mm mesh units
            export_obj(root, name, sectors)
        scale = (0.001, 0.001, 0.001)
        shapes = [Shape(mesh(f"disk{i}.obj", scale), rgba=DISK_COLORS[i], collision=False),
                  Shape(mesh(f"disk{i}-collision.obj", scale), visual=False)]
        write_prop(root, urdf, Prop(f"disk{i}", [Link("baseLink", shapes, 0.1, 1.0)]))


for _i in range(len(DISK_OUTER_RADII)):
    _make_disk_generator(_i)


# ---------------------------------------------------------------------------------------------
# Pallet: 0.30 x 0.25 x 0.0375 m, centred; mesh units = metres / 0.25.

PALLET_SCALE = 0.25


def pallet_mesh() -> trimesh.Trimesh:
    """Bottom boards, three stringers along x (y = -0.12, 0, 0.12) and seven top slats, in metres."""
    half_z, board, stringer_h = 0.01875, 0.005, 0.0275
    parts = []

    def add(size, centre) -> None:
        part = trimesh.creation.box(size)
        part.apply_translation(centre)
        parts.append(part)

    for x in (-0.135, 0.0, 0.135):
        add((0.03, 0.25, board), (x, 0.0, -half_z + board / 2))
    for y in (-0.12, 0.0, 0.12):
        add((0.30, 0.01, stringer_h), (0.0, y, 0.0))
    for k in range(7):
        add((0.03, 0.25, board), (-0.135 + 0.045 * k, 0.0, half_z - board / 2))
    return trimesh.util.concatenate(parts)


@asset_generator("pallet/pallet.urdf", "pallet/pallet.obj")
def _pallet(root: Path) -> None:
    m = pallet_mesh()
    m.apply_scale(1.0 / PALLET_SCALE)
    export_obj(root, "pallet/pallet.obj", m)
    shape = Shape(mesh("pallet.obj", (PALLET_SCALE,) * 3), rgba=WOOD)
    write_prop(root, "pallet/pallet.urdf", Prop("pallet", [Link("baseLink", [shape], 0.1, 1.0)]))


# ---------------------------------------------------------------------------------------------
# Rope (built by the rope tasks with createMultiBody; nothing is written to disk).


@dataclass(frozen=True)
class RopeSpec:
    """Bead parameters of the procedural rope (env.md §14.5)."""

    n_beads: int = 20
    bead_mass: float = 0.1
    collision_half_extent: float = 0.005  # box
    visual_radius: float = 0.0075  # sphere
    max_force: float = 100.0
    inner_rgba: tuple[float, float, float, float] = RED
    end_rgba: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)

    @property
    def length(self) -> float:
        """Total length 2 r n sqrt(2) (0.28284 m for 20 beads of radius 5 mm)."""
        return 2 * self.collision_half_extent * self.n_beads * float(np.sqrt(2))

    @property
    def spacing(self) -> float:
        """Distance between consecutive beads, also the parent-frame anchor z of each joint."""
        return self.length / self.n_beads

    def bead_rgba(self, k: int) -> tuple[float, float, float, float]:
        """The two end beads keep the default white; the inner beads are red."""
        return self.end_rgba if k in (0, self.n_beads - 1) else self.inner_rgba
