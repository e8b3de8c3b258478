"""Collect result JSON files into rows of (task, agent, train demos, mode, success with its interval)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cliport.eval.results import ResultsError, load_results
from cliport.eval.stats import summarise

# Task names use "-", agent names "_" only, so the agent is the last dash-free field before "-n<N>".
_FILE = re.compile(r"^(?P<task>.+)-(?P<agent>[^-]+)-n(?P<n>\d+)(?P<multi>-multi)?"
    r"-results-(?P<mode>\w+)\.json$")
_TRAIN_DIR = re.compile(r"-n(?P<train>\d+)-train$")


@dataclass(frozen=True)
class ResultRow:
    task: str
    agent: str
    train_demos: int | None
    mode: str
    checkpoint: str
    n_episodes: int
    mean: float  # in [0, 1]
    ci_low: float
    ci_high: float
    path: Path


def find_result_files(paths: list[str | Path]) -> list[Path]:
    """Result files given directly or found (recursively) under folders."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(p.rglob("*-results-*.json"))
        elif p.exists():
            found.append(p)
        else:
            raise ResultsError(f"no such results file or folder: {p}")
    return found


def rows_from_file(path: Path) -> list[ResultRow]:
    """One row per file: its best checkpoint (a test file normally holds just the chosen one)."""
    m = _FILE.match(path.name)
    if m is None:
        raise ResultsError(f"{path.name} is not named like '<task>-<agent>-n<N>-results-<mode>.json'")
    results = load_results(path)
    if not results:
        return []
    train_match = _TRAIN_DIR.search(path.parent.parent.name) or _TRAIN_DIR.search(path.parent.name)
    train_demos = int(train_match["train"]) if train_match else None
    best_name, best = max(results.items(), key=lambda kv: float(kv[1].get("mean_reward", 0.0)))
    rewards = [float(e[0]) for e in best.get("episodes", [])] or [float(best["mean_reward"])]
    s = summarise(rewards, n_repeats=int(best.get("n_repeats", 1)))
    return [
        ResultRow(
            m["task"], m["agent"], train_demos, m["mode"], best_name, len(rewards),
            float(best["mean_reward"]), s.ci_low, s.ci_high, path,
        )
    ]
