"""Finding, verifying and reading CLIP RN50 weight files (spec models.md §8.3).

Why this exists: the released weights are OpenAI's TorchScript archive ``RN50.pt`` (fp16). Users may
also hold a plain state dict (``torch.save`` of a dict, or ``.safetensors``). This module turns any of
those into a checked ``{name: tensor}`` dict, with one-line errors that say what is wrong and how to
fix it; nothing here builds a model.

Where the file comes from, in order: the ``clip_weights`` argument, the ``CLIPORT_CLIP_WEIGHTS``
environment variable, then ``RN50.pt`` in the download folder of ``cliport download-clip``
(``$CLIPORT_CACHE``, else ``$XDG_CACHE_HOME/cliport``, else ``~/.cache/cliport``).
"""

from __future__ import annotations

import hashlib
import os
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from cliport.errors import CliportError

OFFICIAL_RN50_SHA256 = "afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762"
OFFICIAL_RN50_URL = f"https://openaipublic.azureedge.net/clip/models/{OFFICIAL_RN50_SHA256}/RN50.pt"
WEIGHTS_ENV = "CLIPORT_CLIP_WEIGHTS"
CACHE_ENV = "CLIPORT_CACHE"
RN50_FILENAME = "RN50.pt"
#: Scalars OpenAI's archive stores next to the weights; checked against the model, then dropped.
METADATA_KEYS = ("input_resolution", "context_length", "vocab_size")

HOW_TO_GET = (
    f"get OpenAI's RN50.pt with `cliport download-clip` (from {OFFICIAL_RN50_URL}) "
    f"or pass clip_weights=PATH / set {WEIGHTS_ENV}=PATH"
)


class ClipWeightsError(CliportError):
    """The CLIP weight file is missing, unreadable, not the expected file, or does not fit the model."""


def default_cache_dir() -> Path:
    """The folder ``cliport download-clip`` writes to by default."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "cliport"


def resolve_weights_path(clip_weights: str | os.PathLike[str] | None = None) -> Path | None:
    """The weight file to use (argument > environment variable > download folder), or None.

    A path given explicitly (argument or environment variable) must exist; the download folder is
    only used when it holds the file.
    """
    for source, value in (("clip_weights", clip_weights), (WEIGHTS_ENV, os.environ.get(WEIGHTS_ENV))):
        if value is not None and str(value) != "":
            path = Path(value).expanduser()
            if not path.is_file():
                raise ClipWeightsError(f"CLIP weights {source}={str(value)!r}: no such file; {HOW_TO_GET}")
            return path
    cached = default_cache_dir() / RN50_FILENAME
    return cached if cached.is_file() else None


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def is_torchscript_archive(path: str | os.PathLike[str]) -> bool:
    """True for a ``torch.jit.save`` zip (it holds ``code/`` and ``constants.pkl``)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(n.endswith("/constants.pkl") or "/code/" in n for n in zf.namelist())


