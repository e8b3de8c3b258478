"""SE(2) augmentation of a training sample (spec data_train_eval.md §4, the original's "perturb").

A rotation about the image centre and a translation, drawn from an explicitly passed Generator,
re-drawn until both label pixels (exact and rounded) stay inside the image; the 6-channel image is
warped bilinearly with zero border and its colour channels truncated to integers. Pixels are (row,
col) everywhere; the transform acts on points (x = col, y = row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from cliport.errors import CliportError

MAX_TRIES = 1000


class AugmentError(CliportError, RuntimeError):
    """No transform keeping the labels in the image was found (labels outside the image?)."""


@dataclass(frozen=True)
class Perturbation:
    """theta (rad), translation (tx, ty) in pixels, pivot (x, y) = (W/2, H/2)."""

    theta: float
    trans: tuple[float, float]
    pivot: tuple[float, float]

    def matrix(self) -> np.ndarray:
        """3x3 M = T(pivot) [R(theta) | t] T(-pivot), acting on (col, row, 1)."""
        c, s = np.cos(self.theta), np.sin(self.theta)
        px, py = self.pivot
        to_pivot = np.array([[1.0, 0, px], [0, 1, py], [0, 0, 1]])
        from_pivot = np.array([[1.0, 0, -px], [0, 1, -py], [0, 0, 1]])
        rt = np.array([[c, -s, self.trans[0]], [s, c, self.trans[1]], [0, 0, 1]])
        return to_pivot @ rt @ from_pivot

    def as_array(self) -> np.ndarray:
        """(theta, tx, ty, pivot_x, pivot_y) float32, for batching."""
        return np.array([self.theta, *self.trans, *self.pivot], dtype=np.float32)


def transform_pixel(m: np.ndarray, pixel: Sequence[float]) -> tuple[float, float]:
    """(row, col) -> transformed (row, col), exact (unrounded)."""
    x, y, _ = m @ np.array([float(pixel[1]), float(pixel[0]), 1.0])
    return float(y), float(x)


def _inside(rc: tuple[float, float], shape: tuple[int, int]) -> bool:
    return 0 <= rc[0] < shape[0] and 0 <= rc[1] < shape[1]


def draw_perturbation(
    shape: tuple[int, int],
    pixels: Sequence[Sequence[float]],
    theta_sigma_deg: float,
    rng: np.random.Generator,
) -> tuple[Perturbation, list[tuple[int, int]]]:
    """Draw a transform keeping every label pixel inside; return it and the rounded new pixels."""
    h, w = shape
    sigma = np.radians(theta_sigma_deg)
    trans_sigma = min(h, w) / 6
    for _ in range(MAX_TRIES):
        theta = float(rng.normal(0.0, sigma)) if sigma > 0 else 0.0
        trans = (float(rng.normal(0.0, trans_sigma)), float(rng.normal(0.0, trans_sigma)))
        p = Perturbation(theta, trans, (w / 2, h / 2))
        m = p.matrix()
        exact = [transform_pixel(m, px) for px in pixels]
        rounded = [(int(np.round(r)), int(np.round(c))) for r, c in exact]
        if all(_inside(e, shape) for e in exact) and all(_inside(r, shape) for r in rounded):
            return p, rounded
    raise AugmentError(
        f"no augmentation keeps pixels {list(pixels)} inside a {h}x{w} image after {MAX_TRIES} draws"
    )


def warp_image(image: np.ndarray, p: Perturbation, n_color: int = 3) -> np.ndarray:
    """Warp an (H, W, C) float image; colour channels truncated to integer values, heights kept float."""
    h, w = image.shape[:2]
    m = p.matrix()[:2].astype(np.float64)
    out = cv2.warpAffine(np.ascontiguousarray(image, dtype=np.float32), m, (w, h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if out.ndim == 2:
        out = out[..., None]
    out[..., :n_color] = np.trunc(out[..., :n_color])
    return out  # (H, W, C) float32


def perturb(
    image: np.ndarray, pixels: Sequence[Sequence[float]], theta_sigma_deg: float, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[int, int]], Perturbation]:
    """Augment (image, label pixels): returns (warped image (H, W, C), new pixels, the transform)."""
    p, new_pixels = draw_perturbation(image.shape[:2], pixels, theta_sigma_deg, rng)
    return warp_image(image, p), new_pixels, p
