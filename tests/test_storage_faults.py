"""Regression cases of the fault campaign (benchmarks/faults.py) that run in seconds.

A full disk is faked by a write that raises ENOSPC part-way; kills use the crash points of
``cliport.faultpoints`` in a child process. Each case checks the exact one-line error, that nothing
partial or temporary is left, and that the next write succeeds.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from cliport.agents.checkpoint import pinned, write_safetensors
from cliport.atomic import (
    StorageError,
    append_line,
    remove_stale_temporaries,
    write_bytes_atomic,
)
from cliport.data.store import append_attempt, logged_attempts
from cliport.eval.lock import BusyError, lock_path, results_lock
from cliport.eval.progress_log import EpisodeLog
from cliport.eval.results import select_checkpoints, write_results
from cliport.train.logging import MetricLogger

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _enospc_after(monkeypatch, n_bytes: int) -> None:
    """Make os.write / file writes fail with ENOSPC once ``n_bytes`` were written (a filling disk)."""
    budget = {"left": n_bytes}
    real_write = os.write

    def write(fd, data):
        if budget["left"] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        chunk = bytes(data[: budget["left"]])
        budget["left"] -= len(chunk)
        return real_write(fd, chunk)

    monkeypatch.setattr(os, "write", write)


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_full_disk_atomic_write_names_the_path_and_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "dataset.json"
    write_bytes_atomic(target, b"old")

    def failing(f):
        f.write(b"x" * 10)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a full disk does on write/flush

    from cliport.atomic import write_atomic

    with pytest.raises(StorageError) as info:
        write_atomic(target, failing)
    assert str(info.value) == (f"cannot write {target}: No space left on device; free some space there "
                               "(or choose another folder) and rerun the same command")
    assert info.value.errno == errno.ENOSPC
    assert _visible(tmp_path) == ["dataset.json"] and target.read_bytes() == b"old"
    write_bytes_atomic(target, b"new")  # space is back
    assert target.read_bytes() == b"new"


def test_read_only_folder_is_one_line_naming_the_path(tmp_path, monkeypatch):
    import tempfile

    def refuse(*_, **__):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(StorageError, match=r"^cannot write .*x\.json: Read-only file system; that file "
                                           r"system is read-only; choose a writable folder$"):
        write_bytes_atomic(tmp_path / "x.json", b"{}")
    assert _visible(tmp_path) == []


def test_full_disk_append_leaves_no_partial_line(tmp_path, monkeypatch):
    log = tmp_path / "attempts" / "main.log"
    append_attempt(log, 0, True, 1.0)
    _enospc_after(monkeypatch, 4)  # "2 fa" fits, the rest does not
    with pytest.raises(StorageError, match=f"cannot write {log}: No space left on device"):
        append_attempt(log, 2, False, 0.0)
    monkeypatch.undo()
    assert log.read_text() == "0 ok 1.0\n"
    append_attempt(log, 2, False, 0.0)
    assert log.read_text() == "0 ok 1.0\n2 fail 0.0\n"


def test_append_after_a_torn_line_is_not_glued_to_it(tmp_path):
    log = tmp_path / "attempts" / "main.log"
    log.parent.mkdir()
    log.write_text("0 ok 1.0\n1")  # a writer killed after the first byte of "12 fail 0.0"
    append_attempt(log, 4, False, 0.0)
    assert log.read_text() == "0 ok 1.0\n1\n4 fail 0.0\n"
    assert logged_attempts(tmp_path) == {0: True, 4: False}
    path = tmp_path / "p.jsonl"
    path.write_text('{"checkpoint": "a", "repeat": 0, "index": 0, "reward": 1.0}\n{"checkp')
    EpisodeLog(path).append({"checkpoint": "a", "repeat": 0, "index": 1, "reward": 0.5})
    assert sorted(EpisodeLog(path).done("a")) == [(0, 0), (0, 1)]


def test_results_write_on_full_disk_keeps_previous_results(tmp_path, monkeypatch):
    path = tmp_path / "t-a-n1-results-test.json"
    write_results(path, {"last.ckpt": {"episodes": [[1.0, {}]], "mean_reward": 1.0}})
    before = path.read_bytes()
    def fsync(fd):  # delayed allocation (NFS, ext4 with quotas): the disk fills at sync time
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(StorageError, match=f"^cannot write {path}: No space left on device"):
        write_results(path, {"steps=1.ckpt": {"episodes": [], "mean_reward": 0.0}})
    monkeypatch.undo()
    assert path.read_bytes() == before and _visible(tmp_path) == [path.name]


def test_checkpoint_write_on_full_disk(tmp_path, monkeypatch):

    def full(*_, **__):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("cliport.agents.checkpoint.write_safetensors_to", full)
    target = tmp_path / "checkpoints" / "last.ckpt"
    with pytest.raises(StorageError, match=f"^cannot write {target}: No space left on device"):
        write_safetensors(target, {"w": torch.ones(2)}, {"format": "x"})
    assert _visible(target.parent) == []
    monkeypatch.undo()
    write_safetensors(target, {"w": torch.ones(2)}, {"format": "x"})
    from cliport.atomic import FILE_MODE

    assert target.stat().st_mode & 0o777 == FILE_MODE  # not mkstemp's 0o600: co-workers can read it


def test_checkpoint_temporaries_are_never_selected_for_evaluation(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for name in ("steps=00003-val_loss=0.1.ckpt", ".tmp-steps=00006-val_loss=0.2.ckpt.a1b2",
                 ".steps=00006-val_loss=0.2.ckpt.x9.tmp", ".t-a-n1-results-val.json.lock"):
        (folder / name).write_bytes(b"")
    chosen = select_checkpoints("val_missing", folder, folder, "t", {})
    assert [p.name for p in chosen] == ["steps=00003-val_loss=0.1.ckpt"]
    with pytest.raises(Exception, match="no checkpoint .* matches checkpoint_type='00006'"):
        select_checkpoints("00006", folder, folder, "t", {})


def test_pinned_reads_one_file_even_if_it_is_replaced(tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = tmp_path / "last.ckpt"
    write_safetensors(path, {"w": torch.zeros(3)}, {"train_step": "2"})
    with pinned(path) as name:
        with safe_open(name, framework="pt") as f:
            step = f.metadata()["train_step"]
        write_safetensors(path, {"w": torch.ones(3)}, {"train_step": "4"})  # the trainer saves meanwhile
        weights = load_file(name)["w"]
    assert step == "2" and torch.equal(weights, torch.zeros(3))


def test_second_evaluation_of_one_results_file_is_refused(tmp_path):
    results = tmp_path / "t-a-n1-results-test.json"
    with results_lock(results):
        assert lock_path(results).exists()
        with pytest.raises(BusyError) as info:
            with results_lock(results):
                pass
        pid = os.getpid()
        assert str(info.value) == (f"another `cliport eval` (pid {pid}) is writing {results}; wait for it "
                                   "to finish, or evaluate into another root_dir")
    assert not lock_path(results).exists()
    with results_lock(results):  # free again
        pass


def test_lock_on_a_full_disk_still_locks(tmp_path, monkeypatch):
    """Regression (campaign, eval on a full tmpfs): writing the holder's pid failed with a bare ENOSPC."""
    def full(*_):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwrite", full)
    results = tmp_path / "r-results-test.json"
    with results_lock(results):
        with pytest.raises(BusyError, match=r"another `cliport eval` \(pid \?\) is writing"):
            with results_lock(results):
                pass


