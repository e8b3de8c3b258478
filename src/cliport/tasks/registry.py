"""The task registry: every benchmark task name maps to a class (or factory) and its static facts.

Family modules register their names with :func:`register_task` when imported. Importing
``cliport.tasks`` imports none of them: :func:`make_task` and :func:`task_names` import the family
modules on demand (Gymnasium-style string entry points), so the CLI stays fast. A family module is
any module of this package that is not one of the machinery modules below; new families are found
without editing this file.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from cliport.errors import CliportError

Kind = Literal["demo", "language"]
Split = Literal["seen", "unseen", "full"] | None

#: Modules of this package that hold machinery, not tasks (never scanned for registrations).
_MACHINERY = frozenset({"registry", "base", "oracle", "catalogue", "groups"})

MODES = ("train", "val", "test")


class UnknownTaskError(CliportError, KeyError):
    """A task name is not registered; the message lists the closest registered names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class TaskInfo:
    """Static facts about a registered task (tasks.md §6); ``max_steps`` may grow at reset."""

    name: str
    kind: Kind
    split: Split
    ee: str
    primitive: str
    max_steps: int
    factory: Callable[..., Any] = field(repr=False, compare=False)
    module: str = ""


_REGISTRY: dict[str, TaskInfo] = {}
_SCANNED = False


def register_task(
    name: str,
    *,
    kind: Kind,
    split: Split = None,
    ee: str = "suction",
    primitive: str = "pick_place",
    max_steps: int = 10,
    **factory_kwargs: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a task class or factory under ``name``.

    ``factory_kwargs`` are passed to the factory (with ``name`` and ``mode``) by :func:`make_task`,
    so one class can back several registered variants. The same decorator may be stacked.
    """
    if kind not in ("demo", "language"):
        raise ValueError(f"task {name!r}: kind must be 'demo' or 'language', got {kind!r}")
    if split not in ("seen", "unseen", "full", None):
        raise ValueError(f"task {name!r}: split must be 'seen', 'unseen', 'full' or None, got {split!r}")

    def wrap(factory: Callable[..., Any]) -> Callable[..., Any]:
        def build(mode: str = "train") -> Any:
            return factory(name=name, mode=mode, **factory_kwargs)

        info = TaskInfo(name, kind, split, ee, primitive, int(max_steps), build, factory.__module__)
        old = _REGISTRY.get(name)
        if old is not None and old.module != info.module:
            raise ValueError(f"task {name!r} is registered twice ({old.module} and {info.module})")
        _REGISTRY[name] = info
        return factory

    return wrap


def _family_modules() -> list[str]:
    import cliport.tasks as package

    return sorted(
        f"{package.__name__}.{m.name}"
        for m in pkgutil.iter_modules(package.__path__)
        if m.name not in _MACHINERY and not m.name.startswith("_")
    )


def _scan() -> None:
    global _SCANNED
    if _SCANNED:
        return
    for module in _family_modules():
        importlib.import_module(module)
    _SCANNED = True


def task_names(kind: Kind | None = None) -> list[str]:
    """All registered task names (sorted), optionally only those of one kind."""
    _scan()
    return sorted(n for n, info in _REGISTRY.items() if kind is None or info.kind == kind)


def task_info(name: str) -> TaskInfo:
    """The static facts of a registered task; unknown names raise :class:`UnknownTaskError`."""
    if name not in _REGISTRY:
        _scan()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=5, cutoff=0.5)
        known = ", ".join(close) if close else ", ".join(sorted(_REGISTRY))
        hint = f"; did you mean {known}?" if close else f"; known tasks: {known}"
        raise UnknownTaskError(f"unknown task {name!r}{hint}")
    return _REGISTRY[name]


def make_task(name: str, mode: str = "train") -> Any:
    """A fresh task object for ``name`` in ``mode`` ("train", "val" or "test")."""
    if mode not in MODES:
        raise CliportError(f"task mode must be one of {', '.join(MODES)}, got {mode!r}")
    return task_info(name).factory(mode)
