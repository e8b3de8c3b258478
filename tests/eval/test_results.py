"""Results files, checkpoint selection and summary statistics (data_train_eval.md §9)."""

import json

import numpy as np
import pytest
from scipy import stats

from cliport.eval.results import (
    ResultsError,
    best_checkpoint,
    checkpoint_entry,
    load_results,
    results_filename,
    select_checkpoints,
    write_results,
)
from cliport.eval.stats import summarise, t_interval, wilson_interval


def test_results_filename_follows_the_original_and_keys_multi_on_model_path():
    assert results_filename("put-block-in-bowl-seen-colors", "cliport", 100, "val", "/exps/x-train") == (
        "put-block-in-bowl-seen-colors-cliport-n100-results-val.json"
    )
    model_path = "/exps/multi-language-conditioned-cliport-n1000-train"
    name = results_filename("t", "cliport", 10, "test", model_path)
    assert name == "t-cliport-n10-multi-results-test.json"


def test_write_then_load_round_trip_with_int_object_ids(tmp_path):
    info = {5: (np.array([0.5, 0.1, 0.02]), np.array([0, 0, 0, 1.0]), (0.04, 0.04, 0.04)), "lang_goal": "x"}
    entry = checkpoint_entry([(1.0, info), (0.0, info), (0.5, info)])
    path = tmp_path / "r.json"
    write_results(path, {"steps=01000-val_loss=0.1.ckpt": entry})
    back = load_results(path)
    e = back["steps=01000-val_loss=0.1.ckpt"]
    assert e["mean_reward"] == pytest.approx(0.5)
    assert e["episodes"][0][1]["5"][0] == [0.5, 0.1, 0.02]
    assert set(e) >= {"episodes", "mean_reward", "summary"}
    assert not list(tmp_path.glob("*.tmp"))


def test_results_file_that_is_not_json_names_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ResultsError, match="bad.json.*not valid JSON"):
        load_results(bad)


def test_best_checkpoint_highest_mean_ties_keep_the_earlier():
    res = {"a": {"mean_reward": 0.5}, "b": {"mean_reward": 0.9}, "c": {"mean_reward": 0.9}}
    assert best_checkpoint(res) == "b"


def _touch(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_bytes(b"x")


def test_select_checkpoints_all_types(tmp_path):
    ckpts = tmp_path / "ckpt"
    _touch(ckpts, "steps=02000-val_loss=0.2.ckpt", "steps=01000-val_loss=0.3.ckpt", "last.ckpt")
    names = lambda paths: [p.name for p in paths]  # noqa: E731
    got = select_checkpoints("val_missing", ckpts, ckpts, "t", {"steps=01000-val_loss=0.3.ckpt": {}})
    assert names(got) == ["steps=02000-val_loss=0.2.ckpt"]
    assert names(select_checkpoints("last", ckpts, ckpts, "t", {})) == ["last.ckpt"]
    assert names(select_checkpoints("02000", ckpts, ckpts, "t", {})) == ["steps=02000-val_loss=0.2.ckpt"]
    # test_best without a validation file falls back to last.ckpt
    assert names(select_checkpoints("test_best", ckpts, ckpts, "t", {})) == ["last.ckpt"]
    val = {
        "steps=01000-val_loss=0.3.ckpt": {"mean_reward": 0.8, "episodes": []},
        "steps=02000-val_loss=0.2.ckpt": {"mean_reward": 0.8, "episodes": []},
    }
    (ckpts / "t-cliport-n10-results-val.json").write_text(json.dumps(val))
    assert names(select_checkpoints("test_best", ckpts, ckpts, "t", {})) == ["steps=01000-val_loss=0.3.ckpt"]
    # already evaluated -> skipped unless update_results
    done = {"last.ckpt": {}}
    assert select_checkpoints("last", ckpts, ckpts, "t", done) == []
    assert names(select_checkpoints("last", ckpts, ckpts, "t", done, update_results=True)) == ["last.ckpt"]
    with pytest.raises(ResultsError, match="no checkpoint"):
        select_checkpoints("nope", ckpts, ckpts, "t", {})


def test_t_interval_matches_scipy():
    vals = [0.2, 0.4, 0.9, 1.0, 0.5]
    mean, std, lo, hi = t_interval(vals)
    ref_lo, ref_hi = stats.t.interval(0.95, len(vals) - 1, loc=np.mean(vals), scale=stats.sem(vals))
    assert (lo, hi) == pytest.approx((ref_lo, ref_hi))
    assert std == pytest.approx(np.std(vals, ddof=1))


def test_summary_over_repeats_uses_repeat_means():
    rewards = [1, 1, 0, 0] + [1, 1, 1, 0]  # two repeats of four episodes
    s = summarise(rewards, n_repeats=2)
    assert s.over == "repeats" and s.n == 2
    assert s.mean == pytest.approx(0.625)
    assert s.std == pytest.approx(np.std([0.5, 0.75], ddof=1))
    assert s.ci_low < 0.5 and s.ci_high > 0.75
    assert s.method == "t" and 0.0 <= s.ci_low and s.ci_high <= 1.0  # clipped to the reward range
    single = summarise([0.5])
    assert (single.ci_low, single.ci_high) == (0.5, 0.5)


def test_success_counts_get_a_wilson_interval_inside_0_1():
    # 17 of 20: a t-interval would give [0.68, 1.02]; the Wilson score interval (z = 1.96) is
    # [0.6396, 0.9476] (computed by hand from the formula).
    s = summarise([1.0] * 17 + [0.0] * 3)
    assert s.method == "wilson" and s.mean == pytest.approx(0.85)
    assert (s.ci_low, s.ci_high) == pytest.approx((0.6396, 0.9476), abs=1e-4)
    # All successes: not a zero-width interval; 20/20 still allows a true rate down to ~84 %.
    full = summarise([1.0] * 20)
    assert full.ci_high == 1.0 and full.ci_low == pytest.approx(0.8389, abs=1e-4)
    none = summarise([0.0] * 5)
    assert none.ci_low == 0.0 and 0.4 < none.ci_high < 0.5
    # Partial rewards (multi-step tasks): a t-interval, clipped to [0, 1].
    partial = summarise([1.0, 0.9, 1.0, 1.0])
    assert partial.method == "t" and partial.ci_high == 1.0 and partial.ci_low < 0.95
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)


def test_results_command_prints_table_and_writes_plot(tmp_path, capsys):
    from cliport.cli import main

    for n, rewards in ((10, [1.0, 0.0, 1.0, 1.0]), (100, [1.0, 1.0, 1.0, 0.0])):
        folder = tmp_path / f"put-block-in-bowl-seen-colors-cliport-n{n}-train" / "checkpoints"
        entry = checkpoint_entry([(r, {"lang_goal": "g"}) for r in rewards])
        name = "put-block-in-bowl-seen-colors-cliport-n4-results-test.json"
        write_results(folder / name, {"best.ckpt": entry})
    plot = tmp_path / "plot.png"
    assert main(["results", str(tmp_path), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "put-block-in-bowl-seen-colors" in out and "n=10" in out and "n=100" in out
    assert "75.0" in out
    assert plot.stat().st_size > 1000


def test_results_command_rejects_non_json(tmp_path, capsys):
    from cliport.cli import main

    bad = tmp_path / "x-cliport-n1-results-test.json"
    bad.write_text("oops")
    assert main(["results", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
