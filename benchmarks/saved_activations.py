"""What the backward pass keeps: bytes saved for backward per stream and the largest saved tensors.

    .venv/bin/python benchmarks/saved_activations.py                 # cliport, B = 1, fp32 and bf16
    .venv/bin/python benchmarks/saved_activations.py --agent transporter --precisions 32

One forward of the summed training loss of a full-size agent (random weights) under
``torch.autograd.graph.saved_tensors_hooks``: every tensor autograd saves is attributed to the stream
whose forward is running (storage counted once). The per-sample bytes are what scales GPU (and CPU)
memory with the batch size, so this finds the tensor that scales without a GPU. Prints a table.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import torch


def measure(agent: str, b: int, precision: str, checkpointing: bool, top: int) -> None:
    """Print the saved-for-backward bytes of one forward of the training loss."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_agents import _batch

    from cliport.agents.policy import build_agent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        policy = build_agent(agent, allow_random_encoders=True, channels_last=True,
                             frozen_precision="bf16" if precision == "bf16" else "fp32")
    policy.set_activation_checkpointing(checkpointing).train()
    stack: list[str] = ["(outside streams)"]

    def leave(module, args, output) -> None:  # returns None: the output is kept
        stack.pop()

    for module_name in ("pick", "place"):
        for name, child in getattr(policy, module_name).named_children():
            label = f"{module_name}.{name}"
            child.register_forward_pre_hook(lambda m, a, label=label: stack.append(label))
            child.register_forward_hook(leave)
    seen: set[int] = set()
    per_stream: dict[str, int] = defaultdict(int)
    largest: list[tuple[int, str, tuple, str]] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in seen:
            seen.add(storage.data_ptr())
            per_stream[stack[-1]] += storage.nbytes()
            largest.append((storage.nbytes(), stack[-1], tuple(t.shape), str(t.dtype).replace("torch.", "")))
        return t

    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), policy.frozen_feature_cache(), autocast:
        policy(_batch(b))
    total = sum(per_stream.values())
    print(f"\n{agent} B={b} precision={precision} checkpointing={checkpointing}: "
          f"{total / 2**30:.2f} GiB saved for backward ({total / b / 2**30:.2f} GiB per sample)")
    print("stream | GiB | share")
    for name, n in sorted(per_stream.items(), key=lambda kv: -kv[1]):
        print(f"{name} | {n / 2**30:.3f} | {n / total:.0%}")
    print(f"largest {top} saved tensors: MiB | stream | shape | dtype")
    for n, name, shape, dtype in sorted(largest, reverse=True)[:top]:
        print(f"{n / 2**20:.0f} | {name} | {shape} | {dtype}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agent", default="cliport")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--precisions", nargs="+", default=["32", "bf16"])
    ap.add_argument("--checkpointing", action="store_true", help="with train.activation_checkpointing")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for precision in args.precisions:
        measure(args.agent, args.batch, precision, args.checkpointing, args.top)


if __name__ == "__main__":
    main()
