"""Metric loggers: CSV always, TensorBoard when installed, Weights & Biases when asked."""

from __future__ import annotations

import csv
from pathlib import Path

from cliport.atomic import write_bytes_atomic
from cliport.errors import ConfigError


class MetricLogger:
    """Fan-out of ``log(step, metrics)`` to the enabled back-ends; only rank 0 writes."""

    def __init__(self, folder: Path, *, tensorboard: bool = True, wandb_cfg: dict | None = None,
                 enabled: bool = True) -> None:
        self.enabled = enabled
        self._csv_path = Path(folder) / "metrics.csv"
        self._tb = None
        self._wandb = None
        if not enabled:
            return
        self._csv_path.parent.mkdir(parents=True, exist_ok=True)
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(Path(folder) / "tensorboard"))
            except ImportError:  # tensorboard is optional
                self._tb = None
        if wandb_cfg is not None:
            try:
                import wandb
            except ImportError:
                raise ConfigError("train.log=true needs Weights & Biases: pip install wandb") from None
            self._wandb = wandb.init(**wandb_cfg)

    def truncate_after(self, step: int) -> None:
        """Drop CSV rows after ``step`` (and a torn last row): a resumed run replays those steps."""
        if not self.enabled or not self._csv_path.exists():
            return
        with self._csv_path.open(newline="") as f:  # keep the csv module's \r\n line ends
            lines = f.read().splitlines(keepends=True)
        keep = lines[:1]
        for line in lines[1:]:
            parts = line.rstrip("\r\n").split(",")
            if not line.endswith("\n") or len(parts) != 3 or not parts[0].isdigit():
                continue
            if int(parts[0]) <= step:
                keep.append(line)
        if keep != lines:
            write_bytes_atomic(self._csv_path, "".join(keep).encode())

    def log(self, step: int, metrics: dict[str, float]) -> None:
        if not self.enabled or not metrics:
            return
        new = not self._csv_path.exists()
        with self._csv_path.open("a", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(["step", "key", "value"])
            for key, value in sorted(metrics.items()):
                writer.writerow([step, key, f"{float(value):.9g}"])
        if self._tb is not None:
            for key, value in metrics.items():
                self._tb.add_scalar(key, float(value), step)
        if self._wandb is not None:
            self._wandb.log(dict(metrics), step=step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
        if self._wandb is not None:
            self._wandb.finish()


def nats_postfix(metrics: dict[str, float], image_size: tuple[int, int] | None,
                 n_rotations: int) -> dict[str, str]:
    """The progress bar's losses in nats per stream (pick, place), for a human reader.

    The stored metric keeps the original's value: cross-entropy divided by the number of map entries
    (H*W for pick, n_rotations*H*W for place), e.g. 0.00022 at step 1, which says little. Times that
    count gives the plain cross-entropy of the label in nats (log(H*W) = 10.8 for a uniform pick map).
    """
    out: dict[str, str] = {}
    if image_size is None:  # a policy without maps (test doubles): the total as stored
        return {"loss": f"{metrics['tr/loss']:.3g}"}
    h, w = image_size
    counts = {"pick": h * w, "place": n_rotations * h * w}
    for stream, n in counts.items():
        value = metrics.get(f"tr/{stream}_loss")
        if value is not None:
            out[stream] = f"{value * n:.3g}nat"
    if not out:
        out["loss"] = f"{metrics['tr/loss']:.3g}"
    return out
