"""Benchmark whole agents: training step, act() latency, peak memory, checkpoint size, FLOP rate.

    .venv/bin/python benchmarks/bench_agents.py                          # transporter + cliport, B = 1, 4, 8
    .venv/bin/python benchmarks/bench_agents.py --agents transporter --batches 1 --steps 1
    python3 benchmarks/bench_agents.py --device cuda --threads 16        # on a GPU machine

Full-size networks, random weights (random CLIP unless $CLIPORT_CLIP_WEIGHTS is set; speed does not
depend on the values). Each (agent, batch) runs in a fresh subprocess so that its peak RSS is its own.
A training step is the original's: pick loss -> backward -> Adam step, then place loss -> backward ->
Adam step (``Policy.train_step``). FLOPs of one step are counted with torch.utils.flop_counter (the FFT
place correlation is not counted, so the achieved rate is a lower bound) and compared with the
measured rate of a large fp32 matmul on the same threads.

Reference of the original cliport (measured on a machine like ours, 2 threads, batch 1): ~90 s per
training step (81 s in the place module), act() 13 s, peak RSS 8.4 GB, checkpoint 1.87 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

ORIGINAL = {"step_s": 90.0, "act_s": 13.0, "rss_gb": 8.4, "ckpt_gb": 1.87}


def _batch(b: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    image = rng.random((b, 320, 160, 6), dtype=np.float32)
    image[..., :3] *= 255
    image[..., 3:] *= 0.05
    return {
        "image": torch.from_numpy(image),
        "p0": torch.from_numpy(rng.integers(0, [320, 160], size=(b, 2))),
        "p0_theta": torch.zeros(b),
        "p1": torch.from_numpy(rng.integers(0, [320, 160], size=(b, 2))),
        "p1_theta": torch.from_numpy(rng.uniform(-np.pi, np.pi, b)),
        "instruction": ["put the red block in the green bowl"] * b,
    }


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def matmul_gflops(device: str, n: int = 2048, reps: int = 5) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    _sync(device)
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    _sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def run_one(
    agent: str, b: int, steps: int, device: str, flops: bool, act: bool, precision: str = "32",
    memory_format: str = "channels_last",
) -> dict:
    """One (agent, batch) measurement, in this process."""
    from torch.utils.flop_counter import FlopCounterMode

    from cliport.agents.checkpoint import save_agent
    from cliport.agents.policy import build_agent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # random CLIP
        policy = build_agent(agent, allow_random_encoders=True, device=device)
    if memory_format == "channels_last":
        policy = policy.to(memory_format=torch.channels_last)
    opts = policy.make_optimizers()
    batch = _batch(b)
    out: dict = {"agent": agent, "batch": b, "device": device, "precision": precision,
                 "memory": memory_format}
    autocast = torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=precision == "bf16")
    times = []
    for i in range(steps + 1):  # the first step warms up (allocations, Adam state)
        _sync(device)
        t = time.perf_counter()
        with autocast:
            policy.train_step(batch, opts)
        _sync(device)
        if i > 0 or steps == 0:
            times.append(time.perf_counter() - t)
    out["step_s"] = float(np.median(times))
    out["per_sample_s"] = out["step_s"] / b
    if flops:
        counter = FlopCounterMode(display=False)
        with counter:
            policy.train_step(batch, opts)
        out["step_gflop"] = counter.get_total_flops() / 1e9
        out["gflops_per_s"] = out["step_gflop"] / out["step_s"]
        out["matmul_gflops_per_s"] = matmul_gflops(device)
    if act:
        image = batch["image"][0].numpy()
        policy.act(image, "put the red block in the green bowl")
        _sync(device)
        t = time.perf_counter()
        policy.act(image, "put the red block in the green bowl")
        _sync(device)
        out["act_s"] = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as tmp:
            path = save_agent(policy, Path(tmp) / "agent.safetensors")
            out["ckpt_gb"] = path.stat().st_size / 1e9
    out["rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: KiB
    if device.startswith("cuda"):
        out["gpu_peak_gb"] = torch.cuda.max_memory_allocated() / 1e9
    return out


def _table(rows: list[dict]) -> str:
    cols = [
        ("agent", "agent", "{}"),
        ("B", "batch", "{}"),
        ("precision", "precision", "{}"),
        ("memory", "memory", "{}"),
        ("step s", "step_s", "{:.2f}"),
        ("s/sample", "per_sample_s", "{:.2f}"),
        ("vs orig", "speedup", "{:.1f}x"),
        ("act s", "act_s", "{:.2f}"),
        ("peak RSS GB", "rss_gb", "{:.2f}"),
        ("ckpt GB", "ckpt_gb", "{:.3f}"),
        ("GFLOP/step", "step_gflop", "{:.0f}"),
        ("GFLOP/s", "gflops_per_s", "{:.1f}"),
        ("matmul GFLOP/s", "matmul_gflops_per_s", "{:.1f}"),
    ]
    lines = [" | ".join(c[0] for c in cols), " | ".join("---" for _ in cols)]
    for r in rows:
        if r.get("agent") == "cliport":
            r["speedup"] = ORIGINAL["step_s"] / r["per_sample_s"]
        lines.append(" | ".join(fmt.format(r[key]) if key in r else "-" for _, key, fmt in cols))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", nargs="+", default=["transporter", "cliport"])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 4, 8])
    parser.add_argument("--steps", type=int, default=1, help="timed steps after one warm-up step")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-flops", action="store_true")
    parser.add_argument("--precisions", nargs="+", default=["32"], choices=["32", "bf16"],
                        help="bf16 = autocast, as train.precision=bf16")
    parser.add_argument("--memory-formats", nargs="+", default=["channels_last"],
                        choices=["contiguous", "channels_last"], help="as train.channels_last=false/true")
    parser.add_argument("--jsonl", type=Path, help="also append each result as one JSON line to this file")
    parser.add_argument("--one", nargs=4, metavar=("AGENT", "B", "PRECISION", "MEMORY"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.one:
        agent, b, precision, memory = args.one[0], int(args.one[1]), args.one[2], args.one[3]
        first = b == args.batches[0]
        print(json.dumps(run_one(agent, b, args.steps, args.device, flops=not args.no_flops and first,
                                 act=first, precision=precision, memory_format=memory)))
        return
    rows = []
    configs = [(agent, b, precision, memory) for agent in args.agents for precision in args.precisions
               for memory in args.memory_formats for b in args.batches]
    for agent, b, precision, memory in configs:
        cmd = [
            sys.executable,
            __file__,
            "--one",
            agent,
            str(b),
            precision,
            memory,
            "--steps",
            str(args.steps),
            "--threads",
            str(args.threads),
            "--device",
            args.device,
            "--batches",
            *map(str, args.batches),
        ]
        if args.no_flops:
            cmd.append("--no-flops")
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{agent} B={b} {precision} {memory} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        if args.jsonl:
            with args.jsonl.open("a") as f:
                f.write(json.dumps(rows[-1]) + "\n")
    print(f"threads {args.threads}, device {args.device}; original cliport: {ORIGINAL}")
    print(_table(rows))


if __name__ == "__main__":
    main()
