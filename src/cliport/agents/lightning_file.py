"""Read a pickled Lightning ``.ckpt`` without trusting it.

Why this exists: ``torch.load`` of an untrusted pickle can run arbitrary code. We load with
``weights_only=True``; the few Lightning/OmegaConf classes such files reference (Lightning 1.0 keys
its callback states by class) are mapped to inert placeholder classes, never imported; any other
class is refused with its name.
"""

from __future__ import annotations

from pathlib import Path

import torch

from cliport.agents.checkpoint import CheckpointError

#: Module paths whose classes a Lightning checkpoint may reference (callback states as dict keys,
#: saved hyper-parameters); they are replaced by inert placeholders, never imported.
ALLOWED_GLOBAL_PREFIXES = ("pytorch_lightning.", "lightning.", "lightning_fabric.", "omegaconf.", "typing.")


def _placeholder(qualname: str) -> type:
    """An inert class standing for ``qualname``: accepts any construction arguments and state."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: N807
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state) -> None:  # noqa: N807
        self.state = state

    module, _, name = qualname.rpartition(".")
    return type(name, (), {"__init__": __init__, "__setstate__": __setstate__, "__module__": module})


def read_lightning_checkpoint(path: str | Path) -> dict:
    """``torch.load(weights_only=True)`` with an allow-list; returns the raw checkpoint dict."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    except Exception as err:  # not a zip archive (pre-1.6 torch format) or corrupt
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint: {err}") from None
    refused = [g for g in unsafe if not g.startswith(ALLOWED_GLOBAL_PREFIXES)]
    if refused:
        raise CheckpointError(
            f"{path} references Python objects outside the allow-list ({', '.join(refused)}); refusing to "
            "unpickle them (checkpoints are untrusted)"
        )
    placeholders = [(_placeholder(g), g) for g in unsafe]
    try:
        with torch.serialization.safe_globals(placeholders):
            ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(f"cannot read {path} safely: {str(err).splitlines()[0]}") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no 'state_dict' entry)")
    return ckpt
