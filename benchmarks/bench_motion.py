"""Time the pick-and-place step without rendering: pre-change IK/motion against the new default, side by side.

Each configuration runs the oracle's demo episodes on the same seeds in this one process (interleaved
seed by seed, so machine load hits all alike) and reports process CPU milliseconds per ``env.step``
(primitive + settle + reward), physics steps per step, and the analytic IK's fallbacks to PyBullet.
Observations are not rendered (``observe`` is replaced by an empty one; the oracle reads the scene),
so the figures are the physics-only step that docs/performance.md "Motions and IK" reports.

Run: ``python benchmarks/bench_motion.py [--tasks a,b] [--seeds N] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import numpy as np

from cliport.env.environment import PRE_CHANGE_OPTIONS, Environment
from cliport.tasks.oracle import make_oracle
from cliport.tasks.registry import make_task

#: name -> Environment keywords; "old" is the pre-change path, "new" the default.
CONFIGS: dict[str, dict] = {
    "old (pybullet IK, legacy motion)": {**PRE_CHANGE_OPTIONS},
    "pybullet IK, fast motion": {**PRE_CHANGE_OPTIONS, "ik": "pybullet", "motion": "fast"},
    "analytic IK, legacy motion": {**PRE_CHANGE_OPTIONS, "ik": "analytic", "motion": "legacy"},
    "new default": {},
}


def run_episode(env: Environment, task_name: str, seed: int, profile: cProfile.Profile | None):
    """CPU seconds and physics steps of every env.step in one oracle episode."""
    task = make_task(task_name, "train")
    env.set_task(task)
    obs, info = env.reset(seed=seed)
    oracle = make_oracle(task)
    cpu, steps = [], []
    for _ in range(task.max_steps):
        action = oracle.act(env, obs, info)
        if action is None:
            break
        start, c0 = env.step_counter, time.process_time()
        if profile is not None:
            profile.enable()
        obs, _, terminated, truncated, info = env.step(action)
        if profile is not None:
            profile.disable()
        cpu.append(time.process_time() - c0)
        steps.append(env.step_counter - start)
        if terminated or truncated:
            break
    return cpu, steps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", default="put-block-in-bowl-seen-colors,block-insertion")
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    p.add_argument("--profile", action="store_true",
                   help="afterwards, profile seed 0 of old and new and print their top functions")
    args = p.parse_args(argv)
    envs = {}
    for name, options in CONFIGS.items():
        env = Environment(**options)
        env.observe = lambda: {"color": (), "depth": ()}  # physics only: no camera render
        envs[name] = env
    profiles = {name: cProfile.Profile() for name in ("old (pybullet IK, legacy motion)", "new default")}
    head = (f"{'task':32s} {'path':34s} {'steps':>6s} {'CPU ms/step':>12s} {'physics/step':>13s} "
            f"{'fallbacks':>9s}")
    print(head)
    print("-" * len(head))
    for task_name in [t for t in args.tasks.split(",") if t]:
        cpu = {n: [] for n in CONFIGS}
        steps = {n: [] for n in CONFIGS}
        fallbacks = dict.fromkeys(CONFIGS, 0)
        for seed in range(args.seeds):
            for name, env in envs.items():
                c, s = run_episode(env, task_name, seed, None)
                cpu[name] += c
                steps[name] += s
                fallbacks[name] += env.robot.ik_fallbacks
        if args.profile:  # separate runs: the profiler's overhead must not enter the timings
            for name, prof in profiles.items():
                run_episode(envs[name], task_name, 0, prof)
        base = float(np.mean(cpu["old (pybullet IK, legacy motion)"]))
        for name in CONFIGS:
            mean = float(np.mean(cpu[name]))
            print(f"{task_name:32s} {name:34s} {len(cpu[name]):6d} {mean * 1e3:9.0f} ({base / mean:3.1f}x)"
                  f" {np.mean(steps[name]):13.0f} {fallbacks[name]:9d}")
    for env in envs.values():
        env.close()
    if args.profile:
        for name, prof in profiles.items():
            print(f"\n== {name}: top functions by own time ==")
            pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
