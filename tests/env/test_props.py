"""Task props load in PyBullet with the original's sizes, colours and behaviour (env.md §14.3, §14.5)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pybullet as pb
import pytest
import trimesh

from cliport.env.assets import ensure_assets, registered_assets
from cliport.env.assets.props import zone_frame_mesh
from cliport.env.assets.props_common import BROWN, GREEN, RED
from cliport.env.assets.props_meshes import (
    BOWL_CENTER,
    DISK_COLORS,
    DISK_OUTER_RADII,
    RopeSpec,
    bowl_collision_parts,
    bowl_visual,
)

PLAIN_URDFS = [
    "stacking/block.urdf", "block/block.urdf", "block/small.urdf", "zone/zone.urdf", "bowl/bowl.urdf",
    "stacking/stand.urdf", "hanoi/stand.urdf", "hanoi/disk0.urdf", "hanoi/disk1.urdf", "hanoi/disk2.urdf",
    "hanoi/disk3.urdf", "insertion/ell.urdf", "insertion/fixture.urdf", "kitting/kit.urdf",
    "pallet/pallet.urdf",
]
TEMPLATES = {
    "box/box-template.urdf": ["DIM0", "DIM1", "DIM2"],
    "container/container-template.urdf": ["DIM0", "DIM1", "DIM2", "HALF0", "HALF1", "HALF2"],
    "corner/corner-template.urdf": ["DIMX0", "DIMY0", "DIMX1", "DIMY1"],
    "square/square-template.urdf": ["DIM0", "HALF0"],
    "zone/zone-template.urdf": ["LENGTH0", "LENGTH1"],
    "kitting/object-template.urdf": ["FNAME0", "SCALE0", "SCALE1", "SCALE2", "COLOR0", "COLOR1", "COLOR2"],
}
_fill_counter = itertools.count()


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("assets")
    return ensure_assets(root, only=PLAIN_URDFS + list(TEMPLATES) + ["kitting/00.obj"])


@pytest.fixture()
def client():
    cid = pb.connect(pb.DIRECT)
    pb.setPhysicsEngineParameter(enableFileCaching=0, physicsClientId=cid)
    yield cid
    pb.disconnect(cid)


def fill(root: Path, template: str, replace: dict[str, tuple]) -> Path:
    """Substitute NAME0, NAME1, ... like the original's template filler; a fresh file name each time."""
    text = (root / template).read_text()
    for name, values in replace.items():
        for i, value in enumerate(values):
            text = text.replace(f"{name}{i}", str(value))
    path = root / template.replace(".urdf", f"-filled{next(_fill_counter)}.urdf")
    path.write_text(text)
    return path


def load(cid: int, path: Path, fixed: bool = True, pos=(0, 0, 0)) -> int:
    return pb.loadURDF(str(path), pos, useFixedBase=fixed, physicsClientId=cid)


def extent(cid: int, body: int) -> tuple[np.ndarray, np.ndarray]:
    """AABB over all links (includes PyBullet's small collision margin)."""
    boxes = [pb.getAABB(body, link, physicsClientId=cid) for link in range(-1, pb.getNumJoints(body, cid))]
    lo = np.min([b[0] for b in boxes], axis=0)
    hi = np.max([b[1] for b in boxes], axis=0)
    return lo, hi


def visuals(cid: int, body: int) -> list[tuple]:
    return pb.getVisualShapeData(body, physicsClientId=cid)


def test_props_are_registered_with_the_original_paths():
    names = set(registered_assets())
    expected = set(PLAIN_URDFS) | set(TEMPLATES) | {f"kitting/{i:02d}.obj" for i in range(20)}
    expected |= {"bowl/cup.obj", "bowl/textured-0008192.obj", "pallet/pallet.obj", "zone/zone.obj"}
    assert expected <= names, sorted(expected - names)


