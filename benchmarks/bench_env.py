"""Time the simulator: reset, a pick-and-place step, camera renders (tiny vs egl), fusion; prints a table.

Wall time and process CPU time are both shown: on a shared machine the CPU time is the steadier figure.
``--compare-renderers`` instead measures how much the fused 320x160 inputs differ between the tiny and
egl renderers on a few scenes (docs/rendering.md).

Run: ``python benchmarks/bench_env.py [--repeats N] [--task put-block-in-bowl-seen-colors]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from cliport.env import cameras as cams
from cliport.env.blocks_scene import BlocksScene
from cliport.env.environment import Environment
from cliport.geometry import ORACLE_CAMERA, REALSENSE_CAMERAS, yaw_quat


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn`` over ``repeats`` runs."""
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
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
        w0, c0 = time.perf_counter(), time.process_time()
        env.step(action)
        wall.append((time.perf_counter() - w0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
        counts.append(env.step_counter - start)
    return float(np.median(wall)), float(np.median(cpu)), int(np.median(counts))


def bench(task_name: str | None, repeats: int, renderers: list[str]) -> list[tuple[str, float, float, str]]:
    rows = []
    for renderer in renderers:
        env = Environment(make_task(task_name), renderer=renderer)
        seeds = iter(range(1000))
        env.reset(seed=next(seeds))  # warm-up: asset generation, file caches
        w, c = timed(lambda: env.reset(seed=next(seeds)), repeats)  # noqa: B023
        rows.append((f"reset ({renderer})", w, c, "incl. task reset and first observation"))

        w, c, n = time_steps(env, seeds, repeats)
        rows.append((f"pick-place step + 3-camera render ({renderer})", w, c, f"median {n} physics steps"))
        label = f"{renderer}, forked" if env.parallel_render else renderer
        w, c = timed(env.observe, repeats)
        rows.append((f"3-camera render ({label})", w, c, "480x640 RGB + depth x3; cpu = parent only"))
        if env.parallel_render:
            w, c = timed(lambda: [cams.render(env.client, cfg, renderer) for cfg in env.cameras],  # noqa: B023
                         repeats)
            rows.append((f"3-camera render ({renderer}, serial)", w, c, "parallel_render=False"))
        w, c = timed(lambda: cams.render(env.client, ORACLE_CAMERA, renderer, segmentation=True),  # noqa: B023
                     repeats)
        rows.append((f"oracle camera render ({renderer})", w, c, "with segmentation"))
        w, c = timed(env.render_oracle, repeats)
        rows.append((f"render_oracle ({renderer})", w, c, "render + reconstruct over TASK_BOUNDS"))
        if renderer == renderers[0]:
            obs = env.observe()
            w, c = timed(lambda: env.fused_input(obs), repeats)  # noqa: B023
            rows.append(("heightmap fusion (3 cameras)", w, c, "320x160x6 network input"))
        env.close()

    # Physics only: same scene, no cameras rendered.
    env = Environment(make_task(task_name), cameras=())
    seeds = iter(range(1000))
    env.reset(seed=next(seeds))
    w, c, n = time_steps(env, seeds, repeats)
    rows.append(("pick-place step, physics only", w, c, f"median {n} physics steps"))
    w, c = timed(lambda: env.reset(seed=next(seeds)), repeats)
    rows.append(("reset, no camera render", w, c, "task reset + settle"))
    w, c = timed(lambda: [env.client.stepSimulation() for _ in range(100)], repeats)
    rows.append(("physics step (x1)", w / 100, c / 100, "stepSimulation at 480 Hz"))
    pose = ((0.5, 0.1, 0.2), yaw_quat(0.3))
    w, c = timed(lambda: [env.robot.solve_ik(pose) for _ in range(20)], repeats)
    rows.append(("IK solve (x1)", w / 20, c / 20, "100 iterations, null space"))
    env.close()
    return rows


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
    parser.add_argument("--renderers", default="tiny,egl")
    parser.add_argument("--compare-renderers", type=int, default=0, metavar="N",
                        help="instead of timing, compare tiny and egl fused maps on N scenes")
    args = parser.parse_args()
    if args.compare_renderers:
        rows = compare_renderers(args.compare_renderers, args.task)
        width = max(len(r[0]) for r in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        return
    renderers = [r for r in args.renderers.split(",") if r]
    timings = bench(args.task, args.repeats, renderers)
    scene = args.task or "built-in blocks (3)"
    print(f"scene: {scene}; cameras: {len(REALSENSE_CAMERAS)}; repeats {args.repeats}")
    width = max(len(r[0]) for r in timings)
    print(f"{'operation':<{width}}  {'wall ms':>9}  {'cpu ms':>9}  note")
    for name, wall, cpu, note in timings:
        print(f"{name:<{width}}  {wall:9.1f}  {cpu:9.1f}  {note}")


if __name__ == "__main__":
    main()
