"""A seeded training run gives the same weights, bit for bit, every time (CPU; fp32 and default precision).

The default-suite check trains a tiny transporter twice in this process (3 steps of batch 2, fp32; the
default precision's bitwise equality is covered by test_train.py's resume check). The slow check is the
issue's: 20 steps of batch 2, in two separate processes with different ``PYTHONHASHSEED``, for fp32 and
for the default precision (``auto``: bf16 autocast where the CPU has native bf16), comparing every byte
of the final ``last.ckpt`` (weights, BatchNorm statistics and both optimisers' moments).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from cliport.config import parse_overrides, to_object
from cliport.train.config import TrainConfig
from cliport.train.run import train

SRC = Path(__file__).resolve().parents[2] / "src"
RUN = "exps/place-red-in-green-transporter-n3-train/checkpoints/last.ckpt"


def _overrides(root: Path, data: Path, steps: int, precision: str) -> list[str]:
    return [f"root_dir={root}", f"train.data_dir={data}", "train.task=place-red-in-green",
            "train.agent=transporter", "train.n_demos=3", f"train.n_steps={steps}", "train.batch_size=2",
            f"train.save_steps=[{steps}]", f"train.last_every={steps}", "train.n_val=2", "train.val_every=-1",
            "train.progress=false", "train.n_rotations=4", "train.model_options={resnet_base: 4}",
            f"train.precision={precision}", "train.accelerator=cpu", "train.seed=3"]


def _tensors(path: Path) -> dict[str, torch.Tensor]:
    with safe_open(str(path), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def test_same_seed_same_weights_in_process(tmp_path, synthetic_data):
    torch.set_num_threads(1)
    for run in ("a", "b"):
        train(to_object(parse_overrides(TrainConfig, _overrides(tmp_path / run, synthetic_data, 3, "32"))))
    a, b = _tensors(tmp_path / "a" / RUN), _tensors(tmp_path / "b" / RUN)
    assert a.keys() == b.keys() and any(k.startswith("train_state/") for k in a)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert (tmp_path / "a" / RUN).read_bytes() == (tmp_path / "b" / RUN).read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["32", "auto"])
def test_same_seed_same_weights_in_two_processes(tmp_path, synthetic_data, precision):
    procs = []
    for run, hash_seed in (("a", "1"), ("b", "777")):
        env = dict(os.environ, PYTHONPATH=str(SRC), PYTHONHASHSEED=hash_seed, OMP_NUM_THREADS="1")
        args = _overrides(tmp_path / run, synthetic_data, 20, precision)
        procs.append(subprocess.Popen([sys.executable, "-m", "cliport.train", *args], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=3000)
        assert proc.returncode == 0, err
    a, b = (tmp_path / run / RUN for run in ("a", "b"))
    with safe_open(str(a), framework="pt") as f:
        assert f.metadata()["train_step"] == "20"
    assert a.read_bytes() == b.read_bytes()