def test_lock_on_a_read_only_folder_names_the_results_file(tmp_path, monkeypatch):
    real_open = os.open

    def read_only(path, flags, *args):
        if str(path).endswith(".lock"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    results = tmp_path / "r-results-test.json"
    with pytest.raises(StorageError, match=f"^cannot write {results}: Read-only file system"):
        with results_lock(results):
            pass


def test_lock_of_a_killed_evaluation_does_not_block_its_rerun(tmp_path):
    results = tmp_path / "r-results-test.json"
    code = (f"import os, signal; from cliport.eval.lock import results_lock\n"
            f"with results_lock({str(results)!r}):\n    os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=SRC))
    assert proc.returncode == -signal.SIGKILL and lock_path(results).exists()
    with results_lock(results):
        pass


def test_crash_point_kills_mid_write_and_the_rerun_cleans_up(tmp_path):
    target = tmp_path / "episodes" / "000000.npz"
    code = ("import sys; from cliport.atomic import write_bytes_atomic\n"
            "write_bytes_atomic(sys.argv[1], b'x' * 1000)\n")
    env = dict(os.environ, PYTHONPATH=SRC, CLIPORT_CRASH_AT="write:1")
    proc = subprocess.run([sys.executable, "-c", code, str(target)], env=env)
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists() and len(list(target.parent.glob(".tmp-000000.npz.*"))) == 1
    assert remove_stale_temporaries(target.parent) == 1 and _visible(target.parent) == []


def test_checkpoint_bytes_do_not_depend_on_the_process(tmp_path):
    """Regression (campaign: train resumed = reference weights but other bytes): safetensors writes its
    metadata in hash order, which differs between processes; ours are sorted."""
    code = ("import sys, torch; from cliport.agents.checkpoint import write_safetensors\n"
            "write_safetensors(sys.argv[1], {'w': torch.arange(4.0)}, {k: k * 3 for k in 'abcdefgh'})\n")
    for k in range(3):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / f"{k}.ckpt")], check=True,
                       env=dict(os.environ, PYTHONPATH=SRC, PYTHONHASHSEED=str(k)))
    blobs = {(tmp_path / f"{k}.ckpt").read_bytes() for k in range(3)}
    assert len(blobs) == 1
    from safetensors import safe_open

    with safe_open(str(tmp_path / "0.ckpt"), framework="pt") as f:
        assert f.metadata() == {k: k * 3 for k in "abcdefgh"}
        assert torch.equal(f.get_tensor("w"), torch.arange(4.0))


