"""Print the success table of evaluation result files (tasks x demos, mean ± 95% CI) and plot it.

usage: cliport results PATH [PATH ...] [--plot OUT.png] [--mode test]
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from rich.console import Console
from rich.table import Table

from cliport.eval.report import find_result_files, rows_from_file


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cliport results", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="result JSON files or folders to search")
    parser.add_argument("--plot", default=None, help="write a success-vs-demos PNG here")
    parser.add_argument("--mode", default=None, help="only rows of this mode (val / test)")
    args = parser.parse_args(argv)

    rows = [r for f in find_result_files(args.paths) for r in rows_from_file(f)]
    if args.mode:
        rows = [r for r in rows if r.mode == args.mode]
    demos = sorted({r.train_demos for r in rows}, key=lambda d: (d is None, d or 0))
    cells: dict[tuple[str, str, str], dict] = defaultdict(dict)
    for r in rows:
        cells[(r.task, r.agent, r.mode)][r.train_demos] = r

    table = Table(title="Success score (%) — mean [95% CI]")
    for col in ("task", "agent", "mode"):
        table.add_column(col)
    for d in demos:
        table.add_column(f"n={d}" if d is not None else "n=?", justify="right")
    for key in sorted(cells):
        row = cells[key]
        table.add_row(
            *key,
            *[
                f"{100 * row[d].mean:.1f} [{100 * row[d].ci_low:.1f}, {100 * row[d].ci_high:.1f}]"
                if d in row else "–"
                for d in demos
            ],
        )
    Console(width=200).print(table)
    if not rows:
        print("no results found")
    if args.plot:
        from cliport.viz.results_plot import plot_success_vs_demos

        print(f"plot written to {plot_success_vs_demos(rows, args.plot)}")
    return 0
