"""SE(2) augmentation: labels follow the objects, stay inside, and everything is seed-determined."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.data.augment import (
    AugmentError,
    Perturbation,
    draw_perturbation,
    perturb,
    transform_pixel,
    warp_image,
)


def _scene(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[int, int], tuple[int, int]]:
    """One object (7x7 px) and one target (9x9 px); labels at random interior pixels of each."""
    image = np.zeros((320, 160, 6), np.float32)
    masks = np.zeros((320, 160, 2), np.float32)
    labels = []
    for k, half in enumerate((3, 4)):
        r, c = int(rng.integers(20, 300)), int(rng.integers(20, 140))
        image[r - half:r + half + 1, c - half:c + half + 1, :3] = rng.integers(60, 256, 3)
        image[r - half:r + half + 1, c - half:c + half + 1, 3:] = 0.05 * (k + 1)
        masks[r - half:r + half + 1, c - half:c + half + 1, k] = 1.0
        # any pixel at least 2 px inside the edge (rotation + rounding moves a label by < 1 px)
        dr, dc = rng.integers(-half + 2, half - 1, size=2)
        labels.append((r + int(dr), c + int(dc)))
    return image, masks, labels[0], labels[1]


def test_labels_stay_on_their_objects_over_many_draws():
    rng = np.random.default_rng(0)
    for _ in range(150):
        image, masks, p0, p1 = _scene(rng)
        out, (q0, q1), pert = perturb(image, [p0, p1], 60.0, rng)
        warped = warp_image(masks, pert, n_color=0)
        for k, q in enumerate((q0, q1)):
            assert 0 <= q[0] < 320 and 0 <= q[1] < 160
            assert warped[q[0], q[1], k] > 0.5, (pert, p0, p1, q)
        assert out[q0[0], q0[1], :3].sum() > 0  # the pick pixel shows the object's colour
        assert out[q0[0], q0[1], 3] > 0


def test_colour_is_truncated_to_integers_and_height_kept_float():
    rng = np.random.default_rng(1)
    image, _, p0, p1 = _scene(rng)
    image[..., 3:] += 0.0123
    out, _, _ = perturb(image, [p0, p1], 30.0, rng)
    assert out.dtype == np.float32 and out.shape == (320, 160, 6)
    np.testing.assert_array_equal(out[..., :3], np.trunc(out[..., :3]))
    assert not np.allclose(out[..., 3:], np.round(out[..., 3:]))


def test_pure_translation_moves_pixels_exactly():
    p = Perturbation(0.0, (5.0, -7.0), (80.0, 160.0))
    assert transform_pixel(p.matrix(), (100, 50)) == pytest.approx((93.0, 55.0))
    image = np.zeros((320, 160, 6), np.float32)
    image[100, 50] = [10, 20, 30, 0.1, 0.1, 0.1]
    out = warp_image(image, p)
    np.testing.assert_allclose(out[93, 55], [10, 20, 30, 0.1, 0.1, 0.1], rtol=1e-6)


def test_rotation_about_the_centre():
    p = Perturbation(np.pi / 2, (0.0, 0.0), (80.0, 160.0))
    # (x=col, y=row) = (90, 160) -> 10 px right of the pivot -> 10 px below it after +90 degrees
    assert transform_pixel(p.matrix(), (160, 90)) == pytest.approx((170.0, 80.0))


def test_same_generator_seed_same_augmentation():
    image, _, p0, p1 = _scene(np.random.default_rng(3))
    a = perturb(image, [p0, p1], 60.0, np.random.default_rng(42))
    b = perturb(image, [p0, p1], 60.0, np.random.default_rng(42))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1] and a[2] == b[2]


def test_theta_sigma_zero_means_no_rotation():
    rng = np.random.default_rng(5)
    for _ in range(20):
        pert, _ = draw_perturbation((320, 160), [(160, 80)], 0.0, rng)
        assert pert.theta == 0.0


def test_impossible_labels_raise_clear_error():
    with pytest.raises(AugmentError, match="inside a 320x160 image"):
        draw_perturbation((320, 160), [(-500, -500)], 60.0, np.random.default_rng(0))
