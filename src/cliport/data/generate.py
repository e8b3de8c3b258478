"""Demonstration generation: seeds -> oracle rollouts -> episode files -> dataset index.

The dataset is the first ``n`` successful seeds of the original's schedule (see schedule.py), so it
is the same whatever ``workers`` or ``shard`` is used. Each attempt is done by a runner (one
environment per process; processes are started with the spawn context); a success is written
atomically as ``episodes/{seed}.npz`` by the process that made it, then the parent appends the
outcome to its attempt log. A rerun reads the logs and the files and continues where it stopped, so
SIGKILL at any moment loses at most the attempts in flight and never leaves a partial episode.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cliport.atomic import remove_stale_temporaries
from cliport.data.config import DemosConfig
from cliport.data.episode import save_episode
from cliport.data.index import build_index, episode_summary
from cliport.data.lock import exclusive_writer
from cliport.data.rollout import RunResult
from cliport.data.schedule import Outcomes, Shard, schedule
from cliport.data.store import (
    ATTEMPTS,
    EPISODES,
    VIDEOS,
    append_attempt,
    dataset_folder,
    episode_file,
    logged_attempts,
    read_attempts,
    seed_of,
    trim_log,
)
from cliport.errors import CliportError, ConfigError


class Runner(Protocol):
    """Runs one attempt per call, in the process that created it (one environment per process)."""

    def run(self, seed: int, *, save_raw: bool = False, keep_frames: bool = False) -> RunResult: ...

    def close(self) -> None: ...


def load_factory(path: str) -> Callable[[DemosConfig], Runner]:
    module, _, name = path.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"runner {path!r} cannot be imported ({err})") from err


def check_runner(cfg: DemosConfig) -> None:
    """Let the runner's module validate the config in the parent (e.g. an unknown task name), if it can."""
    module = importlib.import_module(cfg.runner.partition(":")[0])
    check = getattr(module, "check", None)
    if check is not None:
        check(cfg)


# ----------------------------------------------------------------------------------------------
# What runs in each worker process.

_RUNNER: Runner | None = None
_CFG: DemosConfig | None = None


def _init_worker(cfg: DemosConfig) -> None:
    global _RUNNER, _CFG
    _CFG = cfg
    _RUNNER = load_factory(cfg.runner)(cfg)


def _attempt(seed: int) -> tuple[int, bool, float]:
    """Run one seed; write the episode (and video) if it succeeded. Returns (seed, ok, total reward)."""
    assert _RUNNER is not None and _CFG is not None, "worker not initialised"
    cfg = _CFG
    folder = dataset_folder(cfg.data_dir, cfg.task, cfg.mode)
    result = _RUNNER.run(seed, save_raw=cfg.save_raw, keep_frames=cfg.record.save_video)
    if result.ok and cfg.save_data:
        save_episode(episode_file(folder, seed), result.episode)
    if cfg.record.save_video and result.frames:
        from cliport.data.video import write_episode_video

        video_dir = Path(cfg.record.save_video_path) if cfg.record.save_video_path else folder / VIDEOS
        texts = result.frame_texts or result.episode.instruction
        motion = len(result.frames) > len(result.episode)  # frames while moving, else one held per entry
        write_episode_video(video_dir / f"{seed:06d}.mp4", result.frames, texts,
                            fps=cfg.record.fps, add_text=cfg.record.add_text, hold=1 if motion else 10)
    return seed, result.ok, result.episode.total_reward


class _InlineExecutor:
    """The executor API over the current process (workers=1): no pool, same code path."""

    def __init__(self, cfg: DemosConfig) -> None:
        _init_worker(cfg)

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as err:  # noqa: BLE001 - handed back through the future
            fut.set_exception(err)
        return fut

    def shutdown(self, *_: Any, **__: Any) -> None:
        if _RUNNER is not None:
            _RUNNER.close()


# ----------------------------------------------------------------------------------------------
# The parent loop.


@dataclass
class GenerateReport:
    folder: Path
    attempts: int  # attempts made by this run
    successes: int  # successes made by this run
    seconds: float
    complete: bool  # dataset.json now lists n episodes
    selected: list[int]


def _writer_name(shard: Shard) -> str:
    return "main" if shard.count == 1 else f"shard-{shard.index}-of-{shard.count}"


