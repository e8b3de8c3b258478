"""Synthetic episodes and dataset folders for the data tests (built in tmp_path, no simulator)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cliport.data.episode import Episode, save_episode
from cliport.data.store import DatasetMeta, EpisodeEntry, episode_file, write_meta
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, pix_to_xyz, yaw_quat


def block_episode(
    seed: int, n_actions: int = 2, task: str = "toy", mode: str = "train", size: int = 9
) -> Episode:
    """Blocks of side ``size`` px on a black table; action k picks block k (at its centre)."""
    rng = np.random.default_rng(seed)
    n = n_actions + 1
    color = np.zeros((n, 320, 160, 3), np.uint8)
    height = np.zeros((n, 320, 160), np.float32)
    picks, places = [], []
    for _ in range(n_actions):
        r, c = int(rng.integers(60, 260)), int(rng.integers(30, 130))
        col = rng.integers(50, 256, 3).astype(np.uint8)
        h = size // 2
        color[:, r - h:r + h + 1, c - h:c + h + 1] = col
        height[:, r - h:r + h + 1, c - h:c + h + 1] = rng.uniform(0.01, 0.27)
        x, y, _ = pix_to_xyz((r, c), None, INPUT_BOUNDS, PIXEL_SIZE)
        picks.append([x, y, 0.02, *yaw_quat(rng.uniform(-np.pi, np.pi))])
        places.append([0.5, 0.0, 0.02, *yaw_quat(rng.uniform(-np.pi, np.pi))])
    return Episode(
        color=color, height=height, pick=np.asarray(picks), place=np.asarray(places),
        reward=np.r_[0.0, np.full(n_actions, 1.0 / n_actions)],
        instruction=[f"{task} seed {seed} step {k}" for k in range(n)],
        seed=seed, task=task, mode=mode, obj_ids=np.array([5]), obj_pose=np.zeros((n, 1, 7)),
        obj_dims=np.ones((n, 1, 3)), extras=[{"k": k} for k in range(n)],
    )


def make_folder(root: Path, task: str, mode: str, seeds: list[int], n_actions: int = 2) -> Path:
    folder = Path(root) / f"{task}-{mode}"
    entries = []
    for i, s in enumerate(seeds):
        path = save_episode(episode_file(folder, s), block_episode(s, n_actions, task, mode))
        entries.append(EpisodeEntry(i, s, str(path.relative_to(folder)), n_actions, 1.0))
    write_meta(folder, DatasetMeta(task=task, mode=mode, episodes=entries))
    return folder
