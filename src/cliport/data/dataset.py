"""Training datasets (spec data_train_eval.md §3, §5): single-task and multi-task, torch ``Dataset``s.

Every ``__getitem__`` draws a random episode and step, like the original, but from a numpy Generator
seeded by (seed, epoch, index): the sample at a given index is the same in every run, whatever the
number of DataLoader workers, and ``set_epoch`` changes it. Items are dicts the default collate
batches (see docs/data-format.md): image (320, 160, 6) float32, p0 / p1 (2,) int64 (row, col),
p0_theta / p1_theta float32, instruction, task, perturb (5,) float32, goal_image (with_goal only).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch.utils.data

from cliport.data.augment import perturb, warp_image
from cliport.data.episode import Episode, EpisodeFileError, load_episode
from cliport.data.index import check_episode_origin
from cliport.data.store import DatasetError, dataset_folder, more_demos_hint, read_meta
from cliport.env.heightmap import network_input
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, quat_to_eulerXYZ, xyz_to_pix
from cliport.types import Sample

DEFAULT_THETA_SIGMA = 60.0
ThetaSigma = float | Mapping[str, float]


def theta_sigma_for(task: str, theta_sigma: ThetaSigma) -> float:
    """Per-task rotation sigma (degrees): a number for all tasks, or {task: sigma, "default": sigma}."""
    if isinstance(theta_sigma, Mapping):
        return float(theta_sigma.get(task, theta_sigma.get("default", DEFAULT_THETA_SIGMA)))
    return float(theta_sigma)


class EpisodeFolder:
    """One ``{task}-{mode}`` folder: its index and (optionally cached) episodes."""

    def __init__(self, folder: str | Path, cache: bool = True) -> None:
        self.folder = Path(folder)
        self.meta = read_meta(self.folder)
        self.cache = cache
        self._cache: dict[int, Episode] = {}
        self.task = self.meta.task or self.folder.name.rsplit("-", 1)[0]
        self.sequential = "-seq" in self.folder.name
        self.bad: set[int] = set()  # unreadable episodes skipped so far (skip_bad only)

    def __len__(self) -> int:
        return len(self.meta.episodes)

    def load(self, index: int) -> Episode:
        if index in self._cache:
            return self._cache[index]
        entry = self.meta.episodes[index]
        path = self.folder / entry.file
        episode = load_episode(path)
        check_episode_origin(path, episode.task, episode.mode, self.task, self.meta.mode or episode.mode)
        if self.cache:
            self._cache[index] = episode
        return episode


def _labels(episode: Episode, i: int) -> tuple[tuple[int, int], float, tuple[int, int], float]:
    """Pick/place pixels and angles of action i (spec §3): p1_theta = theta1 - theta0, p0_theta = 0."""
    pick, place = episode.pick[i], episode.place[i]
    p0 = xyz_to_pix(pick[:3], INPUT_BOUNDS, PIXEL_SIZE)
    p1 = xyz_to_pix(place[:3], INPUT_BOUNDS, PIXEL_SIZE)
    theta0 = -quat_to_eulerXYZ(pick[3:])[2]
    theta1 = -quat_to_eulerXYZ(place[3:])[2]
    return p0, 0.0, p1, theta1 - theta0


def make_sample(
    episode: Episode, i: int, *, task: str, augment: bool, theta_sigma: float, rng: np.random.Generator,
    goal_index: int | None = None,
) -> dict[str, Any]:
    """Entry i of an episode -> one training item (augmented if asked)."""
    image = network_input(episode.color[i], episode.height[i])  # (320, 160, 6)
    p0, p0_theta, p1, p1_theta = _labels(episode, i)
    params = np.zeros(5, np.float32)
    goal = None
    if goal_index is not None:
        goal = network_input(episode.color[goal_index], episode.height[goal_index])
    if augment:
        image, (p0, p1), pert = perturb(image, [p0, p1], theta_sigma, rng)
        params = pert.as_array()
        if goal is not None:
            goal = warp_image(goal, pert)
    item = {
        "image": np.ascontiguousarray(image, dtype=np.float32),
        "p0": np.asarray(p0, np.int64),
        "p0_theta": np.float32(p0_theta),
        "p1": np.asarray(p1, np.int64),
        "p1_theta": np.float32(p1_theta),
        "instruction": episode.instruction[i],
        "task": task,
        "perturb": params,
    }
    if goal is not None:
        item["goal_image"] = np.ascontiguousarray(goal, dtype=np.float32)
    return item


def to_sample(item: dict[str, Any]) -> Sample:
    """A dataset item -> the typed record."""
    return Sample(item["image"], tuple(int(v) for v in item["p0"]), float(item["p0_theta"]),
                  tuple(int(v) for v in item["p1"]), float(item["p1_theta"]), item["instruction"],
                  item.get("goal_image"), item["task"])


def _subset(n_available: int, n_demos: int, rng: np.random.Generator, source: EpisodeFolder,
            strict: bool) -> np.ndarray:
    if n_available == 0:
        raise DatasetError(f"{source.folder} holds no episodes; "
                           f"{more_demos_hint(source.folder, source.task, source.meta.mode, 1)}")
    if n_demos <= 0:
        return np.arange(n_available)
    if n_demos > n_available:
        if strict:
            raise DatasetError(
                f"{source.folder} holds {n_available} episodes but n_demos={n_demos} were asked for; "
                f"{more_demos_hint(source.folder, source.task, source.meta.mode, n_demos)}, or ask for fewer"
            )
        n_demos = n_available
    return np.sort(rng.choice(n_available, size=n_demos, replace=False))


class _SamplingDataset(torch.utils.data.Dataset):
    def __init__(
        self, *, augment: bool, theta_sigma: ThetaSigma, seed: int, with_goal: bool, skip_bad: bool = False
    ) -> None:
        self.augment = augment
        self.skip_bad = skip_bad
        self.theta_sigma = theta_sigma
        self.seed = int(seed)
        self.epoch = 0
        self.with_goal = with_goal

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch, int(index)])

    def _load(
        self, source: EpisodeFolder, candidates: np.ndarray, rng: np.random.Generator
    ) -> tuple[int, Episode]:
        """A random episode among ``candidates``; unreadable ones raise, or are skipped with a warning."""
        ep_index = int(rng.choice(candidates))
        while True:
            try:
                return ep_index, source.load(ep_index)
            except EpisodeFileError as err:
                if not self.skip_bad:
                    raise
                if ep_index not in source.bad:
                    warnings.warn(f"skipping unreadable episode: {err}", stacklevel=3)
                    source.bad.add(ep_index)
                remaining = [int(c) for c in candidates if int(c) not in source.bad]
                if not remaining:
                    raise DatasetError(f"{source.folder}: no readable episode left") from err
                ep_index = int(rng.choice(remaining))

    def _item(
        self, source: EpisodeFolder, candidates: np.ndarray, rng: np.random.Generator
    ) -> dict[str, Any]:
        ep_index, episode = self._load(source, candidates, rng)
        if len(episode) < 2:
            raise DatasetError(f"episode {ep_index} of {source.folder} has no action")
        i = int(rng.integers(0, len(episode) - 1))  # never the final, action-less entry
        goal = (i + 1 if source.sequential else len(episode) - 1) if self.with_goal else None
        sigma = theta_sigma_for(source.task, self.theta_sigma)
        return make_sample(episode, i, task=source.task, augment=self.augment, theta_sigma=sigma, rng=rng,
                           goal_index=goal)


class DemoDataset(_SamplingDataset):
    """One task's demonstrations: ``len`` = number of selected episodes; each item a random step."""

    def __init__(
        self, folder: str | Path, *, n_demos: int = 0, augment: bool = False,
        theta_sigma: ThetaSigma = DEFAULT_THETA_SIGMA, seed: int = 0, cache: bool = True,
        with_goal: bool = False, skip_bad: bool = False,
    ) -> None:
        super().__init__(augment=augment, theta_sigma=theta_sigma, seed=seed, with_goal=with_goal,
                         skip_bad=skip_bad)
        self.source = EpisodeFolder(folder, cache=cache)
        rng = np.random.default_rng([self.seed, 0xD340])
        self.selected = _subset(len(self.source), n_demos, rng, self.source, strict=True)

    def __len__(self) -> int:
        return len(self.selected)

    def __getitem__(self, index: int) -> dict[str, Any]:
        rng = self._rng(index)
        return self._item(self.source, self.selected, rng)


