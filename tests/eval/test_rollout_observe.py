"""An evaluation episode skips the render after its last allowed action, with the same outcome."""

from __future__ import annotations

from cliport.eval.rollout import run_episode


class _AlwaysObserve:
    """The environment as it was before: every step renders its observation."""

    def __init__(self, env) -> None:
        self.env = env

    def __getattr__(self, name):
        return getattr(self.env, name)

    def step(self, action, observe: bool = True):
        return self.env.step(action)


def test_last_observation_is_not_rendered_and_outcome_is_unchanged(small_cameras):
    import numpy as np

    from cliport.env.environment import Environment
    from cliport.tasks.registry import make_task
    from cliport.types import Action, Pose

    env = Environment(cameras=small_cameras, parallel_render=False)

    def act(image, info):
        """A scripted agent: pick the block where it lies, put it down 4 cm further along y."""
        assert image.shape == (320, 160, 6)
        block = env.obj_ids["rigid"][0]
        pos, _ = info[block][:2]
        place = np.array([pos[0], pos[1] + (0.04 if pos[1] < 0 else -0.04), pos[2]])
        return Action(Pose(np.asarray(pos), np.array([0.0, 0.0, 0.0, 1.0])),
                      Pose(place, np.array([0.0, 0.0, 0.0, 1.0])))

    renders = [0]
    observe = env.observe

    def counting_observe():
        renders[0] += 1
        return observe()

    env.observe = counting_observe
    try:
        outcomes = []
        for wrapped in (_AlwaysObserve(env), env):
            renders[0] = 0
            task = make_task("block-insertion", "test")
            task.max_steps = 2  # two steps are enough to see the last one skip its render
            out = run_episode(wrapped, task, act, 10001)
            outcomes.append((out, renders[0], task.max_steps))
    finally:
        env.close()
    (before, renders_before, max_steps), (after, renders_after, _) = outcomes
    assert (after.total_reward, after.steps, after.instructions) == (
        before.total_reward, before.steps, before.instructions)
    assert after.info == before.info
    assert renders_before == 1 + before.steps
    assert renders_after == 1 + after.steps - int(after.steps == max_steps)
