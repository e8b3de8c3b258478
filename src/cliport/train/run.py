"""``train(cfg)``: wire the dataset, the agent and the loop together (callable from tests and the CLI).

Folder layout as the original: ``{root_dir}/{exp_folder}/{task}-{agent}-n{n_demos}-train/`` with
``checkpoints/steps=NNNNN-val_loss=X.ckpt`` and ``checkpoints/last.ckpt``, and the resolved config in
``.hydra/config.yaml`` (where the original's evaluation looks for it) and ``config.yaml``.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import torch
from omegaconf import OmegaConf

from cliport.allocator import reuse_freed_memory
from cliport.atomic import remove_stale_temporaries
from cliport.config import save_config
from cliport.errors import ConfigError
from cliport.train.config import TrainConfig, data_dir, train_dir, val_interval, validate
from cliport.train.loop import LoopResult, LoopSettings, fit
from cliport.train.precision import resolve_precision


def _device(cfg: TrainConfig) -> str:
    acc = cfg.train.accelerator
    if acc == "cuda" or (acc == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("train.accelerator=cuda but no CUDA device is available")
        return f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return "cpu"


def build_policy(cfg: TrainConfig, device: str, precision: str = "32"):
    from cliport.agents.config import AgentConfig
    from cliport.agents.policy import build_agent

    t = cfg.train
    agent_cfg = AgentConfig(
        agent=t.agent, n_rotations=t.n_rotations, attn_stream_fusion_type=t.attn_stream_fusion_type,
        trans_stream_fusion_type=t.trans_stream_fusion_type, lang_fusion_type=t.lang_fusion_type,
        batchnorm=t.batchnorm, lr=t.lr, model_options=dict(getattr(t, "model_options", {}) or {}),
    )
    # bf16 training computes the frozen CLIP in bf16 anyway: store it so (half the memory, no casts).
    frozen = "bf16" if precision == "bf16" else "fp32"
    return build_agent(agent_cfg, clip_weights=t.clip_weights or None,
                       allow_random_encoders=t.allow_random_clip, device=device,
                       channels_last=t.channels_last, frozen_precision=frozen)


def _datasets(cfg: TrainConfig, with_goal: bool):
    from cliport.data.dataset import make_dataset

    t = cfg.train
    theta = cfg.dataset.augment.mapping()
    common = dict(cache=cfg.dataset.cache, with_goal=with_goal, seed=t.seed)
    train_ds = make_dataset(data_dir(cfg), t.task, "train", n_demos=t.n_demos, augment=True,
                            theta_sigma=theta, **common)
    val_ds = make_dataset(data_dir(cfg), t.task, "val", n_demos=0, augment=False, theta_sigma=theta, **common)
    return train_ds, val_ds


def train(cfg: TrainConfig, stop_after: int | None = None) -> LoopResult:
    """Train as configured; with ``train.devices > 1`` outside torchrun, spawn that many processes."""
    validate(cfg)
    check_names(cfg.train.task, cfg.train.agent)
    from cliport.train.distributed import launched_by_torchrun, spawn

    if cfg.train.devices > 1 and not launched_by_torchrun():
        device = "cuda" if _device(cfg).startswith("cuda") else "cpu"
        spawn(_train_rank, nprocs=cfg.train.devices, device=device, args=(OmegaConf.to_container(
            OmegaConf.structured(cfg)), stop_after))
        return LoopResult(0, cfg.train.n_steps)
    if launched_by_torchrun():
        from cliport.train.distributed import init_process_group

        init_process_group(_device(cfg))
    return _train_here(cfg, stop_after)


def check_names(task: str, agent: str) -> None:
    """Unknown task/group or agent names fail before anything is built, with close matches."""
    from cliport.agents.registry import agent_spec
    from cliport.tasks.groups import is_group
    from cliport.tasks.registry import UnknownTaskError, task_info

    agent_spec(agent)
    if is_group(task):
        return
    try:
        task_info(task)
    except UnknownTaskError:
        from cliport.tasks.groups import GROUPS
        from cliport.tasks.registry import task_names

        close = difflib.get_close_matches(task, [*task_names(), *GROUPS], n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise UnknownTaskError(
            f"unknown task or group {task!r}; {hint}`cliport tasks` lists the tasks, multi-task groups are "
            "named multi-* (cliport.tasks.groups)"
        ) from None


def _train_rank(cfg_dict: dict, stop_after: int | None) -> None:
    cfg = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(TrainConfig), cfg_dict))
    _train_here(cfg, stop_after)


def _train_here(cfg: TrainConfig, stop_after: int | None) -> LoopResult:
    from cliport.agents.checkpoint import checkpoint_metadata
    from cliport.train.data import BatchStream, validation_batches
    from cliport.train.logging import MetricLogger

    rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
    world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
    t = cfg.train
    torch.manual_seed(t.seed)
    out = train_dir(cfg)
    device = _device(cfg)
    from cliport.agents.registry import agent_spec

    # The datasets first: a missing or short dataset is reported before the networks are built.
    train_ds, val_ds = _datasets(cfg, with_goal=agent_spec(t.agent).uses_goal_image)
    precision = resolve_precision(t.precision, device)
    if device == "cpu":
        reuse_freed_memory()  # no page faults for the step's activations (cliport.allocator)
    policy = build_policy(cfg, device, precision)
    if rank == 0:
        for folder in (out, out / ".hydra"):  # config/metrics temporaries of a killed run
            remove_stale_temporaries(folder)
        resolved = OmegaConf.structured(cfg)
        save_config(resolved, out / ".hydra" / "config.yaml")
        save_config(resolved, out / "config.yaml")
    stream = BatchStream(train_ds, t.batch_size, t.n_steps, t.num_workers, world,
                         pin_memory=device.startswith("cuda"))
    val_cache: list[dict] | None = None

    def val_batches() -> list[dict]:
        nonlocal val_cache
        if val_cache is None:
            val_cache = [_to(b, device) for b in validation_batches(val_ds, t.n_val, t.batch_size)]
        return val_cache

    wandb_cfg = None
    if t.log:
        wandb_cfg = {"project": cfg.wandb.project, "name": out.name, "dir": str(out)}
        if cfg.wandb.entity:
            wandb_cfg["entity"] = cfg.wandb.entity
    logger = MetricLogger(out, wandb_cfg=wandb_cfg, enabled=rank == 0)
    settings = LoopSettings(
        n_steps=t.n_steps, lr=t.lr, save_steps=list(t.save_steps), last_every=t.last_every,
        val_every=val_interval(cfg) if t.val_every >= 0 else 0, resume=t.load_from_last_ckpt,
        progress=t.progress, precision=precision, activation_checkpointing=t.activation_checkpointing,
        optimizer_in_backward=t.optimizer_in_backward,
    )
    try:
        return fit(policy, settings, lambda step, r: _to(stream(step, r), device), val_batches,
                   out / "checkpoints", lambda: checkpoint_metadata(policy.config), logger,
                   stop_after=stop_after)
    finally:
        logger.close()


def _to(batch: dict, device: str) -> dict:
    if device == "cpu":
        return batch
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


def checkpoint_dir(cfg: TrainConfig) -> Path:
    return train_dir(cfg) / "checkpoints"
