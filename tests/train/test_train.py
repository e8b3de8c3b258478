"""train(cfg) end to end on a synthetic dataset with a tiny transporter: layout, names, resume."""

import torch
from safetensors import safe_open

from cliport.config import parse_overrides, to_object
from cliport.train.config import TrainConfig
from cliport.train.run import train


def _cfg(tmp_path, data, *extra):
    return to_object(parse_overrides(TrainConfig, [
        f"root_dir={tmp_path}", f"train.data_dir={data}", "train.task=place-red-in-green",
        "train.agent=transporter", "train.n_demos=3", "train.n_steps=4", "train.batch_size=2",
        "train.save_steps=[2,4]", "train.last_every=3", "train.n_val=2", "train.val_every=-1",
        "train.progress=false", "train.n_rotations=4", "train.model_options={resnet_base: 4}", *extra,
    ]))


def test_train_writes_the_original_layout_and_resumes(tmp_path, synthetic_data):
    torch.set_num_threads(1)
    cfg = _cfg(tmp_path, synthetic_data)
    first = train(cfg, stop_after=3)
    out = tmp_path / "exps" / "place-red-in-green-transporter-n3-train"
    assert (out / ".hydra" / "config.yaml").exists() and (out / "config.yaml").exists()
    ckpts = sorted(p.name for p in (out / "checkpoints").glob("*.ckpt"))
    assert any(n.startswith("steps=00002-val_loss=") for n in ckpts) and "last.ckpt" in ckpts
    assert first.end_step == 3
    second = train(cfg)
    assert second.start_step == 3 and second.end_step == 4
    last = out / "checkpoints" / "last.ckpt"
    with safe_open(str(last), framework="pt") as f:
        keys = list(f.keys())
        meta = f.metadata()
    assert meta["agent"] == "transporter" and meta["train_step"] == "4"
    assert not any("clip" in k for k in keys)
    # an uninterrupted run ends with the same weights
    ref = train(_cfg(tmp_path / "ref", synthetic_data))
    assert ref.end_step == 4
    ref_last = tmp_path / "ref" / out.relative_to(tmp_path) / "checkpoints" / "last.ckpt"
    with safe_open(str(last), framework="pt") as a, safe_open(str(ref_last), framework="pt") as b:
        for key in a.keys():
            assert torch.equal(a.get_tensor(key), b.get_tensor(key)), key
