"""The benchmark's geometry, defined once: workspace bounds, pixel grid, cameras, pose maths.

Everything here is pure numpy so that the simulator, the tasks, the dataset and the agents share one
definition of the numbers that make results comparable with the original CLIPort (spec env.md §1-§4).
Pixel conventions follow the original: row u indexes y, column v indexes x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------
# Workspace and pixel grid (env.md §2)

#: Bounds used by tasks and the oracle camera: rows x, y, z; columns min, max (metres).
TASK_BOUNDS = np.array([[0.25, 0.75], [-0.5, 0.5], [0.0, 0.3]])
#: Bounds used for the network input (dataset and agents): z only up to 0.28.
INPUT_BOUNDS = np.array([[0.25, 0.75], [-0.5, 0.5], [0.0, 0.28]])
PIXEL_SIZE = 0.003125
#: Heightmap size (rows, columns) = (y extent, x extent) / PIXEL_SIZE.
HEIGHTMAP_SHAPE = (320, 160)
#: Network input: fused RGB (0..255) + the height map three times.
INPUT_SHAPE = (320, 160, 6)
N_ROTATIONS = 36
CROP_SIZE = 64

#: Gym action-position box: low and high of (x, y, z).
ACTION_POSITION_LOW = np.array([0.25, -0.5, 0.0])
ACTION_POSITION_HIGH = np.array([0.75, 0.5, 0.28])

# Image normalisation constants used inside the networks (env.md §5).
TRANSPORTER_COLOR_MEAN = (0.18877631,) * 3
TRANSPORTER_COLOR_STD = (0.07276466,) * 3
CLIP_COLOR_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_COLOR_STD = (0.26862954, 0.26130258, 0.27577711)
DEPTH_MEAN = 0.00509261
DEPTH_STD = 0.00903967


def pix_to_xyz(
    pixel: tuple[int, int],
    height: float | np.ndarray | None,
    bounds: np.ndarray = TASK_BOUNDS,
    pixel_size: float = PIXEL_SIZE,
) -> tuple[float, float, float]:
    """Pixel (row u, column v) -> world (x, y, z): the pixel's corner, as the original computes it.

    ``height`` is either a heightmap (z = z_min + heightmap[u, v]), a scalar height, or None (z = 0).
    """
    u, v = int(pixel[0]), int(pixel[1])
    x = bounds[0, 0] + v * pixel_size
    y = bounds[1, 0] + u * pixel_size
    if height is None:
        z = 0.0
    elif np.ndim(height) == 0:
        z = bounds[2, 0] + float(height)
    else:
        z = bounds[2, 0] + float(height[u, v])
    return (float(x), float(y), float(z))


def xyz_to_pix(
    position: tuple[float, float, float] | np.ndarray,
    bounds: np.ndarray = TASK_BOUNDS,
    pixel_size: float = PIXEL_SIZE,
) -> tuple[int, int]:
    """World position -> pixel (row u, column v), rounding as the original does (not flooring)."""
    u = int(np.round((position[1] - bounds[1, 0]) / pixel_size))
    v = int(np.round((position[0] - bounds[0, 0]) / pixel_size))
    return (u, v)


# ---------------------------------------------------------------------------------------------
# Rotations and poses. Quaternions are PyBullet order (x, y, z, w).


def quat_from_matrix(R: np.ndarray) -> np.ndarray:
    """3x3 rotation matrix -> unit quaternion (x, y, z, w) with w >= 0."""
    R = np.asarray(R, dtype=np.float64)
    t = np.trace(R)
    if t > 0:
        s = np.sqrt(t + 1.0) * 2
        w, x = 0.25 * s, (R[2, 1] - R[1, 2]) / s
        y, z = (R[0, 2] - R[2, 0]) / s, (R[1, 0] - R[0, 1]) / s
    elif R[0, 0] > R[1, 1] and R[0, 0] > R[2, 2]:
        s = np.sqrt(1.0 + R[0, 0] - R[1, 1] - R[2, 2]) * 2
        w, x = (R[2, 1] - R[1, 2]) / s, 0.25 * s
        y, z = (R[0, 1] + R[1, 0]) / s, (R[0, 2] + R[2, 0]) / s
    elif R[1, 1] > R[2, 2]:
        s = np.sqrt(1.0 + R[1, 1] - R[0, 0] - R[2, 2]) * 2
        w, x = (R[0, 2] - R[2, 0]) / s, (R[0, 1] + R[1, 0]) / s
        y, z = 0.25 * s, (R[1, 2] + R[2, 1]) / s
    else:
        s = np.sqrt(1.0 + R[2, 2] - R[0, 0] - R[1, 1]) * 2
        w, x = (R[1, 0] - R[0, 1]) / s, (R[0, 2] + R[2, 0]) / s
        y, z = (R[1, 2] + R[2, 1]) / s, 0.25 * s
    q = np.array([x, y, z, w])
    q /= np.linalg.norm(q)
    return -q if q[3] < 0 else q


def matrix_from_quat(q: np.ndarray | tuple[float, ...]) -> np.ndarray:
    """Quaternion (x, y, z, w) -> 3x3 rotation matrix."""
    x, y, z, w = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def _rx(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def quat_from_pybullet_euler(euler: tuple[float, float, float]) -> np.ndarray:
    """PyBullet's getQuaternionFromEuler: extrinsic X, then Y, then Z; R = Rz(yaw) Ry(pitch) Rx(roll)."""
    # Closed form with PyBullet's sign convention (w may be negative), so quaternions compare equal.
    sr, cr = np.sin(euler[0] / 2), np.cos(euler[0] / 2)
    sp, cp = np.sin(euler[1] / 2), np.cos(euler[1] / 2)
    sy, cy = np.sin(euler[2] / 2), np.cos(euler[2] / 2)
    return np.array(
        [
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
            cr * cp * cy + sr * sp * sy,
        ]
    )


