"""The scripted oracle that generates demonstrations (spec tasks.md §1.6).

Kept outside the task classes: it reads a task's first goal step and the top-down oracle view (vertical
rays for bodies with primitive collision shapes, the oracle render for mesh bodies; see ``free_space``)
and returns a pick/place :class:`~cliport.types.Action`. The same oracle serves pick-and-place, rope and
push tasks (for pushes the "pick" is a point on the farthest object and the "place" that point moved
to the target). Randomness (the pick pixel) comes from ``scene.rng``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cliport.env.task_api import Scene
from cliport.geometry import (
    HEIGHTMAP_SHAPE,
    Transform,
    eulerXYZ_to_quat,
    pix_to_xyz,
    quat_from_matrix,
    quat_to_eulerXYZ,
)
from cliport.tasks.base import Goal, Task, body_pose
from cliport.tasks.free_space import has_primitive_collision, visible_cells
from cliport.types import Action, Pose


def _free_matches(task: Task, scene: Scene, goal: Goal) -> np.ndarray:
    """Step 2: unless ``replace``, drop rows/columns of objects already sitting on a permitted target."""
    matches = goal.matches.copy()
    if goal.replace:
        return matches
    for i, obj in enumerate(goal.objects):
        pose = body_pose(scene, obj.body_id)
        for j in np.flatnonzero(goal.matches[i]):
            if task.is_match(pose, goal.targets[j], obj.symmetry):
                matches[i, :] = 0
                matches[:, j] = 0
    return matches


def _nearest_targets(scene: Scene, goal: Goal, matches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step 3: per object, the distance to its nearest permitted target and that target (-1 if none)."""
    n = len(goal.objects)
    dists, targets = np.zeros(n), np.full(n, -1)
    for i, obj in enumerate(goal.objects):
        allowed = np.flatnonzero(matches[i])
        if allowed.size == 0:
            continue
        xyz = body_pose(scene, obj.body_id)[0]
        target_xyz = np.array([goal.targets[j][0] for j in allowed], dtype=np.float32)  # (k, 3)
        d = np.linalg.norm(target_xyz - xyz.astype(np.float32), axis=1)
        k = int(np.argmin(d))
        dists[i], targets[i] = d[k], allowed[k]
    return dists, targets


class Oracle:
    """Scripted expert for one task object: ``act(scene, obs, info) -> Action | None``."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self._render: tuple[np.ndarray, np.ndarray] | None = None

    def visible(self, scene: Scene, body: int) -> tuple[np.ndarray, np.ndarray]:
        """Flat top-down cells where ``body`` is seen from above, and the surface height there.

        Bodies that collide through primitive shapes only (blocks, boxes, the L block, rope beads)
        are seen exactly where vertical rays hit them, so rays replace the oracle render for them
        (milliseconds instead of a full render). Mesh bodies (kit shapes, disks, Google objects)
        collide as convex hulls, so for them the oracle render (once per action) decides.
        """
        if has_primitive_collision(scene.client, body):
            return visible_cells(scene.client, body)
        if self._render is None:
            _, heightmap, id_mask = scene.render_oracle()
            self._render = (heightmap, id_mask)
        heightmap, id_mask = self._render
        pixels = np.flatnonzero(id_mask == body)
        return pixels, heightmap.ravel()[pixels].astype(np.float64)

    def act(self, scene: Scene, obs: Any = None, info: Any = None) -> Action | None:
        task = self.task
        if not task.goals:
            return None
        goal = task.goals[0]
        self._render = None  # the scene changed since the last action
        matches = _free_matches(task, scene, goal)
        dists, targets = _nearest_targets(scene, goal, matches)
        # Step 4: farthest first (numpy argsort reversed, as the original), zero distances dropped.
        order = [int(i) for i in np.argsort(dists)[::-1] if dists[i] > 0]
        chosen, pixels, heights = None, np.zeros(0, dtype=np.int64), np.zeros(0)
        for i in order:
            pixels, heights = self.visible(scene, goal.objects[i].body_id)
            if pixels.size:
                chosen = i
                break
        if chosen is None:
            # Step 5: nothing left to pick is visible; the episode ends.
            task.goals.clear()
            task.lang_goals.clear()
            return None
        k = int(scene.rng.integers(pixels.size))
        pixel = divmod(int(pixels[k]), HEIGHTMAP_SHAPE[1])
        pick_pos = np.array(pix_to_xyz(pixel, float(heights[k]), task.bounds))
        pick = Transform(pick_pos, np.eye(3))
        obj_pos, obj_quat = body_pose(scene, goal.objects[chosen].body_id)
        if not task.sixdof:
            obj_quat = eulerXYZ_to_quat((0.0, 0.0, quat_to_eulerXYZ(obj_quat)[2]))
        obj = Transform.from_pose(obj_pos, obj_quat)
        target = Transform.from_pose(*goal.targets[int(targets[chosen])])
        place = target @ obj.inverse() @ pick  # T ∘ O⁻¹ ∘ P
        place_quat = quat_from_matrix(place.rotation) if goal.rotations else np.array([0.0, 0.0, 0.0, 1.0])
        return Action(
            Pose(pick_pos, np.array([0.0, 0.0, 0.0, 1.0])),
            Pose(place.position, place_quat),
            extras={"pick_pixel": pixel, "object_id": goal.objects[chosen].body_id},
        )


def make_oracle(task: Task) -> Oracle:
    """The oracle of ``task`` (a task may name its own class in ``oracle_class``)."""
    cls = getattr(task, "oracle_class", Oracle)
    return cls(task)
