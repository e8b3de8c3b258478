"""Summary statistics of evaluation rewards: mean, standard deviation and a 95% confidence interval.

The original reports one run's mean. With ``n_repeats >= 2`` the interval is a Student-t interval over the
repeats' means (each repeat re-runs every episode with another seed); with a single repeat it is a
Student-t interval over the episodes' rewards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from scipy import stats


@dataclass(frozen=True)
class Summary:
    mean: float
    std: float
    ci_low: float
    ci_high: float
    n: int  # number of values the interval is computed over
    over: str  # "repeats" or "episodes"

    def as_dict(self) -> dict:
        return asdict(self)


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, sample std, low, high) of a Student-t interval; a single value gives a zero-width one."""
    n = len(values)
    if n == 0:
        raise ValueError("no values to summarise")
    mean = math.fsum(values) / n
    if n == 1:
        return mean, 0.0, mean, mean
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = stats.t.ppf(0.5 + level / 2, df=n - 1) * std / math.sqrt(n)
    return mean, std, mean - half, mean + half


def summarise(episode_rewards: Sequence[float], n_repeats: int = 1, level: float = 0.95) -> Summary:
    """Summarise rewards laid out repeat after repeat (the original's result-list order)."""
    rewards = [float(r) for r in episode_rewards]
    if n_repeats >= 2 and len(rewards) % n_repeats == 0:
        per = len(rewards) // n_repeats
        means = [math.fsum(rewards[i * per : (i + 1) * per]) / per for i in range(n_repeats)]
        _, std, lo, hi = t_interval(means, level)
        mean = math.fsum(rewards) / len(rewards)
        return Summary(mean, std, lo, hi, n_repeats, "repeats")
    mean, std, lo, hi = t_interval(rewards, level)
    return Summary(mean, std, lo, hi, len(rewards), "episodes")
