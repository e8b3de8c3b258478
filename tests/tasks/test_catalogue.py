"""The catalogue's tables equal the spec's lists (tasks.md §2-§4)."""

from __future__ import annotations

import numpy as np
import pytest

from cliport.errors import CliportError
from cliport.tasks import catalogue as cat


def test_palette_order_and_values():
    assert cat.COLOR_NAMES == (
        "blue", "red", "green", "orange", "yellow", "purple", "pink", "cyan", "brown", "white", "gray",
    )  # fmt: skip
    assert cat.color("blue").rgb255 == (78, 121, 167)
    assert cat.color_rgba("red") == pytest.approx((1.0, 87 / 255, 89 / 255, 1.0))
    assert cat.color("gray").rgb == pytest.approx((186 / 255, 176 / 255, 172 / 255))


def test_unknown_colour_message():
    with pytest.raises(CliportError, match="unknown colour 'teal'"):
        cat.color("teal")


def test_colour_splits():
    assert cat.TRAIN_COLORS == ("blue", "red", "green", "yellow", "brown", "gray", "cyan")
    assert cat.EVAL_COLORS == ("blue", "red", "green", "orange", "purple", "pink", "white")
    assert set(cat.TRAIN_COLORS) & set(cat.EVAL_COLORS) == {"blue", "red", "green"}
    assert set(cat.FULL_COLORS) == set(cat.COLOR_NAMES) and len(cat.FULL_COLORS) == 11
    for mode in cat.MODES:
        assert cat.colors_for("seen", mode) == cat.TRAIN_COLORS
        assert cat.colors_for("full", mode) == cat.FULL_COLORS
    assert cat.colors_for("unseen", "train") == cat.TRAIN_COLORS
    assert cat.colors_for("unseen", "val") == cat.EVAL_COLORS
    assert cat.colors_for("unseen", "test") == cat.EVAL_COLORS
    with pytest.raises(CliportError, match="unknown mode 'eval'"):
        cat.colors_for("seen", "eval")
    with pytest.raises(CliportError, match="colour variant"):
        cat.colors_for("odd", "train")  # type: ignore[arg-type]


def test_random_brown_uses_passed_rng():
    a = cat.random_brown_rgba(np.random.default_rng(3))
    b = cat.random_brown_rgba(np.random.default_rng(3))
    assert a == b
    shade = a[0] * 255 / 156
    assert 0.5 <= shade < 1.5
    assert a[1] == pytest.approx(117 * shade / 255) and a[3] == 1.0


def test_kit_shapes():
    names = [s.name for s in cat.KIT_SHAPES]
    assert names[0] == "letter R shape" and names[11] == "circle" and names[19] == "letter M shape"
    assert [s.index for s in cat.KIT_SHAPES] == list(range(20))
    sym = {s.index: s.symmetry for s in cat.KIT_SHAPES}
    assert sym[2] == pytest.approx(2 * np.pi / 3) and sym[3] == pytest.approx(np.pi / 2)
    assert sym[11] == 0 and sym[16] == 0 and sym[17] == pytest.approx(np.pi / 3)
    assert sym[7] == pytest.approx(2 * np.pi / 5) and sym[8] == pytest.approx(np.pi)
    assert cat.KIT_SHAPES[7].mesh == "kitting/07.obj"
    assert cat.shapes_for("train") == tuple(range(14))
    assert cat.shapes_for("val") == cat.shapes_for("test") == tuple(range(14, 20))
    assert cat.EASY_TEST_SHAPES == (3, 11) and len(cat.EASY_TRAIN_SHAPES) == 18


def test_google_lists():
    seen, tr, ev = cat.GOOGLE_SEEN_OBJECTS, cat.GOOGLE_UNSEEN_TRAIN_OBJECTS, cat.GOOGLE_UNSEEN_EVAL_OBJECTS
    assert (len(seen), len(tr), len(ev)) == (56, 37, 19)
    assert len(set(seen)) == 56 and not set(tr) & set(ev) and set(tr) | set(ev) == set(seen)
    assert list(seen) == sorted(seen)
    for mode in cat.MODES:
        assert cat.google_objects_for("seen", mode) == seen
    assert cat.google_objects_for("unseen", "train") == tr
    assert cat.google_objects_for("unseen", "test") == ev
    assert cat.google_file_stem("c clamp") == "c_clamp"
