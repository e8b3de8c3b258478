"""The default episode runner: the PyBullet environment, a registered task and its scripted oracle.

One runner per process (demo workers are spawned processes), one environment per runner. A fresh
task object is built for every attempt, so nothing carries over between seeds and an episode depends
only on its seed, whichever worker runs it and whatever it ran before.
"""

from __future__ import annotations

from typing import Any

from cliport.data.config import DemosConfig
from cliport.data.rollout import RunResult, record_episode


class SimRunner:
    def __init__(self, cfg: DemosConfig) -> None:
        from cliport.env.environment import Environment
        from cliport.tasks.registry import task_info

        task_info(cfg.task)  # fail early, naming the task, if it is unknown
        self.cfg = cfg
        self.env: Any = Environment(assets_root=cfg.assets_root or None, gui=cfg.disp, hz=480, ik=cfg.ik,
                                    motion=cfg.motion)

    def run(self, seed: int, *, save_raw: bool = False, keep_frames: bool = False) -> RunResult:
        from cliport.tasks.oracle import make_oracle
        from cliport.tasks.registry import make_task

        task = make_task(self.cfg.task, self.cfg.mode)
        oracle = make_oracle(task)
        return record_episode(self.env, task, oracle, seed, task_name=self.cfg.task, mode=self.cfg.mode,
                              save_raw=save_raw, keep_frames=keep_frames, record_every=self.cfg.record.every)

    def close(self) -> None:
        self.env.close()


def check(cfg: DemosConfig) -> None:
    """Fail in the parent process, naming the task, before any worker starts."""
    from cliport.tasks.registry import task_info

    task_info(cfg.task)


def make_runner(cfg: DemosConfig) -> SimRunner:
    return SimRunner(cfg)
