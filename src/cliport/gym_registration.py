"""Gymnasium ids for every benchmark task: ``gymnasium.make("cliport/<task>-v0")``.

Why a separate module: ``env/`` must not know tasks, and ``tasks/`` must not build environments, so the
glue that joins a task name to an :class:`~cliport.env.environment.Environment` lives here, above both.
:func:`register_envs` is cheap (no PyBullet, no task module): the ids come from :data:`TASK_NAMES`, a
copy of the task registry's names that a test keeps equal to it, and the entry point is a string that
Gymnasium resolves only when an id is made. ``import cliport`` calls it; so does the
``gymnasium.envs`` entry point in pyproject.toml, for tools that load Gymnasium plugins.
"""

from __future__ import annotations

import functools
from typing import Any

from cliport.errors import CliportError

#: Every registered task name (kept equal to ``cliport.tasks.registry.task_names()`` by a test).
TASK_NAMES: tuple[str, ...] = (
    "align-box-corner", "align-rope", "assembling-kits", "assembling-kits-easy",
    "assembling-kits-seq-full", "assembling-kits-seq-seen-colors", "assembling-kits-seq-unseen-colors",
    "block-insertion", "block-insertion-easy", "block-insertion-nofixture", "block-insertion-sixdof",
    "block-insertion-translation", "manipulating-rope", "packing-boxes", "packing-boxes-pairs-full",
    "packing-boxes-pairs-seen-colors", "packing-boxes-pairs-unseen-colors",
    "packing-seen-google-objects-group", "packing-seen-google-objects-seq", "packing-shapes",
    "packing-unseen-google-objects-group", "packing-unseen-google-objects-seq", "palletizing-boxes",
    "place-red-in-green", "put-block-in-bowl-full", "put-block-in-bowl-seen-colors",
    "put-block-in-bowl-unseen-colors", "separating-piles-full", "separating-piles-seen-colors",
    "separating-piles-unseen-colors", "stack-block-pyramid", "stack-block-pyramid-seq-full",
    "stack-block-pyramid-seq-seen-colors", "stack-block-pyramid-seq-unseen-colors", "sweeping-piles",
    "towers-of-hanoi", "towers-of-hanoi-seq-full", "towers-of-hanoi-seq-seen-colors",
    "towers-of-hanoi-seq-unseen-colors",
)
NAMESPACE = "cliport"
VERSION = 0


def env_id(task: str) -> str:
    """The Gymnasium id of a task, e.g. ``cliport/block-insertion-v0``."""
    return f"{NAMESPACE}/{task}-v{VERSION}"


@functools.cache
def _task_env_class() -> type:
    """The Environment subclass with ``render_mode="rgb_array"`` (built once, on first use: PyBullet)."""
    from cliport.env import cameras
    from cliport.env.environment import Environment

    class TaskEnv(Environment):
        """The environment with one task; ``render()`` is the front camera's colour image."""

        metadata = {"render_modes": ["rgb_array"], "render_fps": 2}

        def render(self):  # (480, 640, 3) uint8 from the front RealSense camera; None without render_mode
            if self.render_mode != "rgb_array":
                return None
            return cameras.render_raw(self.client, self.cameras[0], self.renderer).color

    return TaskEnv


def make_env(task: str, mode: str = "train", render_mode: str | None = None, **env_kwargs: Any):
    """Build the Gymnasium env of ``task`` in ``mode`` (the entry point of every registered id)."""
    from cliport.tasks.registry import make_task

    if render_mode not in (None, "rgb_array"):
        raise CliportError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
    env = _task_env_class()(make_task(task, mode), **env_kwargs)
    env.render_mode = render_mode
    return env


def register_envs() -> None:
    """Register ``cliport/<task>-v0`` for every task (idempotent; imports only gymnasium's registry)."""
    from gymnasium.envs.registration import register, registry

    for name in TASK_NAMES:
        if env_id(name) not in registry:
            register(id=env_id(name), entry_point=f"{__name__}:make_env", kwargs={"task": name},
                     disable_env_checker=True)
