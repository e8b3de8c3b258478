"""Gymnasium registration: every task has an id, make() works, check_env passes, rgb_array renders."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import cliport  # noqa: F401  (registers the ids)
from cliport.gym_registration import TASK_NAMES, env_id
from cliport.tasks.google_objects import ENV_VAR
from cliport.tasks.registry import task_names


def test_every_registered_task_has_an_id():
    assert TASK_NAMES == tuple(task_names())
    for name in task_names():
        assert env_id(name) in gymnasium.envs.registration.registry


def _check(task: str) -> None:
    env = gymnasium.make(env_id(task), render_mode="rgb_array")
    try:
        # check_env steps once with an unseeded action_space.sample(): seed it so the test is reproducible
        env.unwrapped.action_space.seed(0)
        check_env(env.unwrapped, skip_render_check=False)
        env.reset(seed=3)
        frame = env.render()
        assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8 and frame.std() > 5
    finally:
        env.close()


@pytest.mark.parametrize("task", ["block-insertion", "put-block-in-bowl-seen-colors"])
def test_check_env_passes(task):
    _check(task)


@pytest.mark.slow
@pytest.mark.parametrize("task", TASK_NAMES)
def test_check_env_passes_for_every_id(task, fake_google, monkeypatch):
    if "google" in task:  # the Scanned Objects are a separate download: stand-in meshes of their layout
        monkeypatch.setenv(ENV_VAR, str(fake_google))
    _check(task)


def test_unknown_render_mode_is_refused():
    with pytest.raises(cliport.errors.CliportError, match="render_mode"):
        gymnasium.make(env_id("block-insertion"), render_mode="human")
