"""A dataset folder: its layout, its self-describing metadata + episode index, and attempt logs.

Layout of ``{data_dir}/{task}-{mode}/``::

    dataset.json           format version, task, mode, cameras, bounds, pixel size, generator version,
                           and the ordered episode index [{index, seed, file, n_actions, total_reward}]
    episodes/{seed:06d}.npz   one file per successful seed (see episode.py)
    attempts/<writer>.log  append-only "seed ok|fail total_reward" lines, one file per writer process
    videos/{seed:06d}.mp4  optional

Episodes are named by seed, not by index: the index (0..n-1, in seed order) is assigned when
``dataset.json`` is written, so parallel workers and independent shards never race for a name.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from cliport.atomic import append_line, write_bytes_atomic, write_json_atomic
from cliport.data.episode import FORMAT_VERSION, HEIGHT_UNIT
from cliport.errors import CliportError
from cliport.geometry import INPUT_BOUNDS, PIXEL_SIZE, REALSENSE_CAMERAS

META_FILE = "dataset.json"
EPISODES = "episodes"
ATTEMPTS = "attempts"
VIDEOS = "videos"


class DatasetError(CliportError, ValueError):
    """A dataset folder is missing, empty or inconsistent; the message names the folder."""


def dataset_folder(data_dir: str | Path, task: str, mode: str) -> Path:
    return Path(data_dir) / f"{task}-{mode}"


def more_demos_hint(folder: str | Path, task: str, mode: str, n: int) -> str:
    """What to run to have ``n`` episodes in ``folder`` (a ``{task}-{mode}`` dataset folder)."""
    return f"generate them with `cliport demos task={task} mode={mode} n={n} data_dir={Path(folder).parent}`"


def episode_file(folder: str | Path, seed: int) -> Path:
    return Path(folder) / EPISODES / f"{int(seed):06d}.npz"


def seed_of(path: str | Path) -> int:
    return int(Path(path).stem)


@dataclass
class EpisodeEntry:
    index: int
    seed: int
    file: str  # relative to the dataset folder
    n_actions: int = -1
    total_reward: float = float("nan")


@dataclass
class DatasetMeta:
    task: str
    mode: str
    n: int = 0
    format_version: int = FORMAT_VERSION
    generator: str = ""
    source: str = "cliport demos"
    hz: int = 480
    seed_schedule: str = ""
    bounds: list = field(default_factory=lambda: INPUT_BOUNDS.tolist())
    pixel_size: float = PIXEL_SIZE
    height_unit_m: float = HEIGHT_UNIT
    cameras: list = field(default_factory=lambda: [camera_dict(c) for c in REALSENSE_CAMERAS])
    episodes: list[EpisodeEntry] = field(default_factory=list)

    @property
    def seeds(self) -> list[int]:
        return [e.seed for e in self.episodes]


def camera_dict(cam) -> dict:
    d = dataclasses.asdict(cam)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def generator_version() -> str:
    from cliport import __version__

    return f"cliport {__version__}"


def write_meta(folder: str | Path, meta: DatasetMeta) -> Path:
    meta.n = len(meta.episodes)
    meta.generator = meta.generator or generator_version()
    return write_json_atomic(Path(folder) / META_FILE, dataclasses.asdict(meta))


def read_meta(folder: str | Path) -> DatasetMeta:
    """Read ``dataset.json``; errors name the folder and say how to fix it."""
    folder = Path(folder)
    path = folder / META_FILE
    if not folder.is_dir():
        raise DatasetError(f"dataset folder {folder} does not exist (generate it with `cliport demos`)")
    if not path.is_file():
        raise DatasetError(
            f"{folder} has no {META_FILE}: not a cliport dataset, or an unfinished generation "
            "(rerun `cliport demos` with the same arguments, or `cliport demos ... merge=true` after shards; "
            "original-layout folders need `cliport convert-dataset`)"
        )
    try:
        raw = json.loads(path.read_text())
        entries = [EpisodeEntry(**e) for e in raw.pop("episodes", [])]
        known = {f.name for f in dataclasses.fields(DatasetMeta)}
        meta = DatasetMeta(**{k: v for k, v in raw.items() if k in known}, episodes=entries)
    except (json.JSONDecodeError, TypeError) as err:
        raise DatasetError(f"{path} is corrupt ({err})") from err
    if meta.format_version != FORMAT_VERSION:
        raise DatasetError(
            f"{path} has format version {meta.format_version}; this cliport reads {FORMAT_VERSION}"
        )
    return meta


# ----------------------------------------------------------------------------------------------
# Attempt logs: which seeds were tried and how they went (for resume and shard coordination).


def append_attempt(log: Path, seed: int, ok: bool, total_reward: float) -> None:
    """Append one line and fsync; a kill mid-write leaves at most one partial last line (ignored, and
    closed by the next append so that it never merges with the next line)."""
    append_line(log, f"{int(seed)} {'ok' if ok else 'fail'} {float(total_reward)!r}\n")


def read_attempts(folder: str | Path) -> dict[int, bool]:
    """All known outcomes: seed -> success. Episode files on disk count as successes."""
    folder = Path(folder)
    outcomes = logged_attempts(folder)
    for p in (folder / EPISODES).glob("*.npz"):
        try:
            outcomes[seed_of(p)] = True
        except ValueError:
            continue
    # A logged success whose file is gone (deleted by hand) must be regenerated.
    for seed, ok in list(outcomes.items()):
        if ok and not episode_file(folder, seed).is_file():
            del outcomes[seed]
    return outcomes


def logged_attempts(folder: str | Path) -> dict[int, bool]:
    """Outcomes written in the attempt logs only (seed -> success); partial lines are skipped."""
    folder = Path(folder)
    outcomes: dict[int, bool] = {}
    for log in sorted((folder / ATTEMPTS).glob("*.log")):
        for line in log.read_text(encoding="ascii", errors="replace").splitlines():
            parts = line.split()
            if len(parts) != 3 or parts[1] not in ("ok", "fail"):
                continue  # a partial line from a killed writer
            try:
                outcomes[int(parts[0])] = parts[1] == "ok"
            except ValueError:
                continue
    return outcomes


def prune_unlisted(folder: str | Path, keep: list[int]) -> list[int]:
    """Delete episode files (and their videos) of seeds not in ``keep``; returns the deleted seeds.

    Parallel workers attempt seeds ahead of the n-th success; a success found that way is not part of
    the dataset and must not stay beside it (the folder holds exactly what its index lists).
    """
    folder, wanted, gone = Path(folder), set(keep), []
    for sub, suffix in ((EPISODES, ".npz"), (VIDEOS, ".mp4")):
        for p in sorted((folder / sub).glob(f"*{suffix}")):
            try:
                seed = seed_of(p)
            except ValueError:
                continue
            if seed not in wanted:
                p.unlink(missing_ok=True)
                if sub == EPISODES:
                    gone.append(seed)
    return gone


def trim_log(log: Path, last_seed: int) -> None:
    """Rewrite one attempt log in seed order without the attempts after ``last_seed``.

    Makes the log of a finished dataset the same bytes whatever the worker count: attempts past the
    n-th success were speculative, and completion order depends on the workers' timing.
    """
    if not log.is_file():
        return
    kept: dict[int, str] = {}
    for line in log.read_text(encoding="ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in ("ok", "fail") and parts[0].isdigit():
            if int(parts[0]) <= last_seed:
                kept.setdefault(int(parts[0]), line + "\n")
    write_bytes_atomic(log, "".join(kept[s] for s in sorted(kept)).encode("ascii"))
