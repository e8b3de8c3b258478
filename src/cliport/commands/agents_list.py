"""List every registered agent with its pick and place trainable parameter counts."""

from __future__ import annotations

import argparse
import json

_COLUMNS = ("name", "pick", "place", "total", "language", "stream_one", "stream_two", "notes")


def _notes(spec) -> str:
    notes = []
    if not spec.in_paper:
        notes.append("not in paper")
    if not spec.works_in_original:
        notes.append("crashes in the original; works here")
    return "; ".join(notes)


def rows() -> list[dict[str, object]]:
    """One row per agent; counts from the full-size networks built on the meta device (no memory)."""
    from cliport.agents.build import count_trainable
    from cliport.agents.registry import AGENTS

    out = []
    for name, spec in AGENTS.items():
        pick, place = count_trainable(name)
        out.append(
            {
                "name": name,
                "pick": pick,
                "place": place,
                "total": pick + place,
                "language": spec.text_encoder or "-",
                "stream_one": spec.stream_one,
                "stream_two": spec.stream_two or "-",
                "notes": _notes(spec),
            }
        )
    return out


def format_table(table: list[dict[str, object]]) -> str:
    def cell(row: dict[str, object], col: str) -> str:
        value = row[col]
        return f"{value:,}".replace(",", " ") if isinstance(value, int) else str(value)

    widths = {c: max([len(c)] + [len(cell(r, c)) for r in table]) for c in _COLUMNS}
    numeric = {"pick", "place", "total"}

    def fmt(c: str, text: str) -> str:
        return f"{text:>{widths[c]}}" if c in numeric else f"{text:<{widths[c]}}"

    lines = ["  ".join(fmt(c, c) for c in _COLUMNS).rstrip()]
    lines += ["  ".join(fmt(c, cell(r, c)) for c in _COLUMNS).rstrip() for r in table]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cliport agents", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    args = parser.parse_args(argv)
    table = rows()
    if args.json:
        print(json.dumps(table, indent=1))
    else:
        print(format_table(table))
        print(
            f"\n{len(table)} agents; trainable parameters only "
            "(frozen CLIP / ResNet-50 / DistilBERT excluded)"
        )
    return 0
