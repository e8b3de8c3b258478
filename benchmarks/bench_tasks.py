"""Benchmark the task suite: oracle success rate and wall seconds per successful episode, per task.

    .venv/bin/python benchmarks/bench_tasks.py                              # the 14 reference tasks, 10 seeds
    .venv/bin/python benchmarks/bench_tasks.py --tasks towers-of-hanoi --seeds 3
    .venv/bin/python benchmarks/bench_tasks.py --all --workers 16          # every registered task

One episode = env.reset(seed) + oracle rollout until done or max_steps (what demo generation does),
CPU renderer, one thread per process. Success = total reward >= 0.99. Each task runs in its own
process (``--workers`` at a time), so a task's time is its own. Prints a table with the original's
per-episode wall time (measured in one process on a machine like ours) and the speed-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

#: Original CLIPort, seconds per episode (one process). Keys are the registered names we time.
REFERENCE_S: dict[str, float] = {
    "put-block-in-bowl-seen-colors": 6.4,
    "block-insertion": 2.9,
    "align-box-corner": 2.8,
    "place-red-in-green": 6.5,
    "stack-block-pyramid-seq-seen-colors": 13.4,
    "towers-of-hanoi-seq-seen-colors": 12.6,
    "palletizing-boxes": 49.4,
    "packing-shapes": 4.3,
    "assembling-kits-seq-seen-colors": 10.3,
    "packing-boxes-pairs-seen-colors": 16.5,
    "align-rope": 14.4,
    "manipulating-rope": 13.8,
    "separating-piles-seen-colors": 20.2,
    "sweeping-piles": 29.2,
}


def run_task(name: str, seeds: list[int], mode: str, renderer: str) -> dict:
    """Run the oracle on ``name`` for each seed in a fresh environment; return per-seed outcomes."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch  # noqa: F401  (only to pin threads if present)

    torch.set_num_threads(1)
    from cliport.env.environment import Environment
    from cliport.tasks.oracle import make_oracle
    from cliport.tasks.registry import make_task

    env = Environment(renderer=renderer)
    out = []
    try:
        for seed in seeds:
            task = make_task(name, mode)
            env.set_task(task)
            start = time.perf_counter()
            obs, info = env.reset(seed=seed)
            oracle = make_oracle(task)
            total, steps = 0.0, 0
            for _ in range(task.max_steps):
                action = oracle.act(env, obs, info)
                if action is None:
                    break
                obs, reward, terminated, truncated, info = env.step(action)
                total += reward
                steps += 1
                if terminated or truncated:
                    break
            seconds = time.perf_counter() - start
            out.append({"seed": seed, "reward": total, "steps": steps, "seconds": seconds})
    finally:
        env.close()
    return {"task": name, "episodes": out}


def _table(results: list[dict]) -> str:
    head = f"{'task':40s} {'success':>8s} {'s/success':>10s} {'original s':>11s} {'speed-up':>9s}"
    lines = [head, "-" * len(head)]
    for res in results:
        eps = res["episodes"]
        ok = [e for e in eps if e["reward"] >= 0.99]
        rate = len(ok) / len(eps) if eps else 0.0
        per = sum(e["seconds"] for e in ok) / len(ok) if ok else float("nan")
        ref = REFERENCE_S.get(res["task"])
        ref_s = f"{ref:11.1f}" if ref else f"{'-':>11s}"
        speed = f"{ref / per:8.1f}x" if ref and ok else f"{'-':>9s}"
        lines.append(f"{res['task']:40s} {rate:8.0%} {per:10.2f} {ref_s} {speed}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", default="", help="comma-separated names (default: the reference tasks)")
    p.add_argument("--all", action="store_true", help="every registered task")
    p.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1")
    p.add_argument("--mode", default="train")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--renderer", default="tiny")
    args = p.parse_args(argv)
    if args.all:
        from cliport.tasks.registry import task_names

        names = task_names()
    else:
        names = [n for n in args.tasks.split(",") if n] or list(REFERENCE_S)
    seeds = list(range(args.seeds))
    results = []
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_task, n, seeds, args.mode, args.renderer) for n in names]
        for fut in futures:
            res = fut.result()
            results.append(res)
            print(_table([res]).splitlines()[-1], file=sys.stderr, flush=True)
    print(_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
