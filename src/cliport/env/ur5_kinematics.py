"""Closed-form forward and inverse kinematics of our UR5's tool tip, in plain numpy (env.md §7).

Why it exists: the pick-and-place primitive asks for joint targets ~600 times per step while it lowers
the tool 1 mm at a time, and PyBullet's null-space IK always runs its 100 iterations (~0.5 ms). The UR5
(three parallel axes, a wrist offset) has a closed-form inverse with up to 8 solutions: shoulder
left/right x wrist flipped or not x elbow up/down. One solve here costs tens of microseconds.

Frames: the Denavit-Hartenberg model below is derived from ``assets/ur5_chain.py`` (the data the URDF is
generated from). Its base frame is the world frame (the robot is loaded at the origin and base_link's
half turn is undone by the "base" frame), its joint angles are PyBullet's joint positions 2..7, and its
last frame is ``tool0``. The IK target is the tool tip as PyBullet reports it: link 10's *inertial*
frame, 0.12 m along tool0's z and turned by the inertial rpy (pi, 0, -pi/2).

Branch choice (:func:`solve`): among the solutions inside the IK joint limits, each joint is first moved
by whole turns to lie nearest the current joint value (PyBullet's iterative solve starts from the current
joints), then the solution nearest the current joints wins. From the home pose this is the branch the
original's home-seeded null-space solve lands on (tested on random workspace poses). Poses with no exact
solution (out of reach, or at a singularity) return None; the caller falls back to PyBullet.
"""

from __future__ import annotations

import math

import numpy as np

from cliport.env.assets.ur5_chain import BASE_LINK_RPY, UR5_FIXED_FRAMES, UR5_JOINTS


def _rpy_matrix(rpy) -> np.ndarray:
    """URDF rpy (fixed axes X, then Y, then Z): R = Rz(yaw) Ry(pitch) Rx(roll)."""
    r, p, y = (float(v) for v in rpy)
    cr, sr, cp, sp, cy, sy = math.cos(r), math.sin(r), math.cos(p), math.sin(p), math.cos(y), math.sin(y)
    return np.array([
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ])


def _transform(xyz, rpy) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = _rpy_matrix(rpy)
    T[:3, 3] = [float(v) for v in xyz]
    return T


def _axis_rotation(axis, angle: float) -> np.ndarray:
    """4x4 rotation by ``angle`` about a unit ``axis`` (Rodrigues)."""
    k = np.asarray(axis, dtype=np.float64)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    T = np.eye(4)
    T[:3, :3] = np.eye(3) + math.sin(angle) * K + (1 - math.cos(angle)) * (K @ K)
    return T


_JOINT = {row[0]: row for row in UR5_JOINTS}
_FIXED = {row[2]: row for row in UR5_FIXED_FRAMES}

# --- Denavit-Hartenberg lengths (metres) read off the URDF chain ---------------------------------
D1 = float(_JOINT["shoulder_pan_joint"][3][2])  # base to shoulder height
A2 = -float(_JOINT["elbow_joint"][3][2])  # upper arm
A3 = -float(_JOINT["wrist_1_joint"][3][2])  # forearm
#: Sideways offset of the wrist from the arm's plane: shoulder, elbow and wrist-2 y offsets.
D4 = float(_JOINT["shoulder_lift_joint"][3][1] + _JOINT["elbow_joint"][3][1] + _JOINT["wrist_2_joint"][3][1])
D5 = float(_JOINT["wrist_3_joint"][3][2])
D6 = float(_FIXED["tool0"][3][1])  # wrist 3 to tool0 flange
_ALPHA = (math.pi / 2, 0.0, 0.0, math.pi / 2, -math.pi / 2, 0.0)
_A = (0.0, A2, A3, 0.0, 0.0, 0.0)
_D = (D1, 0.0, 0.0, D4, D5, D6)

#: tool0 -> tool tip as PyBullet reports link 10 (its inertial frame).
_TIP_ROW = _FIXED["tool_tip"]
TOOL0_TO_TIP = _transform(_TIP_ROW[3], _TIP_ROW[4]) @ _transform((0, 0, 0), _TIP_ROW[5])
TIP_TO_TOOL0 = np.linalg.inv(TOOL0_TO_TIP)


