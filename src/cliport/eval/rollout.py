"""Roll out an agent in the simulator for one episode seed: the only place where both meet.

The episode is reseeded exactly as stored (the environment's own RNG drives every draw of the scene),
so an evaluation episode shows the same scene, colours and instruction as the demonstration with that
seed — the original reseeded only numpy there, so its Python-random colour choices could differ.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cliport.types import Action

#: (fused input (320, 160, 6), info) -> action
ActFn = Callable[[np.ndarray, dict], Action]


@dataclass
class EpisodeOutcome:
    seed: int
    total_reward: float
    steps: int
    info: dict  # the final env info (object poses, "lang_goal")
    instructions: list[str] = field(default_factory=list)
    frames: list[np.ndarray] = field(default_factory=list)
    frame_texts: list[str] = field(default_factory=list)


def repeat_seed(seed: int, repeat: int) -> int:
    """Repeat 0 replays the stored seed; repeat r > 0 draws a new scene from the same mode's distribution.

    Offsetting by multiples of 2**32 keeps the new seeds disjoint from every train/val/test seed of the
    original schedule (all below 2**32).
    """
    return int(seed) + int(repeat) * (1 << 32)


def run_episode(
    env: Any,
    task: Any,
    act: ActFn,
    seed: int,
    *,
    keep_frames: bool = False,
    record_every: int = 5,
    on_step: Callable[[int, Action, dict], None] | None = None,
) -> EpisodeOutcome:
    """Reset the env with ``task`` and ``seed``; act for at most ``task.max_steps``; sum the rewards.

    With ``keep_frames`` the outcome carries video frames rendered every ``record_every`` physics steps
    (front camera, 640 x 720) and the instruction shown on each.
    """
    from cliport.env.recording import FrameRecorder

    env.set_task(task)
    obs, info = env.reset(seed=seed)
    max_steps = int(task.max_steps)  # read after reset: some tasks set it there
    total, steps = 0.0, 0
    instructions = [str(info.get("lang_goal", ""))]
    recorder = FrameRecorder(env, every=record_every) if keep_frames else None
    with recorder if recorder is not None else contextlib.nullcontext():
        for k in range(max_steps):
            action = act(env.fused_input(obs), info)
            # The observation after the last allowed action is never looked at: do not render it.
            obs, reward, terminated, truncated, info = env.step(action, observe=k < max_steps - 1)
            total += float(reward)
            steps += 1
            instructions.append(str(info.get("lang_goal", "")))
            if on_step is not None:
                on_step(steps, action, info)
            if terminated or truncated:
                break
    frames = recorder.frames if recorder is not None else []
    texts = recorder.texts if recorder is not None else []
    return EpisodeOutcome(int(seed), total, steps, info, instructions, frames, texts)
