"""Render several TinyRenderer cameras at once in forked copies of the process.

TinyRenderer is single-threaded software rendering, ~0.2 s per 480x640 camera. A DIRECT PyBullet world
lives in the process's memory, so a ``fork`` gives each child an exact copy of the scene; each child
renders one camera into a shared memory buffer and exits, while the parent renders the first camera.
The pixels are the same bytes a sequential render gives (same code, same state); noise is added in the
parent afterwards, in camera order, so the RNG stream is unchanged too. Used only for the tiny renderer
in DIRECT mode on Linux (an EGL context or a GUI connection must not be shared with a child).
"""

from __future__ import annotations

import mmap
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from cliport.env.cameras import CameraImages, add_noise, render_raw
from cliport.geometry import CameraConfig


def available() -> bool:
    """Linux only: there fork() of a process using only glibc and PyBullet's DIRECT world is safe."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def idle_core() -> bool:
    """True while the machine has at least one core's worth of idle time (1-minute load average).

    Forking the cameras only shortens an observation's wall time when other cores are free; when every
    core is busy (one demo or evaluation worker per core, a shared machine) it only adds the forks' CPU.
    """
    try:
        return os.getloadavg()[0] <= (os.cpu_count() or 1) - 1
    except OSError:
        return False


def _child(client: Any, config: CameraConfig, renderer: str, buf: mmap.mmap) -> None:
    code = 1
    try:
        img = render_raw(client, config, renderer)
        n = img.color.nbytes
        buf[:n] = img.color.tobytes()
        buf[n : n + img.depth.nbytes] = img.depth.tobytes()
        code = 0
    finally:
        os._exit(code)


def render_forked(
    client: Any, configs: Sequence[CameraConfig], renderer: str, rng: np.random.Generator | None
) -> list[CameraImages]:
    """Render ``configs`` (no segmentation), the first in this process and the others in children."""
    jobs: list[tuple[int, mmap.mmap, CameraConfig]] = []
    raw: list[CameraImages | None] = [None] * len(configs)
    try:
        for config in configs[1:]:
            h, w = config.image_size
            buf = mmap.mmap(-1, h * w * 3 + h * w * 4)  # anonymous, shared with the child
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child
                _child(client, config, renderer, buf)
            jobs.append((pid, buf, config))
        raw[0] = render_raw(client, configs[0], renderer)
    finally:
        statuses = [os.waitpid(pid, 0)[1] for pid, _, _ in jobs]
    for i, ((_, buf, config), status) in enumerate(zip(jobs, statuses, strict=True), start=1):
        if status != 0:  # a child failed: render that camera here instead
            raw[i] = render_raw(client, config, renderer)
        else:
            h, w = config.image_size
            color = np.frombuffer(buf, dtype=np.uint8, count=h * w * 3).reshape(h, w, 3).copy()
            depth = np.frombuffer(buf, dtype=np.float32, count=h * w, offset=h * w * 3).reshape(h, w).copy()
            raw[i] = CameraImages(color, depth)
        buf.close()
    return [add_noise(img, cfg, rng) for img, cfg in zip(raw, configs, strict=True)]  # type: ignore[arg-type]
