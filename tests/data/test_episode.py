"""Episode format: round trip, determinism, size, and clear errors on damaged files."""

from __future__ import annotations

import numpy as np
import pytest
from factories import block_episode

from cliport.data.episode import (
    Episode,
    EpisodeFileError,
    encode_episode,
    load_episode,
    objects_to_arrays,
    save_episode,
)
from cliport.data.store import DatasetError, read_meta


def _random_episode(seed: int = 0) -> Episode:
    rng = np.random.default_rng(seed)
    ep = block_episode(seed)
    ep.color = rng.integers(0, 256, ep.color.shape, dtype=np.uint8)
    ep.height = rng.uniform(0, 0.28, ep.height.shape).astype(np.float32)
    return ep


def test_round_trip_colour_exact_height_within_half_mm(tmp_path):
    ep = _random_episode()
    path = save_episode(tmp_path / "e.npz", ep)
    back = load_episode(path)
    np.testing.assert_array_equal(back.color, ep.color)
    assert back.color.dtype == np.uint8
    assert np.abs(back.height - ep.height).max() <= 0.5e-3
    assert np.abs(back.height - ep.height).max() <= 0.051e-3  # 0.1 mm quanta, rounded
    np.testing.assert_array_equal(back.pick, ep.pick)
    np.testing.assert_array_equal(back.place, ep.place)
    np.testing.assert_array_equal(back.reward, ep.reward)
    assert back.instruction == ep.instruction
    assert (back.seed, back.task, back.mode) == (ep.seed, ep.task, ep.mode)
    assert back.extras == ep.extras
    assert back.raw_color is None


def test_raw_views_only_when_saved(tmp_path):
    ep = block_episode(1, n_actions=1)
    ep.raw_color = np.full((2, 3, 8, 8, 3), 7, np.uint8)
    ep.raw_depth = np.full((2, 3, 8, 8), 0.5, np.float32)
    back = load_episode(save_episode(tmp_path / "r.npz", ep), raw=True)
    np.testing.assert_array_equal(back.raw_color, ep.raw_color)
    np.testing.assert_array_equal(back.raw_depth, ep.raw_depth)


def test_encoding_is_byte_deterministic():
    assert encode_episode(block_episode(3)) == encode_episode(block_episode(3))
    assert encode_episode(block_episode(3)) != encode_episode(block_episode(4))


def test_bytes_per_step_far_below_raw_original():
    ep = block_episode(2)
    per_step = len(encode_episode(ep)) / len(ep)
    assert per_step < 6.45e6 / 50


def test_heights_outside_the_uint16_range_are_refused():
    ep = block_episode(0)
    ep.height[0, 0, 0] = 7.0
    with pytest.raises(ValueError, match="heights must lie"):
        encode_episode(ep)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_file_error_names_it(tmp_path, damage):
    path = save_episode(tmp_path / "000004.npz", block_episode(4))
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(data[:200] + b"\x00" * 5000 + data[5200:])
    else:
        path.write_bytes(b"")
    with pytest.raises(EpisodeFileError, match="000004.npz"):
        load_episode(path)


def test_missing_file_and_foreign_npz(tmp_path):
    with pytest.raises(EpisodeFileError, match="does not exist"):
        load_episode(tmp_path / "nope.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(EpisodeFileError, match="other.npz.*lacks fields"):
        load_episode(tmp_path / "other.npz")


def test_missing_or_corrupt_dataset_json(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        read_meta(tmp_path / "absent")
    (tmp_path / "d").mkdir()
    with pytest.raises(DatasetError, match="no dataset.json"):
        read_meta(tmp_path / "d")
    (tmp_path / "d" / "dataset.json").write_text("{not json")
    with pytest.raises(DatasetError, match="corrupt"):
        read_meta(tmp_path / "d")


def test_env_info_to_object_arrays():
    infos = [
        {3: ((0.1, 0.2, 0.3), (0, 0, 0, 1), (0.04, 0.04, 0.04)), "lang_goal": "a", "extra": 1},
        {3: ((0.5, 0.2, 0.3), (0, 0, 0, 1), (0.04, 0.04, 0.04)), 9: ((1, 1, 1), (0, 0, 0, 1), (1, 2)),
         "lang_goal": "b"},
    ]
    ids, pose, dims, extras = objects_to_arrays(infos)
    assert ids.tolist() == [3, 9]
    assert pose.shape == (2, 2, 7) and np.isnan(pose[0, 1]).all()
    assert pose[1, 0, 0] == 0.5
    np.testing.assert_array_equal(dims[1, 1, :2], [1, 2])
    assert extras == [{"extra": 1}, {}]
