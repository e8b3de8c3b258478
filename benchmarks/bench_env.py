"""Time the simulator, pre-change path vs new default side by side: reset, a pick-and-place step, renders.

``old`` is ``Environment(**PRE_CHANGE_OPTIONS)`` (the simulator as before issue 10), ``new`` the default
``Environment()``; both on the same seeds in one run. Wall time and CPU time (this process plus its
waited-for children, i.e. the forked camera renders) are both shown: on a shared machine the CPU time
is the steadier figure, and it is what a core pays.
``--compare-renderers`` instead measures how much the fused 320x160 inputs differ between the tiny and
egl renderers on a few scenes (docs/rendering.md).

Run: ``python benchmarks/bench_env.py [--repeats N] [--task put-block-in-bowl-seen-colors] [--renderer egl]``
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable

import numpy as np

from cliport.env import cameras as cams
from cliport.env.blocks_scene import BlocksScene
from cliport.env.environment import PRE_CHANGE_OPTIONS, Environment
from cliport.geometry import yaw_quat


def cpu_seconds() -> float:
    """CPU seconds of this process and of its waited-for children (the forked camera renders)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn`` over ``repeats`` runs (CPU includes forked children)."""
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), cpu_seconds()
        fn()
        wall.append((time.perf_counter() - w0) * 1e3)
        cpu.append((cpu_seconds() - c0) * 1e3)
    return float(np.median(wall)), float(np.median(cpu))


def make_task(name: str | None):
    if name is None:
        return BlocksScene(n_blocks=3)
    from cliport.tasks.registry import make_task as make  # benchmarks may use tasks; env/ may not

    return make(name)


def pick_place_action(env: Environment, index: int) -> dict:
    """Move one of the scene's rigid objects 10 cm along y (an oracle-free pick-and-place)."""
    rigid = env.obj_ids["rigid"]
    body = rigid[index % len(rigid)]
    pos, quat = env.client.getBasePositionAndOrientation(body)
    target = (pos[0], pos[1] + (0.1 if pos[1] < 0 else -0.1), 0.02)
    return {"pose0": (pos, quat), "pose1": (target, yaw_quat(0.0))}


def time_steps(env: Environment, seeds, repeats: int) -> tuple[float, float, int]:
    """Median wall/CPU ms of one pick-and-place step (after an untimed reset) and its physics steps."""
    wall, cpu, counts = [], [], []
    for _ in range(repeats):
        env.reset(seed=next(seeds))
        action = pick_place_action(env, 0)
        start = env.step_counter
        w0, c0 = time.perf_counter(), cpu_seconds()
        env.step(action)
        wall.append((time.perf_counter() - w0) * 1e3)
        cpu.append((cpu_seconds() - c0) * 1e3)
        counts.append(env.step_counter - start)
    return float(np.median(wall)), float(np.median(cpu)), int(np.median(counts))


#: The original's figures (put-block-in-bowl, wall, quiet machine; docs/performance.md), milliseconds.
ORIGINAL_MS = {"reset": 3500.0, "step": 1100.0, "render3": 665.0, "oracle": 350.0}
PATH_OPTIONS = {"old": PRE_CHANGE_OPTIONS, "new": {}}


def bench_path(task_name: str | None, repeats: int, renderer: str, options: dict) -> dict[str, tuple]:
    """{row key: (label, wall ms, cpu ms, note)} for one environment configuration."""
    rows: dict[str, tuple] = {}
    env = Environment(make_task(task_name), renderer=renderer, **options)
    seeds = iter(range(1000))
    env.reset(seed=next(seeds))  # warm-up: asset generation, file caches
    w, c = timed(lambda: env.reset(seed=next(seeds)), repeats)  # noqa: B023
    rows["reset"] = ("reset", w, c, "task reset + first observation")
    w, c, n = time_steps(env, seeds, repeats)
    rows["step"] = ("pick-place step + 3-camera render", w, c, f"median {n} physics steps")
    w, c = timed(lambda: [cams.render(env.client, cfg, renderer) for cfg in env.cameras], repeats)
    rows["render3"] = ("3-camera render, serial", w, c, "480x640 RGB + depth x3")
    if env.parallel_render:
        w, c = timed(env.observe, repeats)
        rows["render3f"] = ("3-camera render, forked", w, c, "env.observe(); cpu incl. children")
    w, c = timed(env.render_oracle, repeats)
    rows["oracle"] = ("render_oracle", w, c, "oracle camera + segmentation + reconstruct")
    obs = env.observe()
    w, c = timed(lambda: env.fused_input(obs), repeats)
    rows["fuse"] = ("heightmap fusion (3 cameras)", w, c, "320x160x6 network input")
    env.close()

    env = Environment(make_task(task_name), renderer=renderer, cameras=(), **options)  # physics only
    seeds = iter(range(1000))
    env.reset(seed=next(seeds))
    w, c, n = time_steps(env, seeds, repeats)
    rows["physics"] = ("pick-place step, no render", w, c, f"median {n} physics steps")
    w, c = timed(lambda: env.reset(seed=next(seeds)), repeats)
    rows["reset0"] = ("reset, no camera render", w, c, "task reset + settle")
    env.close()
    return rows