def eulerXYZ_to_quat(euler: tuple[float, float, float]) -> np.ndarray:
    """The original's "eulerXYZ -> quaternion" (transforms3d szxy with (yaw, roll, pitch)).

    R = R_y(pitch) R_x(roll) R_z(yaw); for pure yaw it equals a rotation about +z.
    """
    roll, pitch, yaw = euler
    return quat_from_matrix(_ry(pitch) @ _rx(roll) @ _rz(yaw))


def quat_to_eulerXYZ(q: np.ndarray | tuple[float, ...]) -> tuple[float, float, float]:
    """Exact inverse of :func:`eulerXYZ_to_quat`; returns (roll, pitch, yaw)."""
    R = matrix_from_quat(q)
    # R = Ry(p) Rx(r) Rz(y): R[1,2] = -sin(r); R[0,2] = cos(r) sin(p); R[2,2] = cos(r) cos(p);
    # R[1,0] = cos(r) sin(y); R[1,1] = cos(r) cos(y).
    sr = -R[1, 2]
    cr = np.hypot(R[1, 0], R[1, 1])
    roll = np.arctan2(sr, cr)
    if cr > 1e-9:
        pitch = np.arctan2(R[0, 2], R[2, 2])
        yaw = np.arctan2(R[1, 0], R[1, 1])
    else:  # gimbal lock: fold everything into pitch
        pitch = np.arctan2(-R[2, 0], R[0, 0])
        yaw = 0.0
    return (float(roll), float(pitch), float(yaw))


def quat_angle_deg(q1, q2) -> float:
    """The angle (degrees, in [0, 180]) of the rotation between two orientations (x, y, z, w); q and
    -q are the same orientation. Neither needs to be normalised."""
    a, b = np.asarray(q1, dtype=np.float64), np.asarray(q2, dtype=np.float64)
    dot = abs(float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))))
    return float(np.degrees(2.0 * np.arccos(min(1.0, dot))))


def yaw_quat(theta: float) -> np.ndarray:
    """Quaternion of a rotation ``theta`` about +z."""
    return np.array([0.0, 0.0, np.sin(theta / 2), np.cos(theta / 2)])


