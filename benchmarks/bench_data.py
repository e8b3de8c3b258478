"""Benchmark demonstrations and datasets: episodes/minute, bytes per step, dataset samples/s.

    .venv/bin/python benchmarks/bench_data.py                   # 3 tasks, n=4, workers 1 and 2
    .venv/bin/python benchmarks/bench_data.py --n 2 --tasks put-block-in-bowl-seen-colors

Prints one table per measurement. The original stores 6.45 MB per step (3 x 480 x 640 RGB uint8 +
float32 depth, pickled), the reference for the bytes column.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from cliport.data.config import DemosConfig
from cliport.data.dataset import DemoDataset
from cliport.data.generate import generate
from cliport.data.store import read_meta

ORIGINAL_STEP_BYTES = 3 * 480 * 640 * 3 + 3 * 480 * 640 * 4  # 6.45 MB: colour uint8 + depth float32
DEFAULT_TASKS = ["put-block-in-bowl-seen-colors", "stack-block-pyramid-seq-seen-colors", "align-box-corner"]


def bench_generation(tasks: list[str], n: int, workers: list[int], root: Path) -> list[dict]:
    rows = []
    for task in tasks:
        for w in workers:
            cfg = DemosConfig(data_dir=str(root / f"w{w}"), task=task, mode="train", n=n, workers=w,
                              progress=False)
            t0 = time.perf_counter()
            report = generate(cfg)
            dt = time.perf_counter() - t0
            meta = read_meta(report.folder)
            sizes = [(report.folder / e.file).stat().st_size for e in meta.episodes]
            steps = [e.n_actions + 1 for e in meta.episodes]
            rows.append(dict(task=task, workers=w, episodes=len(sizes), attempts=report.attempts, seconds=dt,
                             per_min=60 * len(sizes) / dt, ep_bytes=float(np.mean(sizes)),
                             step_bytes=float(np.sum(sizes) / np.sum(steps))))
    return rows


def bench_dataset(folder: Path, batch: int = 8, batches: int = 20) -> dict:
    torch.set_num_threads(1)
    out = {}
    for augment in (False, True):
        ds = DemoDataset(folder, augment=augment, cache=True)
        loader = torch.utils.data.DataLoader(ds, batch_size=batch, sampler=torch.utils.data.RandomSampler(
            ds, replacement=True, num_samples=batch * batches, generator=torch.Generator().manual_seed(0)))
        next(iter(loader))  # fill the cache
        t0 = time.perf_counter()
        count = sum(len(b["p0"]) for b in loader)
        out["augmented" if augment else "plain"] = count / (time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=DEFAULT_TASKS)
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        rows = bench_generation(args.tasks, args.n, args.workers, Path(tmp))
        print("\n## Demo generation (real simulator, oracle)")
        print(f"| task | workers | episodes | attempts | s | episodes/min | bytes/episode | bytes/step | "
              f"vs original {ORIGINAL_STEP_BYTES / 1e6:.2f} MB/step |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['task']} | {r['workers']} | {r['episodes']} | {r['attempts']} | "
                  f"{r['seconds']:.1f} | "
                  f"{r['per_min']:.2f} | {r['ep_bytes'] / 1e3:.1f} kB | {r['step_bytes'] / 1e3:.1f} kB | "
                  f"{ORIGINAL_STEP_BYTES / r['step_bytes']:.0f}x smaller |")
        folder = Path(tmp) / f"w{args.workers[0]}" / f"{args.tasks[0]}-train"
        rates = bench_dataset(folder)
        print(f"\n## Dataset samples/s ({args.tasks[0]}, cached, batch 8, 1 thread, num_workers=0)")
        print("| augmentation | samples/s |\n|---|---|")
        for k, v in rates.items():
            print(f"| {k} | {v:.0f} |")


if __name__ == "__main__":
    main()
