"""Build the built-in blocks scene, move each block 10 cm with pick-and-place, write the views as PNGs.

No oracle and no task package are involved: this exercises only the simulator (robot, suction,
cameras, fusion). Output: front/left/right camera images and the fused colour and height maps.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from cliport.errors import CliportError


def _save_png(path: Path, image: np.ndarray) -> None:
    from PIL import Image

    tmp = path.with_name(f".{path.name}.part")
    Image.fromarray(image).save(tmp, format="PNG")
    os.replace(tmp, path)


def height_to_image(height: np.ndarray, top: float = 0.1) -> np.ndarray:
    """Height map (m) -> uint8 RGB with matplotlib's viridis, 0 .. ``top`` metres."""
    from matplotlib import colormaps

    scaled = np.clip(height / top, 0.0, 1.0)
    return (colormaps["viridis"](scaled)[..., :3] * 255).round().astype(np.uint8)


def _place_target(position) -> tuple[float, float, float]:
    """10 cm towards the table's middle along y (so the target stays on the table)."""
    x, y, _ = position
    return (float(x), float(y + 0.1 if y < 0 else y - 0.1), 0.02)


def run(out: Path, seed: int, n_blocks: int, renderer: str, assets_root: str | None) -> list[str]:
    from cliport.env.blocks_scene import BlocksScene
    from cliport.env.environment import Environment
    from cliport.geometry import yaw_quat

    out.mkdir(parents=True, exist_ok=True)
    lines = []
    env = Environment(BlocksScene(n_blocks=n_blocks), assets_root=assets_root, renderer=renderer)
    try:
        t0 = time.perf_counter()
        obs, _ = env.reset(seed=seed)
        lines.append(f"reset: {time.perf_counter() - t0:.2f} s, {n_blocks} blocks")
        for block in env.task.block_ids:
            pos, quat = env.client.getBasePositionAndOrientation(block)
            target = _place_target(pos)
            t0, steps = time.perf_counter(), env.step_counter
            obs, _, timed_out, _, _ = env.step({"pose0": (pos, quat), "pose1": (target, yaw_quat(0.0))})
            new = env.client.getBasePositionAndOrientation(block)[0]
            error = np.linalg.norm(np.subtract(new[:2], target[:2]))
            lines.append(
                f"block {block}: moved {np.linalg.norm(np.subtract(new[:2], pos[:2])) * 100:.1f} cm, "
                f"error {error * 1000:.1f} mm, {env.step_counter - steps} physics steps, "
                f"{time.perf_counter() - t0:.2f} s{' (timeout)' if timed_out else ''}"
            )
        for camera, color in zip(env.cameras, obs["color"], strict=True):
            _save_png(out / f"camera_{camera.name}.png", color)
        color, height = env.fused_maps(obs)
        _save_png(out / "fused_color.png", color)
        _save_png(out / "fused_height.png", height_to_image(height))
    finally:
        env.close()
    lines.append(f"wrote 5 PNGs to {out}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cliport scene-demo", description=__doc__)
    parser.add_argument("--out", default="scene-demo", help="output folder (default: ./scene-demo)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--blocks", type=int, default=3, help="number of 4 cm blocks (1-8)")
    parser.add_argument("--renderer", default=None, help="tiny or egl (default: the simulator's default)")
    parser.add_argument("--assets-root", default=None, help="assets folder (default: generated cache)")
    args = parser.parse_args(argv)
    if not 1 <= args.blocks <= 8:
        raise CliportError(f"--blocks must be between 1 and 8, got {args.blocks}")
    from cliport.env.cameras import DEFAULT_RENDERER

    renderer = args.renderer or DEFAULT_RENDERER
    for line in run(Path(args.out), args.seed, args.blocks, renderer, args.assets_root):
        print(line)
    return 0
