"""``ik=`` / ``motion=`` on demos and eval: the pre-issue-10 simulator path from the command line."""

import pytest

from cliport.data.config import parse_overrides
from cliport.data.sim_runner import SimRunner
from cliport.errors import ConfigError
from cliport.eval.config import EvalConfig, validate


def test_demos_keys_default_to_the_new_path_and_reach_the_environment():
    cfg = parse_overrides(["task=block-insertion", "n=1"])
    assert (cfg.ik, cfg.motion) == ("analytic", "fast")
    old = parse_overrides(["task=block-insertion", "n=1", "ik=pybullet", "motion=legacy"])
    runner = SimRunner(old)
    try:
        assert (runner.env.ik, runner.env.motion) == ("pybullet", "legacy")
    finally:
        runner.close()


@pytest.mark.parametrize("key, value, message", [
    ("ik", "ikfast", "ik must be one of analytic, pybullet, got 'ikfast'"),
    ("motion", "slow", "motion must be one of fast, legacy, got 'slow'"),
])
def test_bad_sim_path_is_a_config_error_in_demos_and_eval(key, value, message):
    with pytest.raises(ConfigError, match=message):
        parse_overrides(["task=block-insertion", f"{key}={value}"])
    with pytest.raises(ConfigError, match=message):
        validate(EvalConfig(eval_task="block-insertion", **{key: value}))
