"""The interface between the simulator and a task: what each side may ask of the other.

The environment owns the PyBullet client, the RNG, the robot and the end effector; a task builds a
scene through a :class:`Scene`, scores it and says when it is done. ``env`` imports no task module:
tasks implement :class:`SceneTask` and are handed to the environment as objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

Category = Literal["fixed", "rigid", "deformable"]
EndEffectorType = Literal["suction", "spatula"]
PrimitiveName = Literal["pick_place", "push"]


@runtime_checkable
class Scene(Protocol):
    """What the environment offers a task while it builds and scores a scene."""

    #: PyBullet client bound to this environment (``pybullet_utils.bullet_client.BulletClient``).
    client: Any
    #: The environment's own RNG; tasks draw all randomness from it.
    rng: np.random.Generator
    #: Folder with the generated (or user-provided) assets, original relative layout.
    assets_root: Path
    #: Registered object ids by category.
    obj_ids: dict[str, list[int]]

    def add_object(
        self,
        urdf: str | Path,
        pose: tuple[np.ndarray, np.ndarray],
        category: Category = "rigid",
        **load_kwargs: Any,
    ) -> int | None:
        """Load a URDF (relative to assets_root, or absolute) at pose and register it."""
        ...

    def fill_template(self, template: str | Path, replacements: dict[str, Any]) -> Path:
        """Write a copy of a template URDF with its placeholders substituted; return its path."""
        ...

    def render_oracle(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top-down oracle view reconstructed over the task bounds: (colormap, heightmap, id mask)."""
        ...


@runtime_checkable
class SceneTask(Protocol):
    """What the environment asks of a task."""

    name: str
    ee_type: EndEffectorType
    primitive: PrimitiveName
    #: Keyword arguments of the primitive (e.g. height=0.02, speed=0.001 for rope tasks).
    primitive_params: dict[str, float]
    max_steps: int
    mode: str

    def reset(self, scene: Scene) -> None:
        """Build the scene: load objects, set goals and language goals."""
        ...

    def reward(self, scene: Scene) -> tuple[float, dict]:
        """Reward delta of the last action (tasks.md §1.4) and extras."""
        ...

    def done(self) -> bool: ...

    def lang_goal(self) -> str:
        """The current instruction (or the task's "completed" sentence)."""
        ...
