"""List every registered task with its kind, split, end effector, primitive and max steps."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from cliport.tasks.registry import task_info, task_names

_COLUMNS = ("name", "kind", "split", "ee", "primitive", "max_steps")


@contextmanager
def _banner_to_stderr() -> Iterator[None]:
    """Send what C extensions print while task modules import (PyBullet's build banner) to stderr."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout file descriptor
        yield
        return
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _rows(kind: str | None) -> list[dict[str, object]]:
    rows = []
    for name in task_names(kind):  # type: ignore[arg-type]
        info = task_info(name)
        rows.append(
            {
                "name": name,
                "kind": info.kind,
                "split": info.split or "-",
                "ee": info.ee,
                "primitive": info.primitive,
                "max_steps": info.max_steps,
            }
        )
    return rows


def format_table(rows: list[dict[str, object]]) -> str:
    """Plain-text table with one header line; widths fit the longest cell of each column."""
    widths = {c: max([len(c)] + [len(str(r[c])) for r in rows]) for c in _COLUMNS}
    lines = ["  ".join(f"{c:<{widths[c]}}" for c in _COLUMNS).rstrip()]
    for r in rows:
        lines.append("  ".join(f"{r[c]!s:<{widths[c]}}" for c in _COLUMNS).rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cliport tasks", description=__doc__)
    parser.add_argument("--kind", choices=("demo", "language"), help="only tasks of this kind")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    args = parser.parse_args(argv)
    with _banner_to_stderr():
        rows = _rows(args.kind)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(format_table(rows))
        print(f"\n{len(rows)} tasks (max_steps of scene-dependent tasks is the default; set at reset)")
    return 0
