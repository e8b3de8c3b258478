"""Parsing and validating the two-pose actions handed to ``Environment.step`` (env.md §2, §10).

An action may be a :class:`cliport.types.Action`, the original's dict ``{"pose0": (pos, quat),
"pose1": (pos, quat)}``, or None (no motion). Bad values raise :class:`ActionError` naming the problem,
instead of sending the arm somewhere undefined.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cliport.errors import CliportError
from cliport.geometry import ACTION_POSITION_HIGH, ACTION_POSITION_LOW
from cliport.types import Action

#: Positions may exceed the gym action box by this much (metres) before they are rejected; scripted
#: oracles place on top of stacks and at the edge of the workspace.
POSITION_TOLERANCE = 0.02

PosePair = tuple[np.ndarray, np.ndarray]
#: What to do about a bad action: it comes from the caller's policy or oracle, never from the benchmark.
_FIX = "check the policy (or oracle) that produced it"


class ActionError(CliportError, ValueError):
    """An action is malformed or outside the workspace."""


def _pose(value: Any, name: str) -> PosePair:
    try:
        position, rotation = value
        position = np.asarray(position, dtype=np.float64).reshape(3)
        rotation = np.asarray(rotation, dtype=np.float64).reshape(4)
    except (TypeError, ValueError) as err:
        raise ActionError(f"action {name} must be (position xyz, quaternion xyzw): {err}") from None
    if not np.all(np.isfinite(position)) or not np.all(np.isfinite(rotation)):
        raise ActionError(
            f"action {name} contains NaN or infinity: position {position.tolist()}, quaternion "
            f"{rotation.tolist()}; {_FIX}"
        )
    low, high = ACTION_POSITION_LOW - POSITION_TOLERANCE, ACTION_POSITION_HIGH + POSITION_TOLERANCE
    outside = (position < low) | (position > high)
    if np.any(outside):
        axis = "xyz"[int(np.flatnonzero(outside)[0])]
        raise ActionError(
            f"action {name} position {position.round(4).tolist()} is outside the workspace on {axis} "
            f"(allowed {ACTION_POSITION_LOW.tolist()} .. {ACTION_POSITION_HIGH.tolist()}); {_FIX}"
        )
    norm = np.linalg.norm(rotation)
    if norm < 1e-6:
        raise ActionError(f"action {name} quaternion {rotation.tolist()} has zero norm")
    return position, rotation / norm


def parse_action(action: Action | dict | None) -> tuple[PosePair, PosePair] | None:
    """Validated (pose0, pose1), or None for "no action"."""
    if action is None:
        return None
    if isinstance(action, Action):
        return _pose(action.pose0.as_tuple(), "pose0"), _pose(action.pose1.as_tuple(), "pose1")
    if isinstance(action, dict):
        missing = [k for k in ("pose0", "pose1") if k not in action]
        if missing:
            raise ActionError(f"action dict is missing {', '.join(missing)} (keys: {sorted(action)})")
        return _pose(action["pose0"], "pose0"), _pose(action["pose1"], "pose1")
    raise ActionError(
        f"action must be an Action, a dict with pose0/pose1, or None; got {type(action).__name__}"
    )