class MultiTaskDataset(_SamplingDataset):
    """A group of spec §5: member drawn once per item (attribute task 50 % in training), then a step.

    Unlike the original, the member is drawn once and the episode is taken from that member (the
    original re-drew the member inside its load routine; docs/fidelity.md).
    """

    def __init__(
        self, data_dir: str | Path, group: str, mode: str, *, n_demos: int = 0, augment: bool = False,
        theta_sigma: ThetaSigma = DEFAULT_THETA_SIGMA, seed: int = 0, cache: bool = False,
        with_goal: bool = False, skip_bad: bool = False,
    ) -> None:
        from cliport.tasks.groups import group as get_group

        super().__init__(augment=augment, theta_sigma=theta_sigma, seed=seed, with_goal=with_goal,
                         skip_bad=skip_bad)
        self.group = get_group(group)
        self.members = list(self.group.members(mode))
        self.sources = [EpisodeFolder(dataset_folder(data_dir, m, mode), cache=cache) for m in self.members]
        rng = np.random.default_rng([self.seed, 0xD340])
        self.selected = [_subset(len(s), n_demos, rng, s, strict=False) for s in self.sources]
        k = len(self.members)
        attr = self.group.attribute_task
        if mode == "train" and attr is not None and attr in self.members and k > 1:
            self.weights = np.array([0.5 if m == attr else 0.5 / (k - 1) for m in self.members])
        else:
            self.weights = np.full(k, 1.0 / k)

    def __len__(self) -> int:
        return sum(len(s) for s in self.selected) // len(self.members)

    def __getitem__(self, index: int) -> dict[str, Any]:
        rng = self._rng(index)
        m = int(rng.choice(len(self.members), p=self.weights))
        return self._item(self.sources[m], self.selected[m], rng)


def make_dataset(data_dir: str | Path, task: str, mode: str, **kwargs: Any) -> _SamplingDataset:
    """A group name gives a :class:`MultiTaskDataset`, a task name a :class:`DemoDataset`."""
    from cliport.tasks.groups import is_group

    if is_group(task):
        return MultiTaskDataset(data_dir, task, mode, **kwargs)
    return DemoDataset(dataset_folder(data_dir, task, mode), **kwargs)
