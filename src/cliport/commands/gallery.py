"""Draw the first observation of every task (fused colormap) in one PNG grid, instruction under each.

Usage: ``cliport gallery OUT.png [--tasks a,b,...] [--seed 0] [--mode train] [--columns 8]
[--renderer tiny|egl]``. Scenes come from a plain ``env.reset(seed)``; no oracle is run. A task whose
scene cannot be built (e.g. Google objects not downloaded) gets a grey tile with the reason.
"""

from __future__ import annotations

import argparse
import sys
import time

from cliport.errors import CliportError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cliport gallery", description=__doc__.splitlines()[0])
    p.add_argument("out", help="PNG file to write")
    p.add_argument("--tasks", default="", help="comma-separated task names (default: every registered task)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mode", default="train", choices=("train", "val", "test"))
    p.add_argument("--columns", type=int, default=8)
    p.add_argument("--renderer", default=None, help="tiny (CPU) or egl (GPU); default: the env's default")
    p.add_argument("--assets", default=None, help="assets folder (default: the generated cache)")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if not args.out.lower().endswith(".png"):
        raise CliportError(f"gallery output must be a .png file, got {args.out!r}")
    if args.columns < 1:
        raise CliportError(f"--columns must be at least 1, got {args.columns}")
    import numpy as np

    from cliport.env.environment import Environment
    from cliport.geometry import HEIGHTMAP_SHAPE
    from cliport.tasks.registry import make_task, task_names
    from cliport.viz.gallery import Tile, compose, save_png

    names = [n.strip() for n in args.tasks.split(",") if n.strip()] or task_names()
    tasks = [make_task(n, args.mode) for n in names]  # unknown names fail here, before any simulation
    kwargs = {"assets_root": args.assets}
    if args.renderer:
        kwargs["renderer"] = args.renderer
    env = Environment(**kwargs)
    tiles = []
    try:
        for name, task in zip(names, tasks, strict=True):
            start = time.perf_counter()
            env.set_task(task)
            try:
                obs, info = env.reset(seed=args.seed)
            except CliportError as err:  # e.g. assets that must be downloaded separately
                print(f"{name}: skipped: {err}", file=sys.stderr, flush=True)
                grey = np.full((*HEIGHTMAP_SHAPE, 3), 128, np.uint8)
                tiles.append(Tile(grey, name, f"(unavailable: {err})"[:120]))
                continue
            color, _ = env.fused_maps(obs)  # (320, 160, 3) uint8
            tiles.append(Tile(color, name, info["lang_goal"]))
            print(f"{name}: {time.perf_counter() - start:.1f} s", flush=True)
    finally:
        env.close()
    path = save_png(compose(tiles, args.columns), args.out)
    print(f"wrote {path} ({len(tiles)} tasks)")
    return 0
