"""Two `cliport demos` processes on one dataset folder: the second refuses; a killed run's lock is stale.

Real processes of the console module (``python -m cliport.cli demos``) with the stand-in runner, so the
``flock`` locks are exercised between processes as users would hit them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cliport.data.config import DemosConfig
from cliport.data.generate import generate
from cliport.data.store import read_meta

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
RUNNER = "standin_runner:make_runner"


def _spawn(data_dir: Path, n: int, delay: float, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=f"{HERE}{os.pathsep}{SRC}", STANDIN_DELAY=str(delay))
    env.pop("CLIPORT_DEBUG", None)
    args = [sys.executable, "-m", "cliport.cli", "demos", f"n={n}", "task=standin", f"data_dir={data_dir}",
            f"runner={RUNNER}", "progress=false", *extra]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_first_attempt(folder: Path, proc: subprocess.Popen, log: str = "main.log") -> None:
    path = folder / "attempts" / log
    deadline = time.monotonic() + 120
    while not (path.exists() and path.stat().st_size) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _wait_for_lock(folder: Path, proc: subprocess.Popen) -> None:
    lock = folder / ".lock-main"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if lock.exists() and lock.read_text() == f"{proc.pid}\n":
            return
        time.sleep(0.01)
    raise AssertionError("the first run never took its lock")


def test_second_run_on_the_same_folder_refuses(tmp_path):
    folder = tmp_path / "standin-train"
    first = _spawn(tmp_path, 6, 30.0)  # 30 s per step: still running whatever the machine's load
    try:
        _wait_for_lock(folder, first)
        second = _spawn(tmp_path, 6, 0.0)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 2
        assert err.strip() == (
            f"cliport demos: error: {folder} is being written by another cliport demos run (process "
            f"{first.pid}, lock .lock-main); wait for it to finish, or pass another data_dir= or shard="
        )
        assert not (folder / "attempts").exists()  # the refused run wrote nothing
    finally:
        first.kill()
        first.communicate()
    rerun = _spawn(tmp_path, 6, 0.0)  # the first run's lock died with it
    _, err = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, err
    reference = generate(DemosConfig(data_dir=str(tmp_path / "ref"), task="standin", n=6, runner=RUNNER,
                                     progress=False))
    assert _files(folder) == _files(reference.folder)  # complete, and no lock file left behind
    assert read_meta(folder).n == 6


def test_lock_of_a_killed_run_is_stale_and_the_rerun_completes(tmp_path):
    folder = tmp_path / "standin-train"
    proc = _spawn(tmp_path, 6, 0.05)
    _wait_for_first_attempt(folder, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert (folder / ".lock-main").read_text() == f"{proc.pid}\n"  # left behind by the killed run
    rerun = _spawn(tmp_path, 6, 0.0)
    _, err = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, err
    reference = generate(DemosConfig(data_dir=str(tmp_path / "ref"), task="standin", n=6, runner=RUNNER,
                                     progress=False))
    assert _files(folder) == _files(reference.folder)


def test_two_shards_write_side_by_side(tmp_path):
    folder = tmp_path / "standin-val"
    shards = [_spawn(tmp_path, 5, 0.03, "mode=val", f"shard={i}/2") for i in range(2)]
    for proc in shards:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    merged = generate(DemosConfig(data_dir=str(tmp_path), task="standin", mode="val", n=5, runner=RUNNER,
                                  progress=False, merge=True))
    whole = generate(DemosConfig(data_dir=str(tmp_path / "ref"), task="standin", mode="val", n=5,
                                 runner=RUNNER, progress=False))
    assert merged.selected == whole.selected
    assert {k: v for k, v in _files(folder).items() if k.startswith("episodes/")} == {
        k: v for k, v in _files(whole.folder).items() if k.startswith("episodes/")}
    assert not list(folder.glob(".lock*"))


def test_damaged_episode_message_says_what_fixes_it(tmp_path):
    """The corpus's advice for a bad episode file ("delete it and rerun ...") does regenerate it."""
    import pytest

    from cliport.data.episode import EpisodeFileError

    cfg = DemosConfig(data_dir=str(tmp_path), task="standin", n=4, runner=RUNNER, progress=False)
    folder = generate(cfg).folder
    before = _files(folder)
    victim = folder / read_meta(folder).episodes[1].file
    victim.write_bytes(victim.read_bytes()[:500])  # damaged on disk after the run
    with pytest.raises(EpisodeFileError, match="delete it and rerun the `cliport demos` command"):
        generate(cfg)  # the rerun re-indexes and refuses the damaged file, naming it
    victim.unlink()
    again = generate(cfg)
    assert again.attempts == 1 and _files(folder) == before
