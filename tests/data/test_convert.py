"""Converter from the original CLIPort layout, and the allow-list unpickler that guards it."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from cliport.data.convert import convert_dataset
from cliport.data.dataset import DemoDataset
from cliport.data.episode import load_episode
from cliport.data.safe_pickle import UnsafePickleError, safe_load
from cliport.data.store import DatasetError, read_meta
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, xyz_to_pix

REFERENCE = Path("/work/shared/reference/heightmap_case_put_block_in_bowl_seed0.npz")
pytestmark = pytest.mark.skipif(not REFERENCE.is_file(), reason="reference views not available")


def _dump(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(obj))


def _original_dataset(root: Path, seeds=(0, 2)) -> tuple[Path, dict]:
    """A tiny original-layout dataset: each episode = the reference views twice, one action."""
    ref = dict(np.load(REFERENCE))
    folder = root / "put-block-in-bowl-seen-colors-train"
    for index, seed in enumerate(seeds):
        name = f"{index:06d}-{seed}.pkl"
        color = np.stack([ref["color"], ref["color"]])  # (2, 3, 480, 640, 3)
        depth = np.stack([ref["depth"], ref["depth"]]).astype(np.float32)
        action = {"pose0": (np.array([0.5, 0.1, 0.02]), np.array([0, 0, 0.0, 1.0])),
                  "pose1": (np.array([0.4, -0.2, 0.02]), np.array([0, 0, 0.7071068, 0.7071068]))}
        info = {4: ((0.5, 0.1, 0.02), (0, 0, 0, 1), (0.04, 0.04, 0.04)),
                "lang_goal": "put the blue block in the red bowl"}
        _dump(folder / "color" / name, color)
        _dump(folder / "depth" / name, depth)
        _dump(folder / "action" / name, [action, None])
        _dump(folder / "reward" / name, [0.0, np.float64(1.0)])
        _dump(folder / "info" / name, [info, dict(info, lang_goal="done.")])
    return folder, ref


def test_converts_and_reproduces_reference_fused_maps(tmp_path):
    src, ref = _original_dataset(tmp_path / "orig")
    dst = tmp_path / "ours" / src.name
    report = convert_dataset(src, dst)
    assert report.converted == 2 and not report.rejected
    meta = read_meta(dst)
    assert meta.task == "put-block-in-bowl-seen-colors" and meta.mode == "train" and meta.seeds == [0, 2]
    ep = load_episode(dst / meta.episodes[0].file)
    np.testing.assert_array_equal(ep.color[0], ref["fused_color"])
    assert np.abs(ep.height[1] - ref["fused_height"]).max() <= 0.5e-3
    assert ep.instruction == ["put the blue block in the red bowl", "done."]
    np.testing.assert_array_equal(ep.reward, [0.0, 1.0])
    assert ep.obj_ids.tolist() == [4]
    item = DemoDataset(dst)[0]
    assert tuple(item["p0"]) == xyz_to_pix((0.5, 0.1, 0.02), INPUT_BOUNDS, PIXEL_SIZE)
    assert item["p1_theta"] == pytest.approx(-np.pi / 2, abs=1e-5)  # yaw0 - yaw1
    again = convert_dataset(src, dst)  # resumable: nothing to redo
    assert again.converted == 0 and again.skipped_existing == 2


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_without_running_it(tmp_path):
    src, _ = _original_dataset(tmp_path / "orig", seeds=(0,))
    marker = tmp_path / "pwned"
    _dump(src / "reward" / "000000-0.pkl", [0.0, _Evil(marker)])
    with pytest.raises(UnsafePickleError, match=r"000000-0\.pkl.*(posix|os)\.system"):
        convert_dataset(src, tmp_path / "out")
    assert not marker.exists()
    with pytest.warns(UserWarning, match="skipping episode 000000-0.pkl"):  # or skipped, when asked
        report = convert_dataset(src, tmp_path / "out2", skip_bad=True)
    assert report.rejected == ["000000-0.pkl"] and read_meta(tmp_path / "out2").n == 0


def test_safe_load_reads_plain_data_and_names_broken_files(tmp_path):
    obj = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": [1, 2.5, "x", None, (np.float64(3.0),)]}
    for protocol in (2, 4, 5):
        p = tmp_path / f"p{protocol}.pkl"
        p.write_bytes(pickle.dumps(obj, protocol=protocol))
        back = safe_load(p)
        np.testing.assert_array_equal(back["a"], obj["a"])
        assert back["b"][:4] == obj["b"][:4] and float(back["b"][4][0]) == 3.0
    bad = tmp_path / "cut.pkl"
    bad.write_bytes(pickle.dumps(obj)[:40])
    with pytest.raises(UnsafePickleError, match="cut.pkl"):
        safe_load(bad)
    evil = tmp_path / "eval.pkl"
    evil.write_bytes(b"cbuiltins\neval\n(S'1+1'\ntR.")
    with pytest.raises(UnsafePickleError, match="builtins.eval"):
        safe_load(evil)


def test_not_an_original_folder(tmp_path):
    (tmp_path / "x-train" / "color").mkdir(parents=True)
    with pytest.raises(DatasetError, match="missing sub-folders"):
        convert_dataset(tmp_path / "x-train", tmp_path / "y")