def generate(cfg: DemosConfig, progress: Callable[[int, int, int], None] | None = None) -> GenerateReport:
    """Generate until the first ``cfg.n`` successful seeds are on disk (or this shard's part is done).

    ``progress(attempts, successes, selected_so_far)`` is called after every finished attempt.
    """
    cfg.validate()
    shard = Shard.parse(cfg.shard)
    folder = dataset_folder(cfg.data_dir, cfg.task, cfg.mode)
    if not cfg.merge:
        load_factory(cfg.runner)
        check_runner(cfg)
    if not cfg.save_data:  # a dry run writes nothing, so it needs no lock
        return _generate(cfg, shard, folder, progress)
    writer = "main" if cfg.merge else _writer_name(shard)

    def cleanup() -> None:
        for sub in (folder, folder / EPISODES, folder / VIDEOS, folder / ATTEMPTS):
            remove_stale_temporaries(sub)

    with exclusive_writer(folder, writer, cleanup):
        return _generate(cfg, shard, folder, progress)


def _generate(
    cfg: DemosConfig, shard: Shard, folder: Path, progress: Callable[[int, int, int], None] | None
) -> GenerateReport:
    log = folder / ATTEMPTS / f"{_writer_name(shard)}.log"
    if shard.count == 1 and cfg.save_data and not cfg.merge:
        _log_unlogged_episodes(folder, log)
    outcomes = Outcomes(read_attempts(folder))
    start = time.perf_counter()
    attempts = successes = 0

    if cfg.merge:
        sel = build_index(folder, cfg.task, cfg.mode, cfg.n, outcomes)
        return GenerateReport(folder, 0, 0, time.perf_counter() - start, True, sel)

    own = schedule(cfg.mode, shard)
    in_flight: dict[cf.Future, int] = {}
    exhausted = False
    executor: Any = None
    try:
        while True:
            while not exhausted and len(in_flight) < cfg.workers:
                seed = next(own)
                if seed in outcomes.known:
                    continue
                if not outcomes.needed(seed, cfg.n):
                    exhausted = True  # successes only grow, so no later seed is needed either
                    break
                if executor is None:
                    executor = _make_executor(cfg)
                in_flight[executor.submit(_attempt, seed)] = seed
            if not in_flight:
                break
            done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
            for fut in sorted(done, key=in_flight.__getitem__):
                seed, ok, total = fut.result()  # a dead worker raises here, its seed still in flight
                in_flight.pop(fut)
                if cfg.save_data:  # a dry run (save_data=false) leaves nothing behind
                    append_attempt(log, seed, ok, total)
                outcomes.add(seed, ok)
                attempts += 1
                successes += int(ok)
            if shard.count > 1:  # learn what the other shards found, to stop as early as possible
                for s, ok in read_attempts(folder).items():
                    outcomes.add(s, ok)
            if progress is not None:
                progress(attempts, successes, min(outcomes.n_successes, cfg.n))
    except BrokenProcessPool as err:
        raise CliportError(
            f"a demo worker process died while running seeds {sorted(in_flight.values())} (see its error "
            "above); rerun the same command to resume"
        ) from err
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    selected = outcomes.selection(cfg.mode, cfg.n)
    complete = selected is not None
    if complete and cfg.save_data:
        build_index(folder, cfg.task, cfg.mode, cfg.n, outcomes)
        if shard.count == 1 and selected:
            trim_log(log, selected[-1])
    return GenerateReport(folder, attempts, successes, time.perf_counter() - start, complete, selected or [])


def _log_unlogged_episodes(folder: Path, log: Path) -> None:
    """Log the episodes whose writer was killed before its log line was complete.

    The episode file is the proof of success, so the seed is not attempted again; its line is written
    now (reward from the file) so that the finished log is the same bytes as an uninterrupted run's.
    """
    logged = logged_attempts(folder)
    for path in sorted((folder / EPISODES).glob("*.npz")):
        try:
            seed = seed_of(path)
        except ValueError:
            continue
        if seed not in logged:
            try:
                _, total = episode_summary(path)
            except CliportError:
                path.unlink()  # unreadable (cannot happen with atomic writes): attempt the seed again
                continue
            append_attempt(log, seed, True, total)


def _make_executor(cfg: DemosConfig) -> Any:
    if cfg.workers == 1:
        return _InlineExecutor(cfg)
    ctx = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(cfg.workers, mp_context=ctx, initializer=_init_worker, initargs=(cfg,))
