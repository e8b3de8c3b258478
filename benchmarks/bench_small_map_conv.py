"""Wide 3x3 convolutions on small maps: oneDNN's convolution against one matrix multiply, per layer shape.

    .venv/bin/python benchmarks/bench_small_map_conv.py              # the full-size cliport shapes
    .venv/bin/python benchmarks/bench_small_map_conv.py --threads 1 --repeat 3

For each (batch, channels in -> out, map) of the trainable streams' 3x3 layers, one training step of the
layer alone (forward, backward of a fixed projection, fused Adam update; channels_last; bf16 autocast
and fp32) and one no-grad forward, as a convolution and as ``models/small_map_conv.conv3x3_matmul``.
The last column says which path ``SmallMapConv2d``'s rule picks, so the table shows where the rule's
thresholds (``MAX_POSITIONS``, ``MIN_IN_CHANNELS``) sit against the measured crossover.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from cliport.models.small_map_conv import MAX_POSITIONS, MIN_IN_CHANNELS, conv3x3_matmul

#: (batch, in, out, height, width) of cliport's 3x3 layers at full size, B = 1: the 36 query crops at
#: 2 x 2 to 8 x 8, the pick image (10 x 10 to 40 x 40) and the key map (12 x 7 to 48 x 28).
SHAPES = [
    (36, 2048, 1024, 2, 2), (36, 2048, 1024, 4, 4), (1, 2048, 1024, 10, 10), (1, 2048, 1024, 12, 7),
    (1, 2048, 1024, 20, 20), (1, 2048, 1024, 24, 14), (36, 1024, 1024, 4, 4), (36, 1024, 512, 4, 4),
    (36, 512, 512, 4, 4), (1, 1024, 1024, 24, 14), (36, 1024, 1024, 8, 8), (1, 1024, 1024, 40, 40),
    (36, 512, 512, 16, 16),
]


def _time(fn, repeat: int) -> float:
    fn()
    fn()
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def _step_fn(shape, precision: str, matmul: bool, train: bool):
    n, cin, cout, h, w = shape
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(cin, cout, 3, padding=1, bias=False).to(memory_format=torch.channels_last)
    x = torch.randn(n, cin, h, w).to(memory_format=torch.channels_last)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")

    def forward():
        with autocast:
            return conv3x3_matmul(x, conv.weight) if matmul else F.conv2d(x, conv.weight, padding=1)

    if not train:
        def infer():
            with torch.no_grad():
                forward()
        return infer
    opt = torch.optim.Adam(conv.parameters(), lr=1e-4, fused=True)
    x.requires_grad_(True)

    def step():
        forward().float().square().sum().backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        x.grad = None
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, torch {torch.__version__}, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"rule: matmul when in >= {MIN_IN_CHANNELS} channels and N*H*W <= {MAX_POSITIONS}")
    print("N x in -> out @ HxW | positions | what | precision | conv ms | matmul ms | conv / matmul | rule")
    print("--- | --- | --- | --- | --- | --- | --- | ---")
    for shape in SHAPES:
        n, cin, cout, h, w = shape
        rule = "matmul" if cin >= MIN_IN_CHANNELS and n * h * w <= MAX_POSITIONS else "conv"
        for train, what in ((True, "train step"), (False, "forward")):
            for precision in ("bf16", "fp32"):
                conv_s = _time(_step_fn(shape, precision, False, train), args.repeat)
                mm_s = _time(_step_fn(shape, precision, True, train), args.repeat)
                print(f"{n} x {cin} -> {cout} @ {h}x{w} | {n * h * w} | {what} | {precision} | "
                      f"{conv_s * 1e3:.1f} | {mm_s * 1e3:.1f} | {conv_s / mm_s:.2f} | {rule}", flush=True)


if __name__ == "__main__":
    main()
