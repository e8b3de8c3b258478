"""The Task base class: typed goals, the reward and done rules, and the scene-building helpers.

Every task family subclasses :class:`Task` (which implements ``env.task_api.SceneTask``). What is
shared by all tasks lives here once (spec tasks.md §1, env.md §6): the goal record, pose matching
with symmetries, the "pose" and "zone" metrics with partial rewards, the collision-free pose
sampler, object point sets for the zone metric, random browns and template filling.
All randomness comes from ``scene.rng`` (the environment's Generator), never from globals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from cliport.env.task_api import Category, Scene
from cliport.errors import CliportError
from cliport.geometry import (
    PIXEL_SIZE,
    TASK_BOUNDS,
    Transform,
    eulerXYZ_to_quat,
    pix_to_xyz,
    quat_to_eulerXYZ,
)
from cliport.tasks.free_space import occupied_mask

PoseTuple = tuple[np.ndarray, np.ndarray]
Metric = Literal["pose", "zone"]


@dataclass
class GoalObject:
    """An object of a goal step: its body id and its rotational symmetry (radians, 0 = ignore)."""

    body_id: int
    symmetry: float = 0.0


@dataclass
class Zone:
    """Zone-metric parameters: object point sets (body id -> (3, N) body-frame points) and the zone."""

    points: dict[int, np.ndarray]
    pose: PoseTuple
    size: tuple[float, float, float]


@dataclass
class Goal:
    """One goal step (tasks.md §1.2), a typed record instead of the original's 8-tuple."""

    objects: list[GoalObject]
    matches: np.ndarray  # (n_objects, n_targets) 0/1
    targets: list[PoseTuple]
    replace: bool
    rotations: bool
    metric: Metric
    max_reward: float
    zone: Zone | None = None

    def __post_init__(self) -> None:
        self.matches = np.asarray(self.matches, dtype=np.int64).reshape(len(self.objects), len(self.targets))
        if self.metric == "zone" and self.zone is None:
            raise ValueError("a zone goal needs zone parameters")


def pose_matches(
    pose: PoseTuple, target: PoseTuple, symmetry: float, pos_eps: float, rot_eps: float
) -> bool:
    """tasks.md §1.3: x-y distance below pos_eps and (if symmetry > 0) yaw within rot_eps mod symmetry."""
    dist = float(np.linalg.norm(np.asarray(pose[0][:2]) - np.asarray(target[0][:2])))
    diff = 0.0
    if symmetry > 0:
        yaw_a = quat_to_eulerXYZ(pose[1])[2]
        yaw_b = quat_to_eulerXYZ(target[1])[2]
        diff = abs(yaw_a - yaw_b) % symmetry
        if diff > symmetry / 2:
            diff = symmetry - diff
    return bool(dist < pos_eps and diff < rot_eps)


def zone_fraction_inside(
    body_points_world: dict[int, Transform], zone: Zone, z_max: float
) -> tuple[int, int]:
    """Count the points of every body (given its world transform) inside the zone: (inside, total)."""
    world_to_zone = Transform.from_pose(*zone.pose).inverse()
    sx, sy = zone.size[0], zone.size[1]
    inside = total = 0
    for body_id, pts in zone.points.items():
        local = (world_to_zone @ body_points_world[body_id]).apply(pts)  # (3, N)
        ok = (
            (local[0] > -sx / 2) & (local[0] < sx / 2)
            & (local[1] > -sy / 2) & (local[1] < sy / 2)
            & (local[2] < z_max)
        )  # fmt: skip
        inside += int(ok.sum())
        total += pts.shape[1]
    return inside, total


def grid_points(lo: np.ndarray, hi: np.ndarray, step: float = 0.02) -> np.ndarray:
    """(3, N) grid arange(lo, hi, step) per axis (numpy arange semantics), x-major then y then z."""
    xs, ys, zs = (np.arange(lo[i], hi[i], step) for i in range(3))
    gx, gy, gz = np.meshgrid(xs, ys, zs, indexing="ij")
    return np.vstack([gx.reshape(1, -1), gy.reshape(1, -1), gz.reshape(1, -1)])


