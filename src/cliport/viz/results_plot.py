"""Success-vs-demonstrations plot of evaluation results (matplotlib, written to a PNG)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib.pyplot as plt

from cliport.eval.report import ResultRow  # noqa: E402
from cliport.viz.figures import save_figure


def plot_success_vs_demos(rows: list[ResultRow], out: Path) -> Path:
    """One line per (task, agent, mode): success (%) with its 95% interval against training demos."""
    series: dict[str, list[ResultRow]] = defaultdict(list)
    for r in rows:
        if r.train_demos is not None:
            series[f"{r.task} · {r.agent} · {r.mode}"].append(r)
    fig, ax = plt.subplots(figsize=(8, 5))
    for label, rs in sorted(series.items()):
        rs.sort(key=lambda r: r.train_demos)
        x = [r.train_demos for r in rs]
        y = [100 * r.mean for r in rs]
        lo = [100 * (r.mean - r.ci_low) for r in rs]
        hi = [100 * (r.ci_high - r.mean) for r in rs]
        ax.errorbar(x, y, yerr=[lo, hi], marker="o", capsize=3, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("training demonstrations")
    ax.set_ylabel("success score (%)")
    ax.set_ylim(-2, 102)
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return save_figure(fig, out, dpi=120)
