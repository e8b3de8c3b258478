"""The UR5's kinematic chain as data: one source for the URDF generator and the closed-form kinematics.

Values are the ROS ur_description ones of env.md §7. ``assets/robot.py`` writes them into
``ur5/ur5.urdf``; ``env/ur5_kinematics.py`` derives its Denavit-Hartenberg lengths and tool-tip offset
from them, so the analytic IK always matches the robot PyBullet loads. Pure data (no trimesh, no PyBullet).
"""

from __future__ import annotations

import math

_TWO_PI = 2 * math.pi
_HALF_PI = math.pi / 2

#: (joint, parent, child, xyz, rpy, axis, lower, upper, effort, velocity); declaration order fixes the
#: PyBullet joint indices 2..7 (the tool chain is declared before base_link's second child "base").
UR5_JOINTS = [
    ("shoulder_pan_joint", "base_link", "shoulder_link", (0, 0, 0.089159), (0, 0, 0), (0, 0, 1),
     -_TWO_PI, _TWO_PI, 150.0, 3.15),
    ("shoulder_lift_joint", "shoulder_link", "upper_arm_link", (0, 0.13585, 0), (0, _HALF_PI, 0),
     (0, 1, 0), -_TWO_PI, _TWO_PI, 150.0, 3.15),
    ("elbow_joint", "upper_arm_link", "forearm_link", (0, -0.1197, 0.425), (0, 0, 0), (0, 1, 0),
     -math.pi, math.pi, 150.0, 3.15),
    ("wrist_1_joint", "forearm_link", "wrist_1_link", (0, 0, 0.39225), (0, _HALF_PI, 0), (0, 1, 0),
     -_TWO_PI, _TWO_PI, 28.0, 3.2),
    ("wrist_2_joint", "wrist_1_link", "wrist_2_link", (0, 0.093, 0), (0, 0, 0), (0, 0, 1),
     -_TWO_PI, _TWO_PI, 28.0, 3.2),
    ("wrist_3_joint", "wrist_2_link", "wrist_3_link", (0, 0, 0.09465), (0, 0, 0), (0, 1, 0),
     -_TWO_PI, _TWO_PI, 28.0, 3.2),
]

#: Fixed frames after the arm: (joint, parent, child, xyz, rpy, inertial rpy of the child). PyBullet
#: indices ee_link 8, tool0 9, tool_tip 10, base 11. The tool tip's *inertial* frame is rotated, and
#: PyBullet reports and commands link 10 by that frame (env.md §7).
UR5_FIXED_FRAMES = [
    ("ee_fixed_joint", "wrist_3_link", "ee_link", (0, 0.0823, 0), (-_HALF_PI, 0, 0), (0, 0, 0)),
    ("wrist_3_link-tool0_fixed_joint", "wrist_3_link", "tool0", (0, 0.0823, 0), (-_HALF_PI, 0, 0),
     (0, 0, 0)),
    ("tool0-tool_tip", "tool0", "tool_tip", (0, 0, 0.12), (0, 0, 0), (math.pi, 0, -_HALF_PI)),
    ("base_link-base_fixed_joint", "base_link", "base", (0, 0, 0), (0, 0, -math.pi), (0, 0, 0)),
]

#: world -> base_link: the robot is loaded at the origin, its base_link turned by pi about z.
BASE_LINK_RPY = (0.0, 0.0, math.pi)
