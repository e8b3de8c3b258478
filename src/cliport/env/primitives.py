"""Motion primitives (env.md §9): pick-and-place with a suction gripper, and pushing with a spatula.

Both keep the original's documented quirks: lowering in 1 mm steps until contact (with no explicit
move to the pre-place pose), and the push loop that sends the same target ``n`` times. A primitive
returns True if any move timed out. Tasks pick one by name (``task.primitive``) from
:data:`PRIMITIVES` and pass ``task.primitive_params`` as keyword arguments.

Lowering does no more work than the physics needs when the environment passes ``physics_steps`` (its
step counter; the "fast" motion): most 1 mm targets are within movej's tolerance of the current joints,
so no physics step runs and the contacts cannot have changed; the contact query is then skipped. The
targets are the same values, to the last bit, as the original's repeated pose products
(:func:`lowered_targets`). Without ``physics_steps`` the loop is the previous one, query every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np

from cliport.env.grippers import EndEffector
from cliport.geometry import matrix_from_quat, multiply_poses, quat_from_matrix, yaw_quat

PosePair = tuple[Any, Any]
_IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])


class MoveP(Protocol):
    def __call__(self, pose: PosePair, speed: float = ...) -> bool: ...


def _offset(pose: PosePair, dz: float) -> tuple[np.ndarray, np.ndarray]:
    """``pose`` translated by dz along its own z axis (post-multiplication)."""
    return multiply_poses(pose, (np.array([0.0, 0.0, dz]), _IDENTITY))


#: One lowering step: 1 mm down the pose's own z, as the original builds it (float32 then float64).
_STEP_DOWN = (np.float32([0, 0, -0.001]).astype(np.float64), _IDENTITY)


def lowered_targets(start: PosePair) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``start`` lowered 1, 2, 3, ... mm: the values of repeated ``multiply_poses(target, _STEP_DOWN)``.

    Each product re-derives the quaternion through its rotation matrix; once that round trip returns
    the same bits, the rotation and the step vector are fixed and only the additions remain.
    """
    position, quat = np.asarray(start[0], dtype=np.float64), np.asarray(start[1], dtype=np.float64)
    identity = matrix_from_quat(_IDENTITY)
    step = None
    while True:
        if step is None:
            rotation = matrix_from_quat(quat)
            delta = rotation @ _STEP_DOWN[0]
            new_quat = quat_from_matrix(rotation @ identity)
            if new_quat.tobytes() == quat.tobytes():
                step = delta
            quat = new_quat
        else:
            delta = step
        position = delta + position
        yield position.copy(), quat.copy()


#: Lowering gives up (as a timed-out move) after this many 1 mm steps: 1 m, three times the 0.32 m of a
#: pre-pick/pre-place height above the table. The original lowers without a bound, so an action whose
#: tool z axis is not pointing down (any non-yaw rotation from a policy or a random action) or a target
#: out of reach lowers "forever". Actions that reach the table make contact long before this.
MAX_LOWERING_STEPS = 1000


def _lower_until_contact(movep: MoveP, ee: EndEffector, start: PosePair, speed: float,
                         physics_steps: Callable[[], int] | None, timed_out: bool) -> bool:
    """Lower from ``start`` in 1 mm steps until ``ee`` reports contact; True to abort the primitive.

    As in the original, an earlier move's timeout (``timed_out``) aborts after the first lowering move.
    No contact after :data:`MAX_LOWERING_STEPS` steps aborts too.
    """
    if physics_steps is None:  # previous loop: pose product and contact query every iteration
        target = start
        for _ in range(MAX_LOWERING_STEPS):
            if ee.detect_contact():
                return False
            target = multiply_poses(target, _STEP_DOWN)
            timed_out |= movep(target, speed)
            if timed_out:
                return True
        return not ee.detect_contact()
    targets = lowered_targets(start)
    checked_at = None
    for _ in range(MAX_LOWERING_STEPS):
        now = physics_steps()
        if now != checked_at:  # contacts only change when physics steps
            checked_at = now
            if ee.detect_contact():
                return False
        timed_out |= movep(next(targets), speed)
        if timed_out:
            return True
    return not ee.detect_contact()


def pick_place(movep: MoveP, ee: EndEffector, pose0: PosePair, pose1: PosePair,
               height: float = 0.32, speed: float = 0.01,
               physics_steps: Callable[[], int] | None = None) -> bool:
    """Suction pick at ``pose0``, place at ``pose1`` (env.md §9)."""
    prepick = _offset(pose0, 0.32)
    postpick = _offset(pose0, height)

    timeout = movep(prepick)
    if _lower_until_contact(movep, ee, prepick, 0.01, physics_steps, timeout):
        return True
    ee.activate()
    timeout |= movep(postpick, speed)
    if not ee.check_grasp():
        ee.release()
        return movep(prepick) | timeout

    preplace = _offset(pose1, height)  # lowered before the first move (quirk kept)
    if _lower_until_contact(movep, ee, preplace, speed, physics_steps, timeout):
        return True
    ee.release()
    timeout |= movep(_offset(pose1, 0.32))
    return timeout


def push(movep: MoveP, ee: EndEffector, pose0: PosePair, pose1: PosePair,
         physics_steps: Callable[[], int] | None = None) -> bool:
    """Sweep the spatula from ``pose0`` towards ``pose1`` at 5 mm height (env.md §9), in float32 maths.

    ``physics_steps`` is accepted for a common signature; pushing has no contact-driven loop.
    """
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
