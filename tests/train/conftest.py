"""A tiny stand-in policy with the Policy's training interface, so the loop is tested in milliseconds."""

import numpy as np
import pytest
import torch
from torch import nn


class TinyPolicy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.pick = nn.Linear(4, 3)
        self.place = nn.Linear(4, 3)

    def parameter_groups(self):
        return {"pick": list(self.pick.parameters()), "place": list(self.place.parameters())}

    def forward(self, batch):
        x, y = batch["x"], batch["y"]
        pick_loss = nn.functional.cross_entropy(self.pick(x), y)
        place_loss = nn.functional.cross_entropy(self.place(x), y)
        return pick_loss + place_loss, {"pick_loss": pick_loss.detach(), "place_loss": place_loss.detach()}


def batch_for_step(step: int, rank: int = 0, batch_size: int = 4):
    rng = np.random.default_rng([7, step, rank])
    x = torch.from_numpy(rng.normal(size=(batch_size, 4)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 3, size=batch_size))
    return {"x": x, "y": y}


@pytest.fixture
def tiny():
    """(policy class, batch function) of the stand-in."""
    return TinyPolicy, batch_for_step


def _random_poses(rng, n: int) -> np.ndarray:
    xyz = np.stack([rng.uniform(0.3, 0.7, n), rng.uniform(-0.4, 0.4, n), np.full(n, 0.02)], axis=1)
    return np.concatenate([xyz, np.tile([0, 0, 0, 1.0], (n, 1))], axis=1)  # (n, 7)


def write_synthetic_dataset(data_dir, task: str, mode: str, seeds, n_actions: int = 2):
    """A small dataset folder in our format: random maps, labels inside the image, one instruction."""
    from cliport.data.episode import Episode, save_episode
    from cliport.data.store import DatasetMeta, EpisodeEntry, dataset_folder, episode_file, write_meta

    folder = dataset_folder(data_dir, task, mode)
    entries = []
    for index, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        n = n_actions + 1
        color = rng.integers(0, 255, size=(n, 320, 160, 3), dtype=np.uint8)
        height = (rng.random((n, 320, 160)) * 0.05).astype(np.float32)

        pick, place = (_random_poses(rng, n_actions) for _ in range(2))
        ep = Episode(color=color, height=height, pick=pick, place=place,
                     reward=np.array([0.0] * n_actions + [1.0]),
                     instruction=["put the block in the bowl"] * n, seed=int(seed), task=task, mode=mode)
        path = save_episode(episode_file(folder, seed), ep)
        entries.append(EpisodeEntry(index, int(seed), str(path.relative_to(folder)), n_actions, 1.0))
    write_meta(folder, DatasetMeta(task=task, mode=mode, episodes=entries))
    return folder


@pytest.fixture
def synthetic_data(tmp_path):
    data = tmp_path / "data"
    write_synthetic_dataset(data, "place-red-in-green", "train", [0, 2, 4])
    write_synthetic_dataset(data, "place-red-in-green", "val", [1, 3])
    return data
