"""Batches for the training loop that depend only on (seed, step, rank), with a standard DataLoader.

Sample ``g`` of the run (g = (step · world + rank) · B + j) is item ``g mod len`` of the dataset at epoch
``g div len``; the dataset draws episode, step and augmentation from a generator seeded by (seed, epoch,
index). So the data order survives a restart at any step and does not depend on the number of loader
workers or on how often the job was interrupted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler


class EpochIndexed(Dataset):
    """Wrap a dataset with ``set_epoch`` so that global index g -> item (g mod n) at epoch (g div n)."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self.n = len(dataset)

    def __len__(self) -> int:  # unbounded in principle; the sampler decides
        return 1 << 62

    def __getitem__(self, g: int) -> dict:
        epoch, index = divmod(int(g), self.n)
        self.dataset.set_epoch(epoch)
        return self.dataset[index]


class StepSampler(Sampler[int]):
    """Global sample indices for steps ``start .. n_steps - 1`` of one rank."""

    def __init__(self, start: int, n_steps: int, batch_size: int, rank: int = 0, world: int = 1) -> None:
        self.start, self.n_steps, self.batch_size = start, n_steps, batch_size
        self.rank, self.world = rank, world

    def __len__(self) -> int:
        return max(0, self.n_steps - self.start) * self.batch_size

    def __iter__(self) -> Iterator[int]:
        for step in range(self.start, self.n_steps):
            first = (step * self.world + self.rank) * self.batch_size
            yield from range(first, first + self.batch_size)


class BatchStream:
    """``batch_for_step(step, rank)`` over a DataLoader, restarted when asked for a step out of order."""

    def __init__(self, dataset: Any, batch_size: int, n_steps: int, num_workers: int = 0,
                 world: int = 1, pin_memory: bool = False) -> None:
        self.data = EpochIndexed(dataset)
        self.batch_size, self.n_steps = batch_size, n_steps
        self.num_workers, self.world = num_workers, world
        #: Page-locked batches (CUDA training): the host-to-device copy runs asynchronously.
        self.pin_memory = pin_memory
        self._iter: Iterator | None = None
        self._next_step = -1

    def _loader(self, start: int, rank: int) -> Iterator:
        sampler = StepSampler(start, self.n_steps, self.batch_size, rank, self.world)
        return iter(DataLoader(self.data, batch_size=self.batch_size, sampler=sampler,
                               num_workers=self.num_workers, persistent_workers=False,
                               pin_memory=self.pin_memory,
                               multiprocessing_context="spawn" if self.num_workers else None))

    def __call__(self, step: int, rank: int = 0) -> dict:
        if self._iter is None or step != self._next_step:
            self._iter = self._loader(step, rank)
        self._next_step = step + 1
        return next(self._iter)


def validation_batches(dataset: Any, n_val: int, batch_size: int) -> list[dict]:
    """The first ``n_val`` items at epoch 0 (no augmentation in a validation dataset), batched."""
    dataset.set_epoch(0)
    items = [dataset[i % len(dataset)] for i in range(n_val)]
    collate = torch.utils.data.default_collate
    return [collate(items[i : i + batch_size]) for i in range(0, len(items), batch_size)]
