"""One training step of a policy, shared by ``Policy.train_step``, the training loop and the benchmarks.

Why this exists: the step is where a run spends its compute and memory, and the benchmark must time
exactly what training does. The step is the original's: pick loss -> backward -> pick Adam update,
then place loss -> backward -> place update (inputs, labels and text prepared once; frozen-encoder
features once per input), so only one module's graph is alive at a time. With DistributedDataParallel
it is one backward of the summed loss (the parameter sets are disjoint: the same gradients, tested).

Options (all give the same numbers; tests/agents/test_same_numbers.py):

* ``fused`` Adam (:func:`make_optimizers`): torch's single-kernel Adam where the parameters' device
  has one (CPU and CUDA), the same update formula as the default multi-tensor Adam.
* ``optimizer_in_backward``: each parameter's Adam update runs as soon as its gradient is complete in
  the backward pass and the gradient is freed at once, so the 1.1 GB of cliport gradients never exist
  together. Not with DistributedDataParallel (gradients must be averaged first).
* activation checkpointing lives in the modules (``Policy.set_activation_checkpointing``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import torch
from torch import Tensor, nn


def fused_available(params: list[nn.Parameter]) -> bool:
    """Whether torch's fused Adam kernel can update these parameters (floating, on CPU or CUDA)."""
    return bool(params) and all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in params)


def make_optimizers(
    groups: Mapping[str, list[nn.Parameter]], lr: float, fused: bool | None = None
) -> dict[str, torch.optim.Optimizer]:
    """One Adam per parameter group (the original's pick and place optimisers; default betas and eps,
    no weight decay). ``fused=None`` uses the fused kernel where :func:`fused_available`."""
    out = {}
    for name, params in groups.items():
        params = [p for p in params if p.requires_grad]
        use = fused_available(params) if fused is None else fused
        out[name] = torch.optim.Adam(params, lr=lr, fused=True) if use else torch.optim.Adam(params, lr=lr)
    return out


def match_state_layout(optimizers: Mapping[str, torch.optim.Optimizer]) -> None:
    """Give every per-parameter optimiser state tensor its parameter's memory layout (in place).

    A checkpoint stores the moments contiguously; the parameters may be channels_last. The fused Adam
    kernel walks parameter, gradient and moments as flat memory, so they must share one layout (the
    multi-tensor Adam copes with any strides; the fused one silently mixes up elements).
    """
    for opt in optimizers.values():
        for group in opt.param_groups:
            for p in group["params"]:
                state = opt.state.get(p, {})
                for key, value in state.items():
                    if torch.is_tensor(value) and value.shape == p.shape and value.stride() != p.stride():
                        state[key] = torch.empty_like(p, dtype=value.dtype).copy_(value)


@contextmanager
def optimizer_in_backward(optimizers: Mapping[str, torch.optim.Optimizer]) -> Iterator[None]:
    """Within the block, a backward pass applies each parameter's Adam update as soon as its gradient is
    accumulated, then frees that gradient. The optimisers keep their state (checkpoints are unchanged):
    the per-parameter updaters share it."""
    handles = []
    for opt in optimizers.values():
        for group in opt.param_groups:
            hyper = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                single = type(opt)([p], **hyper)
                single.state = opt.state  # same moments and step counts as the grouped optimiser

                def hook(param: Tensor, single: torch.optim.Optimizer = single) -> None:
                    single.step()
                    param.grad = None

                handles.append(p.register_post_accumulate_grad_hook(hook))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def train_step(
    model: nn.Module,
    batch: Mapping[str, Any],
    optimizers: Mapping[str, torch.optim.Optimizer],
    *,
    autocast: Any = None,
    in_backward: bool = False,
) -> tuple[Tensor, dict[str, Tensor]]:
    """One step; ``model`` is the policy or its DistributedDataParallel wrapper. Returns the (detached)
    loss and the info dict with ``pick_loss`` / ``place_loss``.

    A policy with ``loss_parts`` (single process) runs the original's order, one module at a time: pick
    loss -> backward -> pick update, then place, so only one module's graph is alive (peak memory = the
    larger module's activations, not their sum). Otherwise (DDP, other modules): the summed loss, one
    backward (DDP expects one backward per forward), every optimiser. Both give the same gradients."""
    for opt in optimizers.values():
        opt.zero_grad(set_to_none=True)
    policy = getattr(model, "module", model)
    precision = autocast if autocast is not None else ExitStack()
    with ExitStack() as stack:
        cache = getattr(policy, "frozen_feature_cache", None)
        if cache is not None:
            stack.enter_context(cache())  # features reused by a checkpointed stream's recompute
        if model is policy and hasattr(policy, "loss_parts"):
            with precision:
                parts = policy.loss_parts(batch)
            losses = {}
            for name, compute in parts.items():
                with precision:
                    loss = compute()
                _backward_and_update(loss, {name: optimizers[name]}, in_backward)
                losses[f"{name}_loss"] = loss.detach()
            total = sum(losses.values())
            return total, {"loss": total, **losses}
        with precision:
            loss, info = model(batch)
        _backward_and_update(loss, optimizers, in_backward)
    return loss.detach(), info


def _backward_and_update(
    loss: Tensor, optimizers: Mapping[str, torch.optim.Optimizer], in_backward: bool
) -> None:
    if in_backward:
        with optimizer_in_backward(optimizers):
            loss.backward()
    else:
        loss.backward()
        for opt in optimizers.values():
            opt.step()


def original_recipe_step(policy: nn.Module, batch: Mapping[str, Any],
                         optimizers: Mapping[str, torch.optim.Optimizer]) -> float:
    """The step as it ran before the options above, kept as the reference that the benchmark times
    (``bench_agents.py``'s ``original`` recipe) and the same-numbers test compares against: pick loss ->
    backward -> update, then place loss -> backward -> update, with the multi-tensor Adam the caller
    made, no autocast, no update in the backward, no feature cache. Returns pick + place loss."""
    policy.train()
    total = 0.0
    for name, compute in policy.loss_parts(batch).items():  # pick, then place
        loss = compute()
        loss.backward()
        optimizers[name].step()
        optimizers[name].zero_grad(set_to_none=True)
        total += float(loss.detach())
    return total
