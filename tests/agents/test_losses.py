"""Labels, losses and validation errors against hand computations (data_train_eval.md §7)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cliport.agents.losses import (
    argmax_unravel,
    check_pixels,
    one_hot_cross_entropy,
    pick_label_index,
    place_label_index,
    rotation_bin,
    validation_errors,
)
from cliport.errors import CliportError


def test_rotation_bin_rounds_half_to_even_and_wraps():
    step = 2 * math.pi / 36
    theta = torch.tensor([0.0, step * 0.49, step * 0.5, step * 1.5, -step, 2 * math.pi, -step * 35.6])
    # numpy reference: np.int32(np.round(theta / step)) % 36
    ref = np.int32(np.round(theta.double().numpy() / step)) % 36
    assert rotation_bin(theta, 36).tolist() == ref.tolist() == [0, 0, 0, 2, 35, 0, 0]


def test_place_label_is_yaw_pick_minus_yaw_place():
    # p1_theta = yaw0 - yaw1: picking at yaw 0 and placing at yaw -30° gives +30° -> bin 3.
    yaw0, yaw1 = 0.0, -math.radians(30)
    idx = place_label_index(torch.tensor([[5, 7]]), torch.tensor([yaw0 - yaw1]), (36, 320, 160))
    assert int(idx) == (3 * 320 + 5) * 160 + 7


def test_pick_label_index_in_hwr_order():
    idx = pick_label_index(torch.tensor([[2, 3], [319, 159]]), torch.zeros(2), (320, 160, 1))
    assert idx.tolist() == [2 * 160 + 3, 319 * 160 + 159]


def test_one_hot_cross_entropy_matches_dense_soft_label_mean():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3 * 4 * 5, generator=gen)  # (B, R*H*W)
    index = place_label_index(torch.tensor([[1, 2], [3, 4]]), torch.tensor([0.0, 2 * math.pi / 3]), (3, 4, 5))
    # The original: label map one-hot, loss = mean(-label * log_softmax(logits)) over all entries.
    dense = torch.zeros_like(logits)
    dense[0, (0 * 4 + 1) * 5 + 2] = 1
    dense[1, (1 * 4 + 3) * 5 + 4] = 1
    ref = (-dense * torch.log_softmax(logits, dim=1)).mean(dim=1)
    torch.testing.assert_close(one_hot_cross_entropy(logits, index), ref)


def test_cross_entropy_hand_value():
    # Two entries with logits (0, ln 3): softmax (1/4, 3/4); label on the second -> -ln(3/4) / 2.
    loss = one_hot_cross_entropy(torch.tensor([[0.0, math.log(3.0)]]), torch.tensor([1]))
    assert float(loss) == pytest.approx(-math.log(0.75) / 2, rel=1e-6)


def test_argmax_unravel_row_major():
    flat = torch.zeros(1, 2 * 3 * 4)
    flat[0, (1 * 3 + 2) * 4 + 3] = 5
    assert argmax_unravel(flat, (2, 3, 4)).tolist() == [[1, 2, 3]]


def test_validation_errors_hand_case():
    h, w, r = 4, 5, 6
    pick = torch.zeros(1, h * w)
    pick[0, 1 * w + 2] = 9  # argmax pixel (1, 2)
    place = torch.zeros(1, r * h * w)
    place[0, (2 * h + 3) * w + 0] = 9  # rotation 2, pixel (3, 0)
    batch = {
        "p0": torch.tensor([[0, 4]]),
        "p0_theta": torch.tensor([0.0]),
        "p1": torch.tensor([[3, 3]]),
        "p1_theta": torch.tensor([0.5]),
    }
    err = validation_errors(pick, place, batch, (h, w), r)
    assert err["pick_dist"].tolist() == [1 + 2]
    assert err["pick_theta"].tolist() == [0.0]
    assert err["place_dist"].tolist() == [3]
    expected = abs((0.5 - 2 * 2 * math.pi / r) % math.pi)
    assert float(err["place_theta"][0]) == pytest.approx(expected)


def test_pixels_outside_image_are_refused():
    with pytest.raises(CliportError, match=r"batch\['p1'\]\[1\] = \[320, 0\] lies outside the 320x160 image"):
        check_pixels("p1", torch.tensor([[0, 0], [320, 0]]), 320, 160)
