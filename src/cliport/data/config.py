"""The ``demos`` configuration: the original's keys and defaults (spec §1) as a typed schema.

Overrides use the original's Hydra syntax (``n=10 task=put-block-in-bowl-seen-colors mode=test``,
``record.save_video=True``); a bare ``disp`` means ``disp=True``. Unknown keys and bad values raise
:class:`ConfigError` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from cliport.errors import ConfigError


@dataclass
class RecordConfig:
    save_video: bool = False
    save_video_path: str = ""  # default {data_dir}/{task}-{mode}/videos/
    add_text: bool = False
    fps: int = 20
    video_height: int = 640
    video_width: int = 720


@dataclass
class AugmentConfig:
    theta_sigma: float = 60.0


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
    #: "module:function" building the per-process episode runner (tests plug in a stand-in here).
    runner: str = "cliport.data.sim_runner:make_runner"
    record: RecordConfig = field(default_factory=RecordConfig)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)

    def validate(self) -> DemosConfig:
        if self.mode not in ("train", "val", "test"):
            raise ConfigError(f"mode must be train, val or test, got {self.mode!r}")
        if self.n < 0:
            raise ConfigError(f"n must be >= 0, got {self.n}")
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers}")
        if ":" not in self.runner:
            raise ConfigError(f"runner must be 'module:function', got {self.runner!r}")
        return self


def parse_overrides(argv: list[str], schema: type = DemosConfig):
    """``key=value`` overrides -> a validated ``schema`` instance."""
    dotlist = []
    for arg in argv:
        if "=" not in arg:
            if arg.startswith("-"):
                raise ConfigError(f"unexpected option {arg!r}; use key=value overrides (e.g. n=10 task=...)")
            arg = f"{arg}=true"  # bare flag, e.g. `disp`
        key = arg.split("=", 1)[0].lstrip("+")
        dotlist.append(f"{key}={arg.split('=', 1)[1]}")
    base = OmegaConf.structured(schema)
    try:
        merged = OmegaConf.merge(base, OmegaConf.from_dotlist(dotlist))
        cfg = OmegaConf.to_object(merged)
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or getattr(err, "key", None)
        reason = str(err).splitlines()[0]
        if isinstance(err, (ConfigKeyError, ConfigAttributeError)):
            raise ConfigError(f"unknown key {key!r} ({reason})") from err
        raise ConfigError(f"bad value for key {key!r}: {reason}") from err
    return cfg.validate() if hasattr(cfg, "validate") else cfg
