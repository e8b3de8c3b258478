"""Affordance pictures: the input, the pick heatmap and the place heatmap (best rotation) with the actions.

Given a policy and one fused input, draws four panels side by side — colour, height, pick probability
over the colour image, place probability of the chosen rotation over the colour image — with the pick
marker and the place marker plus an arrow showing the place angle, and the instruction as the title.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np  # noqa: E402

from cliport.viz.figures import save_figure


def draw_affordances(
    image: np.ndarray,
    pick_map: np.ndarray,
    place_map: np.ndarray,
    pick: tuple[int, int, float],
    place: tuple[int, int, float],
    instruction: str,
    out: str | Path,
    label: tuple[tuple[int, int], tuple[int, int]] | None = None,
) -> Path:
    """image (320, 160, 6); pick_map (320, 160); place_map (R, 320, 160); pick/place = (row, col, theta)."""
    color = np.clip(image[..., :3], 0, 255).astype(np.uint8)
    height = image[..., 3]
    n_rot = place_map.shape[0]
    rot = int(round(place[2] / (2 * math.pi / n_rot))) % n_rot
    fig, axes = plt.subplots(1, 4, figsize=(10, 6.2))
    panels = [
        ("colour", color, None),
        ("height (m)", height, None),
        ("pick", color, pick_map),
        (f"place (rotation {rot}: {math.degrees(place[2]):.0f}°)", color, place_map[rot]),
    ]
    for ax, (title, base, heat) in zip(axes, panels, strict=True):
        if base.ndim == 2:
            im = ax.imshow(base, cmap="viridis")
            fig.colorbar(im, ax=ax, fraction=0.046)
        else:
            ax.imshow(base)
        if heat is not None:
            ax.imshow(heat / max(float(heat.max()), 1e-12), cmap="jet", alpha=0.55)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    for ax in axes[2:]:
        ax.plot(pick[1], pick[0], "o", mfc="none", mec="white", ms=12, mew=2)
        ax.plot(place[1], place[0], "s", mfc="none", mec="white", ms=12, mew=2)
        dx, dy = 14 * math.cos(-place[2]), 14 * math.sin(-place[2])
        ax.arrow(place[1], place[0], dx, dy, color="white", width=1.2, head_width=5)
        if label is not None:
            (r0, c0), (r1, c1) = label
            ax.plot([c0, c1], [r0, r1], "x", color="lime", ms=10, mew=2)
    fig.suptitle(instruction or "(no instruction)", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out, dpi=110)