@pytest.mark.parametrize("urdf", PLAIN_URDFS)
def test_every_prop_loads(assets, client, urdf):
    body = load(client, assets / urdf)
    assert body >= 0 and len(visuals(client, body)) >= 1


@pytest.mark.parametrize("template,placeholders", TEMPLATES.items())
def test_templates_carry_the_original_placeholders(assets, template, placeholders):
    text = (assets / template).read_text()
    for name in placeholders:
        assert name in text, f"{template} lacks {name}"


@pytest.mark.parametrize(("urdf", "size", "rgba", "mass"), [
    ("stacking/block.urdf", 0.04, RED, 0.01),
    ("block/block.urdf", 0.04, RED, 0.1),
    ("block/small.urdf", 0.01, RED, 0.001),
])
def test_blocks(assets, client, urdf, size, rgba, mass):
    body = load(client, assets / urdf, fixed=False)
    lo, hi = extent(client, body)
    np.testing.assert_allclose(hi - lo, [size] * 3, atol=1e-3)
    vis = visuals(client, body)[0]
    np.testing.assert_allclose(vis[3], [size] * 3)  # the "dimensions" the env info reports
    np.testing.assert_allclose(vis[7], rgba, atol=1e-4)
    assert pb.getDynamicsInfo(body, -1, physicsClientId=client)[0] == pytest.approx(mass)


def test_box_and_container_templates(assets, client):
    body = load(client, fill(assets, "box/box-template.urdf", {"DIM": (0.1, 0.07, 0.03)}), fixed=False)
    lo, hi = extent(client, body)
    np.testing.assert_allclose(hi - lo, [0.1, 0.07, 0.03], atol=1e-3)
    size = np.array([0.2, 0.15, 0.05])
    path = fill(assets, "container/container-template.urdf", {"DIM": tuple(size), "HALF": tuple(size / 2)})
    body = load(client, path, pos=(1, 0, 0))
    lo, hi = extent(client, body)
    np.testing.assert_allclose(hi - lo, size + [0.002, 0.002, 0.002], atol=2e-3)
    assert len(visuals(client, body)) == 5
    np.testing.assert_allclose(visuals(client, body)[0][7], BROWN, atol=1e-4)
    # Open top: a ray down the middle hits the floor at -HALF2 + 1 mm, not a lid.
    hit = pb.rayTest((1, 0, 0.2), (1, 0, -0.2), physicsClientId=client)[0]
    assert hit[0] == body and hit[3][2] == pytest.approx(-0.025 + 0.001, abs=1e-3)


def test_marker_templates_are_visual_only_and_placed_by_placeholders(assets, client):
    corner = load(client, fill(assets, "corner/corner-template.urdf",
                               {"DIMX": (0.03, 0.05), "DIMY": (0.04, 0.02)}))
    bars = visuals(client, corner)
    np.testing.assert_allclose([b[3] for b in bars], [(0.055, 0.005, 0.001), (0.005, 0.055, 0.001)])
    np.testing.assert_allclose([b[5] for b in bars], [(0.03, 0.04, 0), (0.05, 0.02, 0)])
    side = 0.28284
    square_urdf = fill(assets, "square/square-template.urdf", {"DIM": (side,), "HALF": (side / 2 - 0.005,)})
    square = load(client, square_urdf)
    pos = np.array([b[5] for b in visuals(client, square)])
    np.testing.assert_allclose(pos[:, :2], [(0, -0.13642), (0.13642, 0), (-0.13642, 0)], atol=1e-5)
    zone = load(client, assets / "zone/zone.urdf")
    for body in (corner, square, zone):  # markers never collide
        assert pb.getCollisionShapeData(body, -1, physicsClientId=client) == ()
    np.testing.assert_allclose(visuals(client, zone)[0][3], (0.006, 0.006, 0.00005))


