"""Generators for the box-built task props: blocks, box / container / corner / square templates, zone,
stands, the insertion L block and fixture, and the kit board (env.md §14.3).

Dimensions, colours, masses and frictions are the original's; templates keep its placeholder names
(``DIM0``, ``HALF1``, ``DIMX0`` ...) for the tasks' text substitution. The mesh-based props (bowl, hanoi
disks, pallet, rope beads) live in ``props_meshes.py`` and the kitting shapes in ``kitting_shapes.py``.
"""

from __future__ import annotations

from pathlib import Path

import trimesh

from cliport.env.assets.props_common import (
    BROWN,
    DARK_BROWN,
    FIXTURE_GREY,
    LIGHT_BROWN,
    MARKER_GREEN,
    RED,
    Link,
    Prop,
    Shape,
    box,
    cylinder,
    export_obj,
    mesh,
    write_prop,
)
from cliport.env.assets.registry import asset_generator

# ---------------------------------------------------------------------------------------------
# Blocks and boxes


def _cube(name: str, size: float, mass: float, lateral: float) -> Prop:
    shape = Shape(box((size, size, size)), rgba=RED)
    return Prop(name, [Link("baseLink", [shape], mass, lateral)])


@asset_generator("stacking/block.urdf")
def _stacking_block(root: Path) -> None:
    write_prop(root, "stacking/block.urdf", _cube("block", 0.04, 0.01, 1.0))


@asset_generator("block/block.urdf")
def _block(root: Path) -> None:
    write_prop(root, "block/block.urdf", _cube("block", 0.04, 0.1, 1.0))


@asset_generator("block/small.urdf")
def _small_block(root: Path) -> None:
    write_prop(root, "block/small.urdf", _cube("small", 0.01, 0.001, 0.5))


@asset_generator("box/box-template.urdf")
def _box_template(root: Path) -> None:
    shape = Shape(box(("DIM0", "DIM1", "DIM2")), rgba=RED)
    write_prop(root, "box/box-template.urdf", Prop("box", [Link("baseLink", [shape], 0.1, 1.0)]))


@asset_generator("container/container-template.urdf")
def _container_template(root: Path) -> None:
    """Open-top box of five 2 mm plates: floor at z -HALF2, walls at y +-HALF1 and x +-HALF0."""
    t = 0.002
    plates = [
        Shape(box(("DIM0", "DIM1", t)), ("0", "0", "-HALF2"), BROWN),
        Shape(box(("DIM0", t, "DIM2")), ("0", "HALF1", "0"), BROWN),
        Shape(box(("DIM0", t, "DIM2")), ("0", "-HALF1", "0"), BROWN),
        Shape(box((t, "DIM1", "DIM2")), ("HALF0", "0", "0"), BROWN),
        Shape(box((t, "DIM1", "DIM2")), ("-HALF0", "0", "0"), BROWN),
    ]
    write_prop(root, "container/container-template.urdf",
               Prop("container", [Link("baseLink", plates, 0.1, 0.3)]))


# ---------------------------------------------------------------------------------------------
# Visual-only markers


@asset_generator("corner/corner-template.urdf")
def _corner_template(root: Path) -> None:
    bars = [
        Shape(box((0.055, 0.005, 0.001)), ("DIMX0", "DIMY0", "0"), MARKER_GREEN, collision=False),
        Shape(box((0.005, 0.055, 0.001)), ("DIMX1", "DIMY1", "0"), MARKER_GREEN, collision=False),
    ]
    write_prop(root, "corner/corner-template.urdf", Prop("corner", [Link("baseLink", bars)]))


@asset_generator("square/square-template.urdf")
def _square_template(root: Path) -> None:
    """Three bars of a square of side DIM0, open on +y; HALF0 = DIM0 / 2 - 0.005 (set by the task)."""
    bars = [
        Shape(box(("DIM0", 0.01, 0.001)), ("0", "-HALF0", "0"), MARKER_GREEN, collision=False),
        Shape(box((0.01, "DIM0", 0.001)), ("HALF0", "0", "0"), MARKER_GREEN, collision=False),
        Shape(box((0.01, "DIM0", 0.001)), ("-HALF0", "0", "0"), MARKER_GREEN, collision=False),
    ]
    write_prop(root, "square/square-template.urdf", Prop("square", [Link("baseLink", bars)]))


def zone_frame_mesh() -> trimesh.Trimesh:
    """A 20-unit square frame one unit wide and 20 units tall, centred (mesh units of zone.obj)."""
    sides = []
    for size, xy in (((20, 1, 20), (0, 9.5)), ((20, 1, 20), (0, -9.5)),
                     ((1, 18, 20), (9.5, 0)), ((1, 18, 20), (-9.5, 0))):
        part = trimesh.creation.box(size)
        part.apply_translation((xy[0], xy[1], 0.0))
        sides.append(part)
    return trimesh.util.concatenate(sides)


