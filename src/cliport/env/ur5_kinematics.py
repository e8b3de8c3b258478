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

    Scalar maths, unrolled on purpose: a few 3-vectors cost less in plain floats than in numpy calls.
    """
    (r00, r01, r02), (r10, r11, r12), (r20, r21, r22) = _quat_rows(quaternion)
    (k00, k01, k02), (k10, k11, k12), (k20, k21, k22) = _TIP_R
    kx, ky, kz = _TIP_T
    # tool0 pose: T06 = T_tip @ TIP_TO_TOOL0; x6, y6, z6 are its axes, p its origin.
    x6 = (r00 * k00 + r01 * k10 + r02 * k20, r10 * k00 + r11 * k10 + r12 * k20,
          r20 * k00 + r21 * k10 + r22 * k20)
    y6 = (r00 * k01 + r01 * k11 + r02 * k21, r10 * k01 + r11 * k11 + r12 * k21,
          r20 * k01 + r21 * k11 + r22 * k21)
    z6 = (r00 * k02 + r01 * k12 + r02 * k22, r10 * k02 + r11 * k12 + r12 * k22,
          r20 * k02 + r21 * k12 + r22 * k22)
    px = float(position[0]) + r00 * kx + r01 * ky + r02 * kz
    py = float(position[1]) + r10 * kx + r11 * ky + r12 * kz
    pz = float(position[2]) + r20 * kx + r21 * ky + r22 * kz
    # Wrist centre (joint 5 and joint 6 axes meet the flange normal): back d6 along tool0's z.
    p5x, p5y, p5z = px - D6 * z6[0], py - D6 * z6[1], pz - D6 * z6[2]
    r = math.hypot(p5x, p5y)
    if r < 1e-12:
        return []
    shoulder = _acos(D4 / r)
    if shoulder is None:
        return []
    out = []
    phi = math.atan2(p5y, p5x)
    for t1 in (phi + shoulder + math.pi / 2, phi - shoulder + math.pi / 2):
        s1, c1 = math.sin(t1), math.cos(t1)
        wrist = _acos((px * s1 - py * c1 - D4) / D6)
        if wrist is None:
            continue
        for t5 in (wrist, -wrist):
            s5, c5 = math.sin(t5), math.cos(t5)
            if abs(s5) < _SINGULAR:
                continue
            # The base's x and y axes seen from tool0 are rows 0 and 1 of R06.
            t6 = math.atan2((-y6[0] * s1 + y6[1] * c1) / s5, (x6[0] * s1 - x6[1] * c1) / s5)
            s6, c6 = math.sin(t6), math.cos(t6)
            # Frame 4 in the base: R04 = R06 Rz(-t6) Rx(pi/2) Rz(-t5); p04 = p5 - d5 z4, with z4 = -b.
            ax, ay, az = c6 * x6[0] - s6 * y6[0], c6 * x6[1] - s6 * y6[1], c6 * x6[2] - s6 * y6[2]
            bx, by, bz = s6 * x6[0] + c6 * y6[0], s6 * x6[1] + c6 * y6[1], s6 * x6[2] + c6 * y6[2]
            x4x, x4y, x4z = c5 * ax - s5 * z6[0], c5 * ay - s5 * z6[1], c5 * az - s5 * z6[2]
            y4x, y4y, y4z = s5 * ax + c5 * z6[0], s5 * ay + c5 * z6[1], s5 * az + c5 * z6[2]
            p4x, p4y, p4z = p5x + D5 * bx, p5y + D5 * by, p5z + D5 * bz
            # Into frame 1 (axes (c1, s1, 0), (0, 0, 1), (s1, -c1, 0), origin (0, 0, d1)): the arm's plane.
            # Joint 3's origin is the wrist-1 origin moved back along frame 4's y by d4.
            u = c1 * p4x + s1 * p4y - D4 * (c1 * y4x + s1 * y4y)
            v = p4z - D1 - D4 * y4z
            n13 = math.hypot(u, v)
            if n13 < 1e-12:
                continue
            elbow = _acos((n13 * n13 - A2 * A2 - A3 * A3) / (2 * A2 * A3))
            if elbow is None:
                continue
            t234 = math.atan2(x4z, c1 * x4x + s1 * x4y)
            base = -math.atan2(v, -u)
            for t3 in (elbow, -elbow):
                t2 = base + math.asin(max(-1.0, min(1.0, A3 * math.sin(t3) / n13)))
                out.append((_wrap(t1), _wrap(t2), _wrap(t3), _wrap(t234 - t2 - t3), _wrap(t5), _wrap(t6)))
    return out


_TWO_PI = 2 * math.pi


def solve(position, quaternion, current, lower, upper) -> np.ndarray | None:
    """Joint angles (6,) float64 for a tool-tip pose: the in-limit solution nearest ``current``, or None.

    Each joint of each solution is first moved by whole turns to lie nearest the current value (where
    an iterative solve started from the current joints would end), then into [lower, upper] if needed.
    """
    current = [float(c) for c in current]
    best, best_dist = None, math.inf
    for q in solutions(position, quaternion):
        fitted, dist = [], 0.0
        for a, ref, lo, hi in zip(q, current, lower, upper, strict=True):
            a += _TWO_PI * math.floor((ref - a) / _TWO_PI + 0.5)
            if not lo <= a <= hi:
                a = min((b for b in (a - _TWO_PI, a + _TWO_PI) if lo <= b <= hi),
                        key=lambda b, ref=ref: abs(b - ref), default=None)
                if a is None:
                    break
            fitted.append(a)
            dist += (a - ref) ** 2
            if dist >= best_dist:
                break
        else:
            best, best_dist = fitted, dist
    return None if best is None else np.array(best)
