"""Build a dataset's ``dataset.json`` (metadata + ordered episode index) from what is on disk.

Used at the end of every generation run and by ``cliport demos ... merge=true`` after shards. The
index lists the first ``n`` successful seeds of the schedule, numbered 0..n-1 in seed order; it is
refused (with the seed still missing) while some earlier seed has not been attempted. Episode files
of successes outside the index (found by workers running ahead) are removed once the index is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cliport.data.episode import REGENERATE, EpisodeFileError
from cliport.data.schedule import FIRST_SEED, STEP, Outcomes
from cliport.data.store import (
    DatasetError,
    DatasetMeta,
    EpisodeEntry,
    episode_file,
    prune_unlisted,
    read_attempts,
    write_meta,
)


def episode_summary(path: Path, task: str | None = None, mode: str | None = None) -> tuple[int, float]:
    """(n_actions, total_reward) from the small ``meta`` member only (the maps are not decompressed).

    Given ``task`` and ``mode``, an episode of another task or mode (a file copied into the wrong
    folder) is refused.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"][()]))
        summary = int(meta["n_actions"]), float(meta["total_reward"])
    except Exception as err:  # noqa: BLE001 - any damage is reported with the file name
        raise EpisodeFileError(
            f"episode file {path} is corrupt or truncated ({type(err).__name__}: {err}); {REGENERATE}"
        ) from err
    if task is not None and mode is not None:
        check_episode_origin(path, str(meta.get("task", "")), str(meta.get("mode", "")), task, mode)
    return summary


def check_episode_origin(path: Path, got_task: str, got_mode: str, task: str, mode: str) -> None:
    """Raise :class:`EpisodeFileError` if an episode's recorded task/mode is not its folder's."""
    if (got_task and got_task != task) or (got_mode and got_mode != mode):
        raise EpisodeFileError(
            f"episode file {path} is an episode of {got_task}-{got_mode}, not of this folder's "
            f"{task}-{mode}; {REGENERATE}"
        )


def build_index(
    folder: str | Path, task: str, mode: str, n: int, outcomes: Outcomes | None = None
) -> list[int]:
    """Write ``dataset.json`` listing the first n successes; returns their seeds."""
    folder = Path(folder)
    outcomes = outcomes or Outcomes(read_attempts(folder))
    selected = outcomes.selection(mode, n)
    if selected is None:
        missing = outcomes.first_unknown(mode, n)
        k = (missing - FIRST_SEED[mode]) // STEP if missing is not None else -1
        raise DatasetError(
            f"{folder}: cannot index {n} episodes yet: seed {missing} (attempt {k}) has not been tried; "
            f"{outcomes.n_successes} successes known. Run the missing shard(s) "
            "(attempt k belongs to shard k % N) "
            "or rerun without shard=."
        )
    entries = []
    for index, seed in enumerate(selected):
        path = episode_file(folder, seed)
        n_actions, total = episode_summary(path, task, mode)
        entries.append(EpisodeEntry(index, seed, str(path.relative_to(folder)), n_actions, total))
    meta = DatasetMeta(
        task=task,
        mode=mode,
        seed_schedule=f"first {n} successful seeds of {FIRST_SEED[mode]}, {FIRST_SEED[mode] + STEP}, ...",
        episodes=entries,
    )
    write_meta(folder, meta)
    prune_unlisted(folder, selected)  # after the index is written: a kill in between loses nothing listed
    return selected