@asset_generator("zone/zone.urdf", "zone/zone.obj", "zone/zone-template.urdf")
def _zone(root: Path) -> None:
    export_obj(root, "zone/zone.obj", zone_frame_mesh())
    frame = Shape(mesh("zone.obj", (0.006, 0.006, 0.00005)), rgba=MARKER_GREEN, collision=False)
    write_prop(root, "zone/zone.urdf", Prop("zone", [Link("baseLink", [frame])]))
    sized = Shape(mesh("zone.obj", ("LENGTH0", "LENGTH1", 0.00005)), rgba=MARKER_GREEN, collision=False)
    write_prop(root, "zone/zone-template.urdf", Prop("zone", [Link("baseLink", [sized])]))


# ---------------------------------------------------------------------------------------------
# Stands and boards (loaded with a fixed base by the tasks)


@asset_generator("stacking/stand.urdf")
def _stacking_stand(root: Path) -> None:
    """Three 5 x 5 x 0.5 cm plates in a row along y: light (-y), medium (centre), dark (+y)."""
    plate = box((0.05, 0.05, 0.005))
    links = [Link("baseLink", [Shape(plate, rgba=BROWN)]),
             Link("base1", [Shape(plate, (0, -0.05, 0), LIGHT_BROWN)], contact=False),
             Link("base2", [Shape(plate, (0, 0.05, 0), DARK_BROWN)], contact=False)]
    write_prop(root, "stacking/stand.urdf", Prop("stand", links))


@asset_generator("hanoi/stand.urdf")
def _hanoi_stand(root: Path) -> None:
    """Base of three 12 x 12 x 1 cm plates along y and three rods (r 5 mm, 5 cm long, centred z 3 cm).

    The base link holds the centre plate and all rods (brown); the side plates are child links.
    """
    plate, rod = box((0.12, 0.12, 0.01)), cylinder(0.005, 0.05)
    rods = [Shape(rod, (0, y, 0.03), BROWN) for y in (0.0, 0.12, -0.12)]
    links = [Link("baseLink", [*rods, Shape(plate, rgba=BROWN)], 0.1, 0.5),
             Link("base1", [Shape(plate, (0, -0.12, 0), LIGHT_BROWN)], contact=False),
             Link("base2", [Shape(plate, (0, 0.12, 0), DARK_BROWN)], contact=False)]
    write_prop(root, "hanoi/stand.urdf", Prop("stand", links))


@asset_generator("kitting/kit.urdf")
def _kit(root: Path) -> None:
    board = Shape(box((0.28, 0.2, 0.005)), rgba=BROWN)
    write_prop(root, "kitting/kit.urdf", Prop("kit", [Link("baseLink", [board], 0.1, 1.0)]))


# ---------------------------------------------------------------------------------------------
# Block insertion


@asset_generator("insertion/ell.urdf")
def _ell(root: Path) -> None:
    """L block: arms along +x and +y from the corner square centred at the origin."""
    arms = [Shape(box((0.08, 0.03, 0.04)), (0.025, 0, 0), RED),
            Shape(box((0.03, 0.08, 0.0399)), (0, 0.025, 0), RED)]
    write_prop(root, "insertion/ell.urdf", Prop("ell", [Link("baseLink", arms, 0.1, 0.3)]))


# (size x, size y, centre x, centre y) of the fixture's 4 cm tall, 2 mm thick walls.
FIXTURE_WALLS = (
    (0.1, 0.002, 0.025, -0.025),
    (0.05, 0.002, 0.0, 0.075),
    (0.05, 0.002, 0.05, 0.025),
    (0.002, 0.105, -0.025, 0.025),
    (0.002, 0.055, 0.025, 0.05),
    (0.002, 0.055, 0.075, 0.0),
)


@asset_generator("insertion/fixture.urdf")
def _fixture(root: Path) -> None:
    """L-shaped slot with 1 cm clearance around the ell, plus a small collision pad under it."""
    walls = [Shape(box((sx, sy, 0.04)), (x, y, 0), FIXTURE_GREY) for sx, sy, x, y in FIXTURE_WALLS]
    pad = Shape(box((0.02, 0.02, 0.001)), (0, 0, -0.02), visual=False)
    write_prop(root, "insertion/fixture.urdf", Prop("fixture", [Link("baseLink", [*walls, pad], 0.1, 0.3)]))
