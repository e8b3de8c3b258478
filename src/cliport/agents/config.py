"""The agent's configuration: one validated dataclass that is stored, as JSON, inside every checkpoint.

Why this exists: a checkpoint must rebuild its agent from the file alone (no Hydra run folder), so
everything that shapes the networks lives here and nowhere else. User-specific settings that do not
change the architecture (where the CLIP weights are, the device) are *not* part of it; they are
arguments of :func:`cliport.agents.build_agent` / :func:`cliport.agents.load_agent`.
Defaults are the original's training defaults (spec data_train_eval.md §6).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

from cliport.errors import ConfigError
from cliport.geometry import CROP_SIZE, HEIGHTMAP_SHAPE, N_ROTATIONS

STREAM_FUSION_TYPES = ("add", "mult", "max", "concat", "conv", "deep_conv")
LANG_FUSION_TYPES = (
    "add",
    "mult",
    "max",
    "concat",
    "conv",
    "deep_conv",
    "film",
    "mult_word",
    "word_attn",
    "sent_attn",
    "multi_headed_word_attn",
)
ACT_BATCHNORM_MODES = ("batch", "running")


@dataclass
class AgentConfig:
    """Everything that defines an agent's networks and its training hyper-parameters."""

    agent: str = "cliport"
    #: (rows, cols) of the fused input; only tests change it (the benchmark's grid is 320 x 160).
    image_size: tuple[int, int] = HEIGHTMAP_SHAPE
    n_rotations: int = N_ROTATIONS
    crop_size: int = CROP_SIZE
    attn_stream_fusion_type: str = "add"
    trans_stream_fusion_type: str = "conv"
    lang_fusion_type: str = "mult"
    batchnorm: bool = False
    lr: float = 1e-4
    #: BatchNorm statistics used by ``act``: "batch" reproduces the original evaluation script (modules
    #: left in train mode, models.md §12, without touching the running statistics); "running" = eval mode.
    act_batchnorm: str = "batch"
    #: Architecture options handed to the network constructors unchanged (e.g. a reduced width for
    #: tests). Empty = the paper's sizes.
    model_options: dict = field(default_factory=dict)
    #: Architecture options of the frozen encoders (e.g. a reduced CLIP width for tests). Empty = RN50.
    encoder_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        from cliport.agents.registry import agent_spec  # late import: registry imports nothing heavy

        agent_spec(self.agent)  # raises a clear error naming the known agents
        size = tuple(self.image_size) if isinstance(self.image_size, (list, tuple)) else ()
        if len(size) != 2 or not all(isinstance(v, int) and v >= 8 for v in size):
            raise ConfigError(f"image_size must be two integers >= 8 (rows, cols), got {self.image_size!r}")
        self.image_size = size  # JSON gives a list
        if not isinstance(self.n_rotations, int) or self.n_rotations < 1:
            raise ConfigError(f"n_rotations must be a positive integer, got {self.n_rotations!r}")
        if not isinstance(self.crop_size, int) or self.crop_size < 2 or self.crop_size % 2:
            raise ConfigError(f"crop_size must be an even integer >= 2, got {self.crop_size!r}")
        for key, allowed in (
            ("attn_stream_fusion_type", STREAM_FUSION_TYPES),
            ("trans_stream_fusion_type", STREAM_FUSION_TYPES),
            ("lang_fusion_type", LANG_FUSION_TYPES),
            ("act_batchnorm", ACT_BATCHNORM_MODES),
        ):
            if getattr(self, key) not in allowed:
                raise ConfigError(f"{key} must be one of {', '.join(allowed)}; got {getattr(self, key)!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ConfigError(f"lr must be a positive number, got {self.lr!r}")
        for key in ("model_options", "encoder_options"):
            if not isinstance(getattr(self, key), dict):
                raise ConfigError(f"{key} must be a mapping, got {type(getattr(self, key)).__name__}")
            try:  # normalise to what a checkpoint's JSON gives back (tuples -> lists)
                setattr(self, key, json.loads(json.dumps(getattr(self, key))))
            except (TypeError, ValueError) as err:
                raise ConfigError(f"{key} must be JSON-serialisable: {err}") from None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> AgentConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown agent config key(s): {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> AgentConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"agent config is not valid JSON: {err}") from None
        if not isinstance(data, dict):
            raise ConfigError("agent config JSON must be an object")
        return cls.from_dict(data)
