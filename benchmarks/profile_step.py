"""Where the time of one training step goes, per module: torch.profiler over a full-size agent step.

    .venv/bin/python benchmarks/profile_step.py            # cliport, bf16, channels_last, 2 threads
    .venv/bin/python benchmarks/profile_step.py --agent transporter --precision 32 --memory contiguous
    .venv/bin/python benchmarks/profile_step.py --tiny                # a seconds-long smoke run
    .venv/bin/python benchmarks/profile_step.py --agent transporter --layouts   # gradient layouts

Labels every stream's forward, each frozen-encoder call (by input shape: the pick image, the place key
map, the 36 query crops, the text), the rotated crops, the correlation and the Adam updates, then prints
each label's inclusive time (wall, as the profiler measures it on this thread) and the top operators by
self time. Random weights (speed does not depend on them). The step is the one `cliport train` runs
(``Policy.train_step``: pick then place, each parameter's Adam update inside the backward, the frozen
CLIP in bf16 for a bf16 step, freed memory kept for reuse).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile, record_function


def _label_modules(policy) -> None:
    """record_function ranges around each stream's forward (forward pre/post hooks)."""
    for module_name in ("pick", "place"):
        for name, child in getattr(policy, module_name).named_children():
            if name.startswith("fusion"):
                continue
            label = f"fwd {module_name}.{name}"

            def pre(mod, args, label=label):
                mod._prof_range = record_function(label)
                mod._prof_range.__enter__()

            def post(mod, args, out):
                mod._prof_range.__exit__(None, None, None)

            child.register_forward_pre_hook(pre)
            child.register_forward_hook(post)


def _label_encoders(policy) -> None:
    enc = policy.encoders
    if enc.image is not None and hasattr(enc.image, "forward_features"):
        inner = enc.image.forward_features

        def image(x, inner=inner):
            with record_function(f"CLIP visual {tuple(x.shape)}"):
                return inner(x)

        object.__setattr__(enc.image, "forward_features", image)
    if enc.text is not None and hasattr(enc.text, "encode"):
        inner_t = enc.text.encode

        def text(t, inner_t=inner_t):
            with record_function("CLIP text"):
                return inner_t(t)

        object.__setattr__(enc.text, "encode", text)


def _label_functions() -> None:
    import cliport.models.transport as T

    for name in ("rotated_crops", "correlate"):
        fn = getattr(T, name)

        def wrapped(*a, fn=fn, name=name, **k):
            with record_function(name):
                return fn(*a, **k)

        setattr(T, name, wrapped)


def _layout_name(t: torch.Tensor) -> str:
    if t.dim() != 4:
        return "-"
    nchw, nhwc = t.is_contiguous(), t.is_contiguous(memory_format=torch.channels_last)
    if nchw and nhwc:
        return "either"  # 1x1 kernels, single-channel or 1x1 maps: both layouts at once
    return "NCHW" if nchw else "NHWC" if nhwc else "strided"


