"""The training configuration: the original's keys (data_train_eval.md §6) plus batching and devices."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cliport.data.config import DatasetConfig
from cliport.errors import ConfigError

#: The original's checkpoint steps.
DEFAULT_SAVE_STEPS = [
    1000, 2000, 3000, 4000, 5000, 7000, 10000, 20000, 40000, 80000, 120000, 160000, 200000,
    300000, 400000, 500000, 600000, 800000, 1000000, 1200000,
]


@dataclass
class TrainSection:
    exp_folder: str = "exps"
    train_dir: str = ""  # default: {root_dir}/{exp_folder}/{task}-{agent}-n{n_demos}-train
    data_dir: str = "data"
    task: str = "packing-boxes-pairs-seen-colors"
    agent: str = "cliport"
    n_demos: int = 1000
    n_steps: int = 201000
    n_rotations: int = 36
    batchnorm: bool = False
    lr: float = 1e-4
    attn_stream_fusion_type: str = "add"
    trans_stream_fusion_type: str = "conv"
    lang_fusion_type: str = "mult"
    log: bool = False  # Weights & Biases
    n_val: int = 100
    val_repeats: int = 1
    save_steps: list[int] = field(default_factory=lambda: list(DEFAULT_SAVE_STEPS))
    #: Overwrite last.ckpt every this many steps (the original: 1000).
    last_every: int = 1000
    load_from_last_ckpt: bool = True
    # --- beyond the original
    batch_size: int = 1
    num_workers: int = 0
    devices: int = 1  # processes (GPUs, or CPU processes with gloo)
    accelerator: str = "auto"  # auto | cpu | cuda
    #: auto = bf16 autocast where the device does bf16 natively (CUDA bf16, CPU AMX/AVX512-BF16), else 32.
    precision: str = "auto"  # auto | 32 | bf16 | 16
    #: Keep conv weights and activations in NHWC (channels_last) memory: the same numbers up to float
    #: rounding order; 1.6x faster fp32 training steps on 2 CPU threads, 2.5x in bf16 (docs/performance.md).
    channels_last: bool = True
    #: Recompute each stream's activations in the backward pass instead of keeping them: less memory
    #: (docs/performance.md), about one more forward pass of the trainable streams per step.
    activation_checkpointing: bool = False
    #: Apply each parameter's Adam update as soon as its gradient is complete in the backward pass and
    #: free the gradient (the same numbers; cliport: 1.1 GB less). Ignored with train.devices > 1.
    optimizer_in_backward: bool = True
    seed: int = 0
    clip_weights: str = ""
    allow_random_clip: bool = False
    #: Validate (logged) every this many steps; 0 = the original's (max_epochs // 50) epochs; -1 = only
    #: the validation passes before saves.
    val_every: int = 0
    #: Architecture knobs handed to the agent (e.g. {resnet_base: 8} for a tiny test network).
    model_options: dict[str, Any] = field(default_factory=dict)
    progress: bool = True


@dataclass
class WandbConfig:
    project: str = "cliport"
    entity: str = ""
    monitor: str = "val_loss"


@dataclass
class TrainConfig:
    root_dir: str = "."
    tag: str = "default"
    train: TrainSection = field(default_factory=TrainSection)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    wandb: WandbConfig = field(default_factory=WandbConfig)


def train_dir(cfg: TrainConfig) -> Path:
    """``{root_dir}/{exp_folder}/{task}-{agent}-n{n_demos}-train`` unless ``train.train_dir`` is set."""
    t = cfg.train
    if t.train_dir:
        return Path(t.train_dir)
    return Path(cfg.root_dir) / t.exp_folder / f"{t.task}-{t.agent}-n{t.n_demos}-train"


def data_dir(cfg: TrainConfig) -> Path:
    d = Path(cfg.train.data_dir)
    return d if d.is_absolute() else Path(cfg.root_dir) / d


def validate(cfg: TrainConfig) -> None:
    """Reject values that cannot work, naming the key."""
    t = cfg.train
    checks = [
        (t.n_demos >= 1, "train.n_demos must be >= 1"),
        (Path(t.data_dir).is_dir() or not Path(t.data_dir).exists(),
         f"train.data_dir {t.data_dir!r} is a file, not a folder; pass train.data_dir=<folder>"),
        (t.n_steps >= 1, "train.n_steps must be >= 1"),
        (t.batch_size >= 1, "train.batch_size must be >= 1"),
        (t.num_workers >= 0, "train.num_workers must be >= 0"),
        (t.devices >= 1, "train.devices must be >= 1"),
        (t.lr > 0, "train.lr must be > 0"),
        (t.n_rotations >= 1, "train.n_rotations must be >= 1"),
        (t.precision in ("auto", "32", "bf16", "16"), "train.precision must be one of auto, 32, bf16, 16"),
        (t.accelerator in ("auto", "cpu", "cuda"), "train.accelerator must be auto, cpu or cuda"),
        (cfg.dataset.type in ("single", "multi"), "dataset.type must be single or multi"),
        (t.last_every >= 1, "train.last_every must be >= 1"),
        (isinstance(t.activation_checkpointing, bool),
         "train.activation_checkpointing must be true or false"),
        (isinstance(t.optimizer_in_backward, bool), "train.optimizer_in_backward must be true or false"),
    ]
    for ok, msg in checks:
        if not ok:
            raise ConfigError(msg)


def val_interval(cfg: TrainConfig) -> int:
    """Steps between periodic validations: the original's (max_epochs // 50) epochs of n_demos steps."""
    t = cfg.train
    if t.val_every > 0:
        return t.val_every
    max_epochs = max(1, t.n_steps // t.n_demos)
    return max(1, max_epochs // 50) * t.n_demos