def test_zone_mesh_is_a_12cm_frame():
    m = zone_frame_mesh()
    assert isinstance(m, trimesh.Trimesh)
    np.testing.assert_allclose(m.bounds * [0.006, 0.006, 0.00005],
                               [[-0.06, -0.06, -0.0005], [0.06, 0.06, 0.0005]])
    ring = np.abs(m.vertices[:, :2]).max(axis=1)  # Chebyshev radius: 9 (inner edge) or 10 (outer)
    assert set(np.round(ring, 6)) == {9.0, 10.0}
    assert m.area_faces.sum() > 0 and m.volume == pytest.approx(20 * (20 * 20 - 18 * 18))


def test_bowl_geometry_facts():
    parts = bowl_collision_parts()
    assert len(parts) == 14 and all(p.is_convex for p in parts.values())
    verts = np.concatenate([p.vertices for p in parts.values()]) + [*BOWL_CENTER, 0]
    lo, hi = verts.min(0), verts.max(0)
    np.testing.assert_allclose((lo + hi)[:2] / 2, (-0.025, 0.008), atol=1e-3)
    np.testing.assert_allclose((hi - lo)[:2] / 2, (0.057, 0.057), atol=1.5e-3)
    assert hi[2] - lo[2] == pytest.approx(0.035, abs=1e-3) and lo[2] == pytest.approx(0.0, abs=1e-9)
    base = verts[verts[:, 2] < 1e-9][:, :2] - BOWL_CENTER
    assert np.hypot(*base.T).max() == pytest.approx(0.044, abs=1e-3)
    visual = bowl_visual()
    np.testing.assert_allclose(visual.bounds[1], (0.057, 0.057, 0.035), atol=1e-3)


def test_bowl_loads_off_centre_with_its_colour_and_inertial(assets, client):
    bowl = load(client, assets / "bowl/bowl.urdf")
    lo, hi = extent(client, bowl)
    np.testing.assert_allclose((lo + hi)[:2] / 2, (-0.025, 0.008), atol=2e-3)
    assert lo[0] == pytest.approx(-0.087, abs=4e-3) and hi[1] == pytest.approx(0.072, abs=4e-3)
    np.testing.assert_allclose(visuals(client, bowl)[0][3], (1.25, 1.25, 0.25))
    np.testing.assert_allclose(visuals(client, bowl)[0][7], GREEN, atol=1e-4)
    np.testing.assert_allclose(pb.getDynamicsInfo(bowl, -1, physicsClientId=client)[3], (-0.01, 0, 0.02))


@pytest.mark.parametrize("offset", [(0.0, 0.0), (0.02, -0.015)])
def test_block_dropped_into_the_bowl_stays_inside(assets, client, offset):
    pb.setGravity(0, 0, -9.8, physicsClientId=client)
    ground = pb.createCollisionShape(pb.GEOM_PLANE, physicsClientId=client)
    pb.createMultiBody(0, ground, physicsClientId=client)
    bowl_pos = np.array([0.5, 0.0, 0.0])
    load(client, assets / "bowl/bowl.urdf", pos=bowl_pos)
    centre = bowl_pos[:2] + (-0.025, 0.008)
    start = (*(centre + offset), 0.08)
    block = pb.loadURDF(str(assets / "stacking/block.urdf"), start, pb.getQuaternionFromEuler((0, 0, 0.4)),
                        physicsClientId=client)
    for _ in range(480):
        pb.stepSimulation(physicsClientId=client)
    pos, _ = pb.getBasePositionAndOrientation(block, physicsClientId=client)
    assert np.hypot(*(np.array(pos[:2]) - centre)) < 0.057 - 0.02
    # Resting on the bowl's floor (concave collision), not on top of a convex hull of the bowl.
    assert 0.02 < pos[2] < 0.035