def read_state_dict(
    path: str | os.PathLike[str], expected_sha256: str | None = "auto"
) -> dict[str, Tensor]:
    """Read a weight file into a state dict, verifying its checksum.

    ``expected_sha256``: "auto" = OpenAI's RN50 checksum for TorchScript archives and no check for
    plain state dicts; a hex string = that checksum; None = no check.
    """
    path = Path(path)
    if not path.is_file():
        raise ClipWeightsError(f"CLIP weights {str(path)!r}: no such file; {HOW_TO_GET}")
    torchscript = is_torchscript_archive(path)
    want = (OFFICIAL_RN50_SHA256 if torchscript else None) if expected_sha256 == "auto" else expected_sha256
    if want is not None:
        got = sha256_file(path)
        if got != want.lower():
            if torchscript and _is_vit_archive(path):
                raise ClipWeightsError(_vit_message(repr(str(path)), "a ViT"))
            raise ClipWeightsError(
                f"CLIP weights {str(path)!r}: SHA-256 {got} does not match the expected {want.lower()} "
                "(corrupt or a different file; re-download with `cliport download-clip`, or pass "
                "expected_sha256=None to load a different RN50 file on purpose)"
            )
    try:
        if torchscript:
            with warnings.catch_warnings():  # torch.jit is deprecated, but it is OpenAI's format
                warnings.simplefilter("ignore", DeprecationWarning)
                state = torch.jit.load(str(path), map_location="cpu").state_dict()
        elif path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - every reader failure becomes one clear message
        raise ClipWeightsError(
            f"CLIP weights {str(path)!r}: cannot read the file ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else 'no detail'}); it is corrupt or not a weight file: "
            "download it again with `cliport download-clip`"
        ) from err
    if isinstance(state, Mapping) and "state_dict" in state and isinstance(state["state_dict"], Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ClipWeightsError(
            f"CLIP weights {str(path)!r}: expected a TorchScript archive or a dict of tensors, "
            f"got {type(state).__name__}"
        )
    check_not_vit(state, repr(str(path)))
    return dict(state)


#: Keys only a Vision-Transformer CLIP has (OpenAI's ViT-B/32, ViT-B/16, ViT-L/14 ...).
_VIT_KEYS = ("visual.class_embedding", "visual.transformer.resblocks.0.attn.in_proj_weight",
             "visual.ln_pre.weight")
_VIT_WIDTHS = {768: "B", 1024: "L"}


def _vit_message(where: str, name: str) -> str:
    return (f"CLIP weights {where} are {name} CLIP, not the RN50 (ResNet-50) CLIP that CLIPort uses; "
            f"get RN50.pt with `cliport download-clip`")


def check_not_vit(state: Mapping[str, Tensor], where: str) -> None:
    """Refuse a Vision-Transformer CLIP with a message naming it (its keys would just look "missing")."""
    if not any(k in state for k in _VIT_KEYS):
        return
    name = "a ViT"
    conv = state.get("visual.conv1.weight")
    if isinstance(conv, Tensor) and conv.ndim == 4:  # (width, 3, patch, patch)
        width, patch = int(conv.shape[0]), int(conv.shape[-1])
        name = f"a ViT-{_VIT_WIDTHS[width]}/{patch}" if width in _VIT_WIDTHS else f"a ViT (patch {patch})"
    raise ClipWeightsError(_vit_message(where, name))


def _is_vit_archive(path: Path) -> bool:
    """A TorchScript archive whose code defines OpenAI's ``VisionTransformer`` (read as text, not run)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return any(b"class VisionTransformer(" in zf.read(n) for n in zf.namelist()
                       if "/code/" in n and n.endswith(".py"))
    except (OSError, zipfile.BadZipFile):
        return False


def _summary(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def check_state_dict(model: nn.Module, state: Mapping[str, Tensor], source: str = "state dict") -> None:
    """Raise :class:`ClipWeightsError` listing missing, unexpected and wrongly shaped entries.

    BatchNorm ``num_batches_tracked`` counters may be absent. OpenAI's metadata scalars must agree with
    the model when present.
    """
    check_not_vit(state, f"from {source}")
    expected = model.state_dict()
    problems: list[str] = []
    for key in METADATA_KEYS:
        if key in state:
            want = {
                "input_resolution": model.visual.input_resolution,
                "context_length": model.context_length,
                "vocab_size": model.vocab_size,
            }[key]
            if int(state[key]) != want:
                problems.append(f"{key} is {int(state[key])}, the model has {want}")
    given = {k: v for k, v in state.items() if k not in METADATA_KEYS}
    missing = sorted(k for k in expected if k not in given and not k.endswith("num_batches_tracked"))
    unexpected = sorted(k for k in given if k not in expected)
    shapes = sorted(
        f"{k} {tuple(given[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in given and tuple(given[k].shape) != tuple(v.shape)
    )
    if missing:
        problems.append(f"missing keys: {_summary(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_summary(unexpected)}")
    if shapes:
        problems.append(f"wrong shapes (file != model): {_summary(shapes)}")
    if problems:
        raise ClipWeightsError(f"CLIP weights from {source} do not fit the model: " + "; ".join(problems))


def load_into(model: nn.Module, state: Mapping[str, Tensor], source: str = "state dict") -> nn.Module:
    """Check ``state`` against ``model`` and copy it in, converting each tensor to the model's dtype.

    fp16 files therefore load into an fp32 model as the exact fp32 values of the fp16 numbers.
    """
    check_state_dict(model, state, source)
    own = model.state_dict()
    converted = {k: v.to(own[k].dtype) for k, v in state.items() if k in own}
    model.load_state_dict(converted, strict=False)
    return model
