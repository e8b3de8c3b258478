"""The episode viewer: one PNG per entry, markers at the labelled pixels, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from factories import block_episode, make_folder

from cliport.cli import main as cli
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, xyz_to_pix
from cliport.viz.episode import step_labels


def test_one_png_per_step(tmp_path, capsys):
    folder = make_folder(tmp_path, "toy", "train", [0, 2], n_actions=2)
    assert cli(["show-episode", str(folder), "--index", "1", "--out", str(tmp_path / "png")]) == 0
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert [p.name for p in pngs] == ["step-00.png", "step-01.png", "step-02.png"]
    from PIL import Image

    assert Image.open(pngs[0]).size[0] > 300
    assert cli(["show-episode", str(folder), "--index", "5"]) == 2
    assert "index 5 is out of range" in capsys.readouterr().err


def test_step_labels():
    ep = block_episode(3)
    p0, p1, angle = step_labels(ep, 0)
    assert p0 == xyz_to_pix(ep.pick[0, :3], INPUT_BOUNDS, PIXEL_SIZE)
    assert p1 == xyz_to_pix(ep.place[0, :3], INPUT_BOUNDS, PIXEL_SIZE)
    assert -2 * np.pi <= angle <= 2 * np.pi
    assert step_labels(ep, ep.n_actions) is None


def test_corrupt_episode_is_named(tmp_path, capsys):
    bad = tmp_path / "000001.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    assert cli(["show-episode", str(bad)]) == 2
    assert "000001.npz" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli(["show-episode"])
