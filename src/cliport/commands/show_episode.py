"""write a PNG per step of an episode (colour, height, pick/place markers, instruction)

usage: cliport show-episode PATH [--out DIR]

PATH is an episode file (``episodes/000002.npz``) or a dataset folder with ``index=N`` to pick its
N-th episode (default 0). PNGs go to DIR (default: next to the episode, ``<seed>-steps/``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cliport.data.episode import load_episode
from cliport.data.store import read_meta


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cliport show-episode", description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--index", type=int, default=0, help="episode index when PATH is a dataset folder")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    path: Path = args.path
    if path.is_dir():
        meta = read_meta(path)
        if not 0 <= args.index < len(meta.episodes):
            from cliport.data.store import DatasetError

            raise DatasetError(f"{path} has {len(meta.episodes)} episodes; index {args.index} is out of range"
                               )
        path = path / meta.episodes[args.index].file
    episode = load_episode(path)
    out = args.out or path.parent / f"{path.stem}-steps"
    from cliport.viz.episode import draw_step

    for k in range(len(episode)):
        draw_step(episode, k, out / f"step-{k:02d}.png")
    print(f"wrote {len(episode)} PNGs to {out}")
    return 0
