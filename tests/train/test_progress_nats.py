"""The training progress bar shows nats per stream; the stored metric stays the original's mean."""

import math

import torch

from cliport.agents.losses import one_hot_cross_entropy
from cliport.train.logging import nats_postfix


def test_uniform_maps_show_log_of_the_entry_count():
    h, w, rot = 8, 4, 3
    pick = float(one_hot_cross_entropy(torch.zeros(1, h * w), torch.tensor([5]))[0])
    place = float(one_hot_cross_entropy(torch.zeros(1, rot * h * w), torch.tensor([7]))[0])
    shown = nats_postfix({"tr/loss": pick + place, "tr/pick_loss": pick, "tr/place_loss": place}, (h, w), rot)
    assert math.isclose(float(shown["pick"].removesuffix("nat")), math.log(h * w), rel_tol=1e-2)
    assert math.isclose(float(shown["place"].removesuffix("nat")), math.log(rot * h * w), rel_tol=1e-2)
    assert pick < 0.2  # the stored (original) value is the mean over entries, not nats


def test_without_stream_losses_the_total_is_shown():
    assert nats_postfix({"tr/loss": 0.5}, (8, 4), 3) == {"loss": "0.5"}


def test_the_loop_runs_with_the_progress_bar(tmp_path, tiny, capsys):
    from cliport.train.loop import LoopSettings, fit

    TinyPolicy, batch_for_step = tiny
    settings = LoopSettings(n_steps=3, lr=1e-2, save_steps=[], last_every=2, progress=True)
    res = fit(TinyPolicy(), settings, batch_for_step, lambda: [batch_for_step(9)], tmp_path, lambda: {})
    assert res.end_step == 3
    assert "loss=" in capsys.readouterr().err
