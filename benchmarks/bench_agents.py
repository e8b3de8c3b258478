"""Benchmark whole agents: the original recipe against the new default, in one run (step, act(), memory).

    .venv/bin/python benchmarks/bench_agents.py --quick                   # B = 1, both recipes, both agents
    .venv/bin/python benchmarks/bench_agents.py --agents cliport --batches 1 8 --recipes default
    .venv/bin/python benchmarks/bench_agents.py --with-conv-correlation   # + the original's conv correlation
    python3 benchmarks/bench_agents.py --device cuda --threads 16 --batches 1 8   # on a GPU machine

Full-size networks, random weights (random CLIP unless $CLIPORT_CLIP_WEIGHTS is set; speed does not
depend on the values). Each (agent, batch, recipe) runs in a fresh subprocess so that its peak RSS is its
own, with a time limit (``--timeout``). Recipes:

* ``original``: what this project first ran, as the original did it: float32, contiguous memory,
  unfused Adam, pick loss -> backward -> update then place loss -> backward -> update, every activation
  kept, the frozen CLIP in float32, every convolution a convolution, glibc's default allocator
  behaviour. The place correlation is the FFT; ``--with-conv-correlation`` adds ``original+conv``,
  the original's conv2d correlation (minutes per step on 2 CPU threads: the row reports the time limit
  if it is hit).
* ``default``: ``cliport train``'s defaults: ``train.precision=auto`` (bf16 autocast where the device
  does bf16 natively, else fp32), channels_last, fused Adam, one backward with each parameter's update
  applied in the backward pass (``train.optimizer_in_backward``), the frozen CLIP stored in bf16 when
  training in bf16, wide 3x3 convolutions on small maps as one matrix multiply
  (models/small_map_conv.py), freed memory kept for reuse (cliport.allocator).
* ``default+ckpt``: the default with ``train.activation_checkpointing=true``.

Times are the median of ``--steps`` steps after one warm-up step, as wall time and as this process's CPU
time (user + system, all threads: on a shared machine the CPU time is the steadier measure; on a quiet
machine with T threads, wall ≈ CPU / T). act() is one rollout call (fp32 streams, no autocast, as
evaluation runs it by default) after a warm-up call; for the non-original recipes also under bfloat16
autocast (``act bf16``, what ``cliport eval precision=bf16`` runs). The load average at the start of
each row is printed.
On CUDA, ``gpu GB`` is torch's peak allocated memory; ``--compile`` compiles the pick and place modules
with torch.compile and reports the warm-up (compile) time.

Reference of the original cliport (measured on a machine like ours, 2 threads, batch 1): ~90 s per
training step (81 s in the place module), act() 13 s, peak RSS 8.4 GB, checkpoint 1.87 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import torch

ORIGINAL = {"step_s": 90.0, "act_s": 13.0, "rss_gb": 8.4, "ckpt_gb": 1.87}
RECIPES = ("original", "original+conv", "default", "default+ckpt")


def _batch(b: int, seed: int = 0, hw: tuple[int, int] = (320, 160)) -> dict:
    """A random training batch of the input size (also used by profile_step and saved_activations)."""
    rng = np.random.default_rng(seed)
    image = rng.random((b, *hw, 6), dtype=np.float32)
    image[..., :3] *= 255
    image[..., 3:] *= 0.05
    return {
        "image": torch.from_numpy(image),
        "p0": torch.from_numpy(rng.integers(0, hw, size=(b, 2))),
        "p0_theta": torch.zeros(b),
        "p1": torch.from_numpy(rng.integers(0, hw, size=(b, 2))),
        "p1_theta": torch.from_numpy(rng.uniform(-np.pi, np.pi, b)),
        "instruction": ["put the red block in the green bowl"] * b,
    }


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(fn, device: str) -> tuple[float, float]:
    """(wall s, CPU s of this process) of one call."""
    _sync(device)
    w, c = time.perf_counter(), time.process_time()
    fn()
    _sync(device)
    return time.perf_counter() - w, time.process_time() - c


def run_one(agent: str, b: int, recipe: str, steps: int, device: str, act: bool, compile_: bool) -> dict:
    """One (agent, batch, recipe) measurement, in this process."""
    from cliport.agents.config import AgentConfig
    from cliport.agents.policy import build_agent
    from cliport.agents.step import original_recipe_step
    from cliport.allocator import reuse_freed_memory
    from cliport.train.precision import resolve_precision

    original = recipe.startswith("original")
    precision = "32" if original else resolve_precision("auto", device)
    if not original and device == "cpu":
        reuse_freed_memory()
    options = {"correlation": "conv"} if recipe == "original+conv" else {}
    config = AgentConfig(agent=agent, model_options=options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # random CLIP
        policy = build_agent(config, allow_random_encoders=True, device=device, channels_last=not original,
                             frozen_precision="bf16" if precision == "bf16" else "fp32")
    policy.set_activation_checkpointing(recipe == "default+ckpt")
    policy.set_small_map_matmul(not original)
    opts = policy.make_optimizers(fused=False if original else None)
    out: dict = {"agent": agent, "batch": b, "recipe": recipe, "device": device, "precision": precision,
                 "threads": torch.get_num_threads(), "load": os.getloadavg()[0]}
    if compile_:
        policy.pick = torch.compile(policy.pick)
        policy.place = torch.compile(policy.place)
    autocast = torch.autocast(device.split(":")[0], dtype=torch.bfloat16) if precision == "bf16" else None
    batch = _batch(b)
    if device != "cpu":
        batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}

    def step() -> None:
        if original:
            original_recipe_step(policy, batch, opts)
        else:
            policy.train_step(batch, opts, autocast=autocast, optimizer_in_backward=True)

    out["warmup_s"] = _timed(step, device)[0]  # allocations, Adam state (and compilation)
    walls, cpus = zip(*[_timed(step, device) for _ in range(steps)], strict=True)
    out["step_s"], out["step_cpu_s"] = float(np.median(walls)), float(np.median(cpus))
    out["per_sample_s"], out["per_sample_cpu_s"] = out["step_s"] / b, out["step_cpu_s"] / b
    if act:
        image = batch["image"][0].cpu().numpy()
        policy.act(image, "put the red block in the green bowl")
        out["act_s"], out["act_cpu_s"] = _timed(lambda: policy.act(image, "put the red block"), device)
        if recipe != "original":  # `cliport eval precision=bf16`: act() under bfloat16 autocast
            policy.act_precision = "bf16"
            policy.act(image, "put the red block in the green bowl")
            out["act_bf16_s"], out["act_bf16_cpu_s"] = _timed(lambda: policy.act(image, "put it"), device)
            policy.act_precision = "32"
    out["rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: KiB
    if device.startswith("cuda"):
        out["gpu_peak_gb"] = torch.cuda.max_memory_allocated() / 1e9
    return out


COLUMNS = [
    ("agent", "agent", "{}"),
    ("B", "batch", "{}"),
    ("recipe", "recipe", "{}"),
    ("precision", "precision", "{}"),
    ("step wall s", "step_s", "{:.2f}"),
    ("step CPU s", "step_cpu_s", "{:.2f}"),
    ("wall s/sample", "per_sample_s", "{:.2f}"),
    ("CPU s/sample", "per_sample_cpu_s", "{:.2f}"),
    ("act wall s", "act_s", "{:.2f}"),
    ("act CPU s", "act_cpu_s", "{:.2f}"),
    ("act bf16 wall s", "act_bf16_s", "{:.2f}"),
    ("act bf16 CPU s", "act_bf16_cpu_s", "{:.2f}"),
    ("peak RSS GB", "rss_gb", "{:.2f}"),
    ("GPU GB", "gpu_peak_gb", "{:.1f}"),
    ("warm-up s", "warmup_s", "{:.1f}"),
    ("load", "load", "{:.1f}"),
    ("note", "note", "{}"),
]


def table(rows: list[dict]) -> str:
    lines = [" | ".join(c[0] for c in COLUMNS), " | ".join("---" for _ in COLUMNS)]
    for r in rows:
        lines.append(" | ".join(fmt.format(r[key]) if key in r else "-" for _, key, fmt in COLUMNS))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", nargs="+", default=["transporter", "cliport"])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--recipes", nargs="+", default=["original", "default"], choices=RECIPES)
    parser.add_argument("--with-conv-correlation", action="store_true",
                        help="also run the original recipe with the original's conv2d correlation")
    parser.add_argument("--steps", type=int, default=2, help="timed steps after one warm-up step")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per (agent, batch, recipe)")
    parser.add_argument("--quick", action="store_true", help="B = 1 only, 1 timed step")
    parser.add_argument("--compile", action="store_true", help="torch.compile the pick and place modules")
    parser.add_argument("--jsonl", help="also append each result as one JSON line to this file")
    parser.add_argument("--one", nargs=3, metavar=("AGENT", "B", "RECIPE"), help=argparse.SUPPRESS)
    parser.add_argument("--act", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.one:
        agent, b, recipe = args.one[0], int(args.one[1]), args.one[2]
        print(json.dumps(run_one(agent, b, recipe, args.steps, args.device, args.act, args.compile)))
        return
    if args.quick:
        args.batches, args.steps = [1], 1
    recipes = list(args.recipes)
    if args.with_conv_correlation and "original+conv" not in recipes:
        recipes.insert(recipes.index("original") + 1 if "original" in recipes else 0, "original+conv")
    rows = []
    for agent in args.agents:
        for b in args.batches:
            for recipe in recipes:
                cmd = [sys.executable, __file__, "--one", agent, str(b), recipe, "--steps", str(args.steps),
                       "--threads", str(args.threads), "--device", args.device]
                if b == min(args.batches):
                    cmd.append("--act")
                if args.compile and not recipe.startswith("original"):
                    cmd.append("--compile")
                try:
                    done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
                except subprocess.TimeoutExpired:
                    rows.append({"agent": agent, "batch": b, "recipe": recipe,
                                 "note": f"did not finish within --timeout {args.timeout:.0f} s"})
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
                    continue
                if done.returncode != 0:
                    rows.append({"agent": agent, "batch": b, "recipe": recipe,
                                 "note": f"failed: {done.stderr.strip().splitlines()[-1][:80]}"})
                    print(done.stderr[-2000:], file=sys.stderr)
                    continue
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
                if args.jsonl:
                    with open(args.jsonl, "a") as f:
                        f.write(json.dumps(rows[-1]) + "\n")
    print(f"threads {args.threads}, device {args.device}, torch {torch.__version__}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}; original cliport (2 threads, B=1): {ORIGINAL}")
    print(table(rows))


if __name__ == "__main__":
    main()
