"""Draw one episode step as a figure: colour and height maps, pick/place markers, place angle, text.

Pick is a circle, place a square with a line showing the place angle (theta1 - theta0, the relative
rotation the place module learns). Pixels are (row, col); the maps are shown with rows vertical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cliport.data.episode import Episode
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, quat_to_eulerXYZ, xyz_to_pix
from cliport.viz.figures import save_figure


def step_labels(episode: Episode, k: int) -> tuple[tuple[int, int], tuple[int, int], float] | None:
    """(pick pixel, place pixel, place angle rad) of action k, or None for the last entry."""
    if k >= episode.n_actions:
        return None
    pick, place = episode.pick[k], episode.place[k]
    p0 = xyz_to_pix(pick[:3], INPUT_BOUNDS, PIXEL_SIZE)
    p1 = xyz_to_pix(place[:3], INPUT_BOUNDS, PIXEL_SIZE)
    angle = quat_to_eulerXYZ(pick[3:])[2] - quat_to_eulerXYZ(place[3:])[2]
    return p0, p1, float(angle)


def draw_step(episode: Episode, k: int, path: str | Path, dpi: int = 100) -> Path:
    """Write a PNG of entry k of ``episode`` to ``path``."""
    import matplotlib.pyplot as plt  # Agg is selected by cliport.viz.figures

    fig, (ax_c, ax_h) = plt.subplots(1, 2, figsize=(6.4, 7.2), dpi=dpi)
    ax_c.imshow(episode.color[k])
    vmax = max(0.05, float(episode.height[k].max()))
    im = ax_h.imshow(episode.height[k], cmap="viridis", vmin=0.0, vmax=vmax)
    fig.colorbar(im, ax=ax_h, fraction=0.08, label="height (m)")
    ax_c.set_title("colour")
    ax_h.set_title("height")
    labels = step_labels(episode, k)
    if labels is not None:
        (r0, c0), (r1, c1), angle = labels
        for ax in (ax_c, ax_h):
            ax.plot(c0, r0, "o", ms=10, mfc="none", mec="red", mew=2, label="pick")
            ax.plot(c1, r1, "s", ms=10, mfc="none", mec="cyan", mew=2, label="place")
            length = 15
            tip = (c1 + length * np.cos(angle), r1 + length * np.sin(angle))
            ax.plot([c1, tip[0]], [r1, tip[1]], "-", color="cyan", lw=2)
        ax_c.legend(loc="lower right", fontsize=7)
        caption = f"pick {(r0, c0)}  place {(r1, c1)}  angle {np.degrees(angle):.1f} deg"
    else:
        caption = "final observation (no action)"
    for ax in (ax_c, ax_h):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{episode.task} seed {episode.seed}  step {k}/{episode.n_actions}\n"
                 f"\"{episode.instruction[k]}\"\n{caption}  reward {episode.reward[k]:.3f}", fontsize=9)
    return save_figure(fig, path, dpi=dpi)
