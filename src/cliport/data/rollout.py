"""Roll out an oracle in an environment for one seed and record the episode (spec §1 steps 4-5).

Entry k holds the observation before action k, the reward received on arrival there (0 for k = 0)
and the env info there (whose "lang_goal" is the instruction action k should satisfy); a final
entry holds the last observation with no action. Works with any object offering the Gymnasium-style
environment API (``set_task``, ``reset(seed=)``, ``step(action)``), so tests can drive it with a
stand-in environment.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from cliport.data.episode import Episode, objects_to_arrays, pose_to_row

SUCCESS_THRESHOLD = 0.99
NO_INSTRUCTION = "task completed."


class Oracle(Protocol):
    def act(self, env: Any, obs: Any, info: dict) -> Any: ...


@dataclass
class RunResult:
    episode: Episode
    ok: bool
    frames: list[np.ndarray] = field(default_factory=list)  # video frames (see ``record_every``)
    frame_texts: list[str] = field(default_factory=list)  # the instruction shown on each frame


def fused_maps(env: Any, obs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Observation -> (color (320, 160, 3) uint8, height (320, 160) float32)."""
    if hasattr(env, "fused_maps"):
        color, height = env.fused_maps(obs)
    elif hasattr(env, "fused_input"):
        out = env.fused_input(obs)
        if isinstance(out, tuple) and len(out) == 2:
            color, height = out
        else:  # the (320, 160, 6) network input
            out = np.asarray(out)
            color, height = np.round(out[..., :3]), out[..., 3]
    else:
        from cliport.env.heightmap import fuse
        from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, REALSENSE_CAMERAS

        color, height = fuse(obs["color"], obs["depth"], REALSENSE_CAMERAS, INPUT_BOUNDS, PIXEL_SIZE)
    return np.asarray(color, dtype=np.uint8), np.asarray(height, dtype=np.float32)


def _step(env: Any, action: Any) -> tuple[Any, float, bool, dict]:
    out = env.step(action)
    if len(out) == 5:
        obs, reward, terminated, truncated, info = out
        return obs, float(reward), bool(terminated or truncated), info
    obs, reward, done, info = out
    return obs, float(reward), bool(done), info


def record_episode(
    env: Any,
    task: Any,
    oracle: Oracle,
    seed: int,
    *,
    task_name: str = "",
    mode: str = "",
    save_raw: bool = False,
    keep_frames: bool = False,
    record_every: int = 0,
) -> RunResult:
    """Reset with ``seed``, act with the oracle for at most ``task.max_steps`` actions, record all."""
    if hasattr(env, "set_task"):
        env.set_task(task)
    obs, info = env.reset(seed=seed)
    max_steps = int(getattr(task, "max_steps", 10))  # read after reset: some tasks change it there
    observations, infos, actions, rewards = [obs], [info], [], [0.0]
    recorder = None
    if keep_frames and record_every > 0 and hasattr(env, "step_hooks"):
        from cliport.env.recording import FrameRecorder

        recorder = FrameRecorder(env, every=record_every)
    with recorder if recorder is not None else contextlib.nullcontext():
        for _ in range(max_steps):
            action = oracle.act(env, obs, info)
            if action is None:
                break
            actions.append(action)
            obs, reward, done, info = _step(env, action)
            observations.append(obs)
            infos.append(info)
            rewards.append(reward)
            if done:
                break
    maps = [fused_maps(env, o) for o in observations]
    obj_ids, obj_pose, obj_dims, extras = objects_to_arrays(infos)
    raw_color = raw_depth = None
    if save_raw:
        raw_color = np.stack([np.stack([np.asarray(c)[..., :3] for c in o["color"]]) for o in observations])
        raw_depth = np.stack([np.stack(o["depth"]) for o in observations]).astype(np.float32)
    episode = Episode(
        color=np.stack([m[0] for m in maps]),
        height=np.stack([m[1] for m in maps]),
        pick=np.stack([pose_to_row(_pose(a, 0)) for a in actions]) if actions else np.zeros((0, 7)),
        place=np.stack([pose_to_row(_pose(a, 1)) for a in actions]) if actions else np.zeros((0, 7)),
        reward=np.asarray(rewards, np.float64),
        instruction=[str(i.get("lang_goal", NO_INSTRUCTION)) for i in infos],
        seed=int(seed),
        task=task_name,
        mode=mode,
        obj_ids=obj_ids,
        obj_pose=obj_pose,
        obj_dims=obj_dims,
        extras=extras,
        raw_color=raw_color,
        raw_depth=raw_depth,
    )
    ok = episode.total_reward > SUCCESS_THRESHOLD
    if recorder is not None:
        return RunResult(episode, ok, recorder.frames, recorder.texts)
    frames = [np.asarray(o["color"][0])[..., :3] for o in observations] if keep_frames else []
    return RunResult(episode, ok, frames, list(episode.instruction) if keep_frames else [])


def _pose(action: Any, which: int) -> Any:
    if isinstance(action, dict):
        return action[f"pose{which}"]
    return action.pose0 if which == 0 else action.pose1
