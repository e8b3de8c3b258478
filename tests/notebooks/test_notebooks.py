"""The three notebooks (dataset, affordances, results) run top to bottom in a fresh kernel on tiny data.

The data are made once per test session by the real commands: two train and one val demonstration of
``block-insertion`` (``cliport demos``), a transporter trained for two steps at 4 rotations and base
width 4 (``cliport train``), and evaluation results files written with the evaluation's own writer for
two experiments. Each notebook reads its inputs from ``CLIPORT_NB_*`` environment variables (its first
code cell), runs in a new ipykernel through nbclient, and its printed numbers are checked against what
the library computes directly. Under pytest-xdist the workers share one copy of the data (a file lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TASK = "block-insertion"
EXP = f"{TASK}-transporter-n2-train"
#: Synthetic evaluation rewards: experiment -> mode -> checkpoint -> episode rewards.
RESULTS = {
    EXP: {
        "val": {"steps=00001-val_loss=0.1.ckpt": [1, 0, 0, 1], "steps=00002-val_loss=0.1.ckpt": [1, 1, 1, 0]},
        "test": {"steps=00002-val_loss=0.1.ckpt": [1, 1, 0, 1, 1]},
    },
    f"{TASK}-transporter-n10-train": {
        "val": {"steps=00100-val_loss=0.1.ckpt": [0, 0, 1, 0], "steps=00200-val_loss=0.1.ckpt": [1, 0, 1, 0]},
        "test": {"steps=00200-val_loss=0.1.ckpt": [0, 1, 0, 0, 1]},
    },
}


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _make_kit(root: Path) -> None:
    from cliport.cli import main
    from cliport.eval.results import checkpoint_entry, results_filename, write_results

    data = root / "data"
    for mode, n in (("train", 2), ("val", 1)):
        args = ["demos", f"task={TASK}", f"mode={mode}", f"n={n}", f"data_dir={data}", "workers=1",
                "progress=false"]
        assert main(args) == 0
    with one_thread():  # a 2-step run at base width 4: one thread is plenty and spins least
        assert main([
            "train", f"root_dir={root}", f"train.data_dir={data}", f"train.task={TASK}",
            "train.agent=transporter", "train.n_demos=2", "train.n_steps=2", "train.save_steps=[2]",
            "train.last_every=2", "train.val_every=-1", "train.n_val=1", "train.n_rotations=4",
            "train.model_options={resnet_base: 4}", "train.progress=false", "train.precision=32",
        ]) == 0
    for exp, modes in RESULTS.items():
        folder = root / "exps" / exp / "checkpoints"
        for mode, checkpoints in modes.items():
            n_episodes = len(next(iter(checkpoints.values())))
            entries = {name: checkpoint_entry([(float(r), {}) for r in rewards])
                       for name, rewards in checkpoints.items()}
            write_results(folder / results_filename(TASK, "transporter", n_episodes, mode, folder), entries)


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny data folder, made once (shared by the xdist workers of one session)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this session's folder, shared by its workers
    root = base / "notebook-kit"
    with open(base / "notebook-kit.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "complete").exists():
            root.mkdir(exist_ok=True)
            _make_kit(root)
            (root / "complete").touch()
    return root


def run_notebook(name: str, cwd: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """Execute notebooks/NAME.ipynb in a new kernel; return all its text output (images counted as
    lines "<image/png>")."""
    for key, value in {"OMP_NUM_THREADS": "1", **env}.items():
        monkeypatch.setenv(key, value)  # the kernel inherits this process's environment
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    resources = {"metadata": {"path": str(cwd)}}  # the kernel's working folder
    client = NotebookClient(book, timeout=300, kernel_name="python3", resources=resources)
    client.execute()
    lines = []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                lines.append(out.text)
            elif "data" in out:
                lines.append("<image/png>" if "image/png" in out.data else out.data.get("text/plain", ""))
    return "\n".join(lines)


def test_notebooks_are_committed_without_outputs():
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == ["affordances.ipynb", "dataset.ipynb", "results.ipynb"]
    for path in NOTEBOOKS.glob("*.ipynb"):
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        code = [c for c in book.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path.name
        assert "os.environ.get(\"CLIPORT_NB_" in code[0].source, f"{path.name}: inputs not in the first cell"


def test_dataset_notebook(kit, tmp_path, monkeypatch):
    from cliport.data.episode import load_episode
    from cliport.viz.episode import step_labels

    text = run_notebook("dataset", tmp_path, {
        "CLIPORT_NB_DATA_DIR": str(kit / "data"), "CLIPORT_NB_TASK": TASK, "CLIPORT_NB_MODE": "train",
        "CLIPORT_NB_EPISODE": "1", "CLIPORT_NB_N_AUGMENTED": "2",
    }, monkeypatch)
    assert "2 episodes of block-insertion (train)" in text
    index = re.findall(r"^\s+(\d+)\s+(\d+)\s+1\s+1\.000\s+episodes/(\d{6})\.npz$", text, re.M)
    assert [(int(i), int(s)) for i, s, _ in index] == [(0, 0), (1, 2)]  # train seeds 0, 2, ...
    episode = load_episode(kit / "data" / f"{TASK}-train" / "episodes" / "000002.npz")
    assert f"task block-insertion, seed 2: {episode.n_actions} actions" in text
    (r0, c0), (r1, c1), angle = step_labels(episode, 0)
    row = re.search(r"^\s+0\s+\((\d+), (\d+)\)\s+\((\d+), (\d+)\)\s+(-?[\d.]+)\s+(.+)$", text, re.M)
    assert row is not None, text
    assert tuple(map(int, row.groups()[:4])) == (r0, c0, r1, c1)
    assert math.isclose(float(row[5]), math.degrees(angle), abs_tol=0.06)
    assert row[6] == episode.instruction[0]
    assert len(re.findall(r"^draw \d : pick height", text, re.M)) == 2
    assert text.count("<image/png>") == 2  # the episode's maps, the augmented draws


def test_affordances_notebook(kit, tmp_path, monkeypatch):
    from cliport.agents.checkpoint import load_agent
    from cliport.data.episode import load_episode
    from cliport.env.heightmap import network_input

    checkpoint = kit / "exps" / EXP / "checkpoints" / "last.ckpt"
    text = run_notebook("affordances", tmp_path, {
        "CLIPORT_NB_CHECKPOINT": str(checkpoint), "CLIPORT_NB_EPISODES": str(kit / "data" / f"{TASK}-val"),
        "CLIPORT_NB_EPISODE": "0", "CLIPORT_NB_STEP": "0",
    }, monkeypatch)
    assert "agent transporter, 4 rotations, input (320, 160, 6)" in text
    episode = load_episode(kit / "data" / f"{TASK}-val" / "episodes" / "000001.npz")  # val seed 1
    with one_thread():
        action = load_agent(checkpoint).act(network_input(episode.color[0], episode.height[0]),
                                            return_maps=True)
    r0, c0, _ = action.extras["pick"]
    r1, c1, t1 = action.extras["place"]
    rot = round(t1 / (2 * math.pi / 4)) % 4
    assert f"pick  pixel ({r0}, {c0}), p = " in text
    assert f"place pixel ({r1}, {c1}) at rotation {rot}/4 = {math.degrees(t1):.0f}°" in text
    shown = re.search(r"^pick  pose \(world frame\): position \[([^\]]+)\]", text, re.M)
    assert np.allclose(np.array(shown[1].split(), float), action.pose0.position, atol=1e-4)
    assert "takes no instruction" in text
    assert text.count("<image/png>") == 3  # decoded action, rotations grid, per-rotation bars


def test_results_notebook(kit, tmp_path, monkeypatch):
    text = run_notebook("results", tmp_path, {"CLIPORT_NB_RESULTS": str(kit / "exps")}, monkeypatch)
    assert "4 results files, 6 evaluated checkpoints" in text
    table = {}
    for m in re.finditer(r"^block-insertion\s+transporter\s+(\d+)\s+(val|test)\s+(\d+)\s+(\d+)\s+([\d.]+)"
                         r"\s+\[([\d.]+), ([\d.]+)\](  best)?$", text, re.M):
        table[(int(m[1]), m[2], int(m[3]))] = (int(m[4]), float(m[5]), bool(m[8]))
    expected = {}
    for exp, modes in RESULTS.items():
        demos = int(re.search(r"-n(\d+)-train", exp)[1])
        for mode, checkpoints in modes.items():
            means = {name: float(np.mean(r)) for name, r in checkpoints.items()}
            best = max(means, key=means.get)
            for name, rewards in checkpoints.items():
                step = int(re.search(r"steps=(\d+)", name)[1])
                expected[(demos, mode, step)] = (len(rewards), round(100 * means[name], 1), name == best)
    assert table == expected
    assert "Success score (%)" in text  # the `cliport results` summary table
    assert re.search(rf"{EXP} tr/loss: 2 points, last [\d.e-]+ at step 2", text)
    assert text.count("<image/png>") == 3  # by step, by demos, losses