@pytest.mark.parametrize("i", range(4))
def test_hanoi_disk_sizes(assets, client, i):
    ring = trimesh.load(assets / f"hanoi/disk{i}.obj", process=False, force="mesh")
    radii = np.hypot(*ring.vertices[:, :2].T) * 0.001
    assert radii.max() == pytest.approx(DISK_OUTER_RADII[i], abs=1e-4)
    assert radii.min() == pytest.approx(0.015, abs=1e-4)
    np.testing.assert_allclose(ring.bounds[:, 2] * 0.001, (-0.005, 0.005))
    body = load(client, assets / f"hanoi/disk{i}.urdf")
    lo, hi = extent(client, body)
    assert (hi - lo)[0] / 2 == pytest.approx(DISK_OUTER_RADII[i], abs=4e-3)
    np.testing.assert_allclose(visuals(client, body)[0][7], DISK_COLORS[i], atol=1e-4)


def test_disks_slide_down_the_hanoi_rods(assets, client):
    """Disks collide as rings (64 convex sectors), so a disk dropped over a rod ends on the base."""
    pb.setGravity(0, 0, -9.8, physicsClientId=client)
    load(client, assets / "hanoi/stand.urdf", pos=(0.5, 0, 0.005))
    disks = [load(client, assets / f"hanoi/disk{i}.urdf", fixed=False, pos=(0.5, y, 0.09))
             for i, y in ((2, 0.12), (1, -0.12), (0, 0.0))]
    for _ in range(720):
        pb.stepSimulation(physicsClientId=client)
    for disk, y in zip(disks, (0.12, -0.12, 0.0), strict=True):
        pos, _ = pb.getBasePositionAndOrientation(disk, physicsClientId=client)
        np.testing.assert_allclose(pos, (0.5, y, 0.015), atol=3e-3)  # base top 0.01 + half thickness


def test_stands_kit_pallet_sizes(assets, client):
    cases = [("stacking/stand.urdf", (0.05, 0.15, 0.005)), ("hanoi/stand.urdf", (0.12, 0.36, 0.06)),
             ("kitting/kit.urdf", (0.28, 0.2, 0.005)), ("pallet/pallet.urdf", (0.30, 0.25, 0.0375))]
    for urdf, size in cases:
        lo, hi = extent(client, load(client, assets / urdf))
        np.testing.assert_allclose(hi - lo, size, atol=7e-3, err_msg=urdf)
    stand = load(client, assets / "stacking/stand.urdf")
    colours = [v[7][:3] for v in visuals(client, stand)]
    assert colours[0] != colours[1] != colours[2]


def test_ell_fits_the_fixture_slot(assets, client):
    pb.setGravity(0, 0, -9.8, physicsClientId=client)
    ground = pb.createCollisionShape(pb.GEOM_PLANE, physicsClientId=client)
    pb.createMultiBody(0, ground, physicsClientId=client)
    load(client, assets / "insertion/fixture.urdf", pos=(0.5, 0, 0.02))
    ell = load(client, assets / "insertion/ell.urdf", fixed=False, pos=(0.5, 0, 0.05))
    for _ in range(480):
        pb.stepSimulation(physicsClientId=client)
    pos, quat = pb.getBasePositionAndOrientation(ell, physicsClientId=client)
    assert pos[2] == pytest.approx(0.02, abs=3e-3)  # dropped into the slot, down to the floor
    np.testing.assert_allclose(pos[:2], (0.5, 0), atol=0.011)


def test_rope_spec():
    spec = RopeSpec()
    assert spec.length == pytest.approx(0.28284, abs=1e-5)
    assert spec.spacing == pytest.approx(0.014142, abs=1e-6)
    assert spec.bead_rgba(0) == spec.bead_rgba(19) == (1.0, 1.0, 1.0, 1.0)
    assert all(spec.bead_rgba(k) == RED for k in range(1, 19))


def test_generation_is_deterministic(tmp_path):
    only = ["bowl/bowl.urdf", "kitting/00.obj", "pallet/pallet.urdf", "hanoi/disk1.urdf",
            "box/box-template.urdf"]
    a, b = ensure_assets(tmp_path / "a", only=only), ensure_assets(tmp_path / "b", only=only)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) >= 2 * len(only)
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
