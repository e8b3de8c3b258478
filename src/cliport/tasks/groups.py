"""Multi-task groups (spec data_train_eval.md §5) as a declarative table: name -> members per mode.

The dataset, training and evaluation read the member lists from here; nothing else hard-codes them.
``attribute_task`` is the member that gets half of the training samples in the attribute groups.
"""

from __future__ import annotations

from dataclasses import dataclass

from cliport.errors import CliportError


class UnknownGroupError(CliportError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class TaskGroup:
    name: str
    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]
    attribute_task: str | None = None

    def members(self, mode: str) -> tuple[str, ...]:
        if mode not in ("train", "val", "test"):
            raise CliportError(f"mode must be train, val or test, got {mode!r}")
        return getattr(self, mode)


DEMO_CONDITIONED = (
    "align-box-corner", "assembling-kits", "block-insertion", "manipulating-rope", "packing-boxes",
    "palletizing-boxes", "place-red-in-green", "stack-block-pyramid", "sweeping-piles", "towers-of-hanoi",
)
#: The 18 language variants, in the order of the multi-all val/test list (items 11-28).
LANGUAGE_VARIANTS = (
    "align-rope",
    "assembling-kits-seq-seen-colors", "assembling-kits-seq-unseen-colors",
    "packing-boxes-pairs-seen-colors", "packing-boxes-pairs-unseen-colors",
    "packing-shapes",
    "packing-seen-google-objects-seq", "packing-unseen-google-objects-seq",
    "packing-seen-google-objects-group", "packing-unseen-google-objects-group",
    "put-block-in-bowl-seen-colors", "put-block-in-bowl-unseen-colors",
    "stack-block-pyramid-seq-seen-colors", "stack-block-pyramid-seq-unseen-colors",
    "separating-piles-seen-colors", "separating-piles-unseen-colors",
    "towers-of-hanoi-seq-seen-colors", "towers-of-hanoi-seq-unseen-colors",
)
#: Training members of the language-conditioned group ("unseen" train sets hold only seen attributes).
LANGUAGE_TRAIN = (
    "align-rope", "assembling-kits-seq-unseen-colors", "packing-boxes-pairs-unseen-colors", "packing-shapes",
    "packing-unseen-google-objects-seq", "packing-unseen-google-objects-group",
    "put-block-in-bowl-unseen-colors", "stack-block-pyramid-seq-unseen-colors",
    "separating-piles-unseen-colors", "towers-of-hanoi-seq-unseen-colors",
)

#: The ten training tasks shared by the attribute groups, in the table's order, each with its slot.
_ATTR_BASE = (
    "align-rope", "assembling-kits-seq-full", "packing-boxes-pairs-full", "packing-shapes",
    "packing-seen-google-objects-seq", "packing-seen-google-objects-group", "put-block-in-bowl-full",
    "stack-block-pyramid-seq-full", "separating-piles-full", "towers-of-hanoi-seq-full",
)


def _attr(
    held_out: str, drop: str, swap: tuple[str, str] | None = None, attribute: str | None = None
) -> TaskGroup:
    """An attribute group: the base list without ``drop``, with ``swap`` = (old, new) replaced."""
    train = [t for t in _ATTR_BASE if t != drop]
    if swap is not None:
        train = [swap[1] if t == swap[0] else t for t in train]
    return TaskGroup(f"multi-attr-{held_out}", tuple(train), (held_out,), (held_out,), attribute)


_TABLE: tuple[TaskGroup, ...] = (
    TaskGroup("multi-all", DEMO_CONDITIONED + LANGUAGE_TRAIN, DEMO_CONDITIONED + LANGUAGE_VARIANTS,
              DEMO_CONDITIONED + LANGUAGE_VARIANTS),
    TaskGroup("multi-demo-conditioned", DEMO_CONDITIONED, DEMO_CONDITIONED, DEMO_CONDITIONED),
    TaskGroup("multi-language-conditioned", LANGUAGE_TRAIN, LANGUAGE_VARIANTS, LANGUAGE_VARIANTS),
    _attr("align-rope", drop="align-rope"),
    _attr("packing-shapes", drop="packing-shapes"),
    _attr("assembling-kits-seq-unseen-colors", drop="",
          swap=("assembling-kits-seq-full", "assembling-kits-seq-seen-colors"),
          attribute="assembling-kits-seq-seen-colors"),
    _attr("packing-boxes-pairs-unseen-colors", drop="",
          swap=("packing-boxes-pairs-full", "packing-boxes-pairs-seen-colors"),
          attribute="packing-boxes-pairs-seen-colors"),
    # The two google-object groups name the *other* google task as attribute task (kept from the original).
    _attr("packing-unseen-google-objects-seq", drop="packing-seen-google-objects-seq",
          attribute="packing-seen-google-objects-group"),
    _attr("packing-unseen-google-objects-group", drop="packing-seen-google-objects-group",
          attribute="packing-seen-google-objects-seq"),
    _attr("put-block-in-bowl-unseen-colors", drop="",
          swap=("put-block-in-bowl-full", "put-block-in-bowl-seen-colors"),
          attribute="put-block-in-bowl-seen-colors"),
    _attr("stack-block-pyramid-seq-unseen-colors", drop="",
          swap=("stack-block-pyramid-seq-full", "stack-block-pyramid-seq-seen-colors"),
          attribute="stack-block-pyramid-seq-seen-colors"),
    _attr("separating-piles-unseen-colors", drop="",
          swap=("separating-piles-full", "separating-piles-seen-colors"),
          attribute="separating-piles-seen-colors"),
    _attr("towers-of-hanoi-seq-unseen-colors", drop="",
          swap=("towers-of-hanoi-seq-full", "towers-of-hanoi-seq-seen-colors"),
          attribute="towers-of-hanoi-seq-seen-colors"),
)

GROUPS: dict[str, TaskGroup] = {g.name: g for g in _TABLE}


def is_group(name: str) -> bool:
    return name in GROUPS


def group(name: str) -> TaskGroup:
    if name not in GROUPS:
        raise UnknownGroupError(f"unknown multi-task group {name!r}; known groups: {', '.join(GROUPS)}")
    return GROUPS[name]


def group_members(name: str, mode: str) -> tuple[str, ...]:
    """The member tasks of group ``name`` for ``mode``."""
    return group(name).members(mode)


def group_names() -> list[str]:
    return list(GROUPS)
