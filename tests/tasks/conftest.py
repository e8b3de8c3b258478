"""A fake Scene for task tests that need no simulator: bodies are records, the oracle view a raster.

``FakeScene`` implements the parts of ``env.task_api.Scene`` and of the PyBullet client that tasks
use: add_object, fill_template, render_oracle (object footprints rasterised as squares into the id
mask), getBasePositionAndOrientation / resetBasePositionAndOrientation, changeVisualShape,
getVisualShapeData (box dims parsed from the template replacements) and stepSimulation (no-op).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pybullet
import pytest

from cliport.geometry import HEIGHTMAP_SHAPE, PIXEL_SIZE, TASK_BOUNDS


@dataclass
class FakeBody:
    urdf: str
    position: np.ndarray
    quat: np.ndarray
    category: str
    dims: tuple[float, float, float] = (0.04, 0.04, 0.04)
    rgba: tuple[float, ...] | None = None
    mesh: bool = False  # collides through a mesh: the oracle then uses the render


class FakeClient:
    def __init__(self, scene: FakeScene) -> None:
        self.scene = scene
        self.steps = 0

    def getBasePositionAndOrientation(self, body_id: int):  # noqa: N802 - PyBullet's name
        b = self.scene.bodies[body_id]
        return tuple(b.position), tuple(b.quat)

    def resetBasePositionAndOrientation(self, body_id: int, pos, quat) -> None:  # noqa: N802
        b = self.scene.bodies[body_id]
        b.position, b.quat = np.asarray(pos, dtype=float), np.asarray(quat, dtype=float)

    def changeVisualShape(self, body_id: int, link: int, rgbaColor=None) -> None:  # noqa: N802, N803
        self.scene.bodies[body_id].rgba = tuple(rgbaColor)

    def getVisualShapeData(self, body_id: int):  # noqa: N802
        return [(body_id, -1, 3, self.scene.bodies[body_id].dims)]

    def stepSimulation(self) -> None:  # noqa: N802
        self.steps += 1

    def getNumJoints(self, body_id: int) -> int:  # noqa: N802
        return 0

    def getCollisionShapeData(self, body_id: int, link: int):  # noqa: N802
        geom = pybullet.GEOM_MESH if self.scene.bodies[body_id].mesh else pybullet.GEOM_BOX
        return [(body_id, link, geom)]

    def getAABB(self, body_id: int, link: int = -1):  # noqa: N802
        """The 4 cm square of the fake raster, 4 cm tall."""
        p = self.scene.bodies[body_id].position
        return tuple(p - [0.02, 0.02, 0.02]), tuple(p + [0.02, 0.02, 0.02])

    def rayTestBatch(self, starts, ends):  # noqa: N802
        """Vertical rays answered from the same raster as render_oracle (-1 where nothing is hit)."""
        _, height, ids = self.scene.raster()
        xy = np.asarray(starts, dtype=np.float64)[:, :2]
        u = ((xy[:, 1] - TASK_BOUNDS[1, 0]) / PIXEL_SIZE).astype(int).clip(0, ids.shape[0] - 1)
        v = ((xy[:, 0] - TASK_BOUNDS[0, 0]) / PIXEL_SIZE).astype(int).clip(0, ids.shape[1] - 1)
        return [
            (int(h) if h else -1, -1, 1.0, (x, y, float(z)), (0.0, 0.0, 1.0))
            for h, z, (x, y) in zip(ids[u, v], height[u, v], xy, strict=True)
        ]


@dataclass
class FakeScene:
    seed: int = 0
    bodies: dict[int, FakeBody] = field(default_factory=dict)
    obj_ids: dict[str, list[int]] = field(
        default_factory=lambda: {"fixed": [], "rigid": [], "deformable": []}
    )
    assets_root: Path = Path("/nonexistent")
    renders: int = 0

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.client = FakeClient(self)
        self._templates: dict[str, dict] = {}

    def fill_template(self, template: str | Path, replacements: dict[str, Any]) -> Path:
        name = f"filled-{len(self._templates)}-{Path(template).name}"
        self._templates[name] = dict(replacements)
        return Path(name)

    def add_object(self, urdf, pose, category="rigid", **_: Any) -> int | None:
        if pose is None or pose[0] is None:
            return None
        body_id = len(self.bodies) + 2  # 0 = plane, 1 = robot
        dims = (0.04, 0.04, 0.04)
        repl = self._templates.get(str(urdf))
        if repl and "DIM" in repl:
            dims = tuple(float(v) for v in repl["DIM"])
        self.bodies[body_id] = FakeBody(str(urdf), np.asarray(pose[0], float), np.asarray(pose[1], float),
                                        category, dims)  # fmt: skip
        self.obj_ids[category].append(body_id)
        return body_id

    def render_oracle(self):
        self.renders += 1
        return self.raster()

    def raster(self):
        """Each body on the table appears as a 4 cm square (its id) at its x-y position; higher wins."""
        ids = np.zeros(HEIGHTMAP_SHAPE, dtype=np.int32)
        height = np.zeros(HEIGHTMAP_SHAPE, dtype=np.float32)
        half = int(0.02 / PIXEL_SIZE)
        for body_id, b in sorted(self.bodies.items(), key=lambda kv: kv[1].position[2]):
            u = int((b.position[1] - TASK_BOUNDS[1, 0]) / PIXEL_SIZE)
            v = int((b.position[0] - TASK_BOUNDS[0, 0]) / PIXEL_SIZE)
            if not (0 <= u < ids.shape[0] and 0 <= v < ids.shape[1]):
                continue
            ids[max(u - half, 0) : u + half, max(v - half, 0) : v + half] = body_id
            height[max(u - half, 0) : u + half, max(v - half, 0) : v + half] = b.position[2]
        color = np.zeros((*HEIGHTMAP_SHAPE, 3), dtype=np.uint8)
        return color, height, ids


@pytest.fixture
def fake_scene():
    """Factory: ``fake_scene(seed)`` -> a fresh FakeScene."""
    return lambda seed=0: FakeScene(seed)


@pytest.fixture
def fast_free_space(monkeypatch):
    """Free space from the fake's raster in one numpy step (its per-ray emulation is slow in Python)."""

    def occupied(scene):
        _, _, ids = scene.render_oracle()
        return np.isin(ids, [i for ids_ in scene.obj_ids.values() for i in ids_])

    monkeypatch.setattr("cliport.tasks.base.occupied_mask", occupied)


def _ideal_rollout(task, scene) -> float:
    """Execute oracle actions with an ideal suction cup: the picked body moves rigidly with it."""
    from cliport.geometry import Transform
    from cliport.tasks.oracle import make_oracle

    oracle, total = make_oracle(task), 0.0
    for _ in range(task.max_steps):
        action = oracle.act(scene, None, None)
        if action is None:
            break
        body = action.extras["object_id"]
        pick, place = (Transform.from_pose(*p.as_tuple()) for p in (action.pose0, action.pose1))
        old = Transform.from_pose(*scene.client.getBasePositionAndOrientation(body))
        scene.client.resetBasePositionAndOrientation(body, *(place @ pick.inverse() @ old).to_pose())
        total += task.reward(scene)[0]
        if task.done():
            break
    return total


@pytest.fixture
def ideal_rollout():
    """rollout(task, scene) -> total reward with ideal execution of the oracle's actions."""
    return _ideal_rollout
