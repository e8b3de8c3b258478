"""Policies built from the networks: the agent registry, the policy API, checkpoints.

The public entry points, imported lazily (``import cliport.agents`` does not import torch):
:func:`build_agent`, :func:`load_agent`, :func:`save_agent`, :class:`AgentConfig`, :class:`Policy`,
:func:`agent_names`, :func:`load_original_checkpoint`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AgentConfig": "cliport.agents.config",
    "Policy": "cliport.agents.policy",
    "build_agent": "cliport.agents.policy",
    "load_agent": "cliport.agents.checkpoint",
    "save_agent": "cliport.agents.checkpoint",
    "agent_names": "cliport.agents.registry",
    "agent_spec": "cliport.agents.registry",
    "load_original_checkpoint": "cliport.agents.original",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'cliport.agents' has no attribute {name!r}")
