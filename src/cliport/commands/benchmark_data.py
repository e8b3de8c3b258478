"""make the whole benchmark's data: every task of the original's dataset script, train/val/test

Examples::

    cliport benchmark-data data_dir=data workers=8                      # 28 tasks x 1000/100/100
    cliport benchmark-data tasks=block-insertion n_train=2 n_val=1 n_test=1 workers=2
    cliport benchmark-data tasks=multi-language-conditioned n_train=100 # a group: its members per mode

Keys: data_dir (data), workers (1), tasks (all: the 10 demo-conditioned tasks and the 18 language
variants, or a comma list, or a group name), n_train (1000), n_val (100), n_test (100), progress (true).
Each (task, mode) folder is made by the same generation as ``cliport demos`` (its seed schedule and
resume), so a rerun after a kill continues, and a complete folder costs nothing. Folders run
concurrently (workers // 2 at a time, two episode workers each; one at a time with workers=1).
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cliport.data.config import DemosConfig
from cliport.errors import CliportError

MODES = ("train", "val", "test")
#: The original's dataset script: 1000 train, 100 val, 100 test episodes per task.
DEFAULT_COUNTS = {"train": 1000, "val": 100, "test": 100}


@dataclass(frozen=True)
class Job:
    task: str
    mode: str
    n: int


@dataclass
class JobResult:
    job: Job
    episodes: int
    attempts: int  # every attempt logged in the folder, this run and earlier ones
    successes: int
    new_attempts: int  # made by this run
    size_bytes: int


def benchmark_tasks() -> tuple[str, ...]:
    """The tasks of the original's dataset script: the 10 demo-conditioned and the 18 language variants."""
    from cliport.tasks.groups import DEMO_CONDITIONED, LANGUAGE_VARIANTS

    return DEMO_CONDITIONED + LANGUAGE_VARIANTS


def plan(tasks: str = "", counts: dict[str, int] | None = None) -> list[Job]:
    """(task, mode, n) for every folder to make; ``tasks`` is empty (all), a comma list or a group name."""
    from cliport.tasks.groups import group, is_group
    from cliport.tasks.registry import task_names

    counts = {**DEFAULT_COUNTS, **(counts or {})}
    for mode, n in counts.items():
        if n < 0:
            raise CliportError(f"n_{mode} must be >= 0, got {n}")
    spec = tasks.strip()
    if spec and is_group(spec):
        g = group(spec)
        per_mode = {mode: g.members(mode) for mode in MODES}
    else:
        names = tuple(t.strip() for t in spec.split(",") if t.strip()) if spec else benchmark_tasks()
        known = set(task_names())
        unknown = [t for t in names if t not in known]
        if unknown:
            raise CliportError(f"unknown task or group {', '.join(unknown)!r}; see `cliport tasks` for task "
                               "names or pass a group such as multi-language-conditioned")
        per_mode = {mode: names for mode in MODES}
    jobs = [Job(t, mode, counts[mode]) for t in dict.fromkeys(sum(per_mode.values(), ())) for mode in MODES
            if t in per_mode[mode] and counts[mode] > 0]
    return jobs


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def run_jobs(jobs: list[Job], data_dir: str, workers: int = 1, progress: bool = True,
             runner: str = DemosConfig.runner) -> list[JobResult]:
    """Generate every job's folder with the demo generation; one progress bar over all episodes."""
    from tqdm import tqdm

    from cliport.data.generate import generate
    from cliport.data.store import dataset_folder, read_attempts

    if workers < 1:
        raise CliportError(f"workers must be >= 1, got {workers}")
    # workers=1 runs inline in this process (one simulator): folders one after the other.
    concurrent = 1 if workers == 1 else max(1, min(len(jobs), workers // 2))
    per_job = workers if concurrent == 1 else max(2, workers // concurrent)
    bar = tqdm(total=sum(j.n for j in jobs), desc="benchmark data", unit="ep", disable=not progress,
               file=sys.stderr)
    lock = threading.Lock()
    done_per_job: dict[Job, int] = {}
    new_attempts: dict[Job, int] = {}

    def one(job: Job) -> JobResult:
        cfg = DemosConfig(data_dir=data_dir, task=job.task, mode=job.mode, n=job.n, workers=per_job,
                          progress=False, runner=runner)

        def update(attempts: int, successes: int, selected: int) -> None:
            with lock:
                done_per_job[job] = selected
                new_attempts[job] = attempts
                bar.n = sum(done_per_job.values())
                bar.set_postfix(attempts=sum(new_attempts.values()), refresh=False)
                bar.refresh()

        report = generate(cfg, progress=update)
        update(report.attempts, report.successes, len(report.selected))
        folder = dataset_folder(data_dir, job.task, job.mode)
        outcomes = read_attempts(folder)
        return JobResult(job, len(report.selected), len(outcomes), sum(outcomes.values()), report.attempts,
                         _folder_size(folder))

    try:
        if concurrent == 1:
            results = [one(job) for job in jobs]
        else:
            with ThreadPoolExecutor(concurrent) as pool:
                results = list(pool.map(one, jobs))
    finally:
        bar.close()
    return results


def format_table(results: list[JobResult]) -> str:
    rows = [("task", "mode", "episodes", "attempts", "success", "size")]
    for r in results:
        share = f"{r.successes / r.attempts:.0%}" if r.attempts else "-"
        rows.append((r.job.task, r.job.mode, str(r.episodes), str(r.attempts), share, _human(r.size_bytes)))
    total = sum(r.size_bytes for r in results)
    rows.append(("total", "", str(sum(r.episodes for r in results)), str(sum(r.attempts for r in results)),
                 "", _human(total)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    def line(row: tuple[str, ...]) -> str:
        cells = zip(row, widths, strict=True)
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(cells))

    return "\n".join(line(row) for row in rows)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


_KEYS = {"data_dir": str, "workers": int, "tasks": str, "n_train": int, "n_val": int, "n_test": int,
         "progress": str, "runner": str}


def _parse(argv: list[str]) -> dict[str, object]:
    opts: dict[str, object] = {"data_dir": "data", "workers": 1, "tasks": "", "progress": "true",
                               "runner": DemosConfig.runner}
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep or key not in _KEYS:
            raise CliportError(f"unknown argument {arg!r}; expected key=value with key in {', '.join(_KEYS)}")
        try:
            opts[key] = _KEYS[key](value)
        except ValueError as err:
            raise CliportError(f"{key} must be an integer, got {value!r}") from err
    return opts


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    opts = _parse(argv)
    counts = {m: int(opts[f"n_{m}"]) for m in MODES if f"n_{m}" in opts}
    jobs = plan(str(opts["tasks"]), counts)
    show = str(opts["progress"]).lower() in ("1", "true", "yes")
    results = run_jobs(jobs, str(opts["data_dir"]), int(opts["workers"]), progress=show,
                       runner=str(opts["runner"]))
    print(format_table(results))
    print(f"this run: {sum(r.new_attempts for r in results)} attempts")
    return 0
