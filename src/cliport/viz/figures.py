"""Writing matplotlib figures: the Agg backend, and PNGs written atomically (temporary name, then rename)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def save_figure(fig, out: str | Path, dpi: int = 110) -> Path:
    """Save ``fig`` to ``out`` (folders created), close it, and return the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.tmp.png")
    try:
        fig.savefig(tmp, dpi=dpi)
        tmp.replace(out)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return out
