"""A tiny stand-in for environment + task + oracle, so demo generation is tested without PyBullet.

Each seed deterministically succeeds (about 60 % of seeds) or fails; fused maps and poses are drawn
from a Generator seeded by the seed. ``STANDIN_DELAY`` (seconds per step) slows it down for kill tests.
"""

from __future__ import annotations

import os
import time

import numpy as np

from cliport.data.rollout import RunResult, record_episode
from cliport.types import Action, Pose


class StandinTask:
    name = "standin"
    max_steps = 3

    def __init__(self, mode: str) -> None:
        self.mode = mode


class StandinEnv:
    def __init__(self) -> None:
        self.delay = float(os.environ.get("STANDIN_DELAY", "0"))
        self.rng = np.random.default_rng(0)

    def set_task(self, task: StandinTask) -> None:
        self.task = task

    def _obs(self) -> dict:
        color = self.rng.integers(0, 256, (320, 160, 3), dtype=np.uint8)
        height = self.rng.uniform(0, 0.28, (320, 160)).astype(np.float32)
        return {"fused": (color, height)}

    def _info(self) -> dict:
        return {7: (self.rng.uniform(0, 1, 3), (0.0, 0.0, 0.0, 1.0), (0.04, 0.04, 0.04)),
                "lang_goal": f"put the block in step {self.t}"}

    def reset(self, *, seed: int):
        self.rng = np.random.default_rng(seed)
        self.t = 0
        self.win = self.rng.random() < 0.6
        return self._obs(), self._info()

    def step(self, action):
        time.sleep(self.delay)
        self.t += 1
        reward = 0.5 if self.t == 1 else (0.5 if self.win else 0.0)
        done = self.t >= 2
        return self._obs(), reward, done, False, self._info()

    def fused_maps(self, obs: dict):
        return obs["fused"]


class StandinOracle:
    def act(self, env: StandinEnv, obs, info) -> Action:
        xy = env.rng.uniform([0.3, -0.4], [0.7, 0.4])
        pick = Pose((xy[0], xy[1], 0.02), (0, 0, 0.3826834, 0.9238795))
        return Action(pick, Pose((0.5, 0.1, 0.02), (0, 0, 0, 1)))


class StandinRunner:
    def __init__(self, cfg) -> None:
        self.cfg = cfg
        self.env = StandinEnv()

    def run(self, seed: int, *, save_raw: bool = False, keep_frames: bool = False) -> RunResult:
        result = record_episode(self.env, StandinTask(self.cfg.mode), StandinOracle(), seed,
                                task_name=self.cfg.task, mode=self.cfg.mode)
        if keep_frames:
            result.frames = [np.zeros((96, 128, 3), np.uint8) + 200 for _ in range(len(result.episode))]
        return result

    def close(self) -> None:
        pass


def make_runner(cfg) -> StandinRunner:
    return StandinRunner(cfg)


def check(cfg) -> None:
    from cliport.errors import ConfigError

    if cfg.task == "bogus":
        raise ConfigError("unknown task 'bogus'")


class _CrashingRunner(StandinRunner):
    def run(self, seed: int, **kw) -> RunResult:
        if seed == 2:
            os._exit(3)  # a worker dying abruptly (segfault, OOM kill)
        return super().run(seed, **kw)


def make_crashing_runner(cfg) -> StandinRunner:
    return _CrashingRunner(cfg)
