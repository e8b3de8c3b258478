"""The ``demos`` configuration: the original's keys and defaults (spec §1) as a typed schema.

Overrides use the original's Hydra syntax (``n=10 task=put-block-in-bowl-seen-colors mode=test``,
``record.save_video=True``); a bare ``disp`` means ``disp=True``. Unknown keys and bad values raise
:class:`ConfigError` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cliport.errors import ConfigError


@dataclass
class RecordConfig:
    save_video: bool = False
    save_video_path: str = ""  # default {data_dir}/{task}-{mode}/videos/
    add_text: bool = False
    fps: int = 20
    video_height: int = 640
    video_width: int = 720
    #: Render a video frame every this many physics steps (the original: 5); 0 = one frame per action.
    every: int = 5


@dataclass
class AugmentConfig:
    #: Rotation sigma (degrees) of the SE(2) augmentation; the original uses 60 for every task.
    theta_sigma: float = 60.0
    #: Per-task overrides, e.g. {align-rope: 0} for tasks whose instructions name left/right.
    theta_sigma_per_task: dict[str, float] = field(default_factory=dict)

    def mapping(self) -> dict[str, float]:
        """The {task: sigma, "default": sigma} form the datasets take."""
        per_task = {k: float(v) for k, v in self.theta_sigma_per_task.items()}
        return {"default": float(self.theta_sigma), **per_task}


@dataclass
class DatasetConfig:
    type: str = "single"
    images: bool = True
    cache: bool = True
    augment: AugmentConfig = field(default_factory=AugmentConfig)


@dataclass
class DemosConfig:
    data_dir: str = "data"
    assets_root: str = ""  # empty: the generated asset cache
    disp: bool = False
    shared_memory: bool = False
    task: str = "packing-boxes-pairs-seen-colors"
    mode: str = "train"
    n: int = 1000
    save_data: bool = True
    save_raw: bool = False
    workers: int = 1
    shard: str = ""  # "i/N": this process generates attempts k with k % N == i
    merge: bool = False  # only (re)build dataset.json from what the shards wrote
    progress: bool = True
    #: Simulator path (issue 10): closed-form IK and fast motion loops; ``ik=pybullet motion=legacy``
    #: reproduces datasets made before them byte for byte (docs/fidelity.md, "Closed-form IK").
    ik: str = "analytic"
    motion: str = "fast"
    #: "module:function" building the per-process episode runner (tests plug in a stand-in here).
    runner: str = "cliport.data.sim_runner:make_runner"
    record: RecordConfig = field(default_factory=RecordConfig)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)

    def validate(self) -> DemosConfig:
        if self.mode not in ("train", "val", "test"):
            raise ConfigError(f"mode must be train, val or test, got {self.mode!r}")
        if self.n < 1:
            raise ConfigError(f"n must be >= 1 (the number of episodes to generate), got {self.n}")
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers}")
        if Path(self.data_dir).exists() and not Path(self.data_dir).is_dir():
            raise ConfigError(f"data_dir {self.data_dir!r} is a file, not a folder; pass data_dir=<folder>")
        if ":" not in self.runner:
            raise ConfigError(f"runner must be 'module:function', got {self.runner!r}")
        check_sim_path(self.ik, self.motion)
        return self


def check_sim_path(ik: str, motion: str) -> None:
    """The ``ik=`` / ``motion=`` keys of demos and eval name one of the simulator's paths."""
    from cliport.env.robot import sim_path_problem

    if (problem := sim_path_problem(ik, motion)) is not None:
        raise ConfigError(problem)


def parse_overrides(argv: list[str], schema: type = DemosConfig):
    """``key=value`` overrides -> a validated ``schema`` instance (see :mod:`cliport.config`)."""
    from cliport.config import parse_overrides as merge
    from cliport.config import to_object

    cfg = to_object(merge(schema, argv))
    return cfg.validate() if hasattr(cfg, "validate") else cfg
