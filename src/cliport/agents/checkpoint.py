"""Self-describing agent checkpoints: one safetensors file = agent config (JSON) + trainable weights.

Why this exists: the original pickles a whole Lightning module (three frozen CLIP copies included,
1.87 GB for ``cliport``) and needs the Hydra run folder to rebuild the agent. Ours stores only the
trainable modules' state (parameters and BatchNorm statistics, ``pick.*`` and ``place.*``), with the
config in the safetensors header, so :func:`load_agent` rebuilds the agent from the file alone. Frozen
encoders are never stored; they come from the user's settings (``clip_weights`` etc.) at load time.
No pickle anywhere: loading a checkpoint cannot run code.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from cliport.agents.config import AgentConfig
from cliport.agents.safetensors_writer import write_safetensors_to
from cliport.errors import CliportError

if TYPE_CHECKING:
    from cliport.agents.policy import FrozenEncoders, Policy

FORMAT_NAME = "cliport-agent"
FORMAT_VERSION = 1
TRAIN_STATE_PREFIX = "train_state/"


class CheckpointError(CliportError):
    """A checkpoint file that is missing, corrupt, of another format, or does not fit its agent."""


def checkpoint_metadata(config: AgentConfig) -> dict[str, str]:
    """The safetensors header that makes a file a self-describing agent checkpoint (also used by the
    trainer, whose training checkpoints add optimiser state to the same format)."""
    from cliport import __version__

    return {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "agent": config.agent,
        "config": config.to_json(),
        "cliport_version": __version__,
    }


def save_agent(policy: Policy, path: str | Path, extra_metadata: dict[str, str] | None = None) -> Path:
    """Write ``policy``'s config and trainable state to ``path`` atomically; returns the path."""
    # The live tensors: the writer copies one at a time where needed (device, channels_last), never all.
    tensors = {k: v.detach() for k, v in policy.state_dict().items()}
    metadata = checkpoint_metadata(policy.config)
    metadata.update(extra_metadata or {})
    return write_safetensors(path, tensors, metadata)


def write_safetensors(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> Path:
    """Write a safetensors file atomically (``cliport.atomic.write_atomic``: a temporary name in the same
    folder, fsync, then a rename; a full disk or read-only folder raises a ``StorageError`` naming
    ``path``). The temporary ``.tmp-<name>.<random>`` is never matched by checkpoint selection and is
    removed by the trainer's start-up."""
    from cliport.atomic import write_atomic

    return write_atomic(path, lambda f: write_safetensors_to(f, tensors, metadata))


@contextlib.contextmanager
def pinned(path: str | Path):
    """Yield a name for ``path`` that keeps meaning the file opened now, even if it is replaced meanwhile.

    A trainer renames a new ``last.ckpt`` over the old one while an evaluation may be reading it; the
    header and the tensors must come from the same file, so both are read through ``/proc/self/fd``.
    """
    with open(path, "rb") as f:
        proc = f"/proc/self/fd/{f.fileno()}"
        yield proc if os.path.exists(proc) else str(path)


def header_format_version(header: dict[str, str]) -> int | None:
    """The ``format_version`` of a checkpoint header (0 when absent), or None when it is not a number."""
    try:
        return int(header.get("format_version", "0") or 0)
    except ValueError:
        return None


def read_checkpoint(path: str | Path) -> tuple[AgentConfig, dict[str, torch.Tensor], dict[str, str]]:
    """Read (config, state dict, header metadata) with checks that name the problem."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic.startswith(b"PK"):  # a zip archive: torch.save / Lightning, not safetensors
        raise CheckpointError(
            f"{path} is a PyTorch/Lightning checkpoint (e.g. from the original CLIPort); convert it first "
            f"with `cliport convert-checkpoint {path} OUT.safetensors --agent NAME`"
        )
    try:
        from safetensors import safe_open

        with pinned(path) as name:
            with safe_open(name, framework="pt") as f:
                metadata = dict(f.metadata() or {})
            state = load_file(name)
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"checkpoint {path} is not a readable safetensors file: {err}") from None
    if metadata.get("format") != FORMAT_NAME:
        raise CheckpointError(
            f"checkpoint {path} is not a cliport agent checkpoint (no '{FORMAT_NAME}' header)"
        )
    version = header_format_version(metadata)
    if version is None:
        raise CheckpointError(
            f"checkpoint {path} has a bad format_version {metadata.get('format_version')!r} in its header"
        )
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {version}; this cliport reads up to {FORMAT_VERSION}: "
            "upgrade cliport (pip install -U cliport) to read it"
        )
    try:
        config = AgentConfig.from_dict(json.loads(metadata["config"]))
    except (KeyError, json.JSONDecodeError) as err:
        raise CheckpointError(f"checkpoint {path} has no valid agent config: {err}") from None
    # Training checkpoints carry optimiser moments under "train_state/" (cliport.train.state).
    state = {k: v for k, v in state.items() if not k.startswith(TRAIN_STATE_PREFIX)}
    return config, state, metadata


def load_state_strict(policy: Policy, state: dict[str, torch.Tensor], source: str) -> None:
    """Load ``state`` into ``policy`` requiring exactly the same keys and shapes (clear report otherwise)."""
    own = policy.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shape_bad = [
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(state))
        if tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if missing or unexpected or shape_bad:
        parts = []
        for label, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", shape_bad)):
            if items:
                more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
                parts.append(f"{len(items)} {label}: {', '.join(items[:5])}{more}")
        raise CheckpointError(f"{source} does not fit agent {policy.config.agent!r}: " + "; ".join(parts))
    policy.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()}, strict=True)


def load_agent(
    path: str | Path,
    *,
    clip_weights: str | Path | None = None,
    allow_random_encoders: bool = False,
    device: str | torch.device = "cpu",
    encoders: FrozenEncoders | None = None,
    channels_last: bool = False,
) -> Policy:
    """Rebuild the agent stored in ``path`` (config from the file; frozen encoders from the settings,
    or ``encoders`` when given; ``channels_last`` as in :func:`build_agent`)."""
    from cliport.agents.policy import build_agent

    config, state, _ = read_checkpoint(path)
    policy = build_agent(
        config,
        clip_weights=clip_weights,
        allow_random_encoders=allow_random_encoders,
        device="cpu",
        encoders=encoders,
        channels_last=channels_last,
    )
    load_state_strict(policy, state, f"checkpoint {path}")
    return policy.to(device)
