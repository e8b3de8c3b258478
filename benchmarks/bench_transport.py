"""Time the place module's correlation at real size: FFT vs direct conv, forward + backward.

The correlation is 36 kernels of 3 x 64 x 64 per sample over the 384 x 224 padded key map, padding 32
(spec models.md §3). Prints one table row per (method, batch). The direct convolution's backward on
CPU takes minutes per sample, so by default it is timed forward-only on CPU (``--conv-backward`` adds
it). Usage: ``python benchmarks/bench_transport.py [--threads 2] [--batches 1 4 8] [--device cpu]``.
"""

from __future__ import annotations

import argparse
import time

import torch

from cliport.models.correlation import correlate


def bench(
    method: str, b: int, device: str, backward: bool, repeats: int,
) -> tuple[float, float | None, float]:
    gen = torch.Generator().manual_seed(0)
    key = torch.randn(b, 3, 384, 224, generator=gen).to(device).requires_grad_(backward)
    ker = torch.randn(b, 36, 3, 64, 64, generator=gen).to(device).requires_grad_(backward)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    fwd, bwd = [], []
    for i in range(repeats + 1):  # first run = warm-up
        sync()
        t0 = time.perf_counter()
        out = correlate(key, ker, padding=32, method=method)  # (B, 36, 385, 225)
        sync()
        t1 = time.perf_counter()
        if backward:
            out.square().mean().backward()
            sync()
        t2 = time.perf_counter()
        if i:
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
    with torch.no_grad():  # agreement with float64 FFT on the same inputs
        ref = correlate(key.double(), ker.double(), padding=32, method="fft")
        err = ((out.double() - ref).abs().max() / ref.abs().max()).item()
    return min(fwd), (min(bwd) if backward else None), err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--methods", nargs="+", default=["fft", "conv"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--conv-backward", action="store_true", help="also time conv backward on CPU (slow)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"device={args.device} threads={torch.get_num_threads()} torch={torch.__version__}")
    head = f"{'method':<6} {'B':>3} {'forward s':>10} {'backward s':>11} {'fwd+bwd /sample s':>18}"
    print(head + f" {'rel err':>9}")
    for method in args.methods:
        for b in args.batches:
            backward = method == "fft" or args.conv_backward or args.device != "cpu"
            if method == "conv" and args.device == "cpu" and b > 1 and not args.conv_backward:
                continue  # forward-only conv at B=1 is enough to show the gap on CPU
            f, bw, err = bench(method, b, args.device, backward, args.repeats)
            per = f"{(f + bw) / b:18.4f}" if bw is not None else f"{'-':>18}"
            bws = f"{bw:11.4f}" if bw is not None else f"{'-':>11}"
            print(f"{method:<6} {b:>3} {f:10.4f} {bws} {per} {err:9.1e}")


if __name__ == "__main__":
    main()
