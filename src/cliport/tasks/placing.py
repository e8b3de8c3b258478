"""Scene-building helpers shared by the kitting, packing, rope and pile families.

Collision-free placement that must succeed, random box sizes, and the two template props the
packing tasks use (the open brown container and plain boxes). Registers no task.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cliport.env.task_api import Scene
from cliport.errors import CliportError
from cliport.tasks.base import PoseTuple, Task


def sample_pose(task: Task, scene: Scene, size: Sequence[float]) -> PoseTuple:
    """A collision-free random pose, or a CliportError when the table has no room left."""
    pose, ok = task.random_pose(scene, size)
    if not ok or pose is None:
        raise CliportError(f"{task.name}: no collision-free pose left for an object of size {tuple(size)}")
    return pose


def random_size(rng: np.random.Generator, lo: Sequence[float], hi: Sequence[float]) -> np.ndarray:
    """env.md §6 random box size: each axis uniform in [lo, hi]."""
    return np.array([float(rng.uniform(a, b)) for a, b in zip(lo, hi, strict=True)])


def add_container(task: Task, scene: Scene, size: np.ndarray) -> PoseTuple:
    """The open brown container (fixed) at a random pose; returns its pose."""
    pose = sample_pose(task, scene, size)
    replacements = {"DIM": tuple(float(s) for s in size), "HALF": tuple(float(s) / 2 for s in size)}
    task.add_template(scene, "container/container-template.urdf", replacements, pose, "fixed")
    return pose


def add_box(task: Task, scene: Scene, size: np.ndarray, pose: PoseTuple, rgb: Sequence[float]) -> int:
    """A rigid box of ``size`` at ``pose`` coloured ``rgb``; returns its body id."""
    body = task.add_template(scene, "box/box-template.urdf", {"DIM": tuple(float(s) for s in size)}, pose)
    if body is None:
        raise CliportError(f"{task.name}: could not load a box of size {tuple(size)}")
    task.set_color(scene, body, (*rgb[:3], 1.0))
    return body
