"""Convert a dataset in the original CLIPort layout (spec §2) into cliport's episode format.

Source: ``{task}-{mode}/`` with five sub-folders (color, depth, action, reward, info), one pickle per
episode in each, named ``{index:06d}-{seed}.pkl``. The pickles are untrusted and read with the
allow-list unpickler. The fused maps are computed from the stored camera views with the same fusion
as the simulator, so converted and freshly generated episodes give identical network inputs.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cliport.atomic import remove_stale_temporaries
from cliport.data.episode import Episode, EpisodeFileError, objects_to_arrays, pose_to_row, save_episode
from cliport.data.rollout import NO_INSTRUCTION
from cliport.data.safe_pickle import UnsafePickleError, safe_load
from cliport.data.store import EPISODES, DatasetError, DatasetMeta, EpisodeEntry, episode_file, write_meta
from cliport.env.heightmap import fuse
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, REALSENSE_CAMERAS, CameraConfig

FIELDS = ("color", "depth", "action", "reward", "info")
_NAME = re.compile(r"^(\d{6})-(-?\d+)\.pkl$")


@dataclass
class ConvertReport:
    converted: int
    skipped_existing: int
    rejected: list[str]


def list_original(src: str | Path) -> list[tuple[int, int, str]]:
    """(index, seed, file name) of every episode, sorted by index; checks the five sub-folders exist."""
    src = Path(src)
    if not src.is_dir():
        raise DatasetError(f"source folder {src} does not exist")
    missing = [f for f in FIELDS if not (src / f).is_dir()]
    if missing:
        raise DatasetError(f"{src} is not an original CLIPort dataset folder: missing sub-folders {missing}")
    items = []
    for p in (src / "action").glob("*.pkl"):
        m = _NAME.match(p.name)
        if m is None:
            raise DatasetError(f"unexpected file name {p} (expected {{index:06d}}-{{seed}}.pkl)")
        items.append((int(m.group(1)), int(m.group(2)), p.name))
    return sorted(items)


def _episode_from_fields(
    name: str, fields: dict, task: str, mode: str, seed: int, cameras: Sequence[CameraConfig],
    bounds: np.ndarray, pixel_size: float, save_raw: bool,
) -> Episode:
    color = np.asarray(fields["color"])
    depth = np.asarray(fields["depth"])
    actions, rewards, infos = list(fields["action"]), list(fields["reward"]), list(fields["info"])
    n = len(actions)
    if color.ndim != 5 or depth.ndim != 4 or len(color) != n or len(depth) != n or len(rewards) != n \
            or len(infos) != n or color.shape[1] != len(cameras):
        raise DatasetError(
            f"episode {name}: inconsistent fields (color {color.shape}, depth {depth.shape}, "
            f"{n} actions, {len(rewards)} rewards, {len(infos)} infos, {len(cameras)} cameras)"
        )
    acts = actions[:-1] if actions and actions[-1] is None else actions
    if len(acts) != n - 1 or any(a is None for a in acts):
        raise DatasetError(f"episode {name}: expected an action at every entry but the last")
    maps = [fuse(list(color[t]), list(depth[t]), cameras, bounds, pixel_size) for t in range(n)]
    infos = [i if isinstance(i, dict) else {} for i in infos]
    obj_ids, obj_pose, obj_dims, extras = objects_to_arrays(infos)
    return Episode(
        color=np.stack([m[0] for m in maps]),
        height=np.stack([m[1] for m in maps]),
        pick=np.stack([pose_to_row(a["pose0"]) for a in acts]) if acts else np.zeros((0, 7)),
        place=np.stack([pose_to_row(a["pose1"]) for a in acts]) if acts else np.zeros((0, 7)),
        reward=np.asarray([float(r) for r in rewards]),
        instruction=[str(i.get("lang_goal", NO_INSTRUCTION)) for i in infos],
        seed=seed, task=task, mode=mode, obj_ids=obj_ids, obj_pose=obj_pose, obj_dims=obj_dims, extras=extras,
        raw_color=color.astype(np.uint8) if save_raw else None,
        raw_depth=depth.astype(np.float32) if save_raw else None,
    )


def split_name(folder: Path) -> tuple[str, str]:
    """``put-block-in-bowl-seen-colors-train`` -> (task, mode); mode "" if the suffix is not one."""
    task, _, mode = folder.name.rpartition("-")
    return (task, mode) if mode in ("train", "val", "test") and task else (folder.name, "")


def convert_dataset(
    src: str | Path, dst: str | Path, *, skip_bad: bool = False, save_raw: bool = False,
    cameras: Sequence[CameraConfig] = REALSENSE_CAMERAS, bounds: np.ndarray = INPUT_BOUNDS,
    pixel_size: float = PIXEL_SIZE, progress: Callable[[int, int], None] | None = None,
) -> ConvertReport:
    """Convert every episode of ``src`` into ``dst`` (resumable: converted episodes are kept)."""
    src, dst = Path(src), Path(dst)
    items = list_original(src)
    task, mode = split_name(src)
    remove_stale_temporaries(dst / EPISODES)
    entries, rejected, converted, existing = [], [], 0, 0
    for k, (_index, seed, fname) in enumerate(items):
        out = episode_file(dst, seed)
        try:
            if out.is_file():
                existing += 1
            else:
                fields = {f: safe_load(src / f / fname) for f in FIELDS}
                episode = _episode_from_fields(
                    fname, fields, task, mode, seed, cameras, bounds, pixel_size, save_raw
                )
                save_episode(out, episode)
                converted += 1
        except (UnsafePickleError, DatasetError, EpisodeFileError) as err:
            if not skip_bad:
                raise
            warnings.warn(f"skipping episode {fname}: {err}", stacklevel=2)
            rejected.append(fname)
            continue
        from cliport.data.index import episode_summary

        n_actions, total = episode_summary(out, task, mode)
        entries.append(EpisodeEntry(len(entries), seed, str(out.relative_to(dst)), n_actions, total))
        if progress is not None:
            progress(k + 1, len(items))
    meta = DatasetMeta(task=task, mode=mode, source=f"converted from original CLIPort layout {src}",
                       seed_schedule="as in the source (original index order)", episodes=entries,
                       bounds=np.asarray(bounds).tolist(), pixel_size=float(pixel_size))
    write_meta(dst, meta)
    return ConvertReport(converted, existing, rejected)
