"""Benchmark the frozen CLIP RN50 encoder at CLIPort's input sizes (forward only, no grad).

    .venv/bin/python benchmarks/bench_clip.py                  # CPU, 1 and 2 threads
    .venv/bin/python benchmarks/bench_clip.py --threads 1 4 --n 10
    python3 benchmarks/bench_clip.py --cuda                     # adds fp32, fp32+TF32 and fp16 on the GPU

Random weights (speed does not depend on them). Prints the median time per call in milliseconds for
the pick image, the place key image, the 36 place query crops, a batch of 8 picks / 8x36 crops, and
the text tower on one instruction.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import torch

from cliport.models.clip.encoder import ClipEncoder, clear_clip_cache, load_clip

SHAPES = {
    "pick 1x320x320": (1, 3, 320, 320),
    "key 1x384x224": (1, 3, 384, 224),
    "query 36x64x64": (36, 3, 64, 64),
    "pick 8x320x320": (8, 3, 320, 320),
    "query 288x64x64": (288, 3, 64, 64),
}


def median_ms(fn: Callable[[], object], n: int, sync: Callable[[], None]) -> float:
    for _ in range(min(3, n)):
        fn()
    sync()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] * 1e3


def encoder(device: str, precision: str) -> ClipEncoder:
    clear_clip_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return ClipEncoder(load_clip(allow_random_clip=True, device=device, precision=precision))  # type: ignore[arg-type]


def run_setting(
    name: str, enc: ClipEncoder, device: str, n: int, shapes: dict
) -> list[tuple[str, str, float]]:
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    rows = []
    for label, shape in shapes.items():
        x = torch.randn(*shape, device=device)
        rows.append((name, label, median_ms(lambda x=x: enc.forward_features(x), n, sync)))
    ids = torch.zeros(1, 77, dtype=torch.long, device=device)
    ids[0, :5] = torch.tensor([49406, 320, 2533, 6765, 49407])
    rows.append((name, "text 1x77", median_ms(lambda: enc.encode_ids(ids), n, sync)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="CPU thread counts")
    parser.add_argument("--n", type=int, default=5, help="timed calls per row (CPU); the GPU uses 4n")
    parser.add_argument("--cuda", action="store_true", help="also time on the GPU")
    args = parser.parse_args()
    rows: list[tuple[str, str, float]] = []
    if args.cuda:
        for precision, tf32 in (("fp32", False), ("fp32", True), ("fp16", False)):
            torch.backends.cudnn.allow_tf32 = tf32
            torch.backends.cuda.matmul.allow_tf32 = tf32
            name = f"cuda {precision}" + ("+tf32" if tf32 else "")
            rows += run_setting(name, encoder("cuda", precision), "cuda", 4 * args.n, SHAPES)
    small = {k: v for k, v in SHAPES.items() if not k.startswith(("pick 8", "query 288"))}
    for threads in args.threads:
        torch.set_num_threads(threads)
        rows += run_setting(f"cpu fp32 {threads}t", encoder("cpu", "fp32"), "cpu", args.n, small)
    print(f"{'setting':<16} {'input':<18} {'median ms':>10}")
    for name, label, ms in rows:
        print(f"{name:<16} {label:<18} {ms:>10.2f}")


if __name__ == "__main__":
    main()