def _print_layouts(step, top: int) -> None:
    """One more step under a dispatch mode: wall time per (operator, first input's shape, layouts of the
    4-d inputs: NCHW, NHWC, "either" where a tensor is both, "strided" where it is neither)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    totals: dict[tuple, list] = defaultdict(lambda: [0, 0.0])

    class Timed(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            t0 = time.perf_counter()
            out = func(*args, **(kwargs or {}))
            tensors = [a for a in args if isinstance(a, torch.Tensor)]
            if tensors and tensors[0].dim() == 4:
                key = (str(func.overloadpacket), tuple(tensors[0].shape), tuple(map(_layout_name, tensors)))
                totals[key][0] += 1
                totals[key][1] += time.perf_counter() - t0
            return out

    with Timed():
        step()
    rows = sorted(totals.items(), key=lambda kv: -kv[1][1])
    print(f"\ntop {top} operators on 4-d inputs by wall time, per shape and layout (one step, dispatch mode)")
    for (op, shape, layouts), (n, sec) in rows[:top]:
        print(f"  {sec * 1e3:8.1f} ms {n:4d}x  {op}  {shape}  {' '.join(layouts)}")
    mixed = [r for r in rows if "strided" in r[0][2] or {"NCHW", "NHWC"} <= set(r[0][2])]
    print(f"calls with a strided or mixed-layout input: {sum(r[1][1] for r in mixed) * 1e3:.1f} ms")
    for (op, shape, layouts), (n, sec) in mixed[:top]:
        print(f"  {sec * 1e3:8.1f} ms {n:4d}x  {op}  {shape}  {' '.join(layouts)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agent", default="cliport")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", default="bf16", choices=["32", "bf16"])
    ap.add_argument("--memory", default="channels_last", choices=["contiguous", "channels_last"])
    ap.add_argument("--tiny", action="store_true", help="small networks and a 64x32 grid (smoke run)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--shapes", action="store_true", help="also list the top operators per input shape")
    ap.add_argument("--layouts", action="store_true",
                    help="also time one more step per operator, input shape and memory layout of its 4-d "
                         "inputs, and list the calls that mix layouts (how models/layout.py was found)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_agents import _batch

    from cliport.agents.config import AgentConfig
    from cliport.agents.policy import build_agent
    from cliport.allocator import reuse_freed_memory

    kw: dict = {}
    if args.tiny:
        from dataclasses import asdict

        from cliport.models.clip.model import ClipConfig

        kw = dict(image_size=(64, 32), crop_size=32, n_rotations=4, model_options={"resnet_base": 8},
                  encoder_options={"clip": {**asdict(ClipConfig.tiny()), "vision_width": 8}})
    cfg = AgentConfig(agent=args.agent, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        policy = build_agent(cfg, allow_random_encoders=True, channels_last=args.memory == "channels_last",
                             frozen_precision="bf16" if args.precision == "bf16" else "fp32")
    reuse_freed_memory()  # as CPU training does (cliport.allocator)
    _label_modules(policy)
    _label_encoders(policy)
    _label_functions()
    opts = policy.make_optimizers()
    batch = _batch(args.batch, hw=policy.image_size)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if args.precision == "bf16" else None

    def step() -> None:  # what `cliport train` runs (cliport.agents.step.train_step)
        policy.train_step(batch, opts, autocast=autocast, optimizer_in_backward=True)

    policy.train()
    t0 = time.perf_counter()
    step()  # warm-up (Adam state, allocations)
    print(f"warm-up step {time.perf_counter() - t0:.2f} s")
    c0, t0 = time.process_time(), time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=args.shapes) as prof:
        step()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{args.agent} B={args.batch} {args.precision} {args.memory} threads={args.threads}: "
          f"profiled step {wall:.2f} s wall, {cpu:.2f} s CPU (profiler overhead included)")
    labels: dict[str, float] = defaultdict(float)
    for ev in prof.key_averages():
        if ev.key.startswith(("fwd ", "CLIP", "rotated_crops", "correlate", "Optimizer.step")):
            labels[ev.key] += ev.cpu_time_total / 1e6
    print("\nlabel (inclusive, s; streams include their CLIP call)")
    for key, s in sorted(labels.items(), key=lambda kv: -kv[1]):
        print(f"  {s:8.3f}  {key}")
    print(f"\ntop {args.top} operators by self CPU time")
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.top,
                                      max_name_column_width=50)
    print(table)
    if args.layouts:
        _print_layouts(step, args.top)
    if args.shapes:
        print(f"\ntop {args.top} operators by self CPU time, per input shape")
        print(prof.key_averages(group_by_input_shape=True).table(
            sort_by="self_cpu_time_total", row_limit=args.top, max_name_column_width=30,
            max_shapes_column_width=90))


if __name__ == "__main__":
    main()
