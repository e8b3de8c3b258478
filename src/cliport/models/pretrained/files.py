"""Reading user-provided weight files for the RN50-BERT baselines, with one-line errors.

Why this exists: the ImageNet ResNet-50 and DistilBERT weights cannot be downloaded by cliport; users
point at files they already have (torchvision's ``resnet50-*.pth``, a Hugging Face
``distilbert-base-uncased`` folder). This module reads such files as plain state dicts (never
unpickling code) and checks them against a module, naming missing / unexpected / misshaped keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from cliport.errors import CliportError


class PretrainedWeightsError(CliportError):
    """A pretrained weight file is missing, unreadable or does not fit the model."""


def resolve_path(value: str | os.PathLike[str] | None, env: str, what: str, hint: str) -> Path | None:
    """``value`` if given, else ``$env``, else None; a given path must exist."""
    for source, candidate in ((what, value), (env, os.environ.get(env))):
        if candidate is not None and str(candidate) != "":
            path = Path(candidate).expanduser()
            if not path.exists():
                raise PretrainedWeightsError(f"{source}={str(candidate)!r}: no such file or folder; {hint}")
            return path
    return None


def read_tensors(path: str | os.PathLike[str]) -> dict[str, Tensor]:
    """A ``.safetensors`` file or a ``torch.save``-d dict of tensors (loaded with ``weights_only``)."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - every reader failure becomes one clear message
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise PretrainedWeightsError(f"{str(path)!r}: cannot read the weights ({detail})") from err
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or not all(isinstance(v, Tensor) for v in state.values()):
        raise PretrainedWeightsError(f"{str(path)!r}: expected a dict of tensors, got {type(state).__name__}")
    return dict(state)


def load_checked(
    model: nn.Module,
    state: Mapping[str, Tensor],
    source: str,
    ignore_prefixes: Iterable[str] = (),
) -> nn.Module:
    """Copy ``state`` into ``model`` (converted to the model's dtypes) after checking every key.

    Keys starting with one of ``ignore_prefixes`` (e.g. a classifier head the trunk does not have) and
    BatchNorm ``num_batches_tracked`` counters are not required.
    """
    ignore = tuple(ignore_prefixes)
    given = {k: v for k, v in state.items() if not k.startswith(ignore)} if ignore else dict(state)
    own = model.state_dict()
    missing = sorted(k for k in own if k not in given and not k.endswith("num_batches_tracked"))
    unexpected = sorted(k for k in given if k not in own)
    shapes = sorted(
        f"{k} {tuple(given[k].shape)} != {tuple(own[k].shape)}"
        for k in own
        if k in given and given[k].shape != own[k].shape
    )
    problems = []
    groups = (("missing keys", missing), ("unexpected keys", unexpected), ("wrong shapes", shapes))
    for label, names in groups:
        if names:
            shown = ", ".join(names[:6]) + (f", ... ({len(names)} in all)" if len(names) > 6 else "")
            problems.append(f"{label}: {shown}")
    if problems:
        name = type(model).__name__
        raise PretrainedWeightsError(f"weights from {source} do not fit {name}: " + "; ".join(problems))
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in given.items()}, strict=False)
    return model
