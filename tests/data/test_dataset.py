"""Datasets: labels, batching, determinism, subsets, goals, multi-task groups, per-task augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from factories import block_episode, make_folder
from torch.utils.data import DataLoader

from cliport.data.dataset import DemoDataset, MultiTaskDataset, make_dataset, to_sample
from cliport.data.store import DatasetError
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, quat_to_eulerXYZ, xyz_to_pix
from cliport.tasks.groups import group_members

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return make_folder(tmp_path_factory.mktemp("d"), "toy", "train", [0, 2, 4, 6, 8])


def test_unaugmented_labels_match_the_episode(toy):
    ds = DemoDataset(toy, augment=False)
    assert len(ds) == 5
    for index in range(10):
        item = ds[index]
        seed, step = int(item["instruction"].split()[2]), int(item["instruction"].split()[-1])
        ep = block_episode(seed)
        pick, place = ep.pick[step], ep.place[step]
        assert tuple(item["p0"]) == xyz_to_pix(pick[:3], INPUT_BOUNDS, PIXEL_SIZE)
        assert tuple(item["p1"]) == xyz_to_pix(place[:3], INPUT_BOUNDS, PIXEL_SIZE)
        yaw0, yaw1 = quat_to_eulerXYZ(pick[3:])[2], quat_to_eulerXYZ(place[3:])[2]
        assert item["p0_theta"] == 0.0
        assert item["p1_theta"] == pytest.approx(yaw0 - yaw1, abs=1e-5)
        r, c = item["p0"]
        np.testing.assert_array_equal(item["image"][r, c, :3], ep.color[step, r, c])  # on the picked block
        assert item["image"][r, c, 3] == pytest.approx(ep.height[step, r, c], abs=5e-5)
        assert np.all(item["image"][..., 3] == item["image"][..., 5])
        assert item["task"] == "toy" and not item["perturb"].any()


def test_default_collate_batches_items(toy):
    batch = next(iter(DataLoader(DemoDataset(toy, augment=True), batch_size=4)))
    assert batch["image"].shape == (4, 320, 160, 6) and batch["image"].dtype == torch.float32
    assert batch["p0"].shape == (4, 2) and batch["p0"].dtype == torch.int64
    assert batch["p1_theta"].shape == (4,) and len(batch["instruction"]) == 4
    assert batch["perturb"].shape == (4, 5)


def test_items_depend_only_on_seed_epoch_and_index(toy):
    a = DemoDataset(toy, augment=True, seed=1)
    b = DemoDataset(toy, augment=True, seed=1, cache=False)
    for i in range(4):
        np.testing.assert_array_equal(a[i]["image"], b[i]["image"])
        assert tuple(a[i]["p0"]) == tuple(b[i]["p0"])
    loaded = next(iter(DataLoader(a, batch_size=5, num_workers=2)))
    direct = torch.stack([torch.from_numpy(a[i]["image"]) for i in range(5)])
    assert torch.equal(loaded["image"], direct)  # worker processes do not change samples
    before = [a[i]["perturb"].copy() for i in range(4)]
    a.set_epoch(1)
    assert any(not np.array_equal(x, a[i]["perturb"]) for i, x in enumerate(before))
    c = DemoDataset(toy, augment=True, seed=2)
    assert any(not np.array_equal(c[i]["perturb"], before[i]) for i in range(4))


def test_n_demos_subset_is_seeded_and_checked(toy):
    a = DemoDataset(toy, n_demos=3, seed=7)
    b = DemoDataset(toy, n_demos=3, seed=7)
    assert len(a) == 3 and a.selected.tolist() == b.selected.tolist()
    assert len({tuple(DemoDataset(toy, n_demos=2, seed=s).selected) for s in range(12)}) > 1
    with pytest.raises(DatasetError, match="holds 5 episodes but n_demos=9 were asked for; generate them"):
        DemoDataset(toy, n_demos=9)


def test_goal_images_final_or_next(tmp_path):
    final = make_folder(tmp_path, "toy", "train", [0], n_actions=3)
    seq = make_folder(tmp_path, "toy-seq", "train", [0], n_actions=3)
    for folder, sequential in ((final, False), (seq, True)):
        ds = DemoDataset(folder, with_goal=True)
        ep = block_episode(0, 3)
        for i in range(6):
            item = ds[i]
            step = int(item["instruction"].split()[-1])
            goal = step + 1 if sequential else 3
            np.testing.assert_array_equal(item["goal_image"][..., :3], ep.color[goal])
        assert to_sample(item).goal_image is not None


def test_multi_task_group_members_and_fixed_member_draw(tmp_path):
    members = group_members("multi-demo-conditioned", "train")
    for k, m in enumerate(members):  # uneven member sizes: 1 or 3 episodes
        make_folder(tmp_path, m, "train", list(range(0, 2 * (1 + 2 * (k % 2)), 2)), n_actions=1)
    ds = make_dataset(tmp_path, "multi-demo-conditioned", "train", n_demos=3, cache=True)
    assert isinstance(ds, MultiTaskDataset)
    assert len(ds) == (5 * 1 + 5 * 3) // 10
    seen = set()
    for i in range(120):
        item = ds[i]
        assert item["instruction"].startswith(item["task"] + " seed")  # episode from the drawn member
        seen.add(item["task"])
    assert seen == set(members)


def test_attribute_task_gets_half_of_training_samples(tmp_path):
    group = "multi-attr-put-block-in-bowl-unseen-colors"
    for m in group_members(group, "train"):
        make_folder(tmp_path, m, "train", [0], n_actions=1)
    ds = MultiTaskDataset(tmp_path, group, "train", cache=True)
    tasks = [ds[i]["task"] for i in range(300)]
    share = tasks.count("put-block-in-bowl-seen-colors") / len(tasks)
    assert 0.4 < share < 0.6


def test_missing_member_folder_is_named(tmp_path):
    with pytest.raises(DatasetError, match="align-rope-val"):
        MultiTaskDataset(tmp_path, "multi-attr-align-rope", "val")


def test_theta_sigma_per_task(tmp_path):
    make_folder(tmp_path, "flat", "train", [0])
    make_folder(tmp_path, "turn", "train", [0])
    flat = DemoDataset(tmp_path / "flat-train", augment=True, theta_sigma={"flat": 0.0, "default": 60.0})
    turn = DemoDataset(tmp_path / "turn-train", augment=True, theta_sigma={"flat": 0.0, "default": 60.0})
    assert all(flat[i]["perturb"][0] == 0.0 for i in range(10))
    assert any(abs(turn[i]["perturb"][0]) > 0.05 for i in range(10))


def test_corrupt_episode_raises_naming_it_or_is_skipped_when_asked(tmp_path):
    folder = make_folder(tmp_path, "toy", "train", [0, 2, 4])
    (folder / "episodes" / "000002.npz").write_bytes(b"truncated")
    strict = DemoDataset(folder)
    with pytest.raises(Exception, match="000002.npz"):
        for i in range(30):
            strict[i]
    lenient = DemoDataset(folder, skip_bad=True)
    with pytest.warns(UserWarning, match="000002.npz"):
        seeds = {int(lenient[i]["instruction"].split()[2]) for i in range(30)}
    assert seeds == {0, 4}
