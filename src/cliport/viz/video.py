"""Episode videos: RGB frames (optionally with the instruction written on them) to an MP4 via imageio/ffmpeg.

The text style follows the original recorder: OpenCV Hershey Duplex, scale 0.65, thickness 1, black,
anti-aliased, horizontally centred, baseline near the bottom of the frame.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np


def put_instruction(frame: np.ndarray, text: str, baseline_y: int | None = None) -> np.ndarray:
    """A copy of ``frame`` (H, W, 3) uint8 with ``text`` centred near the bottom."""
    out = np.ascontiguousarray(frame[..., :3], dtype=np.uint8).copy()
    if not text:
        return out
    font, scale, thick = cv2.FONT_HERSHEY_DUPLEX, 0.65, 1
    (w, _), _ = cv2.getTextSize(text, font, scale, thick)
    x = max(0, (out.shape[1] - w) // 2)
    y = baseline_y if baseline_y is not None else out.shape[0] - 20
    cv2.putText(out, text, (x, y), font, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return out


def write_episode_video(
    path: str | Path,
    frames: Sequence[np.ndarray],
    fps: int = 20,
    texts: Sequence[str] | None = None,
    repeat: int = 1,
) -> Path:
    """Write ``frames`` (each shown ``repeat`` times) to ``path`` (H.264 MP4), atomically."""
    import imageio.v2 as imageio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.mp4")
    with imageio.get_writer(tmp, fps=fps, codec="libx264", macro_block_size=8, quality=7) as writer:
        for k, frame in enumerate(frames):
            img = put_instruction(frame, texts[k] if texts is not None else "")
            for _ in range(max(1, repeat)):
                writer.append_data(img)
    os.replace(tmp, path)
    return path
