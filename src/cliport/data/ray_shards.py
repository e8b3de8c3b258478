"""Run demo generation as N shards on a Ray cluster (optional extra ``cliport[ray]``), then index.

Every shard is an ordinary ``generate`` call with ``shard=i/N`` writing into the same dataset folder
(it must be on storage all nodes share); the shards read each other's attempt logs to stop early,
and the final merge writes ``dataset.json``. The result is identical to an unsharded run. Example::

    import ray
    from cliport.data.config import parse_overrides
    from cliport.data.ray_shards import generate_with_ray

    ray.init()                                   # or ray.init(address="auto") on a cluster
    cfg = parse_overrides(["n=1000", "task=put-block-in-bowl-seen-colors", "data_dir=/shared/data"])
    generate_with_ray(cfg, n_shards=32)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cliport.data.config import DemosConfig
from cliport.data.generate import GenerateReport, generate
from cliport.errors import CliportError


def _run_shard(cfg: DemosConfig) -> tuple[int, int]:
    report = generate(cfg)
    return report.attempts, report.successes


def generate_with_ray(
    cfg: DemosConfig,
    n_shards: int,
    *,
    num_cpus_per_shard: float = 1.0,
    runtime_env: dict[str, Any] | None = None,
) -> GenerateReport:
    """Launch ``n_shards`` Ray tasks (one environment each), wait for all, merge. Needs ``ray.init()``."""
    try:
        import ray
    except ImportError as err:
        raise CliportError("Ray is not installed: pip install 'cliport[ray]'") from err
    if not ray.is_initialized():
        ray.init()
    remote = ray.remote(num_cpus=num_cpus_per_shard)(_run_shard)
    if runtime_env:
        remote = remote.options(runtime_env=runtime_env)
    shards = [dataclasses.replace(cfg, shard=f"{i}/{n_shards}", workers=1, progress=False)
              for i in range(n_shards)]
    totals = ray.get([remote.remote(s) for s in shards])
    report = generate(dataclasses.replace(cfg, shard="", merge=True))
    report.attempts = sum(a for a, _ in totals)
    report.successes = sum(s for _, s in totals)
    return report
