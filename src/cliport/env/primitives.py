"""Motion primitives (env.md §9): pick-and-place with a suction gripper, and pushing with a spatula.

Both keep the original's documented quirks: lowering in 1 mm steps until contact (with no explicit
move to the pre-place pose), and the push loop that sends the same target ``n`` times. A primitive
returns True if any move timed out. Tasks pick one by name (``task.primitive``) from
:data:`PRIMITIVES` and pass ``task.primitive_params`` as keyword arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from cliport.env.grippers import EndEffector
from cliport.geometry import multiply_poses, yaw_quat

PosePair = tuple[Any, Any]
_IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])


class MoveP(Protocol):
    def __call__(self, pose: PosePair, speed: float = ...) -> bool: ...


def _offset(pose: PosePair, dz: float) -> tuple[np.ndarray, np.ndarray]:
    """``pose`` translated by dz along its own z axis (post-multiplication)."""
    return multiply_poses(pose, (np.array([0.0, 0.0, dz]), _IDENTITY))


def pick_place(movep: MoveP, ee: EndEffector, pose0: PosePair, pose1: PosePair,
               height: float = 0.32, speed: float = 0.01) -> bool:
    """Suction pick at ``pose0``, place at ``pose1`` (env.md §9)."""
    prepick = _offset(pose0, 0.32)
    postpick = _offset(pose0, height)
    step_down = (np.float32([0, 0, -0.001]).astype(np.float64), _IDENTITY)

    timeout = movep(prepick)
    target = prepick
    while not ee.detect_contact():
        target = multiply_poses(target, step_down)
        timeout |= movep(target)
        if timeout:
            return True
    ee.activate()
    timeout |= movep(postpick, speed)
    if not ee.check_grasp():
        ee.release()
        return movep(prepick) | timeout

    target = _offset(pose1, height)  # pre-place; lowered before the first move (quirk kept)
    while not ee.detect_contact():
        target = multiply_poses(target, step_down)
        timeout |= movep(target, speed)
        if timeout:
            return True
    ee.release()
    timeout |= movep(_offset(pose1, 0.32))
    return timeout


def push(movep: MoveP, ee: EndEffector, pose0: PosePair, pose1: PosePair) -> bool:
    """Sweep the spatula from ``pose0`` towards ``pose1`` at 5 mm height (env.md §9), in float32 maths."""
    start = np.float32((pose0[0][0], pose0[0][1], 0.005))
    end = np.float32((pose1[0][0], pose1[0][1], 0.005))
    direction = end - start
    direction = direction / np.linalg.norm(direction)
    start = start - direction * np.float32(0.02)
    end = end - direction * np.float32(0.05)
    rot = yaw_quat(float(np.arctan2(direction[1], direction[0])))

    timeout = movep(((start[0], start[1], 0.31), rot))
    timeout |= movep((start, rot))
    n_push = int(np.floor(np.linalg.norm(end - start) / 0.01))
    for _ in range(n_push):
        # Quirk kept: the loop index is unused, so this is the same target every time.
        target = start + direction * n_push * 0.01
        timeout |= movep((target, rot), speed=0.003)
    timeout |= movep((end, rot), speed=0.003)
    timeout |= movep(((end[0], end[1], 0.31), rot))
    return timeout


Primitive = Callable[..., bool]
#: ``task.primitive`` -> primitive function ``fn(movep, ee, pose0, pose1, **task.primitive_params)``.
PRIMITIVES: dict[str, Primitive] = {"pick_place": pick_place, "push": push}
