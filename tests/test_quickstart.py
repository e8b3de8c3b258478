"""End to end on the CPU: demos -> train -> eval -> results JSON with the original's keys -> table."""

import json


def test_quickstart_end_to_end_tiny(tmp_path, capsys):
    from cliport.cli import main

    out = tmp_path / "qs"
    code = main(["quickstart", f"out={out}", "task=block-insertion", "n_train=2", "n_val=1", "n_test=1",
                 "n_steps=2", "workers=1", "n_rotations=4", "model_options={resnet_base: 4}",
                 "progress=false", "video=true"])
    assert code == 0
    exp = out / "exps" / "block-insertion-transporter-n2-train"
    results = exp / "checkpoints" / "block-insertion-transporter-n1-results-test.json"
    data = json.loads(results.read_text())
    entry = data["last.ckpt"]
    assert set(entry) >= {"episodes", "mean_reward"}
    assert len(entry["episodes"]) == 1 and 0.0 <= entry["mean_reward"] <= 1.0
    reward, info = entry["episodes"][0]
    assert "lang_goal" in info
    printed = capsys.readouterr().out
    assert "block-insertion" in printed and "transporter" in printed  # the results table
    assert (out / "affordances.png").stat().st_size > 10_000
    assert (out / "results.png").exists()
    assert len(list((exp / "videos").glob("*.mp4"))) == 1
