"""Small URDF and mesh writing helpers shared by the task-prop generators (env.md §14.3).

A prop is described as data (links made of shapes, joined by fixed joints) and rendered to URDF text in
one place, so every prop gets the same contact block (lateral / rolling friction, inertia scaling 3) and
the original's placeholder inertia diag(1, 1, 1). Numbers may also be template placeholders (``"DIM0"``),
which are written verbatim for the task to substitute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import trimesh

Number = float | str  # a value or a template placeholder such as "DIM0"

# Colours (RGBA, 0-1) of env.md §14.3.
RED = (1.0, 0.3412, 0.3490, 1.0)
BROWN = (0.6118, 0.4588, 0.3725, 1.0)
LIGHT_BROWN = (0.9176, 0.6882, 0.5588, 1.0)
DARK_BROWN = (0.3059, 0.2294, 0.1863, 1.0)
MARKER_GREEN = (0.0, 1.0, 0.0, 1.0)
GREEN = (0.3490, 0.6627, 0.3098, 1.0)
YELLOW = (0.9294, 0.7882, 0.2824, 1.0)
BLUE = (0.3059, 0.4745, 0.6549, 1.0)
FIXTURE_GREY = (0.7294, 0.6902, 0.6745, 1.0)
WOOD = (0.8706, 0.7216, 0.5294, 1.0)


def fmt(value: Number) -> str:
    """A number in the shortest exact form, or a placeholder unchanged."""
    if isinstance(value, str):
        return value
    return repr(float(value))


def vec(values: Sequence[Number]) -> str:
    return " ".join(fmt(v) for v in values)


def box(size: Sequence[Number]) -> str:
    return f'<box size="{vec(size)}"/>'


def cylinder(radius: float, length: float) -> str:
    return f'<cylinder radius="{fmt(radius)}" length="{fmt(length)}"/>'


def mesh(filename: str, scale: Sequence[Number] = (1.0, 1.0, 1.0)) -> str:
    return f'<mesh filename="{filename}" scale="{vec(scale)}"/>'


@dataclass(frozen=True)
class Shape:
    """One geometry of a link: drawn (visual), colliding (collision) or both."""

    geometry: str
    xyz: Sequence[Number] = (0.0, 0.0, 0.0)
    rgba: Sequence[Number] | None = None
    visual: bool = True
    collision: bool = True
    rpy: Sequence[Number] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Link:
    """A rigid link with its mass, contact parameters and shapes.

    As in the original files, only base links carry a ``<contact>`` block (``contact=False`` for the
    child links of stands, which then get PyBullet's default friction).
    """

    name: str
    shapes: Sequence[Shape]
    mass: float = 0.1
    lateral_friction: float = 1.0
    rolling_friction: float = 1e-4
    inertial_xyz: Sequence[float] = (0.0, 0.0, 0.0)
    contact: bool = True


@dataclass(frozen=True)
class Prop:
    """A URDF: links[0] is the base; every other link hangs off the base with a fixed joint at the
    base origin (child links place their shapes with shape offsets, like the original stands)."""

    name: str
    links: Sequence[Link]


def _link_xml(link: Link) -> list[str]:
    lines = [f'  <link name="{link.name}">']
    if link.contact:
        lines += ["    <contact>", f'      <lateral_friction value="{fmt(link.lateral_friction)}"/>',
                  f'      <rolling_friction value="{fmt(link.rolling_friction)}"/>',
                  '      <inertia_scaling value="3.0"/>', "    </contact>"]
    lines += ["    <inertial>", f'      <origin rpy="0 0 0" xyz="{vec(link.inertial_xyz)}"/>',
              f'      <mass value="{fmt(link.mass)}"/>',
              '      <inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/>', "    </inertial>"]
    for k, shape in enumerate(link.shapes):
        origin = f'<origin rpy="{vec(shape.rpy)}" xyz="{vec(shape.xyz)}"/>'
        if shape.visual:
            lines += ["    <visual>", f"      {origin}", f"      <geometry>{shape.geometry}</geometry>"]
            if shape.rgba is not None:
                lines.append(f'      <material name="{link.name}_m{k}"><color rgba="{vec(shape.rgba)}"/>'
                             "</material>")
            lines.append("    </visual>")
        if shape.collision:
            lines += ["    <collision>", f"      {origin}", f"      <geometry>{shape.geometry}</geometry>",
                      "    </collision>"]
    lines.append("  </link>")
    return lines


def urdf_text(prop: Prop) -> str:
    """Render a :class:`Prop` as URDF text (deterministic, one element per line)."""
    lines = ['<?xml version="1.0"?>', f'<robot name="{prop.name}">']
    for link in prop.links:
        lines += _link_xml(link)
    base = prop.links[0].name
    for link in prop.links[1:]:
        lines += [f'  <joint name="{base}_{link.name}" type="fixed">', f'    <parent link="{base}"/>',
                  f'    <child link="{link.name}"/>', '    <origin rpy="0 0 0" xyz="0 0 0"/>', "  </joint>"]
    lines.append("</robot>")
    return "\n".join(lines) + "\n"


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_prop(root: Path, relative: str, prop: Prop) -> None:
    write_text(root / relative, urdf_text(prop))


def export_obj(root: Path, relative: str, parts: trimesh.Trimesh | dict[str, trimesh.Trimesh]) -> None:
    """Write a mesh as OBJ. A dict writes one ``o`` group per entry: PyBullet then collides with one
    convex hull per group (a concave compound), while a single mesh collides as its one convex hull."""
    scene = parts if isinstance(parts, trimesh.Trimesh) else trimesh.Scene(dict(parts))
    write_text(root / relative, trimesh.exchange.obj.export_obj(scene, include_normals=False,
                                                                include_texture=False))
