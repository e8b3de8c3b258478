"""The UR5 arm: loading, home pose, inverse kinematics on the tool tip, joint and pose moves (env.md §7).

Motion is stepped through a callback owned by the environment, so that the environment counts every
physics step. The original's movej timeout was 5 s of wall-clock time; ours counts simulation steps
(default: 5 simulated seconds), so results do not depend on the speed of the machine.

Two choices, both kept selectable so the pre-change path can still be measured (docs/performance.md):

* ``ik``: "analytic" (default) solves the UR5's closed form (``ur5_kinematics``, tens of microseconds)
  and falls back to PyBullet's null-space solve for poses it does not reach and near full stretch
  (:data:`NEAR_STRETCH_ELBOW`); "pybullet" is the original's
  call (100 iterations, ~0.5 ms). Both are cast to float32 and wrapped the same way.
* ``motion``: "fast" (default) runs the same movej arithmetic with less Python around each physics step
  (bound PyBullet calls, one vectorised tolerance test); it commands bit-identical joint targets.
  "legacy" is the previous loop, kept for the benchmark.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pybullet

from cliport.env import ur5_kinematics

#: Home joint configuration of joints 2..7 (radians).
HOME_JOINTS = np.array([-1.0, -0.5, 0.5, -0.5, -0.5, 0.0]) * np.pi
#: Link that carries the end effector (tool0) and the IK target link (tool_tip).
EE_LINK = 9
TIP_LINK = 10

# Null-space IK settings of the original.
IK_LOWER = [-3 * np.pi / 2, -2.3562, -17, -17, -17, -17]
IK_UPPER = [-np.pi / 2, 0, 17, 17, 17, 17]
IK_RANGES = [np.pi, 2.3562, 34, 34, 34, 34]
IK_ITERATIONS = 100
IK_RESIDUAL = 1e-5

#: Near full stretch (elbow within this many radians of straight) PyBullet's iterative solve converges
#: slowly and stops mm to cm short of the target; there the original's solve is kept, so the arm moves
#: as it did (docs/fidelity.md). Elsewhere the closed form is used.
NEAR_STRETCH_ELBOW = 0.8

MOVEJ_SPEED = 0.01
MOVEJ_TOLERANCE = 1e-2
#: movej gives up after this many simulated seconds (converted to steps with the physics rate).
MOVEJ_TIMEOUT_SECONDS = 5.0

Pose = tuple[Any, Any]

#: Accepted values of the ``ik`` and ``motion`` choices (first = default).
IK_SOLVERS = ("analytic", "pybullet")
MOTIONS = ("fast", "legacy")


def sim_path_problem(ik: str, motion: str) -> str | None:
    """What is wrong with an ``ik`` / ``motion`` choice (None when both name a path); the environment and
    the demos/eval configs raise it as their own error."""
    if ik not in IK_SOLVERS:
        return f"ik must be one of {', '.join(IK_SOLVERS)}, got {ik!r}"
    if motion not in MOTIONS:
        return f"motion must be one of {', '.join(MOTIONS)}, got {motion!r}"
    return None


class UR5:
    """One UR5 in one PyBullet client; ``step`` advances physics by one step."""

    def __init__(self, client: Any, urdf: str, step: Callable[[], None], hz: int,
                 ik: str = IK_SOLVERS[0], motion: str = MOTIONS[0]) -> None:
        self.ik, self.motion = ik, motion
        self.client = client
        self.body = client.loadURDF(urdf, (0, 0, 0), (0, 0, 0, 1))
        n = client.getNumJoints(self.body)
        self.joints = [
            i for i in range(n) if client.getJointInfo(self.body, i)[2] == pybullet.JOINT_REVOLUTE
        ]
        self._step = step
        self.timeout_steps = int(round(MOVEJ_TIMEOUT_SECONDS * hz))
        self._gains = [1.0] * len(self.joints)
        self._rest = np.float32(HOME_JOINTS).tolist()
        #: How many IK solves fell back from the analytic solution to PyBullet's (diagnostics).
        self.ik_fallbacks = 0
        cid = client._client  # bound raw calls skip BulletClient's per-call partial (fast motion)
        self._get_states = functools.partial(pybullet.getJointStates, self.body, self.joints,
                                             physicsClientId=cid)
        self._set_targets = functools.partial(
            pybullet.setJointMotorControlArray, self.body, self.joints, pybullet.POSITION_CONTROL,
            positionGains=self._gains, physicsClientId=cid,
        )

    def go_home(self) -> None:
        """Reset (teleport) the joints to the home configuration."""
        for joint, value in zip(self.joints, HOME_JOINTS, strict=True):
            self.client.resetJointState(self.body, joint, value)

    def joint_positions(self) -> np.ndarray:
        return np.array([s[0] for s in self.client.getJointStates(self.body, self.joints)])

    def tip_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """Pose of the tool tip as PyBullet reports it (its inertial frame; see env.md §7)."""
        state = self.client.getLinkState(self.body, TIP_LINK)
        return np.asarray(state[0]), np.asarray(state[1])

    def solve_ik(self, pose: Pose, current: list[float] | None = None) -> np.ndarray:
        """Joint angles (float32) putting the tool tip at ``pose``; last four joints wrapped to [-pi, pi).
        ``current``: the joint positions, if the caller has just read them (the analytic solve's seed)."""
        if self.ik == "analytic":
            if current is None:
                current = [s[0] for s in self._get_states()]
            exact = ur5_kinematics.solve(pose[0], pose[1], current, IK_LOWER, IK_UPPER)
            if exact is not None and abs(math.remainder(exact[2], 2 * math.pi)) >= NEAR_STRETCH_ELBOW:
                return _wrap_last_four(np.float32(exact))
            self.ik_fallbacks += 1
        return self.solve_ik_pybullet(pose)

    def solve_ik_pybullet(self, pose: Pose) -> np.ndarray:
        """The original's IK: PyBullet's null-space solve seeded from the current joints (env.md §7)."""
        joints = self.client.calculateInverseKinematics(
            bodyUniqueId=self.body,
            endEffectorLinkIndex=TIP_LINK,
            targetPosition=[float(v) for v in pose[0]],
            targetOrientation=[float(v) for v in pose[1]],
            lowerLimits=IK_LOWER,
            upperLimits=IK_UPPER,
            jointRanges=IK_RANGES,
            restPoses=self._rest,
            maxNumIterations=IK_ITERATIONS,
            residualThreshold=IK_RESIDUAL,
        )
        return _wrap_last_four(np.float32(joints))

    def movej(self, target: np.ndarray, speed: float = MOVEJ_SPEED, timeout_steps: int | None = None,
              current: list[float] | None = None) -> bool:
        """Move in constant-length joint steps towards ``target``; True if it timed out. ``current``: the
        joint positions if the caller has just read them (the fast loop then skips its first read; the
        legacy loop reads them every iteration, as it always did)."""
        limit = self.timeout_steps if timeout_steps is None else timeout_steps
        if self.motion == "fast":
            return self._movej_fast(target, speed, limit, current)
        client, body, joints = self.client, self.body, self.joints
        for _ in range(limit):
            current = np.array([s[0] for s in client.getJointStates(body, joints)])
            diff = target - current
            if all(np.abs(diff) < MOVEJ_TOLERANCE):
                return False
            norm = np.linalg.norm(diff)
            direction = diff / norm if norm > 0 else 0
            client.setJointMotorControlArray(
                bodyIndex=body, jointIndices=joints, controlMode=pybullet.POSITION_CONTROL,
                targetPositions=current + direction * speed, positionGains=self._gains,
            )
            self._step()
        return True

    def _movej_fast(self, target: np.ndarray, speed: float, limit: int, first: list[float] | None) -> bool:
        """The legacy loop's arithmetic, op for op (so the same targets to the last bit), less overhead.

        ``norm`` is ``sqrt(diff . diff)``, which is how ``np.linalg.norm`` computes a vector's 2-norm.
        ``first``: joint positions read just before with no physics step since (the same values), used
        instead of reading them again in the first iteration.
        """
        get_states, set_targets, step = self._get_states, self._set_targets, self._step
        for _ in range(limit):
            current = np.array(first if first is not None else [s[0] for s in get_states()])
            first = None
            diff = target - current
            if (np.abs(diff) < MOVEJ_TOLERANCE).all():
                return False
            norm = math.sqrt(diff.dot(diff))
            direction = diff / norm if norm > 0 else 0
            set_targets(targetPositions=current + direction * speed)
            step()
        return True

    def movep(self, pose: Pose, speed: float = MOVEJ_SPEED) -> bool:
        """Move the tool tip to ``pose`` (IK then movej); True if it timed out. The analytic IK's seed
        is the current joints: read once, for the IK and for movej's first iteration."""
        current = [s[0] for s in self._get_states()] if self.ik == "analytic" else None
        return self.movej(self.solve_ik(pose, current), speed, current=current)


def _wrap_last_four(joints: np.ndarray) -> np.ndarray:
    """The original's post-processing: joints 3..6 (float32) wrapped into [-pi, pi)."""
    joints[2:] = (joints[2:] + np.pi) % (2 * np.pi) - np.pi
    return joints
