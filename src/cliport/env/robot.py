"""The UR5 arm: loading, home pose, inverse kinematics on the tool tip, joint and pose moves (env.md §7).

Motion is stepped through a callback owned by the environment, so that the environment counts every
physics step. The original's movej timeout was 5 s of wall-clock time; ours counts simulation steps
(default: 5 simulated seconds), so results do not depend on the speed of the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pybullet

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

MOVEJ_SPEED = 0.01
MOVEJ_TOLERANCE = 1e-2
#: movej gives up after this many simulated seconds (converted to steps with the physics rate).
MOVEJ_TIMEOUT_SECONDS = 5.0

Pose = tuple[Any, Any]


class UR5:
    """One UR5 in one PyBullet client; ``step`` advances physics by one step."""

    def __init__(self, client: Any, urdf: str, step: Callable[[], None], hz: int) -> None:
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

    def solve_ik(self, pose: Pose) -> np.ndarray:
        """Joint angles (float32) putting the tool tip at ``pose``; last four joints wrapped to [-pi, pi)."""
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
        joints = np.float32(joints)
        joints[2:] = (joints[2:] + np.pi) % (2 * np.pi) - np.pi
        return joints

    def movej(self, target: np.ndarray, speed: float = MOVEJ_SPEED, timeout_steps: int | None = None) -> bool:
        """Move in constant-length joint steps towards ``target``; True if it timed out."""
        limit = self.timeout_steps if timeout_steps is None else timeout_steps
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

    def movep(self, pose: Pose, speed: float = MOVEJ_SPEED) -> bool:
        """Move the tool tip to ``pose`` (IK then movej); True if it timed out."""
        return self.movej(self.solve_ik(pose), speed)
