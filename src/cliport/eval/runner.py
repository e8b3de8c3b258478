"""Evaluate checkpoints on stored episode seeds: repeats, parallel workers, resume, results files.

For each selected checkpoint and each repeat, every episode seed of the evaluation dataset is rolled out
(in index order); rewards and final infos go to the original's results JSON, plus mean, std and a 95%
interval. ``workers=N`` runs episodes in N processes with identical results to ``workers=1`` (every
episode depends only on its seed and the checkpoint; each process uses the same torch thread count).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cliport.allocator import reuse_freed_memory
from cliport.atomic import remove_stale_temporaries
from cliport.errors import CliportError
from cliport.eval.config import EvalConfig, EvalPaths, resolve_paths, validate
from cliport.eval.lock import results_lock
from cliport.eval.progress_log import EpisodeLog
from cliport.eval.results import (
    checkpoint_entry,
    jsonable,
    load_results,
    results_filename,
    select_checkpoints,
    write_results,
)
from cliport.eval.rollout import EpisodeOutcome, repeat_seed, run_episode

#: torch threads per evaluation process: fixed so that results do not depend on the worker count.
THREADS_PER_WORKER = 1


class EvalError(CliportError):
    """Evaluation cannot run (missing dataset or checkpoint, agent mismatch, ...)."""


@dataclass(frozen=True)
class Job:
    repeat: int
    index: int
    seed: int


def episode_seeds(cfg: EvalConfig) -> list[int]:
    """Seeds of the first ``n_demos`` stored episodes of ``{eval_task}-{mode}`` (index order)."""
    from cliport.data.store import more_demos_hint, read_meta

    folder = resolve_paths(cfg).data_path
    if not folder.exists():
        raise EvalError(
            f"evaluation dataset {folder} does not exist; generate it with "
            f"`cliport demos task={cfg.eval_task} mode={cfg.mode} n={cfg.n_demos} data_dir=...`"
        )
    seeds = read_meta(folder).seeds
    if len(seeds) < cfg.n_demos:
        raise EvalError(f"{folder} holds {len(seeds)} episodes but n_demos={cfg.n_demos} were asked for; "
                        f"{more_demos_hint(folder, cfg.eval_task, cfg.mode, cfg.n_demos)}, or ask for fewer")
    return seeds[: cfg.n_demos]


# --- one process's evaluation state -------------------------------------------------------------
_STATE: dict[str, Any] = {}


def _init_worker(cfg: EvalConfig, checkpoint: str, keep_frames: bool) -> None:
    import torch

    from cliport.agents.checkpoint import load_agent
    from cliport.env.environment import Environment

    torch.set_num_threads(THREADS_PER_WORKER)
    if torch.device(cfg.device).type == "cpu":
        # act()'s activations reuse freed memory instead of faulting pages in again. With workers=1 this
        # runs in the calling process and tunes its malloc for good (cliport.allocator).
        reuse_freed_memory()
    policy = load_agent(
        checkpoint,
        clip_weights=cfg.clip_weights or None,
        allow_random_encoders=cfg.allow_random_clip,
        device=cfg.device,
        channels_last=cfg.channels_last,
    )
    policy.act_precision = cfg.precision
    kwargs: dict[str, Any] = {"assets_root": cfg.assets_root or None, "gui": cfg.disp, "ik": cfg.ik,
                              "motion": cfg.motion}
    if cfg.renderer:
        kwargs["renderer"] = cfg.renderer
    _STATE.update(cfg=cfg, policy=policy, env=Environment(**kwargs), keep_frames=keep_frames)


def _run_job(job: Job) -> tuple[Job, EpisodeOutcome]:
    from cliport.tasks.registry import make_task

    cfg: EvalConfig = _STATE["cfg"]
    policy = _STATE["policy"]
    task = make_task(cfg.eval_task, mode=cfg.mode)
    goal = _goal_image(cfg, job.index) if policy.spec.uses_goal_image else None

    def act(image, info):
        return policy.act(image, info.get("lang_goal"), goal=goal)

    out = run_episode(_STATE["env"], task, act, repeat_seed(job.seed, job.repeat),
                      keep_frames=_STATE["keep_frames"], record_every=cfg.record.every)
    return job, out


def _goal_image(cfg: EvalConfig, index: int):
    """Image-goal agents: the fused input of the stored episode's final entry (the original's goal)."""
    from cliport.data.episode import load_episode
    from cliport.data.store import read_meta
    from cliport.env.heightmap import network_input

    folder = resolve_paths(cfg).data_path
    episode = load_episode(folder / read_meta(folder).episodes[index].file)
    return network_input(episode.color[-1], episode.height[-1])


def _close_worker() -> None:
    env = _STATE.pop("env", None)
    if env is not None:
        env.close()


def _results_inline(cfg: EvalConfig, checkpoint: Path, jobs: list[Job], keep_frames: bool) -> Iterator:
    _init_worker(cfg, str(checkpoint), keep_frames)
    try:
        for job in jobs:
            yield _run_job(job)
    finally:
        _close_worker()


def _results_parallel(cfg: EvalConfig, checkpoint: Path, jobs: list[Job], keep_frames: bool) -> Iterator:
    ctx = mp.get_context("spawn")
    init_args = (cfg, str(checkpoint), keep_frames)
    with ctx.Pool(cfg.workers, initializer=_init_worker, initargs=init_args) as pool:
        yield from pool.imap(_run_job, jobs)  # results in job order


def evaluate(
    cfg: EvalConfig,
    on_episode: Callable[[Job, float, float], None] | None = None,
    on_frames: Callable[[Job, EpisodeOutcome], None] | None = None,
) -> dict[str, dict]:
    """Run the evaluation described by ``cfg``; returns {checkpoint name: entry} of this run."""
    validate(cfg)
    from cliport.train.run import check_names

    check_names(cfg.eval_task, cfg.agent)
    from cliport.tasks.groups import is_group

    if is_group(cfg.eval_task):
        raise EvalError(f"eval_task={cfg.eval_task!r} is a task group: evaluate each member task "
                        "(model_task names the group the model was trained on)")
    paths = resolve_paths(cfg)
    seeds = episode_seeds(cfg)
    results_file = paths.results_path / results_filename(
        cfg.eval_task, cfg.agent, cfg.n_demos, cfg.mode, paths.model_path
    )
    if not paths.model_path.is_dir():  # before the lock, which creates the results folder
        raise EvalError(f"no checkpoint folder {paths.model_path}; train first (cliport train ...)")
    with results_lock(results_file):  # a second eval on the same results file is refused, not mixed
        remove_stale_temporaries(results_file.parent, results_file.name + ".*")  # left by a kill
        return _evaluate_locked(cfg, paths, seeds, results_file, on_episode, on_frames)


def _evaluate_locked(
    cfg: EvalConfig,
    paths: EvalPaths,
    seeds: list[int],
    results_file: Path,
    on_episode: Callable[[Job, float, float], None] | None,
    on_frames: Callable[[Job, EpisodeOutcome], None] | None,
) -> dict[str, dict]:
    existing = load_results(results_file)
    checkpoints = select_checkpoints(cfg.checkpoint_type, paths.model_path, paths.results_path,
                                     cfg.model_task or cfg.eval_task, existing, cfg.update_results)
    log = EpisodeLog(results_file.with_name(results_file.name + ".partial.jsonl"))
    produced: dict[str, dict] = {}
    for ckpt in checkpoints:
        _check_agent(ckpt, cfg.agent)
        done = log.done(ckpt.name)
        jobs = [Job(r, i, s) for r in range(cfg.n_repeats) for i, s in enumerate(seeds)
                if (r, i) not in done]
        run = _results_parallel if cfg.workers > 1 and len(jobs) > 1 else _results_inline
        keep_frames = cfg.record.save_video
        if jobs:
            for job, out in run(cfg, ckpt, jobs, keep_frames):
                info = jsonable(out.info)
                log.append({"checkpoint": ckpt.name, "repeat": job.repeat, "index": job.index,
                            "seed": job.seed, "reward": out.total_reward, "steps": out.steps, "info": info})
                done[(job.repeat, job.index)] = {"reward": out.total_reward, "info": info}
                if on_episode is not None:
                    rewards = [float(d["reward"]) for d in done.values()]
                    on_episode(job, out.total_reward, sum(rewards) / len(rewards))
                if out.frames and on_frames is not None:
                    on_frames(job, out)
        ordered = [done[(r, i)] for r in range(cfg.n_repeats) for i in range(len(seeds))]
        entry = checkpoint_entry([(float(d["reward"]), d["info"]) for d in ordered], cfg.n_repeats)
        produced[ckpt.name] = entry
        if cfg.save_results:
            existing[ckpt.name] = entry
            write_results(results_file, existing)
        log.forget(ckpt.name)
    log.forget(*existing)  # lines a kill between a results write and its forget above left behind
    return produced


def _check_agent(checkpoint: Path, agent: str) -> None:
    """Refuse a checkpoint of another agent before building anything (reads the header only)."""
    from safetensors import safe_open

    try:
        with safe_open(str(checkpoint), framework="pt") as f:
            stored = (f.metadata() or {}).get("agent")
    except Exception as err:  # noqa: BLE001 - reported with the path
        raise EvalError(f"checkpoint {checkpoint} is not readable: {err}") from None
    if stored != agent:
        raise EvalError(f"checkpoint {checkpoint} belongs to agent {stored!r}, not agent={agent!r}; "
                        f"pass agent={stored}, or point exp_folder= at agent {agent}'s checkpoints")