class Task:
    """Base of every benchmark task; subclasses implement :meth:`build` (the scene and the goals).

    Class attributes hold tasks.md §1.1 defaults; subclasses override the ones that differ.
    """

    ee_type: str = "suction"
    primitive: str = "pick_place"
    primitive_params: dict[str, float] = {"height": 0.32, "speed": 0.01}  # noqa: RUF012
    max_steps: int = 10
    sixdof: bool = False
    pos_eps: float = 0.01
    rot_eps: float = float(np.deg2rad(15))
    completed: str = "task completed."

    def __init__(self, name: str, mode: str = "train", **_: Any) -> None:
        self.name = name
        if mode not in ("train", "val", "test"):
            raise CliportError(f"task {name!r}: mode must be train, val or test, got {mode!r}")
        self.mode = mode
        self.bounds = TASK_BOUNDS.copy()
        self.zone_bounds = TASK_BOUNDS.copy()
        self.primitive_params = dict(type(self).primitive_params)
        self.goals: list[Goal] = []
        self.lang_goals: list[str] = []
        self.progress = 0.0
        self._reward = 0.0

    # ------------------------------------------------------------------ SceneTask protocol
    def reset(self, scene: Scene) -> None:
        """Clear goals and progress, then build the scene (subclass hook :meth:`build`)."""
        self.goals = []
        self.lang_goals = []
        self.progress = 0.0
        self._reward = 0.0
        self.build(scene)

    def build(self, scene: Scene) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def reward(self, scene: Scene) -> tuple[float, dict]:
        """tasks.md §1.4: the reward delta of the first remaining goal step; extras are empty."""
        step_reward = 0.0
        if self.goals:
            goal = self.goals[0]
            step_reward = self.step_reward(scene, goal)
        reward = self.progress + step_reward - self._reward
        self._reward = self.progress + step_reward
        if self.goals and abs(self.goals[0].max_reward - step_reward) < 0.01:
            self.progress += self.goals[0].max_reward
            self.goals.pop(0)
            if self.lang_goals:
                self.lang_goals.pop(0)
        self.after_reward(scene)
        return reward, {}

    def after_reward(self, scene: Scene) -> None:
        """Hook run after every reward computation (palletizing spawns its next box here)."""

    def done(self) -> bool:
        return len(self.goals) == 0 or self._reward > 0.99

    def lang_goal(self) -> str:
        return self.lang_goals[0] if self.lang_goals else self.completed

    # ------------------------------------------------------------------ metrics
    def step_reward(self, scene: Scene, goal: Goal) -> float:
        """Reward of the current state for one goal step (pose or zone metric)."""
        if goal.metric == "pose":
            n = len(goal.objects)
            total = 0.0
            for i, obj in enumerate(goal.objects):
                pose = body_pose(scene, obj.body_id)
                for j in np.flatnonzero(goal.matches[i]):
                    if pose_matches(pose, goal.targets[j], obj.symmetry, self.pos_eps, self.rot_eps):
                        total += goal.max_reward / n
                        break
            return total
        assert goal.zone is not None
        world = {b: Transform.from_pose(*body_pose(scene, b)) for b in goal.zone.points}
        inside, count = zone_fraction_inside(world, goal.zone, float(self.zone_bounds[2, 1]))
        return goal.max_reward * inside / count if count else 0.0

    def is_match(self, pose: PoseTuple, target: PoseTuple, symmetry: float) -> bool:
        return pose_matches(pose, target, symmetry, self.pos_eps, self.rot_eps)

    # ------------------------------------------------------------------ scene helpers
    def free_mask(self, scene: Scene) -> np.ndarray:
        """(320, 160) uint8: 1 where no registered object is seen from above, 0 on the border.

        Computed with vertical rays instead of an oracle render (see ``free_space``; same cells up
        to their edges, many times faster).
        """
        free = (~occupied_mask(scene)).astype(np.uint8)
        free[0, :] = free[-1, :] = free[:, 0] = free[:, -1] = 0
        return free

    def random_pose(self, scene: Scene, size: Sequence[float]) -> tuple[PoseTuple | None, bool]:
        """env.md §6 collision-free pose for a footprint (sx, sy, sz) -> ((pos, quat), ok).

        Returns ``(None, False)`` when no free pixel survives the erosion by the footprint diagonal.
        """
        erode = int(np.round(np.hypot(size[0], size[1]) / PIXEL_SIZE))
        free = self.free_mask(scene)
        if erode > 0:
            free = cv2.erode(free, np.ones((erode, erode), np.uint8))
        candidates = np.flatnonzero(free)
        if candidates.size == 0:
            return None, False
        flat = int(candidates[scene.rng.integers(candidates.size)])
        u, v = divmod(flat, free.shape[1])
        x, y, _ = pix_to_xyz((u, v), None, self.bounds)
        theta = float(scene.rng.random()) * 2 * np.pi
        pos = np.array([x, y, size[2] / 2])
        return (pos, eulerXYZ_to_quat((0.0, 0.0, theta))), True

    def add_template(
        self,
        scene: Scene,
        template: str,
        replacements: dict[str, Any],
        pose: PoseTuple,
        category: Category = "rigid",
    ) -> int | None:
        """Fill a template URDF, load it at ``pose`` and register it; the filled file is removed."""
        path = Path(scene.fill_template(template, replacements))
        try:
            return scene.add_object(path, pose, category)
        finally:
            if path.is_absolute() and path.name != Path(template).name:
                path.unlink(missing_ok=True)

    def set_color(self, scene: Scene, body_id: int, rgba: Sequence[float]) -> None:
        scene.client.changeVisualShape(body_id, -1, rgbaColor=list(rgba))

    def box_points(self, scene: Scene, body_id: int) -> np.ndarray:
        """tasks.md §1.5 "box points": grid over the first visual shape's dimension vector."""
        dims = np.asarray(scene.client.getVisualShapeData(body_id)[0][3], dtype=np.float64)
        return grid_points(-dims / 2, dims / 2)

    def mesh_points(self, scene: Scene, body_id: int) -> np.ndarray:
        """tasks.md §1.5 "mesh points": grid over the bounding box of the body's mesh vertices."""
        _, verts = scene.client.getMeshData(body_id)
        verts = np.asarray(verts, dtype=np.float64)
        return grid_points(verts.min(axis=0), verts.max(axis=0))


def body_pose(scene: Scene, body_id: int) -> PoseTuple:
    pos, quat = scene.client.getBasePositionAndOrientation(body_id)
    return np.asarray(pos, dtype=np.float64), np.asarray(quat, dtype=np.float64)
