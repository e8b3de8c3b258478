"""generate oracle demonstrations (original-style overrides: n=10 task=... mode=train workers=2)

Examples::

    cliport demos n=1000 task=put-block-in-bowl-seen-colors mode=train data_dir=data workers=2
    cliport demos n=100 task=stack-block-pyramid-seq-seen-colors mode=val shard=0/4   # one of 4 shards
    cliport demos n=100 task=stack-block-pyramid-seq-seen-colors mode=val merge=true  # index the shards

A rerun with the same arguments resumes. Keys: see ``cliport.data.config.DemosConfig``.
"""

from __future__ import annotations

import sys
import time

from cliport.data.config import DemosConfig, parse_overrides


def _progress_bar(cfg: DemosConfig):
    from tqdm import tqdm

    bar = tqdm(total=cfg.n, desc=f"{cfg.task}-{cfg.mode}" + (f" shard {cfg.shard}" if cfg.shard else ""),
               unit="ep", disable=not cfg.progress, file=sys.stderr)
    start = time.perf_counter()

    def update(attempts: int, successes: int, selected: int) -> None:
        bar.n = selected
        elapsed = max(time.perf_counter() - start, 1e-9)
        bar.set_postfix(eps_s=f"{successes / elapsed:.2f}", success=f"{successes / max(attempts, 1):.0%}",
                        refresh=False)
        bar.refresh()

    return bar, update


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    cfg = parse_overrides(argv, DemosConfig)
    from cliport.data.generate import generate

    bar, update = _progress_bar(cfg)
    try:
        report = generate(cfg, progress=update)
    finally:
        bar.close()
    state = "complete" if report.complete else "this shard is done; run merge=true once every shard has run"
    print(f"{report.folder}: {len(report.selected) if report.complete else '-'} episodes indexed ({state}); "
          f"this run: {report.attempts} attempts, {report.successes} successes in {report.seconds:.1f} s")
    return 0