def _dh(i: int, theta: float) -> np.ndarray:
    """DH link transform A_i(theta) = Rz(theta) Tz(d) Tx(a) Rx(alpha)."""
    ct, st = math.cos(theta), math.sin(theta)
    ca, sa = math.cos(_ALPHA[i]), math.sin(_ALPHA[i])
    return np.array([
        [ct, -st * ca, st * sa, _A[i] * ct],
        [st, ct * ca, -ct * sa, _A[i] * st],
        [0.0, sa, ca, _D[i]],
        [0.0, 0.0, 0.0, 1.0],
    ])


def forward(q) -> np.ndarray:
    """4x4 pose of the tool tip (link 10 as PyBullet reports it) for joint angles ``q`` (6,)."""
    T = np.eye(4)
    for i in range(6):
        T = T @ _dh(i, float(q[i]))
    return T @ TOOL0_TO_TIP


def forward_urdf(q) -> np.ndarray:
    """The same pose by walking the URDF chain joint by joint (checks the DH model; slower)."""
    T = _transform((0, 0, 0), BASE_LINK_RPY)
    for row, angle in zip(UR5_JOINTS, q, strict=True):
        T = T @ _transform(row[3], row[4]) @ _axis_rotation(row[5], float(angle))
    T = T @ _transform(_FIXED["tool0"][3], _FIXED["tool0"][4])
    return T @ _transform(_TIP_ROW[3], _TIP_ROW[4]) @ _transform((0, 0, 0), _TIP_ROW[5])


def pose_matrix(position, quaternion) -> np.ndarray:
    """(x, y, z), (qx, qy, qz, qw) -> 4x4."""
    T = np.eye(4)
    T[:3, :3] = _quat_rows(quaternion)
    T[:3, 3] = [float(v) for v in position]
    return T


