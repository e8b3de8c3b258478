"""The optimisation loop: two Adam optimisers, the original's save steps, validation, resume.

It is engine-agnostic: it asks a ``batch_for_step(step, rank)`` function for each step's batch, so the
data order depends only on (seed, step, rank). Resuming from ``last.ckpt`` therefore replays exactly the
batches an uninterrupted run would have seen, and the final weights are equal (deterministic CPU run).
Multi-process training (torchrun; gloo on CPU, NCCL on GPUs) wraps the policy in torch's
DistributedDataParallel, which averages gradients so every rank holds identical weights.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cliport.agents.step import make_optimizers as step_optimizers
from cliport.agents.step import match_state_layout, train_step
from cliport.atomic import remove_stale_temporaries
from cliport.train.logging import MetricLogger, nats_postfix
from cliport.train.state import load_training_checkpoint, save_training_checkpoint

Batch = dict[str, Any]


@dataclass
class LoopSettings:
    n_steps: int
    lr: float
    save_steps: list[int]
    last_every: int = 1000
    val_every: int = 0  # 0 = only before saves
    resume: bool = True
    progress: bool = True
    precision: str = "32"
    #: Recompute stream activations in the backward pass (less memory, ~1 more forward of the streams).
    activation_checkpointing: bool = False
    #: Apply each parameter's Adam update during the backward pass and free its gradient at once
    #: (single process only; with several processes the gradients must be averaged first).
    optimizer_in_backward: bool = False


@dataclass
class LoopResult:
    start_step: int
    end_step: int
    saved: list[Path] = field(default_factory=list)
    last_val_loss: float | None = None
    resumed_from: Path | None = None


def _rank() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def make_optimizers(
    policy: nn.Module, lr: float, fused: bool | None = None
) -> dict[str, torch.optim.Optimizer]:
    """One Adam over the pick module's trainable parameters, one over the place module's (the original);
    torch's fused kernel where available unless ``fused=False``."""
    return step_optimizers(policy.parameter_groups(), lr, fused)  # {"pick": Adam, "place": Adam}


def validate(policy: nn.Module, batches: Iterable[Batch]) -> dict[str, float]:
    """Mean losses (and summed errors) over the validation batches, eval mode, no gradients."""
    was_training = policy.training
    policy.eval()
    sums: dict[str, float] = {}
    n = 0
    with torch.no_grad():
        for batch in batches:
            loss, info = policy(batch)
            n += 1
            sums["vl/loss"] = sums.get("vl/loss", 0.0) + float(loss)
            for key, value in info.items():
                if torch.is_tensor(value) and value.numel() == 1 or isinstance(value, float | int):
                    sums[f"vl/{key}"] = sums.get(f"vl/{key}", 0.0) + float(value)
    policy.train(was_training)
    if n == 0:
        return {}
    return {k: v / n for k, v in sums.items()}


def fit(
    policy: nn.Module,
    settings: LoopSettings,
    batch_for_step: Callable[[int, int], Batch],
    val_batches: Callable[[], Iterable[Batch]],
    checkpoint_dir: Path,
    checkpoint_metadata: Callable[[], dict[str, str]],
    logger: MetricLogger | None = None,
    stop_after: int | None = None,
) -> LoopResult:
    """Train ``policy`` up to ``settings.n_steps`` optimiser steps (resuming from last.ckpt if present).

    ``stop_after`` ends the call after that many steps of this call (tests use it to simulate a kill).
    """
    rank, world = _rank()
    checkpoint_dir = Path(checkpoint_dir)
    optimizers = make_optimizers(policy, settings.lr)
    result = LoopResult(0, 0)
    last = checkpoint_dir / "last.ckpt"
    step = 0
    if rank == 0:  # checkpoint temporaries of a killed run (only ours: evaluations write here too)
        remove_stale_temporaries(checkpoint_dir, "*.ckpt.*")
    if settings.resume and last.exists():
        state, step, _ = load_training_checkpoint(last, optimizers, checkpoint_metadata())
        policy.load_state_dict(state, strict=True)
        match_state_layout(optimizers)  # stored contiguous; channels_last parameters (fused Adam)
        result.resumed_from = last
    if logger is not None:
        logger.truncate_after(step)  # steps after the checkpoint are replayed: log them once
    result.start_step = step
    model: nn.Module = policy
    if world > 1:
        model = nn.parallel.DistributedDataParallel(policy)
    autocast = _autocast(settings.precision)
    if hasattr(policy, "set_activation_checkpointing"):
        policy.set_activation_checkpointing(settings.activation_checkpointing)
    in_backward = settings.optimizer_in_backward and world == 1

    def save(path: Path, val_loss: float | None) -> None:
        if rank == 0:
            save_training_checkpoint(path, policy.state_dict(), checkpoint_metadata(), optimizers, step,
                                     val_loss)
            result.saved.append(path)

    bar = None
    if settings.progress and rank == 0:
        from tqdm import tqdm

        bar = tqdm(total=settings.n_steps, initial=step, desc="train", unit="step", dynamic_ncols=True)
    save_steps = set(settings.save_steps)
    t0, steps_done = time.perf_counter(), 0
    policy.train()
    while step < settings.n_steps:
        if stop_after is not None and steps_done >= stop_after:
            break
        batch = batch_for_step(step, rank)
        loss, info = train_step(model, batch, optimizers, autocast=autocast, in_backward=in_backward)
        step += 1
        steps_done += 1
        metrics = {"tr/loss": float(loss.detach())}
        for key in ("pick_loss", "place_loss"):
            if key in info:
                metrics[f"tr/{key}"] = float(info[key])
        if logger is not None:
            logger.log(step, metrics)
        if bar is not None:
            rate = steps_done / max(time.perf_counter() - t0, 1e-9)
            shown = nats_postfix(metrics, getattr(policy, "image_size", None),
                                 getattr(getattr(policy, "config", None), "n_rotations", 1))
            bar.set_postfix(**shown, steps_s=f"{rate:.2f}")
            bar.update(1)
        periodic = settings.val_every > 0 and step % settings.val_every == 0
        if step in save_steps or periodic:
            val = validate(policy, val_batches())
            result.last_val_loss = val.get("vl/loss")
            if logger is not None:
                logger.log(step, val)
            if step in save_steps:
                vl = result.last_val_loss if result.last_val_loss is not None else math.nan
                save(checkpoint_dir / f"steps={step:05d}-val_loss={vl:.8f}.ckpt", vl)
        if step % settings.last_every == 0 or step == settings.n_steps:
            save(last, result.last_val_loss)
    if bar is not None:
        bar.close()
    result.end_step = step
    return result


def _autocast(precision: str):
    if precision == "32":
        return torch.autocast("cpu", enabled=False)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device, dtype=dtype)