def test_metrics_csv_is_cut_back_to_the_resumed_step(tmp_path):
    logger = MetricLogger(tmp_path, tensorboard=False)
    for step in (1, 2, 3):
        logger.log(step, {"tr/loss": step / 10})
    with (tmp_path / "metrics.csv").open("a") as f:
        f.write("4,tr/lo")  # torn by a kill
    reference = MetricLogger(tmp_path / "ref", tensorboard=False)
    for step in (1, 2):
        reference.log(step, {"tr/loss": step / 10})
    logger.truncate_after(2)
    assert (tmp_path / "metrics.csv").read_bytes() == (tmp_path / "ref" / "metrics.csv").read_bytes()


def test_cli_prints_one_line_for_a_full_disk(monkeypatch, capsys):
    from cliport import cli

    class Module:
        @staticmethod
        def main(argv):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/x.npz")

    monkeypatch.setattr(cli.importlib, "import_module", lambda name: Module)
    monkeypatch.delenv("CLIPORT_DEBUG", raising=False)
    assert cli.main(["demos"]) == 2
    err = capsys.readouterr().err
    assert err == ("cliport demos: error: cannot write /data/x.npz: No space left on device; free some space "
                   "there (or choose another folder) and rerun the same command\n")


def test_concurrent_appends_from_threads_stay_whole_lines(tmp_path):
    path = tmp_path / "log.jsonl"

    def worker(k: int) -> None:
        for i in range(50):
            append_line(path, json.dumps({"k": k, "i": i}))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted((r["k"], r["i"]) for r in records) == [(k, i) for k in range(4) for i in range(50)]