def _quat_rows(quaternion) -> tuple[tuple[float, float, float], ...]:
    x, y, z, w = (float(v) for v in quaternion)
    n = math.sqrt(x * x + y * y + z * z + w * w)
    x, y, z, w = x / n, y / n, z / n, w / n
    return (
        (1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
        (2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
        (2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)),
    )


#: |sin(theta5)| below this is the wrist singularity (theta6 undefined): no analytic answer.
_SINGULAR = 1e-6
#: Cosines this far outside [-1, 1] are rounding, not an unreachable pose.
_COS_SLACK = 1e-9
_TIP_R = tuple(tuple(float(v) for v in row) for row in TIP_TO_TOOL0[:3, :3])
_TIP_T = tuple(float(v) for v in TIP_TO_TOOL0[:3, 3])


def _acos(value: float) -> float | None:
    if value > 1.0 + _COS_SLACK or value < -1.0 - _COS_SLACK:
        return None
    return math.acos(min(1.0, max(-1.0, value)))


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def solutions(position, quaternion) -> list[tuple[float, ...]]:
    """Every joint solution (6 angles in [-pi, pi)) putting the tool tip at (position, quaternion).

    Scalar maths on purpose: a handful of 3-vectors costs less in plain floats than in numpy calls.
    """
    # tool0 pose: T06 = T_tip @ TIP_TO_TOOL0.
    Rt = _quat_rows(quaternion)
    R = tuple(tuple(sum(Rt[i][k] * _TIP_R[k][j] for k in range(3)) for j in range(3)) for i in range(3))
    p = tuple(float(position[i]) + sum(Rt[i][k] * _TIP_T[k] for k in range(3)) for i in range(3))
    x6 = (R[0][0], R[1][0], R[2][0])
    y6 = (R[0][1], R[1][1], R[2][1])
    z6 = (R[0][2], R[1][2], R[2][2])
    # Wrist centre (joint 5 and joint 6 axes meet the flange normal): back d6 along tool0's z.
    p5 = (p[0] - D6 * z6[0], p[1] - D6 * z6[1], p[2] - D6 * z6[2])
    r = math.hypot(p5[0], p5[1])
    if r < 1e-12:
        return []
    shoulder = _acos(D4 / r)
    if shoulder is None:
        return []
    out = []
    phi = math.atan2(p5[1], p5[0])
    for t1 in (phi + shoulder + math.pi / 2, phi - shoulder + math.pi / 2):
        s1, c1 = math.sin(t1), math.cos(t1)
        wrist = _acos((p[0] * s1 - p[1] * c1 - D4) / D6)
        if wrist is None:
            continue
        for t5 in (wrist, -wrist):
            s5, c5 = math.sin(t5), math.cos(t5)
            if abs(s5) < _SINGULAR:
                continue
            # The base's x and y axes seen from tool0 are rows 0 and 1 of R.
            t6 = math.atan2((-R[0][1] * s1 + R[1][1] * c1) / s5, (R[0][0] * s1 - R[1][0] * c1) / s5)
            s6, c6 = math.sin(t6), math.cos(t6)
            # Frame 4 in the base: R04 = R06 Rz(-t6) Rx(pi/2) Rz(-t5); p04 = p5 - d5 z4.
            a = tuple(c6 * x6[i] - s6 * y6[i] for i in range(3))
            b = tuple(s6 * x6[i] + c6 * y6[i] for i in range(3))
            x4 = tuple(c5 * a[i] - s5 * z6[i] for i in range(3))
            y4 = tuple(s5 * a[i] + c5 * z6[i] for i in range(3))
            p4 = tuple(p5[i] + D5 * b[i] for i in range(3))  # z4 = -b
            # Into frame 1 (axes (c1, s1, 0), (0, 0, 1), (s1, -c1, 0), origin (0, 0, d1)); the arm's plane.
            x14 = (c1 * x4[0] + s1 * x4[1], x4[2])
            y14 = (c1 * y4[0] + s1 * y4[1], y4[2])
            p14 = (c1 * p4[0] + s1 * p4[1], p4[2] - D1)
            # Joint 3's origin: the wrist-1 origin moved back along frame 4's y by d4.
            u, v = p14[0] - D4 * y14[0], p14[1] - D4 * y14[1]
            n13 = math.hypot(u, v)
            if n13 < 1e-12:
                continue
            elbow = _acos((n13 * n13 - A2 * A2 - A3 * A3) / (2 * A2 * A3))
            if elbow is None:
                continue
            t234 = math.atan2(x14[1], x14[0])
            for t3 in (elbow, -elbow):
                t2 = -math.atan2(v, -u) + math.asin(max(-1.0, min(1.0, A3 * math.sin(t3) / n13)))
                t4 = t234 - t2 - t3
                out.append(tuple(_wrap(t) for t in (t1, t2, t3, t4, t5, t6)))
    return out


def _nearest_turn(angle: float, reference: float) -> float:
    """``angle`` plus the whole number of turns that brings it nearest ``reference``."""
    return angle + 2 * math.pi * round((reference - angle) / (2 * math.pi))


def _fit(angle: float, reference: float, lower: float, upper: float) -> float | None:
    """The equivalent of ``angle`` nearest ``reference`` inside [lower, upper], or None."""
    a = _nearest_turn(angle, reference)
    if lower <= a <= upper:
        return a
    best = None
    for b in (a - 2 * math.pi, a + 2 * math.pi):
        if lower <= b <= upper and (best is None or abs(b - reference) < abs(best - reference)):
            best = b
    return best


def solve(position, quaternion, current, lower, upper) -> np.ndarray | None:
    """Joint angles (6,) float64 for a tool-tip pose: the in-limit solution nearest ``current``, or None."""
    best, best_dist = None, math.inf
    current = [float(c) for c in current]
    for q in solutions(position, quaternion):
        fitted = [_fit(q[j], current[j], lower[j], upper[j]) for j in range(6)]
        if any(a is None for a in fitted):
            continue
        dist = sum((a - c) ** 2 for a, c in zip(fitted, current, strict=True))
        if dist < best_dist:
            best, best_dist = fitted, dist
    return None if best is None else np.array(best)
