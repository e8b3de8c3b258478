"""Image rotations about a pivot with the original's (kornia 0.4.1) conventions (spec models.md §5).

For angle a (degrees, counter-clockwise as displayed with rows downward) and centre (cx, cy) =
(pivot column, pivot row), a source pixel (x, y) moves to
``x' = cx + cos a (x - cx) + sin a (y - cy)``, ``y' = cy - sin a (x - cx) + cos a (y - cy)``.
Outputs are sampled bilinearly through the inverse map with zero padding, using
``torch.nn.functional.grid_sample``: all B images x R angles in one call, no Python loop.

Two sampling modes:

* ``"exact"`` (default): the pixel at (x, y) lands exactly at (x', y').
* ``"kornia"``: reproduces kornia 0.4.1's ``warp_affine`` (pixel coordinates normalised with the
  (size - 1) convention, then sampled with align_corners=False), which stretches the map by
  size / (size - 1) about the image centre (a sub-pixel offset). Use it to match released checkpoints
  bit-for-bit in spirit.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

MODES = ("exact", "kornia")


def rotation_angles(n_rotations: int) -> list[float]:
    """Copy r is rotated by r * 360 / R degrees."""
    return [r * 360.0 / n_rotations for r in range(n_rotations)]


def source_coordinates(
    rows: Tensor, cols: Tensor, angles: Tensor, pivots: Tensor, image_hw: tuple[int, int],
    mode: str = "exact",
) -> tuple[Tensor, Tensor]:
    """Where each output pixel samples the input.

    rows (N, h), cols (N, w): output pixel indices in the image frame per item; angles (N,) degrees;
    pivots (N, 2) (row, col). Returns source (x, y) pixel coordinates, each (N, h, w).
    """
    if mode not in MODES:
        raise ValueError(f"unknown rotation mode {mode!r}; expected one of {MODES}")
    height, width = image_hw
    ys = rows.to(angles.dtype)[:, :, None]  # (N, h, 1)
    xs = cols.to(angles.dtype)[:, None, :]  # (N, 1, w)
    if mode == "kornia":  # output pixel -> kornia's pixel frame
        xs = (xs + 0.5) * (width - 1) / width
        ys = (ys + 0.5) * (height - 1) / height
    rad = angles * (math.pi / 180.0)
    c, s = torch.cos(rad)[:, None, None], torch.sin(rad)[:, None, None]  # (N, 1, 1)
    cy = pivots[:, 0].to(angles.dtype)[:, None, None]
    cx = pivots[:, 1].to(angles.dtype)[:, None, None]
    dx, dy = xs - cx, ys - cy
    src_x = cx + c * dx - s * dy  # inverse rotation, (N, h, w)
    src_y = cy + s * dx + c * dy
    if mode == "kornia":  # kornia's frame -> the pixel grid_sample(align_corners=False) reads
        src_x = src_x * width / (width - 1) - 0.5
        src_y = src_y * height / (height - 1) - 0.5
    return src_x, src_y


def _normalised_grid(src_x: Tensor, src_y: Tensor, image_hw: tuple[int, int]) -> Tensor:
    height, width = image_hw
    gx = src_x * (2.0 / (width - 1)) - 1.0
    gy = src_y * (2.0 / (height - 1)) - 1.0
    return torch.stack([gx, gy], dim=-1)  # (N, h, w, 2)


def rotate(x: Tensor, angles: Tensor, pivots: Tensor, mode: str = "exact") -> Tensor:
    """Rotate each image of (N, C, H, W) by its own angle (N,) about its own pivot (N, 2) (row, col)."""
    n, _, height, width = x.shape
    angles = torch.as_tensor(angles, dtype=x.dtype, device=x.device).reshape(n)
    pivots = torch.as_tensor(pivots, device=x.device).reshape(n, 2)
    rows = torch.arange(height, device=x.device).expand(n, height)
    cols = torch.arange(width, device=x.device).expand(n, width)
    src_x, src_y = source_coordinates(rows, cols, angles, pivots, (height, width), mode)
    grid = _normalised_grid(src_x, src_y, (height, width)).to(x.dtype)  # (N, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def rotated_crops(
    x: Tensor, pivots: Tensor, angles: Tensor, size: int, mode: str = "exact",
) -> Tensor:
    """Crops of the rotated images, without rotating whole images.

    Equals rotating each image of x (B, C, H, W) by every angle (R,) about its pivot (B, 2) (row, col)
    and cropping rows ``pivot_row - size/2 ... + size/2 - 1`` (same for columns). Returns
    (B, R, C, size, size). All R rotations are stacked along the grid's height so grid_sample reads
    the B images once.
    """
    b, c, height, width = x.shape
    r = angles.numel()
    half = size // 2
    pivots = torch.as_tensor(pivots, device=x.device).reshape(b, 2).long()
    offs = torch.arange(size, device=x.device) - half  # (size,)
    rows = (pivots[:, 0:1] + offs).repeat_interleave(r, dim=0)  # (B*R, size)
    cols = (pivots[:, 1:2] + offs).repeat_interleave(r, dim=0)
    ang = torch.as_tensor(angles, dtype=x.dtype, device=x.device).reshape(1, r).expand(b, r).reshape(b * r)
    piv = pivots.repeat_interleave(r, dim=0)  # (B*R, 2)
    src_x, src_y = source_coordinates(rows, cols, ang, piv, (height, width), mode)  # (B*R, size, size)
    grid = _normalised_grid(src_x, src_y, (height, width)).to(x.dtype)
    grid = grid.reshape(b, r * size, size, 2)  # rotations stacked along the height
    crops = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return crops.reshape(b, c, r, size, size).transpose(1, 2)  # (B, R, C, size, size)
