"""Generators for the scene and robot assets: plane, workspace, UR5, suction gripper, spatula.

The original ships these as files; we build them here so the package carries no binary assets. The
kinematic tree, masses and inertias of the UR5 follow env.md §7 (ROS ur_description values), with
simple procedurally built visual meshes. Only ``wrist_3_link`` collides, as in the original. Paths are
the original's relative paths, so a folder with the original assets can be used instead.
A 4 cm block and a 1 cm block for the built-in scene live under ``builtin/``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import trimesh

from cliport.env.assets.registry import asset_generator
from cliport.env.assets.ur5_chain import BASE_LINK_RPY, UR5_FIXED_FRAMES, UR5_JOINTS

LIGHT_GREY = (0.8, 0.8, 0.8, 1.0)
DARK_GREY = (0.2, 0.2, 0.2, 1.0)
SUCTION_BLUE = (0.18039, 0.50588, 0.77255, 1.0)
BLOCK_RED = (1.0, 0.3412, 0.3490, 1.0)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _export(mesh: trimesh.Trimesh, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mesh.export(path)


def _cyl(radius: float, z0: float, z1: float, axis: str = "z", offset=(0.0, 0.0, 0.0)) -> trimesh.Trimesh:
    """A cylinder along ``axis`` spanning [z0, z1] on that axis, shifted by ``offset``."""
    mesh = trimesh.creation.cylinder(radius=radius, height=z1 - z0, sections=24)
    mesh.apply_translation((0.0, 0.0, (z0 + z1) / 2))
    if axis == "y":
        mesh.apply_transform(trimesh.transformations.rotation_matrix(-math.pi / 2, (1, 0, 0)))
    elif axis == "x":
        mesh.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, (0, 1, 0)))
    mesh.apply_translation(offset)
    return mesh


def _rgba(c) -> str:
    return " ".join(f"{v:g}" for v in c)


def _inertial(mass: float, ixx: float = 0.0, iyy: float = 0.0, izz: float = 0.0,
              xyz=(0, 0, 0), rpy=(0, 0, 0)) -> str:
    return (
        f'<inertial><origin xyz="{_v(xyz)}" rpy="{_v(rpy)}"/><mass value="{mass}"/>'
        f'<inertia ixx="{ixx}" ixy="0" ixz="0" iyy="{iyy}" iyz="0" izz="{izz}"/></inertial>'
    )


def _v(xs) -> str:
    return " ".join(repr(float(x)) for x in xs)


def _contact(lateral: float, rolling: float = 0.0, inertia_scaling: float = 3.0) -> str:
    return (
        f'<contact><lateral_friction value="{lateral}"/><rolling_friction value="{rolling}"/>'
        f'<inertia_scaling value="{inertia_scaling}"/><contact_cfm value="0.0"/>'
        '<contact_erp value="1.0"/></contact>'
    )


# ---------------------------------------------------------------------------------------------
# Plane and workspace (env.md §14.1)


@asset_generator("plane/plane.urdf")
def _plane(root: Path) -> None:
    _write(root / "plane/plane.urdf", f"""<?xml version="1.0"?>
<robot name="plane">
  <link name="planeLink">
    {_contact(1.0, 0.0, 1.0)}
    {_inertial(0.0)}
    <collision><origin xyz="0 0 -5"/><geometry><box size="200 200 10"/></geometry></collision>
  </link>
</robot>
""")


@asset_generator("ur5/workspace.urdf", "ur5/plane.obj")
def _workspace(root: Path) -> None:
    # A 30 x 30 quad; the URDF scales it to 0.5 m (x) by 1.0 m (y), like the original.
    quad = trimesh.Trimesh(
        vertices=[[-15, -15, 0], [15, -15, 0], [15, 15, 0], [-15, 15, 0]], faces=[[0, 1, 2], [0, 2, 3]]
    )
    _export(quad, root / "ur5/plane.obj")
    _write(root / "ur5/workspace.urdf", f"""<?xml version="1.0"?>
