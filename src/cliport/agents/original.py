"""Read a Lightning ``.ckpt`` saved by the original CLIPort into one of our agents.

Why this exists: released CLIPort checkpoints are pickled Lightning files holding the whole module
(key layout of models.md §13: ``attention.attn_stream_one.*``, ``transport.key_stream_two.*`` ...) with
three fp16 copies of the frozen CLIP. We map ``attention.`` -> ``pick.`` and ``transport.`` -> ``place.``
(our modules use the original's attribute names below that), drop the frozen encoder copies (after
comparing them with the agent's own frozen encoder, or loading one of them into it on request) and load
the rest with strict key and shape checks. The file itself is read safely by
:mod:`cliport.agents.lightning_file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from cliport.agents.checkpoint import CheckpointError, load_state_strict
from cliport.agents.config import AgentConfig
from cliport.agents.lightning_file import read_lightning_checkpoint
from cliport.agents.registry import AgentSpec

#: Frozen children of a stream network, by network family (models.md §9.2, §13): never trainable.
FROZEN_CHILDREN = {
    "clip": ("clip_rn50",),
    "rn50_bert": ("stem", "layer1", "layer2", "layer3", "layer4", "text_encoder"),
    "bert": ("text_encoder",),
}

#: The original's attribute names of the streams inside the attention / transport modules.
STREAM_ONE_NAMES = (
    "attn_stream_one",
    "key_stream_one",
    "query_stream_one",
    "attn_stream",
    "key_resnet",
    "query_resnet",
    "goal_resnet",
)
STREAM_TWO_NAMES = ("attn_stream_two", "key_stream_two", "query_stream_two")
PREFIX_MAP = {"attention.": "pick.", "transport.": "place."}


def _family(network: str | None) -> str | None:
    if network is None:
        return None
    if "rn50_bert" in network:
        return "rn50_bert"
    if network.startswith("clip"):
        return "clip"
    if network == "plain_resnet_lang":
        return "bert"
    return None


@dataclass
class ConversionReport:
    """What the conversion did: counts, the frozen copies found and how they compare."""

    source: str
    loaded: int = 0
    dropped_frozen: dict[str, int] = field(default_factory=dict)  # stream prefix -> tensors dropped
    clip_compared: int = 0
    clip_max_weight_diff: float = 0.0
    clip_max_stat_diff: float = 0.0
    clip_loaded_from: str | None = None
    not_compared: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"source: {self.source}", f"trainable tensors loaded: {self.loaded} (strict key/shape check)"]
        for prefix, n in self.dropped_frozen.items():
            out.append(f"frozen encoder copy dropped: {prefix} ({n} tensors)")
        if self.clip_compared:
            out.append(
                f"frozen copies vs the agent's encoder: {self.clip_compared} tensors, max |weight diff| "
                f"{self.clip_max_weight_diff:.3g} (fp16 rounding), max |BatchNorm statistic diff| "
                f"{self.clip_max_stat_diff:.3g} (the original updates them while training)"
            )
        for prefix in self.not_compared:
            out.append(f"frozen copy {prefix} not compared (no matching encoder tensors)")
        if self.clip_loaded_from:
            out.append(f"frozen encoder loaded from the checkpoint copy {self.clip_loaded_from}")
        for key, value in self.metadata.items():
            out.append(f"{key}: {value}")
        return out


def split_state(state: dict[str, Tensor], spec: AgentSpec) -> tuple[dict[str, Tensor], dict[str, dict]]:
    """Original state dict -> (our trainable state with pick./place. prefixes, frozen copies by prefix).

    Frozen copies are returned as {"attention.attn_stream_two.clip_rn50": {suffix: tensor}}.
    """
    trainable: dict[str, Tensor] = {}
    frozen: dict[str, dict[str, Tensor]] = {}
    for key, value in state.items():
        parts = key.split(".")
        if len(parts) >= 3:
            network = (
                spec.stream_one
                if parts[1] in STREAM_ONE_NAMES
                else spec.stream_two
                if parts[1] in STREAM_TWO_NAMES
                else None
            )
            family = _family(network)
            if family and parts[2] in FROZEN_CHILDREN[family]:
                frozen.setdefault(".".join(parts[:3]), {})[".".join(parts[3:])] = value  # child-relative
                continue
        for old, new in PREFIX_MAP.items():
            if key.startswith(old):
                trainable[new + key[len(old) :]] = value
                break
        else:
            trainable[key] = value  # reported as unexpected by the strict load
    return trainable, frozen


def _aligned(ours: dict[str, Tensor], theirs: dict[str, Tensor]) -> dict[str, str]:
    """Map every key of ``theirs`` onto ``ours`` through one constant prefix (a wrapper's attribute
    name) with equal shapes; {} when no prefix covers them all."""
    if not theirs:
        return {}
    first = next(iter(theirs))
    prefixes = {o[: len(o) - len(first)] for o in ours if o == first or o.endswith("." + first)}
    for prefix in sorted(prefixes, key=len):
        if all(prefix + k in ours and ours[prefix + k].shape == v.shape for k, v in theirs.items()):
            return {k: prefix + k for k in theirs}
    return {}


def _is_stat(key: str) -> bool:
    return key.endswith(("running_mean", "running_var", "num_batches_tracked"))


def compare_frozen(
    copy: dict[str, Tensor], module: torch.nn.Module, mapping: dict[str, str], name: str
) -> tuple[float, float]:
    """Compare a frozen copy with our encoder: (max weight diff, max BatchNorm statistic diff).

    Ours is cast to the copy's dtype first (the original stores CLIP in fp16); the statistics are
    reported only (the original's train-mode CLIP updated them while training, models.md §12)."""
    ours = module.state_dict()
    w_diff = s_diff = 0.0
    for k, ok in mapping.items():
        theirs, mine = copy[k], ours[ok]
        if not theirs.is_floating_point() or theirs.numel() == 0:
            continue
        diff = float((mine.to(theirs.dtype).float() - theirs.float()).abs().max())
        if _is_stat(k):
            s_diff = max(s_diff, diff)
        else:
            w_diff = max(w_diff, diff)
    return w_diff, s_diff


def load_original_state(
    policy,
    ckpt: dict,
    source: str,
    *,
    frozen_from_checkpoint: str | None = None,
    weight_tolerance: float = 0.0,
    compare: bool = True,
) -> ConversionReport:
    """Load an original checkpoint dict into ``policy`` (a :class:`cliport.agents.policy.Policy`).

    ``frozen_from_checkpoint``: None = compare the frozen copies with the agent's own encoder and refuse
    if a weight differs by more than ``weight_tolerance`` after casting ours to the copy's dtype;
    a prefix such as "attention.attn_stream_two.clip_rn50" = load that copy into the agent's encoder.
    """
    trainable, frozen = split_state(ckpt["state_dict"], policy.spec)
    report = ConversionReport(source=source)
    for key in ("epoch", "global_step", "pytorch-lightning_version"):
        if key in ckpt:
            report.metadata[key] = str(ckpt[key])
    encoders = policy.encoders.modules()
    for prefix, copy in frozen.items():
        report.dropped_frozen[prefix] = len(copy)
        if frozen_from_checkpoint is not None or not compare:
            continue
        target, mapping = _target_encoder(encoders, copy)
        if target is None:
            report.not_compared.append(prefix)
            continue
        w, s = compare_frozen(copy, target, mapping, prefix)
        report.clip_compared += len(mapping)
        report.clip_max_weight_diff = max(report.clip_max_weight_diff, w)
        report.clip_max_stat_diff = max(report.clip_max_stat_diff, s)
        if w > weight_tolerance:
            raise CheckpointError(
                f"{source}: frozen copy {prefix} differs from the agent's encoder weights by up to {w:.3g}; "
                "check your clip_weights setting, or load the copy with --frozen-from-checkpoint"
            )
    if frozen_from_checkpoint is not None:
        if frozen_from_checkpoint not in frozen:
            raise CheckpointError(
                f"{source} has no frozen copy {frozen_from_checkpoint!r}; "
                f"it has: {', '.join(frozen) or 'none'}"
            )
        copy = frozen[frozen_from_checkpoint]
        target, mapping = _target_encoder(encoders, copy)
        if target is None:
            raise CheckpointError(
                f"frozen copy {frozen_from_checkpoint} matches none of the agent's encoders"
            )
        own = target.state_dict()
        own.update({mapping[k]: v.to(own[mapping[k]].dtype) for k, v in copy.items()})
        target.load_state_dict(own, strict=True)
        report.clip_loaded_from = frozen_from_checkpoint
    load_state_strict(policy, trainable, source)
    report.loaded = len(trainable)
    return report


def _private(encoders):
    """A deep copy of the encoders that keeps image and text the same object where they were."""
    import copy

    from cliport.agents.policy import FrozenEncoders

    image = copy.deepcopy(encoders.image)
    text = image if encoders.text is encoders.image else copy.deepcopy(encoders.text)
    return FrozenEncoders(image=image, text=text)


def _target_encoder(
    encoders: list[torch.nn.Module], copy: dict[str, Tensor]
) -> tuple[torch.nn.Module | None, dict[str, str]]:
    """The agent encoder a frozen copy corresponds to, with the key mapping (None, {} if none)."""
    for module in encoders:
        mapping = _aligned(module.state_dict(), copy)
        if mapping:
            return module, mapping
    return None, {}


def load_original_checkpoint(
    path: str | Path,
    agent: str | AgentConfig,
    *,
    clip_weights: str | Path | None = None,
    compare_frozen: bool = True,
    frozen_from_checkpoint: str | None = None,
    allow_random_encoders: bool = False,
    weight_tolerance: float = 0.0,
    encoders=None,
):
    """An original ``.ckpt`` -> (our Policy, ConversionReport).

    ``agent`` is a registry name (default settings) or an :class:`AgentConfig` (non-default training
    settings such as n_rotations). With encoder weights available (``clip_weights`` /
    $CLIPORT_CLIP_WEIGHTS, or ``encoders``) the agent is runnable and the checkpoint's frozen copies
    are checked against them; ``frozen_from_checkpoint`` loads one copy into the encoder instead. With
    neither, the agent gets shape-only encoders: enough to convert (our checkpoints hold no frozen
    weights), not to run.
    """
    from cliport.agents.encoders import encoder_weights_available, load_encoders, shape_only_encoders
    from cliport.agents.policy import build_agent

    config = agent if isinstance(agent, AgentConfig) else AgentConfig(agent=agent)
    ckpt = read_lightning_checkpoint(path)
    runnable = (
        encoders is not None or allow_random_encoders or encoder_weights_available(config, clip_weights)
    )
    if runnable:
        if frozen_from_checkpoint is not None:
            # The checkpoint's copy is loaded in place: give this agent a private encoder, never the
            # process-wide cached CLIP that other agents share.
            encoders = _private(
                encoders
                or load_encoders(config, clip_weights=clip_weights, allow_random=allow_random_encoders)
            )
        policy = build_agent(
            config, clip_weights=clip_weights, allow_random_encoders=allow_random_encoders, encoders=encoders
        )
    else:
        if frozen_from_checkpoint is not None:
            raise CheckpointError("frozen_from_checkpoint needs a buildable encoder (clip_weights)")
        policy = build_agent(config, encoders=shape_only_encoders(config))
    report = load_original_state(
        policy,
        ckpt,
        str(path),
        frozen_from_checkpoint=frozen_from_checkpoint,
        weight_tolerance=weight_tolerance,
        compare=compare_frozen and runnable,
    )
    if not runnable:
        report.not_compared = list(report.dropped_frozen)
    return policy, report
