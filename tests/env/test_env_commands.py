"""The simulator's console commands: ``cliport env-info`` and ``cliport scene-demo``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from cliport.cli import main as cli_main
from cliport.commands import env_info, scene_demo


def test_env_info_json(capsys, sim_assets):
    assert env_info.main(["--json", "--no-egl-check", "--assets-root", str(sim_assets)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["physics"]["hz"] == 480 and info["physics"]["movej_timeout_steps"] == 2400
    assert [c["name"] for c in info["cameras"]] == ["front", "left", "right", "oracle"]
    assert info["cameras"][0]["fov_y_deg"] == pytest.approx(56.1449, abs=1e-3)
    assert info["assets"]["root"] == str(sim_assets)
    assert "ur5/ur5.urdf" not in info["assets"]["missing"]
    assert info["renderers"]["tiny"] == "available" and info["default_renderer"] == "tiny"


def test_scene_demo_writes_views_and_moves_blocks(tmp_path, capsys, sim_assets):
    out = tmp_path / "demo"
    args = ["--out", str(out), "--blocks", "1", "--seed", "2", "--assets-root", str(sim_assets)]
    assert scene_demo.main(args) == 0
    text = capsys.readouterr().out
    assert "moved 10." in text and "wrote 5 PNGs" in text
    names = sorted(p.name for p in out.iterdir())
    assert names == ["camera_front.png", "camera_left.png", "camera_right.png", "fused_color.png",
                     "fused_height.png"]
    assert np.asarray(Image.open(out / "fused_color.png")).shape == (320, 160, 3)
    assert np.asarray(Image.open(out / "camera_front.png")).shape == (480, 640, 3)


def test_scene_demo_bad_arguments_are_one_line_errors(capsys):
    assert cli_main(["scene-demo", "--blocks", "0"]) == 2
    assert "--blocks must be between 1 and 8" in capsys.readouterr().err
    assert cli_main(["scene-demo", "--renderer", "vulkan"]) == 2
    assert "unknown renderer 'vulkan'" in capsys.readouterr().err