def bench(task_name: str | None, repeats: int, renderer: str) -> list[str]:
    """Rows of the side-by-side table: old path, new default, original."""
    results = {path: bench_path(task_name, repeats, renderer, opts) for path, opts in PATH_OPTIONS.items()}
    head = (f"{'operation':38s} {'old wall':>9s} {'old cpu':>9s} {'new wall':>9s} {'new cpu':>9s} "
            f"{'original':>9s} {'new vs orig (wall/cpu)':>23s}  note")
    lines = [head, "-" * len(head)]
    for key, (label, *_rest) in results["new"].items():
        old = results["old"].get(key)
        new = results["new"][key]
        orig = ORIGINAL_MS.get(key)
        ratio = f"{orig / new[1]:.2f}x / {orig / new[2]:.2f}x" if orig else "-"
        old_w, old_c = (f"{old[1]:9.1f}", f"{old[2]:9.1f}") if old else (f"{'-':>9s}",) * 2
        orig_s = f"{orig:9.0f}" if orig else f"{'-':>9s}"
        lines.append(
            f"{label:38s} {old_w} {old_c} {new[1]:9.1f} {new[2]:9.1f} {orig_s} {ratio:>23s}  {new[3]}"
        )
    return lines


def compare_renderers(seeds: int, task_name: str | None) -> list[tuple[str, str]]:
    """Fused-map differences between tiny and egl on the same scenes."""
    envs = {r: Environment(make_task(task_name), renderer=r) for r in ("tiny", "egl")}
    color_diffs, height_diffs, means = [], [], {"tiny": [], "egl": []}
    try:
        for seed in range(seeds):
            maps = {}
            for name, env in envs.items():
                obs, _ = env.reset(seed=seed)
                maps[name] = env.fused_maps(obs)
                means[name].append(maps[name][0].reshape(-1, 3).mean(axis=0))
            color_diffs.append(np.abs(maps["tiny"][0].astype(int) - maps["egl"][0].astype(int)).ravel())
            height_diffs.append(np.abs(maps["tiny"][1] - maps["egl"][1]).ravel())
    finally:
        for env in envs.values():
            env.close()
    cd, hd = np.concatenate(color_diffs), np.concatenate(height_diffs)
    return [
        ("scenes", f"{seeds} ({task_name or 'built-in blocks'})"),
        ("mean fused RGB, tiny", str(np.round(np.mean(means["tiny"], axis=0), 1).tolist())),
        ("mean fused RGB, egl", str(np.round(np.mean(means["egl"], axis=0), 1).tolist())),
        ("|colour diff| mean / p95 / max", f"{cd.mean():.2f} / {np.percentile(cd, 95):.0f} / {cd.max()}"),
        ("|height diff| mean / p99 / max (mm)",
         f"{hd.mean() * 1e3:.3f} / {np.percentile(hd, 99) * 1e3:.2f} / {hd.max() * 1e3:.1f}"),
        ("cells with height diff > 1 mm", f"{(hd > 1e-3).mean() * 100:.2f} %"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--task", default=None, help="a registered task (default: the built-in blocks scene)")
    parser.add_argument("--renderer", default="tiny")
    parser.add_argument("--compare-renderers", type=int, default=0, metavar="N",
                        help="instead of timing, compare tiny and egl fused maps on N scenes")
    args = parser.parse_args()
    if args.compare_renderers:
        rows = compare_renderers(args.compare_renderers, args.task)
        width = max(len(r[0]) for r in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        return
    scene = args.task or "built-in blocks (3)"
    print(f"scene: {scene}; renderer {args.renderer}; repeats {args.repeats}; times in ms (median); "
          "old = Environment(**PRE_CHANGE_OPTIONS), new = Environment()")
    for line in bench(args.task, args.repeats, args.renderer):
        print(line)


if __name__ == "__main__":
    main()
