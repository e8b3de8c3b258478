"""The fast motion path against the pre-change one (env.md §7, §9; docs/performance.md "Motions and IK").

* ``motion="fast"`` must command the very same joint targets as ``motion="legacy"``: with the same IK
  the physics is bit-identical (same step count, same final object pose to the last bit).
* the new default (analytic IK + fast motion) against ``PRE_CHANGE_OPTIONS``: contact detected at the
  same tool height (within 1 mm), the same physics step count per motion (within 1 %), the same release.
"""

from __future__ import annotations

import numpy as np
import pytest

from cliport.env import primitives
from cliport.env.blocks_scene import BlocksScene
from cliport.env.environment import PRE_CHANGE_OPTIONS, Environment
from cliport.geometry import multiply_poses, quat_from_pybullet_euler, yaw_quat


@pytest.mark.parametrize("quat", [yaw_quat(0.3), yaw_quat(-2.9), quat_from_pybullet_euler((0.2, -0.1, 1.0))])
def test_lowered_targets_are_the_repeated_pose_products_to_the_last_bit(quat):
    start = (np.array([0.41, -0.23, 0.36]), quat)
    target = start
    lowered = primitives.lowered_targets(start)
    for _ in range(400):
        target = multiply_poses(target, primitives._STEP_DOWN)
        position, rotation = next(lowered)
        assert position.tobytes() == target[0].tobytes() and rotation.tobytes() == target[1].tobytes()


def run_pick_place(sim_assets, cameras, **options) -> dict:
    """One suction pick-and-place of a block; per-motion physics steps and the tool height at contact."""
    env = Environment(BlocksScene(positions=[(0.5, -0.1, 0.0)]), assets_root=sim_assets, cameras=cameras,
                      **options)
    phases, contact_z = [], []
    lower = primitives._lower_until_contact

    def recording_lower(*args):
        phases.append(env.step_counter)
        aborted = lower(*args)
        phases.append(env.step_counter)
        contact_z.append(float(env.robot.tip_pose()[0][2]))
        return aborted

    try:
        env.reset(seed=0)
        block = env.task.block_ids[0]
        pick = env.client.getBasePositionAndOrientation(block)
        place = ((0.45, 0.15, 0.02), yaw_quat(0.7))
        steps = (lambda: env.step_counter) if env.motion == "fast" else None
        start = env.step_counter
        primitives._lower_until_contact = recording_lower
        try:
            timeout = primitives.pick_place(env.movep, env.ee, pick, place, physics_steps=steps)
        finally:
            primitives._lower_until_contact = lower
        bounds = [start, *phases, env.step_counter]
        return {
            "timeout": timeout, "motions": np.diff(bounds), "contact_z": np.array(contact_z),
            "held": env.ee.check_grasp(), "activated": env.ee.activated,
            "constraints": env.client.getNumConstraints(),
            "block": env.client.getBasePositionAndOrientation(block),
        }
    finally:
        env.close()


@pytest.mark.parametrize("ik", ["pybullet", "analytic"])  # analytic + fast: movep reads the joints once
def test_fast_motion_is_bit_identical_to_legacy_with_the_same_ik(sim_assets, small_cameras, ik):
    legacy = run_pick_place(sim_assets, small_cameras, ik=ik, motion="legacy")
    fast = run_pick_place(sim_assets, small_cameras, ik=ik, motion="fast")
    assert list(fast["motions"]) == list(legacy["motions"])
    assert fast["block"] == legacy["block"]  # tuples of floats: equal to the last bit
    assert np.array_equal(fast["contact_z"], legacy["contact_z"])


def test_new_default_keeps_contact_height_step_counts_and_release(sim_assets, small_cameras):
    old = run_pick_place(sim_assets, small_cameras, **PRE_CHANGE_OPTIONS)
    new = run_pick_place(sim_assets, small_cameras)
    # motions: to pre-pick, lowering, lift + (no move) , lowering with the block, to post-place
    assert len(new["motions"]) == len(old["motions"]) == 5
    assert np.all(np.abs(new["motions"] - old["motions"]) <= np.maximum(1, 0.01 * old["motions"])), (
        old["motions"], new["motions"])
    assert np.all(np.abs(new["contact_z"] - old["contact_z"]) < 1e-3), (old["contact_z"], new["contact_z"])
    for run in (old, new):  # released: not held, not activated, only the gripper's two welds remain
        assert not run["timeout"] and not run["held"] and not run["activated"] and run["constraints"] == 2
    assert np.linalg.norm(np.subtract(new["block"][0], old["block"][0])) < 1e-3


@pytest.mark.parametrize("motion", ["fast", "legacy"])
def test_lowering_without_contact_gives_up_after_max_lowering_steps(sim_assets, small_cameras, monkeypatch,
                                                                    motion):
    """An unbounded descent never ends for a tool z axis that does not point down; the bound aborts it."""
    monkeypatch.setattr(primitives, "MAX_LOWERING_STEPS", 40)  # the pre-pick is ~300 steps above contact
    env = Environment(BlocksScene(positions=[(0.5, -0.1, 0.0)]), assets_root=sim_assets,
                      cameras=small_cameras, motion=motion)
    calls = []
    movep = env.movep

    def counting_movep(pose, speed=0.01):
        calls.append(pose)
        return movep(pose, speed)

    try:
        env.reset(seed=0)
        pick = env.client.getBasePositionAndOrientation(env.task.block_ids[0])
        steps = (lambda: env.step_counter) if motion == "fast" else None
        aborted = primitives.pick_place(counting_movep, env.ee, pick, ((0.45, 0.15, 0.02), yaw_quat(0.7)),
                                        physics_steps=steps)
        assert aborted is True
        assert not env.ee.activated  # gave up before the suction was switched on
        assert len(calls) == 1 + 40  # the pre-pick move, then exactly the bound's lowering moves
        assert calls[-1][0][2] == pytest.approx(calls[0][0][2] - 0.040, abs=1e-6)
    finally:
        env.close()
