"""Append-only log of finished evaluation episodes, so an interrupted evaluation resumes where it stopped.

One JSON line per episode, fsynced; a kill mid-write leaves at most a partial last line, which is ignored.
The log is removed once its checkpoint's results are merged into the results file.
"""

from __future__ import annotations

import json
from pathlib import Path

from cliport.atomic import append_line, write_bytes_atomic


class EpisodeLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def done(self, checkpoint: str) -> dict[tuple[int, int], dict]:
        """(repeat, index) -> record, for the episodes of ``checkpoint`` already finished."""
        out: dict[tuple[int, int], dict] = {}
        if not self.path.exists():
            return out
        for line in self.path.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line from a kill
            if rec.get("checkpoint") == checkpoint:
                out[(int(rec["repeat"]), int(rec["index"]))] = rec
        return out

    def append(self, record: dict) -> None:
        append_line(self.path, json.dumps(record) + "\n")

    def forget(self, *checkpoints: str) -> None:
        """Drop these checkpoints' lines (after their results were written); remove the file if empty.
        The file is rewritten only when a line goes."""
        if not self.path.exists():
            return
        lines = self.path.read_text().splitlines()
        keep = []
        for line in lines:
            try:
                if json.loads(line).get("checkpoint") not in checkpoints:
                    keep.append(line)
            except json.JSONDecodeError:
                continue
        if not keep:
            self.path.unlink()
        elif len(keep) < len(lines):
            write_bytes_atomic(self.path, ("\n".join(keep) + "\n").encode("utf-8"))
