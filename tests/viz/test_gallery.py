"""Task gallery: grid composition, labels, atomic PNG writing, and the command on a real scene."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cliport.errors import CliportError
from cliport.viz.gallery import PAD, Tile, compose, save_png


def _tile(value, title="t", caption="put the red blocks in a green bowl"):
    return Tile(np.full((320, 160, 3), value, np.uint8), title, caption)


def test_compose_grid_layout_and_labels():
    tiles = [_tile(50 * k, f"task-{k}") for k in range(5)]
    img = compose(tiles, columns=2)
    assert img.dtype == np.uint8 and img.ndim == 3
    assert img.shape[1] == 2 * (160 + PAD) + PAD
    # Tile k sits at column k % 2, row k // 2, with its colour intact.
    cell_h = (img.shape[0] - PAD) // 3
    for k in range(5):
        x, y = PAD + (k % 2) * (160 + PAD), PAD + (k // 2) * cell_h
        assert np.all(img[y + 10, x + 10] == 50 * k)
        label = img[y + 322 : y + cell_h - PAD, x : x + 160]
        assert (label < 200).any()  # some text was drawn under the tile
    # The unused sixth cell stays white.
    assert np.all(img[PAD + 2 * cell_h + 10, PAD + (160 + PAD) + 10] == 255)


def test_compose_rejects_mixed_shapes_and_empty():
    with pytest.raises(ValueError, match="at least one"):
        compose([])
    with pytest.raises(ValueError, match="shape"):
        compose([_tile(0), Tile(np.zeros((10, 10, 3), np.uint8), "bad", "")])


def test_save_png_round_trip_leaves_no_temporary(tmp_path):
    img = compose([_tile(120)])
    out = save_png(img, tmp_path / "sub" / "g.png")
    np.testing.assert_array_equal(np.asarray(Image.open(out)), img)
    assert [p.name for p in out.parent.iterdir()] == ["g.png"]


def test_command_rejects_bad_output_name(tmp_path):
    from cliport.commands.gallery import main

    with pytest.raises(CliportError, match=r"\.png"):
        main([str(tmp_path / "g.jpg")])


def test_command_draws_a_real_scene(tmp_path):
    from cliport.commands.gallery import main

    out = tmp_path / "g.png"
    assert main([str(out), "--tasks", "block-insertion-easy", "--renderer", "tiny"]) == 0
    img = np.asarray(Image.open(out))
    tile = img[PAD : PAD + 320, PAD : PAD + 160]
    # The red L block at (0.5, 0, 0.02) shows up red near the centre of the top-down colormap.
    centre = tile[150:170, 70:90].reshape(-1, 3).astype(int)
    assert ((centre[:, 0] > 150) & (centre[:, 1] < 120)).any()


def test_command_draws_grey_tile_for_unbuildable_scene(tmp_path, monkeypatch, capsys):
    from cliport.commands.gallery import main
    from cliport.tasks import registry
    from cliport.tasks.base import Task

    class Missing(Task):
        def build(self, scene):
            raise CliportError("assets for this task must be downloaded")

    real = registry.make_task
    def make(name, mode="train"):
        return Missing(name) if name == "missing" else real(name, mode)

    monkeypatch.setattr(registry, "make_task", make)
    out = tmp_path / "g.png"
    assert main([str(out), "--tasks", "missing,block-insertion", "--renderer", "tiny"]) == 0
    assert "missing: skipped: assets for this task must be downloaded" in capsys.readouterr().err
    img = np.asarray(Image.open(out))
    assert np.all(img[PAD + 100, PAD + 80] == 128)  # first tile grey
    assert not np.all(img[PAD : PAD + 320, 2 * PAD + 160 : 2 * PAD + 320] == 128)  # second is a scene