<robot name="workspace">
  <link name="workspaceLink">
    {_inertial(0.0)}
    <visual>
      <geometry><mesh filename="plane.obj" scale="0.0167 0.0333 1"/></geometry>
      <material name="ws"><color rgba="{_rgba(DARK_GREY)}"/></material>
    </visual>
  </link>
</robot>
""")


# ---------------------------------------------------------------------------------------------
# UR5 (env.md §7)

# (link, mass, (ixx, iyy, izz), com z, colour, visual mesh name)
_UR5_LINKS = [
    ("base_link", 4.0, (0.00443333156, 0.00443333156, 0.0072), 0.0, LIGHT_GREY, "base"),
    ("shoulder_link", 3.7, (0.010267495893, 0.010267495893, 0.00666), 0.0, DARK_GREY, "shoulder"),
    ("upper_arm_link", 8.393, (0.22689067591, 0.22689067591, 0.0151074), 0.28, LIGHT_GREY, "upperarm"),
    ("forearm_link", 2.275, (0.049443313556, 0.049443313556, 0.004095), 0.25, LIGHT_GREY, "forearm"),
    ("wrist_1_link", 1.219, (0.111172755531, 0.111172755531, 0.21942), 0.0, LIGHT_GREY, "wrist1"),
    ("wrist_2_link", 1.219, (0.111172755531, 0.111172755531, 0.21942), 0.0, DARK_GREY, "wrist2"),
    ("wrist_3_link", 0.1879, (0.0171364731454, 0.0171364731454, 0.033822), 0.0, LIGHT_GREY, "wrist3"),
]



def _ur5_visuals() -> dict[str, trimesh.Trimesh]:
    """Rough cylinders standing in for the UR5 link meshes, each in its link frame."""
    cat = trimesh.util.concatenate
    return {
        "base": _cyl(0.075, 0.0, 0.086),
        "shoulder": cat([_cyl(0.06, -0.06, 0.06), _cyl(0.06, -0.02, 0.14, "y")]),
        "upperarm": cat([_cyl(0.045, 0.0, 0.425), _cyl(0.06, -0.12, 0.02, "y", (0, 0, 0.425)),
                         _cyl(0.06, -0.06, 0.06, "y")]),
        "forearm": cat([_cyl(0.038, 0.0, 0.39225), _cyl(0.045, -0.06, 0.04, "y")]),
        "wrist1": cat([_cyl(0.04, -0.04, 0.04), _cyl(0.04, 0.0, 0.12, "y")]),
        "wrist2": cat([_cyl(0.04, -0.02, 0.12), _cyl(0.04, -0.04, 0.04, "y", (0, 0, 0.09465))]),
        "wrist3": _cyl(0.04, 0.0, 0.0823, "y"),
    }


@asset_generator(
    "ur5/ur5.urdf",
    *(f"ur5/visual/{name}.stl" for name in ("base", "shoulder", "upperarm", "forearm", "wrist1",
                                             "wrist2", "wrist3")),
    "ur5/collision/wrist3.stl",
)
def _ur5(root: Path) -> None:
    for name, mesh in _ur5_visuals().items():
        _export(mesh, root / f"ur5/visual/{name}.stl")
    _export(_cyl(0.04, 0.0, 0.0823, "y"), root / "ur5/collision/wrist3.stl")

    parts = ['<?xml version="1.0"?>', '<robot name="ur5">',
             '<link name="world"/>',
             f'<link name="rotated_base_link">{_inertial(0.0)}</link>',
             '<joint name="world_joint" type="fixed"><parent link="world"/>'
             '<child link="rotated_base_link"/><origin xyz="0 0 0" rpy="0 0 0"/></joint>',
             '<joint name="rotated_base-base_fixed_joint" type="fixed"><parent link="rotated_base_link"/>'
             f'<child link="base_link"/><origin xyz="0 0 0" rpy="0 0 {BASE_LINK_RPY[2]!r}"/></joint>']
    for link, mass, (ixx, iyy, izz), com_z, colour, mesh in _UR5_LINKS:
        collision = ""
        if link == "wrist_3_link":
            collision = '<collision><geometry><mesh filename="collision/wrist3.stl"/></geometry></collision>'
        parts.append(
            f'<link name="{link}"><visual><geometry><mesh filename="visual/{mesh}.stl"/></geometry>'
            f'<material name="{link}_mat"><color rgba="{_rgba(colour)}"/></material></visual>'
            f"{collision}{_inertial(mass, ixx, iyy, izz, (0, 0, com_z))}</link>"
        )
    for name, parent, child, xyz, rpy, axis, lo, hi, effort, vel in UR5_JOINTS:
        parts.append(
            f'<joint name="{name}" type="revolute"><parent link="{parent}"/><child link="{child}"/>'
            f'<origin xyz="{_v(xyz)}" rpy="{_v(rpy)}"/><axis xyz="{_v(axis)}"/>'
            f'<limit effort="{effort}" lower="{lo!r}" upper="{hi!r}" velocity="{vel}"/>'
            '<dynamics damping="0.0" friction="0.0"/></joint>'
        )
    # Fixed frames: ee_link (8), tool0 (9), tool_tip (10), then base (11).
    for name, parent, child, xyz, rpy, inertial_rpy in UR5_FIXED_FRAMES:
        parts.append(f'<link name="{child}">{_inertial(0.0, rpy=inertial_rpy)}</link>')
        parts.append(
            f'<joint name="{name}" type="fixed"><parent link="{parent}"/><child link="{child}"/>'
            f'<origin xyz="{_v(xyz)}" rpy="{_v(rpy)}"/></joint>'
        )
    parts.append("</robot>\n")
    _write(root / "ur5/ur5.urdf", "\n".join(parts))


# ---------------------------------------------------------------------------------------------
# End effectors (env.md §8)


def _link(name: str, visuals: list[tuple[str, tuple, tuple]], collision: str = "",
          mass: float = 0.1, contact: str = "") -> str:
    """A URDF link with visuals given as (geometry xml, origin xyz, rgba)."""
    vis = "".join(
        f'<visual><origin xyz="{_v(xyz)}"/><geometry>{geom}</geometry>'
        f'<material name="{name}_{i}"><color rgba="{_rgba(rgba)}"/></material></visual>'
        for i, (geom, xyz, rgba) in enumerate(visuals)
    )
    return f'<link name="{name}">{contact}{_inertial(mass, 0.001, 0.001, 0.001)}{vis}{collision}</link>'


def _fixed_joint(name: str, parent: str, child: str, xyz) -> str:
    return (f'<joint name="{name}" type="fixed"><parent link="{parent}"/><child link="{child}"/>'
            f'<origin xyz="{_v(xyz)}" rpy="0 0 0"/></joint>')


def _suction_meshes(root: Path) -> None:
    # Mesh units are millimetres (the URDFs scale them by 0.001), as in the original.
    _export(_cyl(38.0, 0.0, 25.0), root / "ur5/suction/base.obj")
    # The original's mid part is a cylinder-like body with a 77 x 76 mm footprint, 78 mm long, centred
    # on its frame (so the thin head shows below it, as in the original's camera images).
    _export(_cyl(38.0, -39.0, 39.0), root / "ur5/suction/mid.obj")
    _export(_cyl(5.0, 0.0, 30.0), root / "ur5/suction/head.obj")
    _export(_cyl(10.0, 0.0, 14.5), root / "ur5/suction/tip.obj")


@asset_generator(
    "ur5/suction/suction-base.urdf", "ur5/suction/suction-head.urdf", "ur5/suction/base.obj",
    "ur5/suction/mid.obj", "ur5/suction/head.obj", "ur5/suction/tip.obj",
)
def _suction(root: Path) -> None:
    _suction_meshes(root)
    mm = 'scale="0.001 0.001 0.001"'
    contact = _contact(1.0, 0.0001, 3.0)
    base = _link("baseLink", [(f'<mesh filename="base.obj" {mm}/>', (0, 0, 0), DARK_GREY)],
                 contact=contact)
    mid = _link("midLink", [(f'<mesh filename="mid.obj" {mm}/>', (0, 0, 0), DARK_GREY)], contact=contact)
    _write(root / "ur5/suction/suction-base.urdf",
           f'<?xml version="1.0"?>\n<robot name="suction_base">{base}{mid}'
           f'{_fixed_joint("base_mid", "baseLink", "midLink", (0, 0, 0.025))}</robot>\n')
    head = _link(
        "headLink", [(f'<mesh filename="head.obj" {mm}/>', (0, 0, 0), DARK_GREY)],
        collision=f'<collision><geometry><mesh filename="head.obj" {mm}/></geometry></collision>',
        contact=contact,
    )
    tip = _link(
        "tipLink", [(f'<mesh filename="tip.obj" {mm}/>', (0, 0, 0), SUCTION_BLUE)],
        collision='<collision><geometry><cylinder length="0.028" radius="0.001"/></geometry></collision>',
        contact=contact,
    )
    _write(root / "ur5/suction/suction-head.urdf",
           f'<?xml version="1.0"?>\n<robot name="suction_head">{head}{tip}'
           f'{_fixed_joint("head_tip", "headLink", "tipLink", (0, 0, 0.029))}</robot>\n')


@asset_generator("ur5/spatula/spatula-base.urdf", "ur5/spatula/base.obj")
def _spatula(root: Path) -> None:
    _export(_cyl(38.0, 0.0, 25.0), root / "ur5/spatula/base.obj")
    contact = _contact(1.0, 0.0, 1.0)
    blade = '<box size="0.05 0.005 0.11"/>'
    base = _link(
        "baseLink",
        [('<mesh filename="base.obj" scale="0.001 0.001 0.001"/>', (0, 0, 0), DARK_GREY),
         (blade, (0, 0, 0.075), DARK_GREY)],
        collision=f'<collision><origin xyz="0 0 0.075"/><geometry>{blade}</geometry></collision>',
        contact=contact,
    )
    edge = '<box size="0.05 0.005 0.005"/>'
    tip = _link("tipLink", [(edge, (0, 0, 0), DARK_GREY)],
                collision=f"<collision><geometry>{edge}</geometry></collision>", contact=contact)
    _write(root / "ur5/spatula/spatula-base.urdf",
           f'<?xml version="1.0"?>\n<robot name="spatula">{base}{tip}'
           f'{_fixed_joint("base_tip", "baseLink", "tipLink", (0, 0, 0.025 + 0.1075))}</robot>\n')


# ---------------------------------------------------------------------------------------------
# Built-in scene prop (used by env/blocks_scene.py so the simulator is testable without tasks)


@asset_generator("builtin/block.urdf")
def _builtin_block(root: Path) -> None:
    box = '<box size="0.04 0.04 0.04"/>'
    link = (f'<link name="baseLink">{_contact(1.0, 0.0001, 3.0)}{_inertial(0.01, 1, 1, 1)}'
            f'<visual><geometry>{box}</geometry><material name="red"><color rgba="{_rgba(BLOCK_RED)}"/>'
            f"</material></visual><collision><geometry>{box}</geometry></collision></link>")
    _write(root / "builtin/block.urdf", f'<?xml version="1.0"?>\n<robot name="block">{link}</robot>\n')


@asset_generator("builtin/small_block.urdf")
def _builtin_small_block(root: Path) -> None:
    box = '<box size="0.01 0.01 0.01"/>'
    link = (f'<link name="baseLink">{_contact(0.5, 0.0, 1.0)}{_inertial(0.001, 1, 1, 1)}'
            f'<visual><geometry>{box}</geometry><material name="red"><color rgba="{_rgba(BLOCK_RED)}"/>'
            f"</material></visual><collision><geometry>{box}</geometry></collision></link>")
    _write(root / "builtin/small_block.urdf", f'<?xml version="1.0"?>\n<robot name="small">{link}</robot>\n')


def mesh_extent(path: Path) -> np.ndarray:
    """Bounding-box extents of a generated mesh (used by tests and env-info)."""
    return np.asarray(trimesh.load(path, force="mesh").extents)
