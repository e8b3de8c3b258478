"""MP4 of an episode: the front camera view at every recorded entry, with the instruction as text.

Written with imageio's ffmpeg plugin (h264) under a temporary name, then renamed, like every file
the generator writes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from cliport.atomic import TMP_PREFIX


def annotate(frame: np.ndarray, text: str) -> np.ndarray:
    """Draw ``text`` centred near the bottom, black Hershey Duplex 0.65 like the original."""
    out = np.ascontiguousarray(frame[..., :3], dtype=np.uint8).copy()
    font, scale, thick = cv2.FONT_HERSHEY_DUPLEX, 0.65, 1
    (w, _), _ = cv2.getTextSize(text, font, scale, thick)
    x = max(0, (out.shape[1] - w) // 2)
    y = int(out.shape[0] * 600 / 640)
    cv2.putText(out, text, (x, y), font, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return out


def write_episode_video(
    path: str | Path, frames: Sequence[np.ndarray], texts: Sequence[str], *, fps: int = 20,
    add_text: bool = True, hold: int = 10,
) -> Path:
    """Write frames (each shown ``hold`` frames long so one entry is visible) as an h264 MP4."""
    import imageio.v2 as imageio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TMP_PREFIX}{path.stem}.{os.getpid()}.mp4")
    try:
        with imageio.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264", macro_block_size=16) as w:
            for frame, text in zip(frames, texts, strict=False):
                img = annotate(frame, text) if add_text else np.asarray(frame[..., :3], np.uint8)
                for _ in range(hold):
                    w.append_data(img)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