@dataclass(frozen=True)
class Transform:
    """A rigid transform; thin helper for pose products without PyBullet."""

    position: np.ndarray
    rotation: np.ndarray  # 3x3

    @classmethod
    def from_pose(cls, position, quaternion) -> Transform:
        return cls(np.asarray(position, dtype=np.float64), matrix_from_quat(quaternion))

    def to_pose(self) -> tuple[np.ndarray, np.ndarray]:
        return self.position.copy(), quat_from_matrix(self.rotation)

    def __matmul__(self, other: Transform) -> Transform:
        return Transform(self.rotation @ other.position + self.position, self.rotation @ other.rotation)

    def inverse(self) -> Transform:
        Rt = self.rotation.T
        return Transform(-Rt @ self.position, Rt)

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Apply to points of shape (3, N) or (3,)."""
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim == 1:
            return self.rotation @ pts + self.position
        return self.rotation @ pts + self.position[:, None]


def multiply_poses(pose_a, pose_b) -> tuple[np.ndarray, np.ndarray]:
    """(pos, quat) ∘ (pos, quat), like PyBullet's multiplyTransforms."""
    return (Transform.from_pose(*pose_a) @ Transform.from_pose(*pose_b)).to_pose()


def invert_pose(pose) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of a (pos, quat) pose, like PyBullet's invertTransform."""
    return Transform.from_pose(*pose).inverse().to_pose()


# ---------------------------------------------------------------------------------------------
# Cameras (env.md §4)


@dataclass(frozen=True)
class CameraConfig:
    """A pinhole RGB-D camera: intrinsics, pose in the world, depth range, noise flag."""

    name: str
    image_size: tuple[int, int]  # (H, W)
    intrinsics: tuple[float, ...]  # (fx, 0, cx, 0, fy, cy, 0, 0, 1)
    position: tuple[float, float, float]
    rotation: tuple[float, float, float, float]  # quaternion (x, y, z, w)
    zrange: tuple[float, float]
    noise: bool = False
    shadow: int = 1

    @property
    def K(self) -> np.ndarray:
        return np.asarray(self.intrinsics, dtype=np.float64).reshape(3, 3)

    @property
    def rotation_matrix(self) -> np.ndarray:
        return matrix_from_quat(self.rotation)

    @property
    def forward(self) -> np.ndarray:
        """Optical axis in the world: R (0, 0, 1)."""
        return self.rotation_matrix @ np.array([0.0, 0.0, 1.0])

    @property
    def up(self) -> np.ndarray:
        """The "up" vector handed to the view matrix: R (0, -1, 0)."""
        return self.rotation_matrix @ np.array([0.0, -1.0, 0.0])

    @property
    def fov_y_degrees(self) -> float:
        """Vertical field of view: 2 atan((H/2)/fy)."""
        return float(np.degrees(2 * np.arctan((self.image_size[0] / 2) / self.intrinsics[4])))


def _quat_tuple(euler: tuple[float, float, float]) -> tuple[float, float, float, float]:
    return tuple(float(c) for c in quat_from_pybullet_euler(euler))  # type: ignore[return-value]


_REALSENSE_K = (450.0, 0.0, 320.0, 0.0, 450.0, 240.0, 0.0, 0.0, 1.0)

#: The three RealSense-D415-like cameras: front, left, right.
REALSENSE_CAMERAS: tuple[CameraConfig, ...] = (
    CameraConfig(
        "front", (480, 640), _REALSENSE_K, (1.0, 0.0, 0.75),
        _quat_tuple((np.pi / 4, np.pi, -np.pi / 2)), (0.01, 10.0),
    ),
    CameraConfig(
        "left", (480, 640), _REALSENSE_K, (0.0, 0.5, 0.75),
        _quat_tuple((np.pi / 4.5, np.pi, np.pi / 4)), (0.01, 10.0),
    ),
    CameraConfig(
        "right", (480, 640), _REALSENSE_K, (0.0, -0.5, 0.75),
        _quat_tuple((np.pi / 4.5, np.pi, 3 * np.pi / 4)), (0.01, 10.0),
    ),
)

#: Near-orthographic top-down camera used only by the oracle and scene generation.
ORACLE_CAMERA = CameraConfig(
    "oracle", (480, 640), (63e4, 0.0, 320.0, 0.0, 63e4, 240.0, 0.0, 0.0, 1.0), (0.5, 0.0, 1000.0),
    _quat_tuple((0.0, np.pi, -np.pi / 2)), (999.7, 1001.0),
)
