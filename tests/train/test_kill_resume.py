"""SIGKILL a real `cliport train` process at a random moment; its rerun ends with the reference weights."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors import safe_open

pytestmark = pytest.mark.slow


def _args(root, data):
    return [sys.executable, "-m", "cliport.train", f"root_dir={root}", f"train.data_dir={data}",
            "train.task=place-red-in-green", "train.agent=transporter", "train.n_demos=3", "train.n_steps=8",
            "train.batch_size=2", "train.save_steps=[4,8]", "train.last_every=2", "train.n_val=2",
            "train.val_every=-1", "train.progress=false", "train.n_rotations=4",
            "train.model_options={resnet_base: 4}"]


def _weights(root):
    path = root / "exps" / "place-red-in-green-transporter-n3-train" / "checkpoints" / "last.ckpt"
    with safe_open(str(path), framework="pt") as f:
        assert f.metadata()["train_step"] == "8"
        return {k: f.get_tensor(k) for k in f.keys() if not k.startswith("train_state/")}


def test_sigkill_then_rerun_equals_uninterrupted(tmp_path, synthetic_data):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    ref_root, run_root = tmp_path / "ref", tmp_path / "run"
    subprocess.run(_args(ref_root, synthetic_data), check=True, env=env, capture_output=True)
    ckpt = run_root / "exps" / "place-red-in-green-transporter-n3-train" / "checkpoints" / "last.ckpt"
    proc = subprocess.Popen(_args(run_root, synthetic_data), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(random.Random().uniform(0.0, 2.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    subprocess.run(_args(run_root, synthetic_data), check=True, env=env, capture_output=True)
    ref, got = _weights(ref_root), _weights(run_root)
    assert ref.keys() == got.keys()
    for key in ref:
        assert torch.equal(ref[key], got[key]), key
