"""Training checkpoints: the agent checkpoint format plus the optimiser state, in one safetensors file.

A training checkpoint is an ordinary agent checkpoint (so ``eval`` and ``load_agent`` read it) whose extra
tensors under ``train_state/`` hold the two Adam optimisers' moments, and whose header records the step,
the validation loss and the optimisers' hyper-parameters. One file, written atomically: a kill at any
moment leaves either the previous checkpoint or the new one, never a mix.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file

from cliport.agents.checkpoint import TRAIN_STATE_PREFIX as PREFIX
from cliport.agents.checkpoint import pinned, write_safetensors
from cliport.errors import CliportError


class TrainStateError(CliportError):
    """A training checkpoint that cannot be resumed from."""


def _flatten_optimizer(name: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = opt.state_dict()
    tensors = {}
    for idx, slots in sd["state"].items():
        for slot, value in slots.items():
            t = value if torch.is_tensor(value) else torch.tensor(value)
            tensors[f"{PREFIX}{name}/{idx}/{slot}"] = t.detach()  # written as is: no copy of the state
    return tensors, {"param_groups": sd["param_groups"]}


def _unflatten_optimizer(name: str, tensors: dict[str, torch.Tensor], groups: dict) -> dict:
    state: dict[int, dict[str, torch.Tensor]] = {}
    head = f"{PREFIX}{name}/"
    for key, value in tensors.items():
        if key.startswith(head):
            idx, slot = key[len(head):].split("/", 1)
            state.setdefault(int(idx), {})[slot] = value
    return {"state": state, "param_groups": groups["param_groups"]}


def save_training_checkpoint(
    path: Path,
    model_state: dict[str, torch.Tensor],
    metadata: dict[str, str],
    optimizers: dict[str, torch.optim.Optimizer],
    step: int,
    val_loss: float | None,
) -> Path:
    """Write weights + optimiser state + step atomically."""
    tensors = {k: v.detach() for k, v in model_state.items()}  # the writer streams them, no copy
    opt_meta = {}
    for name, opt in optimizers.items():
        t, meta = _flatten_optimizer(name, opt)
        tensors.update(t)
        opt_meta[name] = meta
    header = dict(metadata)
    header.update(
        {
            "train_step": str(step),
            "val_loss": "" if val_loss is None else repr(float(val_loss)),
            "optimizers": json.dumps(opt_meta),
        }
    )
    return write_safetensors(path, tensors, header)


#: What a user can do about a last.ckpt that this run cannot continue.
START_OVER = "pass another train.train_dir, or train.load_from_last_ckpt=false to start over"


def check_resumable(path: Path, header: dict[str, str], expected: dict[str, str]) -> None:
    """Refuse a ``last.ckpt`` of a newer format or of another agent configuration, naming the difference.

    ``expected`` is this run's checkpoint header (:func:`cliport.agents.checkpoint.checkpoint_metadata`);
    its format version and agent config are compared with the file's.
    """
    from cliport.agents.checkpoint import FORMAT_VERSION, header_format_version

    version = header_format_version(header)
    if version is None or version > FORMAT_VERSION:
        raise TrainStateError(
            f"cannot resume from {path}: it has format version {header.get('format_version')}, this cliport "
            f"reads up to {FORMAT_VERSION}; upgrade cliport, or {START_OVER}"
        )
    if "config" not in expected or "config" not in header:
        return
    try:
        theirs = json.loads(header["config"])
    except json.JSONDecodeError as err:
        raise TrainStateError(f"cannot resume from {path}: its agent config is corrupt ({err})") from None
    mine = json.loads(expected["config"])
    keys = ["agent", *sorted((set(mine) | set(theirs)) - {"agent"})]
    diff = [k for k in keys if mine.get(k) != theirs.get(k)]
    if diff:
        saved = ", ".join(f"{k}={theirs.get(k)!r}" for k in diff)
        wanted = ", ".join(f"{k}={mine.get(k)!r}" for k in diff)
        raise TrainStateError(
            f"cannot resume from {path}: it was saved with {saved}, this run has {wanted}; {START_OVER}"
        )


def load_training_checkpoint(
    path: Path, optimizers: dict[str, torch.optim.Optimizer], expected: dict[str, str] | None = None
) -> tuple[dict[str, torch.Tensor], int, dict[str, str]]:
    """Read (model state, step, header) and restore the optimisers in place.

    With ``expected`` (this run's header), a file of a newer format or another agent config is refused.
    """
    try:
        with pinned(path) as name:
            with safe_open(name, framework="pt") as f:
                header = dict(f.metadata() or {})
            tensors = load_file(name)
    except Exception as err:  # noqa: BLE001 - any read failure is reported with the path
        raise TrainStateError(f"cannot resume from {path}: {err}; {START_OVER}") from None
    if expected is not None:
        check_resumable(path, header, expected)
    if "train_step" not in header:
        raise TrainStateError(f"{path} is not a training checkpoint (no train_step in its header)")
    opt_meta = json.loads(header.get("optimizers", "{}"))
    for name, opt in optimizers.items():
        if name not in opt_meta:
            raise TrainStateError(f"{path} has no state for optimiser {name!r}")
        opt.load_state_dict(_unflatten_optimizer(name, tensors, opt_meta[name]))
    model = {k: v for k, v in tensors.items() if not k.startswith(PREFIX)}
    return model, int(header["train_step"]), header

