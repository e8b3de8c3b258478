"""Rendering a :class:`~cliport.geometry.CameraConfig` with PyBullet (env.md §4).

Two renderers: ``"tiny"`` (PyBullet's software TinyRenderer, what the original's images were made with)
and ``"egl"`` (PyBullet's eglRenderer plugin: OpenGL through EGL, on a CPU-only machine via Mesa's
llvmpipe). The choice and the measured difference between them are in docs/rendering.md.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass
from typing import Any

import numpy as np
import pybullet

from cliport.errors import CliportError
from cliport.geometry import CameraConfig

#: Renderer names accepted by the environment.
RENDERERS = ("tiny", "egl")
DEFAULT_RENDERER = "tiny"


class RendererError(CliportError):
    """An unknown renderer was requested, or the requested one cannot be loaded."""


@dataclass
class CameraImages:
    """What one camera returns; ``segmentation`` is None when it was not requested."""

    color: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float32, metres along the optical axis
    segmentation: np.ndarray | None = None  # (H, W) uint8: object id mod 256, background 255


def check_renderer(name: str) -> str:
    if name not in RENDERERS:
        raise RendererError(f"unknown renderer {name!r}; choose one of {', '.join(RENDERERS)}")
    return name


def egl_plugin_path() -> str | None:
    """File of PyBullet's eglRenderer plugin, or None if this PyBullet build has none."""
    loader = pkgutil.get_loader("eglRenderer")
    return None if loader is None else loader.get_filename()  # type: ignore[union-attr]


def missing_egl_packages() -> list[str]:
    """Debian/Ubuntu packages whose libraries the EGL renderer needs and that are not found here."""
    import ctypes.util
    import glob

    missing = []
    if ctypes.util.find_library("EGL") is None:
        missing.append("libegl1")
    vendors = glob.glob("/usr/share/glvnd/egl_vendor.d/*.json") + glob.glob("/etc/glvnd/egl_vendor.d/*.json")
    if not vendors:
        missing.append("libegl-mesa0")
    if not vendors or any("mesa" in v for v in vendors):
        if not glob.glob("/usr/lib/*/dri/*swrast_dri.so") + glob.glob("/usr/lib*/dri/*swrast_dri.so"):
            missing.append("libgl1-mesa-dri")
    return missing


def load_egl(client: Any) -> int:
    """Load the EGL plugin into ``client``; raise a clear error naming what is missing."""
    path = egl_plugin_path()
    if path is None:
        raise RendererError(
            "renderer 'egl': this PyBullet build ships no eglRenderer plugin; use renderer=tiny"
        )
    missing = missing_egl_packages()
    if missing:
        raise RendererError(
            "renderer 'egl' needs EGL libraries that are not installed: "
            f"apt-get install -y {' '.join(missing)} (or use renderer=tiny)"
        )
    plugin = client.loadPlugin(path, "_eglRendererPlugin")
    if plugin < 0:
        raise RendererError(
            "renderer 'egl': the EGL plugin could not create a context. Install EGL and Mesa "
            "(Debian/Ubuntu: apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri) or use renderer=tiny"
        )
    return plugin


def view_projection(config: CameraConfig, client: Any) -> tuple[list[float], list[float]]:
    """View matrix (eye, eye + optical axis, up) and projection (vertical FOV, aspect, z range)."""
    eye = np.asarray(config.position, dtype=np.float64)
    view = client.computeViewMatrix(eye.tolist(), (eye + config.forward).tolist(), config.up.tolist())
    h, w = config.image_size
    proj = client.computeProjectionMatrixFOV(config.fov_y_degrees, w / h, *config.zrange)
    return view, proj


def linearize_depth(zbuffer: np.ndarray, znear: float, zfar: float) -> np.ndarray:
    """OpenGL z-buffer value b in [0, 1] -> z-depth along the optical axis (metres)."""
    b = np.asarray(zbuffer, dtype=np.float64)
    return 2.0 * znear * zfar / (zfar + znear - (2.0 * b - 1.0) * (zfar - znear))


def render_raw(client: Any, config: CameraConfig, renderer: str, segmentation: bool = False) -> CameraImages:
    """Render one camera without noise."""
    h, w = config.image_size
    view, proj = view_projection(config, client)
    flags = pybullet.ER_NO_SEGMENTATION_MASK
    if segmentation:
        flags = pybullet.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX
    kind = pybullet.ER_BULLET_HARDWARE_OPENGL if renderer == "egl" else pybullet.ER_TINY_RENDERER
    _, _, rgba, zbuf, seg = client.getCameraImage(
        width=w, height=h, viewMatrix=view, projectionMatrix=proj, shadow=config.shadow,
        flags=flags, renderer=kind,
    )
    color = np.ascontiguousarray(np.asarray(rgba, dtype=np.uint8).reshape(h, w, 4)[..., :3])
    depth = linearize_depth(np.asarray(zbuf).reshape(h, w), *config.zrange).astype(np.float32)
    segm = None
    if segmentation:
        segm = (np.asarray(seg, dtype=np.int64).reshape(h, w) & 0xFF).astype(np.uint8)
    return CameraImages(color, depth, segm)


def add_noise(images: CameraImages, config: CameraConfig, rng: np.random.Generator | None) -> CameraImages:
    """Apply the camera's noise (if ``config.noise``), drawn from ``rng``: colour first, then depth."""
    if not config.noise:
        return images
    if rng is None:
        raise ValueError("camera noise needs the environment's rng")
    h, w = config.image_size
    # The original drew colour noise of shape (H, W) (a broadcasting bug); we draw (H, W, 3).
    noisy = images.color.astype(np.int32) + rng.normal(0.0, 3.0, size=(h, w, 3)).astype(np.int32)
    color = np.clip(noisy, 0, 255).astype(np.uint8)
    depth = (images.depth.astype(np.float64) + rng.normal(0.0, 0.003, size=(h, w))).astype(np.float32)
    return CameraImages(color, depth, images.segmentation)


def render(
    client: Any,
    config: CameraConfig,
    renderer: str,
    *,
    segmentation: bool = False,
    rng: np.random.Generator | None = None,
) -> CameraImages:
    """Render one camera. Noise (if ``config.noise``) is drawn from ``rng``, which is then required."""
    if config.noise and rng is None:
        raise ValueError("camera noise needs the environment's rng")
    return add_noise(render_raw(client, config, renderer, segmentation), config, rng)


def probe_egl() -> str | None:
    """None if the EGL renderer loads here, else the reason; PyBullet's C-level chatter is silenced."""
    from pybullet_utils import bullet_client

    from cliport.env.quiet_import import c_stdout_silenced

    with c_stdout_silenced():
        client = bullet_client.BulletClient(pybullet.DIRECT)
        try:
            load_egl(client)
            return None
        except RendererError as err:
            return str(err)
        finally:
            client.disconnect()
