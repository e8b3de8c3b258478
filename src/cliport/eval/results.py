"""Evaluation results files and checkpoint selection, with the original's names and structure.

File: ``{save_path}/{eval_task}-{agent}-n{n_demos}[-multi]-results-{mode}.json``; content:
``{checkpoint file name: {"episodes": [[total_reward, info], ...], "mean_reward": mean}}`` (indent 4).
cliport adds, per checkpoint, ``"summary"`` (mean, std, 95% CI) and ``"n_repeats"``; old tooling that reads
only ``episodes`` and ``mean_reward`` keeps working.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cliport.atomic import write_bytes_atomic
from cliport.errors import CliportError
from cliport.eval.stats import summarise


class ResultsError(CliportError):
    """A results file cannot be read or a checkpoint cannot be selected."""


def results_filename(eval_task: str, agent: str, n_demos: int, mode: str, model_path: str | Path) -> str:
    """The original's name; ``-multi`` keys on the *model path* containing "multi" (a quirk kept)."""
    name = f"{eval_task}-{agent}-n{n_demos}"
    multi = "-multi" if "multi" in str(model_path) else ""
    return f"{name}{multi}-results-{mode}.json"


def jsonable(obj: Any) -> Any:
    """Convert numpy values and integer dict keys (object ids) the way the original's JSON dump ends up."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


#: What to do about a damaged results file (``cliport eval`` reads it before adding to it).
_REWRITE = "delete it and rerun the `cliport eval` command that wrote it"


def load_results(path: str | Path) -> dict[str, dict]:
    """Existing results (empty if the file does not exist); a clear error if it is not valid JSON."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ResultsError(f"results file {path} is not valid JSON ({err}); {_REWRITE}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ResultsError(
            f"results file {path} does not hold {{checkpoint: {{episodes, mean_reward}}}}; {_REWRITE}"
        )
    return data


def write_results(path: str | Path, results: dict[str, dict]) -> None:
    """Write atomically (temporary file in the same folder, then rename); a full disk leaves the old file."""
    write_bytes_atomic(path, json.dumps(jsonable(results), indent=4).encode("utf-8"))


def checkpoint_entry(episodes: list[tuple[float, dict]], n_repeats: int = 1) -> dict:
    """One checkpoint's entry: the original's keys plus the summary over repeats/episodes."""
    rewards = [float(r) for r, _ in episodes]
    summary = summarise(rewards, n_repeats=n_repeats)
    return {
        "episodes": [[float(r), info] for r, info in episodes],
        "mean_reward": float(np.mean(rewards)),
        "n_repeats": int(n_repeats),
        "summary": summary.as_dict(),
    }


def best_checkpoint(val_results: dict[str, dict]) -> str | None:
    """Highest mean_reward; ties keep the earlier entry (strictly-greater comparison, as the original)."""
    best_name, best_reward = None, -1.0
    for name, entry in val_results.items():
        reward = float(entry["mean_reward"])
        if reward > best_reward:
            best_name, best_reward = name, reward
    return best_name


def _visible(folder: Path) -> list[str]:
    """Sorted names in ``folder`` (none if missing), without hidden ones (temporaries, locks)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def select_checkpoints(
    checkpoint_type: str,
    model_path: str | Path,
    results_path: str | Path,
    model_task: str,
    existing: dict[str, dict],
    update_results: bool = False,
) -> list[Path]:
    """Checkpoint files to evaluate, following data_train_eval.md §9 step 4.

    ``val_missing``: every ``steps=`` checkpoint (sorted by name) without an entry; ``last``: last.ckpt;
    ``test_best``: the best checkpoint of the validation results file (ties: the earlier; none: last.ckpt);
    any other string: the first checkpoint whose name contains it. Missing files are skipped; those
    already evaluated are skipped unless ``update_results``.
    """
    model_path, results_path = Path(model_path), Path(results_path)
    # Hidden names are temporaries of a checkpoint being written (and lock files): never read those.
    files = _visible(model_path)
    if checkpoint_type == "last":
        names = ["last.ckpt"]
    elif checkpoint_type == "val_missing":
        names = [n for n in files if "steps=" in n and n not in existing]
    elif checkpoint_type == "test_best":
        names = ["last.ckpt"]
        listing = _visible(results_path)
        val_files = [n for n in listing if "results-val" in n]
        multi = "multi" in model_task
        val_files = [n for n in val_files if ("multi" in n) == multi]
        if val_files:
            best = best_checkpoint(load_results(results_path / val_files[0]))
            if best is not None:
                names = [best]
    else:
        matching = [n for n in files if checkpoint_type in n]
        names = matching[:1]
        if not names:
            raise ResultsError(
                f"no checkpoint in {model_path} matches checkpoint_type={checkpoint_type!r} "
                "(use val_missing, test_best, last, or part of a checkpoint file name)"
            )
    chosen = []
    for name in names:
        if not (model_path / name).exists():
            continue
        if name in existing and not update_results:
            continue
        chosen.append(model_path / name)
    return chosen
