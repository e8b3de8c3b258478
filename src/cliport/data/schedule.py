"""The demonstration seed schedule and the rule that makes results independent of parallelism.

Seeds follow the original (spec data_train_eval.md §1): train 0, 2, 4, ...; val 1, 3, 5, ... (never
reaching 10000, where test begins); test 10001, 10003, .... The dataset of ``n`` demos is *defined*
as the first ``n`` successful seeds of that schedule. Any number of workers or independent shards
computes exactly that set with one rule: a seed is worth attempting only while fewer than ``n``
known successes have smaller seeds (otherwise the n-th success is already known to come before it).
A shard ``i/N`` owns the attempts k with k mod N == i; shards sharing a folder read each other's logs
and stop early, and a shard alone still stops after its own n-th success, so its part is always
complete.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from cliport.errors import ConfigError

FIRST_SEED = {"train": 0, "val": 1, "test": 10001}
#: Validation seeds must stay below the first test seed (the original aborts at 10000).
VAL_LIMIT = 10000
STEP = 2


class ScheduleError(ConfigError):
    """The seed schedule cannot continue (e.g. validation seeds would overlap test seeds)."""


@dataclass(frozen=True)
class Shard:
    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str | None) -> Shard:
        """"i/N" -> Shard(i, N); None or "" -> the whole schedule."""
        if not text:
            return cls()
        try:
            i, n = (int(p) for p in str(text).split("/"))
        except ValueError as err:
            raise ConfigError(f"shard must look like i/N (e.g. 0/4), got {text!r}") from err
        if n < 1 or not 0 <= i < n:
            raise ConfigError(f"shard {text!r}: need 0 <= i < N")
        return cls(i, n)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def seed_of_attempt(mode: str, k: int) -> int:
    if mode not in FIRST_SEED:
        raise ConfigError(f"mode must be one of {sorted(FIRST_SEED)}, got {mode!r}")
    seed = FIRST_SEED[mode] + STEP * k
    if mode == "val" and seed >= VAL_LIMIT:
        raise ScheduleError(
            f"validation seed {seed} would reach the test seeds (>= {VAL_LIMIT}); ask for fewer demos"
        )
    return seed


def schedule(mode: str, shard: Shard = Shard()) -> Iterator[int]:
    """This shard's seeds in increasing order (infinite; raises ScheduleError past the val limit)."""
    k = shard.index
    while True:
        yield seed_of_attempt(mode, k)
        k += shard.count


class Outcomes:
    """Known attempt outcomes (seed -> success) with the queries the scheduler needs."""

    def __init__(self, known: Mapping[int, bool] | None = None) -> None:
        self.known: dict[int, bool] = {}
        self._successes: list[int] = []  # sorted
        for seed, ok in (known or {}).items():
            self.add(seed, ok)

    def add(self, seed: int, ok: bool) -> None:
        if seed in self.known:
            return
        self.known[seed] = ok
        if ok:
            bisect.insort(self._successes, seed)

    def successes_below(self, seed: int) -> int:
        return bisect.bisect_left(self._successes, seed)

    def needed(self, seed: int, n: int) -> bool:
        """Whether ``seed`` may be among the first n successes (and is not yet known)."""
        return seed not in self.known and self.successes_below(seed) < n

    def selection(self, mode: str, n: int) -> list[int] | None:
        """The first n successes if every earlier seed is known, else None."""
        chosen: list[int] = []
        if n <= 0:
            return chosen
        for seed in schedule(mode):
            if seed not in self.known:
                return None
            if self.known[seed]:
                chosen.append(seed)
                if len(chosen) == n:
                    return chosen

    def first_unknown(self, mode: str, n: int) -> int | None:
        """The smallest seed still needed (the reason a selection is incomplete), or None."""
        for seed in schedule(mode):
            if self.successes_below(seed) >= n:
                return None
            if seed not in self.known:
                return seed

    @property
    def n_attempts(self) -> int:
        return len(self.known)

    @property
    def n_successes(self) -> int:
        return len(self._successes)
