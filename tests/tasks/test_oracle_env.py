"""The oracle in the real simulator: it solves every task of this family set (tasks.md §1.6 acceptance).

Default run: one seed per task; short tasks (<= 3 oracle steps) run the whole episode, long ones
(pyramid, hanoi, palletizing, six-DoF insertion) check that the first two oracle actions earn at
least one object's share of the first goal step.
Slow run (``-m slow``): whole episodes on 3 fixed seeds, at least 2 must reach reward >= 0.99.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cliport.geometry import ACTION_POSITION_HIGH as BOX_HIGH
from cliport.geometry import ACTION_POSITION_LOW as BOX_LOW
from cliport.tasks.oracle import make_oracle
from cliport.tasks.registry import make_task

SHORT = [
    "align-box-corner", "block-insertion", "block-insertion-easy", "block-insertion-nofixture",
    "block-insertion-translation", "place-red-in-green", "put-block-in-bowl-full",
    "put-block-in-bowl-seen-colors", "put-block-in-bowl-unseen-colors",
]  # fmt: skip
LONG = [
    "block-insertion-sixdof", "palletizing-boxes", "stack-block-pyramid", "stack-block-pyramid-seq-full",
    "stack-block-pyramid-seq-seen-colors", "stack-block-pyramid-seq-unseen-colors", "towers-of-hanoi",
    "towers-of-hanoi-seq-full", "towers-of-hanoi-seq-seen-colors", "towers-of-hanoi-seq-unseen-colors",
]  # fmt: skip


@pytest.fixture(scope="module")
def env():
    from cliport.env.environment import Environment

    torch.set_num_threads(1)
    e = Environment(renderer="tiny")
    yield e
    e.close()


def first_object_share(task) -> float:
    """One object's share of the first goal step (palletizing: 1 of 18 boxes)."""
    return task.goals[0].max_reward / len(task.goals[0].objects)


def episode(env, name, seed, mode="train", max_actions=None, stop_at=None):
    """Reset and roll the oracle out; ``stop_at(task)`` (read after reset) ends early at that reward."""
    task = make_task(name, mode)
    env.set_task(task)
    obs, info = env.reset(seed=seed)
    task.first_instruction = info["lang_goal"]
    oracle = make_oracle(task)
    target = np.inf if stop_at is None else stop_at(task)
    task.first_share = first_object_share(task)
    total, rewards, actions = 0.0, [], []
    limit = task.max_steps if max_actions is None else min(max_actions, task.max_steps)
    for _ in range(limit):
        action = oracle.act(env, obs, info)
        if action is None:
            break
        for pose in (action.pose0, action.pose1):  # inside the action box (the env allows 2 cm slack)
            assert np.all(np.abs(pose.position - np.clip(pose.position, BOX_LOW, BOX_HIGH)) < 0.02)
        actions.append(action)
        obs, reward, terminated, _, info = env.step(action)
        rewards.append(reward)
        total += reward
        if terminated or total >= target - 0.02:
            break
    return task, total, rewards, actions


@pytest.mark.parametrize("name", SHORT)
def test_oracle_solves_short_task(env, name):
    task, total, _, _ = episode(env, name, seed=0)
    assert total >= 0.99, f"{name}: oracle reached {total:.3f}"
    assert task.done()


@pytest.mark.parametrize("name", LONG)
def test_oracle_first_actions_earn_one_object_share(env, name):
    # Three actions: a block can slide off a neighbour and need another try (the oracle then retries;
    # stack-block-pyramid-seq-full seed 0 needs 2 tries with the pre-change IK and 3 with the closed form).
    task, total, _, _ = episode(env, name, seed=0, max_actions=3, stop_at=first_object_share)
    assert total >= task.first_share - 0.02


@pytest.mark.slow
@pytest.mark.parametrize("name", SHORT + LONG)
def test_oracle_succeeds_on_two_of_three_seeds(env, name):
    totals = [episode(env, name, seed)[1] for seed in (1, 2, 3)]
    assert sum(t >= 0.99 for t in totals) >= 2, f"{name}: {totals}"


def test_same_seed_same_scene_instruction_actions(env):
    runs = []
    for _ in range(2):
        task, _, rewards, actions = episode(env, "put-block-in-bowl-unseen-colors", 4, "test", max_actions=1)
        runs.append((task.first_instruction, rewards, [a.pose0.position for a in actions]))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    for p, q in zip(runs[0][2], runs[1][2], strict=True):
        np.testing.assert_array_equal(p, q)


def test_rays_see_what_the_oracle_camera_sees(env):
    """Free space and oracle visibility from rays agree with the oracle render, robot arm included
    (the camera's near plane hides everything above 0.3 m, so rays start there)."""
    from cliport.tasks.free_space import occupied_mask, visible_cells

    task, _, _, _ = episode(env, "stack-block-pyramid-seq-seen-colors", seed=2, max_actions=1)
    _, height, ids = env.render_oracle()
    registered = [i for v in env.obj_ids.values() for i in v]
    rendered = np.isin(ids, registered)
    rayed = occupied_mask(env)
    assert (rendered ^ rayed).sum() < 0.15 * rendered.sum()
    for body in env.obj_ids["rigid"]:
        cells, z = visible_cells(env.client, body)
        seen = np.flatnonzero(ids == body)
        both, at_cells, _ = np.intersect1d(cells, seen, return_indices=True)
        assert len(both) >= 0.8 * max(len(seen), 1)
        # Heights agree except at a few edge cells (ray at the cell centre vs any point in the cell).
        close = np.abs(z[at_cells] - height.ravel()[both]) < 0.004
        assert close.mean() >= 0.9
