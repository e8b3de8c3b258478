"""Decoding round trip: label pixel/angle -> one-hot logits -> argmax -> same pixel/angle -> world pose."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cliport.agents.decoding import decode_pick, decode_place, to_action
from cliport.agents.losses import pick_label_index, place_label_index
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, quat_to_eulerXYZ, xyz_to_pix

H, W, R = 320, 160, 36


@pytest.mark.parametrize(
    ("pick", "place", "yaw_delta_deg"), [((10, 20), (300, 150), 30), ((0, 0), (319, 159), -120)]
)
def test_label_to_action_round_trip(pick, place, yaw_delta_deg):
    theta = torch.tensor([math.radians(yaw_delta_deg)])
    pick_logits = torch.zeros(H * W)
    pick_logits[pick_label_index(torch.tensor([pick]), torch.zeros(1), (H, W, 1))] = 10.0
    place_logits = torch.zeros(R * H * W)
    place_logits[place_label_index(torch.tensor([place]), theta, (R, H, W))] = 10.0

    p = decode_pick(pick_logits, (H, W))
    q = decode_place(place_logits, (H, W), R)
    assert (p.row, p.col, p.rotation, p.theta) == (*pick, 0, 0.0)
    r = round(yaw_delta_deg / 10) % 36
    assert (q.row, q.col, q.rotation) == (*place, r)
    assert q.theta == pytest.approx(r * 2 * math.pi / R)

    image = np.zeros((H, W, 6), np.float32)
    image[pick[0], pick[1], 3:] = 0.04
    image[place[0], place[1], 3:] = 0.01
    action = to_action(p, q, image)
    # Positions: the pixel's corner, z from the input height channel (input bounds, z_min = 0).
    assert action.pose0.position == pytest.approx(
        [INPUT_BOUNDS[0, 0] + pick[1] * PIXEL_SIZE, INPUT_BOUNDS[1, 0] + pick[0] * PIXEL_SIZE, 0.04], abs=1e-7
    )
    assert xyz_to_pix(action.pose1.position, INPUT_BOUNDS) == place
    assert action.pose1.position[2] == pytest.approx(0.01, abs=1e-7)
    # Orientations: pick yaw 0; place yaw -r*10°, i.e. the commanded relative yaw undoes the label's.
    assert quat_to_eulerXYZ(action.pose0.rotation)[2] == pytest.approx(0.0)
    yaw1 = quat_to_eulerXYZ(action.pose1.rotation)[2]
    assert math.cos(yaw1 + q.theta) == pytest.approx(1.0) and math.sin(yaw1 + q.theta) == pytest.approx(
        0.0, abs=1e-9
    )
    assert action.extras["pick"] == [pick[0], pick[1], 0.0]


def test_place_ties_resolve_in_hwr_order_like_the_original():
    logits = torch.zeros(R * H * W)
    logits[(5 * H + 2) * W + 3] = 1.0  # rotation 5 at (2, 3)
    logits[(1 * H + 2) * W + 4] = 1.0  # rotation 1 at (2, 4)
    # numpy argmax of the (H, W, R) volume meets (2, 3, 5) first.
    q = decode_place(logits, (H, W), R)
    assert (q.row, q.col, q.rotation) == (2, 3, 5)
