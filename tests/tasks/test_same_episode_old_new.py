"""Same seed, same episode: the oracle's demo actions with the pre-change path and with the new default.

The pre-change path is ``Environment(**PRE_CHANGE_OPTIONS)`` (PyBullet's iterative IK, the previous
movej and lowering loops); the default is the closed-form IK with the fast motion. The analytic IK puts
the tool tip exactly on the commanded pose where PyBullet's solve stops ~1 mm short, so physics differs
at sub-millimetre level (docs/fidelity.md); the oracle must still choose the same pick and place poses
(within 1 mm and 1 degree) and reach the same reward. Cameras are 4x smaller than the benchmark's: the
oracle reads the scene, not the images, so this only saves render time.

One known amplifier: the oracle picks a uniformly random cell among the object's visible heightmap cells
(the same random index in both runs). A sub-millimetre shift can add or drop one visible cell, and the
same index then names another cell of the object. For the Hanoi disks (thin rings, many edge cells) this
happens (seed 0: action 3 picks the same disk 5 cm away, same reward); there poses and picked objects
are compared up to the first action whose pick cell differs (that action must still pick the same disk),
and the rewards over the whole episode. After it the episodes are different draws: on seed 4 the pick
cell differs at action 2, and the new path later places the largest disk twice (8 actions against 7),
both episodes ending with reward 1.
"""

from __future__ import annotations

import numpy as np
import pytest

pybullet = pytest.importorskip("pybullet")
from cliport.env.assets.registry import ensure_assets  # noqa: E402
from cliport.env.environment import PRE_CHANGE_OPTIONS, Environment  # noqa: E402
from cliport.geometry import quat_angle_deg  # noqa: E402
from cliport.tasks.oracle import make_oracle  # noqa: E402
from cliport.tasks.registry import make_task  # noqa: E402

#: Tasks whose oracle pick cells can change with sub-millimetre shifts (see the module docstring).
SAMPLED_PICK_TASKS = {"towers-of-hanoi-seq-seen-colors"}
SLOW_TASKS = [
    "put-block-in-bowl-seen-colors", "block-insertion", "stack-block-pyramid-seq-seen-colors",
    "towers-of-hanoi-seq-seen-colors", "palletizing-boxes",
]  # fmt: skip


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    return ensure_assets(tmp_path_factory.mktemp("assets"))


def rollout(task_name: str, seed: int, assets, cameras, **options) -> tuple[list, float]:
    """The oracle's actions and the total reward of one demo episode."""
    env = Environment(assets_root=assets, cameras=cameras, **options)
    try:
        task = make_task(task_name, "train")
        env.set_task(task)
        obs, info = env.reset(seed=seed)
        oracle = make_oracle(task)
        actions, total = [], 0.0
        for _ in range(task.max_steps):
            action = oracle.act(env, obs, info)
            if action is None:
                break
            actions.append(action)
            obs, reward, terminated, truncated, info = env.step(action)
            total += reward
            if terminated or truncated:
                break
        return actions, total
    finally:
        env.close()


def action_differences(old: list, new: list) -> tuple[float, float]:
    """Largest position (m) and rotation (degrees) difference between matching poses of two episodes."""
    assert len(old) == len(new), f"{len(old)} actions before, {len(new)} after"
    dp, da = 0.0, 0.0
    for a, b in zip(old, new, strict=True):
        for pa, pb in ((a.pose0, b.pose0), (a.pose1, b.pose1)):
            dp = max(dp, float(np.linalg.norm(pa.position - pb.position)))
            da = max(da, quat_angle_deg(pa.rotation, pb.rotation))
    return dp, da


def check_same_episode(task_name: str, seed: int, assets, cameras) -> None:
    old, old_reward = rollout(task_name, seed, assets, cameras, **PRE_CHANGE_OPTIONS)
    new, new_reward = rollout(task_name, seed, assets, cameras)
    where = f"{task_name} seed {seed}"
    if task_name in SAMPLED_PICK_TASKS:
        # from the first differing pick cell on, the two episodes are different draws of the oracle
        shared = min(len(old), len(new))
        same_cell = [old[i].extras.get("pick_pixel") == new[i].extras.get("pick_pixel")
                     for i in range(shared)]
        n = same_cell.index(False) if False in same_cell else shared
        if n < shared:
            assert old[n].extras.get("object_id") == new[n].extras.get("object_id"), where
        old, new = old[:n], new[:n]
    assert [a.extras.get("object_id") for a in old] == [a.extras.get("object_id") for a in new], where
    dp, da = action_differences(old, new)
    assert dp < 1e-3 and da < 1.0, f"{where}: actions differ by {dp * 1e3:.2f} mm, {da:.2f} deg"
    assert abs(old_reward - new_reward) < 1e-6, f"{where}: reward {old_reward} -> {new_reward}"


@pytest.mark.parametrize("seed", [0, 1])
def test_same_seed_same_actions_block_insertion(assets, small_cameras, seed):
    check_same_episode("block-insertion", seed, assets, small_cameras)


#: Episodes measured to differ (2026-12-04): a placed block falls off the pyramid with the old path and
#: the oracle retries, while the new path finishes in 6 actions (docs/fidelity.md, "Closed-form IK").
#: They are recorded, not hidden: xfail, not skipped, so a change in either direction shows in the report.
KNOWN_DIVERGENT = {("stack-block-pyramid-seq-seen-colors", 6), ("stack-block-pyramid-seq-seen-colors", 7),
                   ("stack-block-pyramid-seq-seen-colors", 8)}


@pytest.mark.slow
@pytest.mark.parametrize("task_name, seed", [
    pytest.param(t, s, marks=pytest.mark.xfail(reason="block falls off with the old path; see fidelity.md",
                                               strict=False))
    if (t, s) in KNOWN_DIVERGENT else (t, s)
    for t in SLOW_TASKS for s in range(10)
])
def test_same_seed_same_actions_five_tasks(assets, small_cameras, task_name, seed):
    check_same_episode(task_name, seed, assets, small_cameras)
