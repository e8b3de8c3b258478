"""agents/safetensors_writer.py: the bytes safetensors writes (metadata sorted), without its memory copy."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from cliport.agents.safetensors_writer import write_safetensors_to


def _tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    conv = torch.randn(4, 3, 3, 3, generator=g).to(memory_format=torch.channels_last)
    return {
        "z.weight": conv,  # channels-last: written in logical (contiguous) order
        "a.weight": torch.randn(5, 2, generator=g),
        "m.bias": torch.randn(5, generator=g).to(torch.bfloat16),
        "bn.num_batches_tracked": torch.tensor(7),
        "step": torch.tensor(3.0),
        "half": torch.randn(3, generator=g).half(),
        "double": torch.randn(2, generator=g).double(),
        "flags": torch.tensor([True, False, True]),
        "bytes": torch.arange(5, dtype=torch.uint8),
        "i8": torch.arange(-2, 2, dtype=torch.int8),
        "i16": torch.arange(3, dtype=torch.int16),
        "i32": torch.arange(3, dtype=torch.int32),
        "empty": torch.zeros(0, 4),
        "b.weight": torch.randn(1, generator=g),
        "col": torch.randn(6, 4, generator=g)[:, 1],  # a strided view
    }


def test_same_bytes_as_safetensors_save_file_and_round_trip(tmp_path):
    tensors = _tensors()
    metadata = {"zeta": "1", "alpha": json.dumps({"k": "ü"}), "format": "cliport-agent"}
    ours, theirs = tmp_path / "ours.safetensors", tmp_path / "theirs.safetensors"
    with open(ours, "wb") as f:
        write_safetensors_to(f, tensors, metadata)
    save_file({k: v.contiguous() for k, v in tensors.items()}, theirs, metadata=metadata)
    raw_ours, raw_theirs = ours.read_bytes(), theirs.read_bytes()
    n = int.from_bytes(raw_ours[:8], "little")
    header = json.loads(raw_ours[8 : 8 + n])
    assert list(header["__metadata__"]) == ["alpha", "format", "zeta"]
    theirs_header = json.loads(raw_theirs[8 : 8 + n])  # its metadata order varies from run to run
    assert raw_ours[:8] == raw_theirs[:8] and raw_ours[8 + n :] == raw_theirs[8 + n :]  # size and data
    assert theirs_header.pop("__metadata__") == header.pop("__metadata__")
    assert list(theirs_header.items()) == list(header.items())  # tensor order, dtypes, shapes, offsets
    loaded = load_file(ours)
    assert loaded.keys() == tensors.keys()
    for k, v in tensors.items():
        assert loaded[k].dtype == v.dtype and torch.equal(loaded[k], v), k


def test_unsupported_dtype_is_named(tmp_path):
    with pytest.raises(ValueError, match="tensor 'c': dtype torch.complex64 cannot be stored"):
        write_safetensors_to(None, {"c": torch.zeros(2, dtype=torch.complex64)})  # refused before writing
