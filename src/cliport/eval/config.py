"""The evaluation configuration: the original's keys (data_train_eval.md §9) plus repeats and workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cliport.data.config import check_sim_path
from cliport.errors import ConfigError


@dataclass
class EvalRecordConfig:
    save_video: bool = False
    path: str = ""  # default: {exp dir of eval_task}/videos
    add_text: bool = True
    fps: int = 20
    video_height: int = 640
    video_width: int = 720
    every: int = 5  # a frame every this many physics steps


@dataclass
class EvalConfig:
    root_dir: str = "."
    mode: str = "val"  # val | test
    agent: str = "cliport"
    n_demos: int = 100  # evaluation episodes
    train_demos: int = 1000  # only used to build paths
    n_repeats: int = 1
    save_results: bool = True
    update_results: bool = False
    checkpoint_type: str = "val_missing"  # val_missing | test_best | last | a checkpoint name
    disp: bool = False
    eval_task: str = "packing-boxes-pairs-seen-colors"
    model_task: str = ""  # default: eval_task
    type: str = "single"  # single | multi
    model_dir: str = ""  # default: root_dir
    exp_folder: str = "exps"
    data_dir: str = "data"
    assets_root: str = ""
    renderer: str = ""  # default: the environment's default renderer
    ik: str = "analytic"  # simulator path: ik=pybullet motion=legacy is the pre-issue-10 one (fidelity.md)
    motion: str = "fast"
    # --- beyond the original
    workers: int = 1
    clip_weights: str = ""
    allow_random_clip: bool = False
    device: str = "cpu"
    #: act() arithmetic: 32 (float32, as the original; default) or bf16 (bfloat16 autocast: faster where
    #: the device does bf16 natively; a near-tie of the logits can then decode to another pixel)
    precision: str = "32"
    channels_last: bool = True  # NHWC weights/activations: faster act() (see train.channels_last)
    progress: bool = True
    record: EvalRecordConfig = field(default_factory=EvalRecordConfig)


@dataclass(frozen=True)
class EvalPaths:
    model_path: Path  # folder of the checkpoints to evaluate
    results_path: Path  # folder where results JSON files go
    data_path: Path  # episodes providing seeds
    video_path: Path


def resolve_paths(cfg: EvalConfig) -> EvalPaths:
    model_task = cfg.model_task or cfg.eval_task
    model_dir = Path(cfg.model_dir or cfg.root_dir)
    exp = model_dir / cfg.exp_folder
    model_path = exp / f"{model_task}-{cfg.agent}-n{cfg.train_demos}-train" / "checkpoints"
    save_dir = exp / f"{cfg.eval_task}-{cfg.agent}-n{cfg.train_demos}-train"
    data_dir = Path(cfg.data_dir)
    if not data_dir.is_absolute():
        data_dir = Path(cfg.root_dir) / data_dir
    video = Path(cfg.record.path) if cfg.record.path else save_dir / "videos"
    return EvalPaths(model_path, save_dir / "checkpoints", data_dir / f"{cfg.eval_task}-{cfg.mode}", video)


def validate(cfg: EvalConfig) -> None:
    checks = [
        (cfg.mode in ("val", "test", "train"), "mode must be val or test"),
        (cfg.n_demos >= 1, "n_demos must be >= 1"),
        (cfg.n_repeats >= 1, "n_repeats must be >= 1"),
        (cfg.workers >= 1, "workers must be >= 1"),
        (cfg.type in ("single", "multi"), "type must be single or multi"),
        (bool(cfg.checkpoint_type), "checkpoint_type must not be empty"),
        (cfg.precision in ("32", "bf16"), f"precision must be 32 or bf16, got {cfg.precision!r}"),
    ]
    for ok, msg in checks:
        if not ok:
            raise ConfigError(msg)
    check_sim_path(cfg.ik, cfg.motion)
