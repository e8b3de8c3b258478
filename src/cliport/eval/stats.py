"""Summary statistics of evaluation rewards: mean, standard deviation and a 95% confidence interval.

The original reports one run's mean. With ``n_repeats >= 2`` the interval is a Student-t interval over the
repeats' means (each repeat re-runs every episode with another seed); with a single repeat it is over the
episodes: a Wilson score interval when every reward is 0 or 1 (success counts; it stays inside [0, 1] and
keeps its coverage at 0 % or 100 % success, where a t-interval collapses to a point), else a Student-t
interval. Rewards lie in [0, 1], so t-intervals are clipped to it.
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
    method: str = "t"  # "t" (Student-t, clipped to [0, 1]) or "wilson" (score interval of a success rate)

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


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a success probability from ``successes`` out of ``n`` trials."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _clip01(lo: float, hi: float) -> tuple[float, float]:
    return max(0.0, lo), min(1.0, hi)


def summarise(episode_rewards: Sequence[float], n_repeats: int = 1, level: float = 0.95) -> Summary:
    """Summarise rewards laid out repeat after repeat (the original's result-list order)."""
    rewards = [float(r) for r in episode_rewards]
    if n_repeats >= 2 and len(rewards) % n_repeats == 0:
        per = len(rewards) // n_repeats
        means = [math.fsum(rewards[i * per : (i + 1) * per]) / per for i in range(n_repeats)]
        _, std, lo, hi = t_interval(means, level)
        mean = math.fsum(rewards) / len(rewards)
        return Summary(mean, std, *_clip01(lo, hi), n_repeats, "repeats")
    mean, std, lo, hi = t_interval(rewards, level)
    if rewards and all(r in (0.0, 1.0) for r in rewards):
        lo, hi = wilson_interval(int(sum(rewards)), len(rewards), level)
        return Summary(mean, std, lo, hi, len(rewards), "episodes", "wilson")
    return Summary(mean, std, *_clip01(lo, hi), len(rewards), "episodes")
