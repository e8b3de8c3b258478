"""Rotation helper: the rule of spec models.md §5, kornia 0.4.1 mode, and crops of rotated images."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cliport.models.rotation import rotate, rotated_crops, rotation_angles


def forward_map(x: float, y: float, a_deg: float, cx: float, cy: float) -> tuple[float, float]:
    """The spec's forward map, written out as in §5."""
    a = math.radians(a_deg)
    c, s = math.cos(a), math.sin(a)
    return (c * x + s * y + (1 - c) * cx - s * cy, -s * x + c * y + s * cx + (1 - c) * cy)


def test_angles():
    assert rotation_angles(36)[:3] == [0.0, 10.0, 20.0]
    assert rotation_angles(36)[-1] == 350.0
    assert rotation_angles(1) == [0.0]


@pytest.mark.parametrize("src", [(30, 41), (47, 20), (12, 12)])
def test_one_hot_lands_where_the_rule_puts_it(src):
    h, w, pivot = 64, 56, (33, 27)  # pivot (row, col)
    x0, y0 = src  # column, row
    img = torch.zeros(36, 1, h, w, dtype=torch.float64)
    img[:, 0, y0, x0] = 1.0
    angles = torch.tensor(rotation_angles(36), dtype=torch.float64)
    out = rotate(img, angles, torch.tensor([pivot] * 36))  # (36, 1, H, W)
    rows, cols = np.mgrid[0:h, 0:w]
    for r in range(36):
        xe, ye = forward_map(x0, y0, float(angles[r]), pivot[1], pivot[0])
        o = out[r, 0].numpy()
        assert o.sum() > 0.5
        peak_row, peak_col = np.unravel_index(np.argmax(o), o.shape)
        assert math.hypot(peak_col - xe, peak_row - ye) <= 0.75, (r, peak_row, peak_col, xe, ye)
        cx, cy = (o * cols).sum() / o.sum(), (o * rows).sum() / o.sum()
        assert math.hypot(cx - xe, cy - ye) < 0.3, (r, cx, cy, xe, ye)


def test_quarter_turn_is_an_exact_pixel_permutation():
    img = torch.arange(20 * 20, dtype=torch.float32).reshape(1, 1, 20, 20)
    out = rotate(img, torch.tensor([90.0]), torch.tensor([[10, 10]]))
    # 90 deg counter-clockwise as displayed: (row y, col x) -> (row cy - (x - cx), col cx + (y - cy))
    for y, x in [(3, 4), (10, 10), (15, 2), (7, 18)]:
        assert out[0, 0, 10 - (x - 10), 10 + (y - 10)] == pytest.approx(float(img[0, 0, y, x]), abs=1e-3)


def kornia_041_warp(x: torch.Tensor, angle: float, pivot: tuple[int, int]) -> torch.Tensor:
    """Reference of kornia 0.4.1's get_rotation_matrix2d + warp_affine (align_corners=False)."""
    _, _, h, w = x.shape
    a = math.radians(angle)
    cx, cy = pivot[1], pivot[0]
    m = torch.tensor([[math.cos(a), math.sin(a), (1 - math.cos(a)) * cx - math.sin(a) * cy],
                      [-math.sin(a), math.cos(a), math.sin(a) * cx + (1 - math.cos(a)) * cy],
                      [0, 0, 1]], dtype=torch.float64)
    norm = torch.tensor([[2 / (w - 1), 0, -1], [0, 2 / (h - 1), -1], [0, 0, 1]], dtype=torch.float64)
    src_from_dst = torch.linalg.inv(norm @ m @ torch.linalg.inv(norm))
    grid = F.affine_grid(src_from_dst[None, :2].to(x.dtype), [1, 1, h, w], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


@pytest.mark.parametrize("angle", [10.0, 90.0, 230.0])
def test_kornia_mode_matches_kornia_warp_affine(angle):
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(1, 1, 48, 40, generator=gen, dtype=torch.float64)
    ours = rotate(x, torch.tensor([angle], dtype=torch.float64), torch.tensor([[20, 17]]), mode="kornia")
    torch.testing.assert_close(ours, kornia_041_warp(x, angle, (20, 17)), atol=1e-9, rtol=0)
    exact = rotate(x, torch.tensor([angle], dtype=torch.float64), torch.tensor([[20, 17]]))
    assert (exact - ours).abs().max() > 1e-3  # the sub-pixel difference is real


@pytest.mark.parametrize("mode", ["exact", "kornia"])
def test_rotated_crops_equal_rotate_then_crop(mode):
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 40, 28, generator=gen)
    pivots = torch.tensor([[10, 8], [25, 20]])
    angles = torch.tensor(rotation_angles(12))
    crops = rotated_crops(x, pivots, angles, size=8, mode=mode)  # (2, 12, 3, 8, 8)
    assert crops.shape == (2, 12, 3, 8, 8)
    for b in range(2):
        full = rotate(x[b:b + 1].expand(12, -1, -1, -1), angles, pivots[b:b + 1].expand(12, 2), mode=mode)
        pr, pc = pivots[b].tolist()
        torch.testing.assert_close(crops[b], full[:, :, pr - 4:pr + 4, pc - 4:pc + 4], atol=1e-5, rtol=0)
