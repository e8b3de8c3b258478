"""Time heightmap reconstruction and 3-camera fusion on real-sized (480 x 640) images; prints a table.

Uses the reference observation from ../shared/reference when present, else a synthetic scene.
Run: ``python benchmarks/bench_heightmap.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from cliport.env.heightmap import fuse, network_input, reconstruct
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, REALSENSE_CAMERAS

REFERENCE_CASE = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "reference"
    / "heightmap_case_put_block_in_bowl_seed0.npz"
)


def load_observation() -> tuple[list[np.ndarray], list[np.ndarray], str]:
    if REFERENCE_CASE.exists():
        ref = np.load(REFERENCE_CASE)
        return list(ref["color"]), list(ref["depth"]), "reference put-block-in-bowl seed 0"
    rng = np.random.default_rng(0)
    colors = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in REALSENSE_CAMERAS]
    depths = [rng.uniform(0.6, 1.2, (480, 640)).astype(np.float32) for _ in REALSENSE_CAMERAS]
    return colors, depths, "synthetic random depth"


def best_ms(fn, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.min(times)), float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    colors, depths, source = load_observation()
    cam = REALSENSE_CAMERAS[0]

    def one() -> None:
        reconstruct(colors[0], depths[0], cam.K, cam.position, cam.rotation, INPUT_BOUNDS, PIXEL_SIZE)

    def three() -> None:
        color, height = fuse(colors, depths, REALSENSE_CAMERAS, INPUT_BOUNDS, PIXEL_SIZE)
        network_input(color, height)

    rows = [("reconstruct, 1 camera 480x640", *best_ms(one, args.repeats)),
            ("fuse 3 cameras + network input", *best_ms(three, args.repeats))]
    print(f"input: {source}; numpy {np.__version__}; {args.repeats} repeats")
    print(f"| {'operation':<32} | {'best ms':>8} | {'median ms':>9} |")
    print(f"|{'-' * 34}|{'-' * 10}|{'-' * 11}|")
    for name, best, median in rows:
        print(f"| {name:<32} | {best:8.1f} | {median:9.1f} |")


if __name__ == "__main__":
    main()
