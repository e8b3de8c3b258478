"""Pure pose maths of cliport.geometry (no simulator)."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.geometry import quat_angle_deg, yaw_quat


@pytest.mark.parametrize("theta", [0.0, 0.3, 1.0, np.pi / 2, 3.0])
def test_quat_angle_of_a_yaw_is_the_yaw(theta):
    assert quat_angle_deg(yaw_quat(0.0), yaw_quat(theta)) == pytest.approx(np.degrees(theta), abs=1e-6)


def test_quat_angle_treats_q_and_minus_q_alike_and_ignores_scale():
    q = np.array([0.1, -0.4, 0.3, 0.85])
    assert quat_angle_deg(q, -q) == pytest.approx(0.0, abs=1e-5)
    assert quat_angle_deg(2.5 * q, q) == pytest.approx(0.0, abs=1e-5)
    assert quat_angle_deg(yaw_quat(0.0), yaw_quat(np.pi)) == pytest.approx(180.0)
    assert quat_angle_deg([1, 0, 0, 0], [0, 1, 0, 0]) == pytest.approx(180.0)  # x vs y half-turns
