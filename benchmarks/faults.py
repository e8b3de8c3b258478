"""Fault campaign: kill -9 at random moments, disk full, read-only folders, concurrent runs.

    .venv/bin/python benchmarks/faults.py                        # everything, 20 kills per command
    .venv/bin/python benchmarks/faults.py --kills 3 --commands demos-w1,train --sections kill

**kill**: each command (``cliport demos`` with workers=1 and 2, ``cliport train``, ``cliport eval``) is run
``--kills`` times in a fresh folder, killed with SIGKILL (its whole process group, as ``kill -9`` of the
job) at a seeded random moment, then rerun with the same command to completion. Moments are either a
delay drawn uniformly over the uninterrupted run's wall time (start-up, mid-episode, mid-step), or a
named write moment (``cliport.faultpoints``: a temporary half written, just renamed, a log line half
appended, a checkpoint before its rename) chosen among those the uninterrupted run passed through.
Counted: files that fail to load after the kill or at the end (corrupt), reference episodes /
checkpoints / results missing at the end (lost), files or index entries the reference does not have
(orphan/dup), and whether the final folder equals the uninterrupted run's byte for byte (identical).

**disk**: each command writes into a small tmpfs that fills up, or that is mounted read-only: one error
line naming the path, exit code 2, no partial or temporary file, and the rerun succeeds (identical to the
reference) once space is back / the folder is writable. Needs root and ``mount``; skipped otherwise (the
test suite covers the same with a fake full disk).

**concurrency**: two evaluations of one experiment at once (the second is refused, the first's results
are intact), and evaluation running while training writes checkpoints (no checkpoint read half-written:
every result equals the reference evaluation of that checkpoint).

Small, fast configurations: block-insertion, 3 train / 2 val / 2 test demos; a transporter with
``resnet_base: 4``, 4 rotations, 6 steps, checkpoints at steps 3 and 6, last.ckpt every 2 steps; eval of
both checkpoints on 1 test episode.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TASK = "block-insertion"
DEMOS_N = 3
EXP = f"exps/{TASK}-transporter-n{DEMOS_N}-train"
TRAIN_ARGS = [
    "root_dir=.", f"train.task={TASK}", "train.agent=transporter", f"train.n_demos={DEMOS_N}",
    "train.n_steps=6", "train.batch_size=1", "train.save_steps=[3,6]", "train.last_every=2",
    "train.n_val=2", "train.val_every=-1", "train.progress=false", "train.n_rotations=4",
    "train.model_options={resnet_base: 4}", "train.precision=32",
]
EVAL_ARGS = [
    "root_dir=.", f"eval_task={TASK}", "agent=transporter", "mode=test", "n_demos=1",
    f"train_demos={DEMOS_N}", "checkpoint_type=val_missing", "progress=false",
]
RESULTS = f"{EXP}/checkpoints/{TASK}-transporter-n1-results-test.json"


def cliport(*args: str) -> list[str]:
    return [sys.executable, "-m", "cliport.cli", *args]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPORT_CRASH")}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", **extra)
    return env


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 900) -> tuple[int, str]:
    """Run to completion in its own session; (exit code, stderr)."""
    proc = subprocess.run(argv, cwd=cwd, env=env or _env(), capture_output=True, text=True, timeout=timeout,
                          start_new_session=True)
    return proc.returncode, proc.stderr


# ----------------------------------------------------------------------------------------------
# File checks


def tree(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under root (hidden ones included)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def loads(path: Path) -> bool:
    """True when a file under its final name is complete (parses in full)."""
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                for key in z.files:
                    z[key]
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".ckpt":
            from safetensors.torch import load_file

            load_file(str(path))
        elif path.suffix == ".yaml":
            import yaml

            yaml.safe_load(path.read_text())
        return True
    except Exception:  # noqa: BLE001 - any failure means corrupt
        return False


def corrupt_files(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(".") and not loads(p)]


def hidden_files(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in sorted(root.rglob(".*")) if p.is_file()]


# ----------------------------------------------------------------------------------------------
# The commands under test


@dataclass
class Command:
    name: str
    argv: list[str]
    output: str  # folder (relative to the trial root) compared with the reference
    prepare: Callable[[Path], None] = lambda root: None
    count_lost: Callable[[dict[str, bytes], dict[str, bytes]], tuple[int, int]] = field(
        default=lambda ref, got: (0, 0))


def _index(files: dict[str, bytes]) -> list[int]:
    raw = files.get("dataset.json")
    return [e["seed"] for e in json.loads(raw)["episodes"]] if raw else []


def _demos_lost(ref: dict[str, bytes], got: dict[str, bytes]) -> tuple[int, int]:
    want, have = _index(ref), _index(got)
    lost = sum(1 for s in want if s not in have or f"episodes/{s:06d}.npz" not in got)
    dup = len(have) - len(set(have))
    return lost, dup


def _train_lost(ref: dict[str, bytes], got: dict[str, bytes]) -> tuple[int, int]:
    return sum(1 for k in ref if k.endswith(".ckpt") and k not in got), 0


def _results_episodes(files: dict[str, bytes]) -> list[tuple[str, int]]:
    raw = files.get(RESULTS.removeprefix(EXP + "/"))
    if not raw:
        return []
    data = json.loads(raw)
    return [(name, i) for name, entry in data.items() for i in range(len(entry["episodes"]))]


def _eval_lost(ref: dict[str, bytes], got: dict[str, bytes]) -> tuple[int, int]:
    want, have = _results_episodes(ref), _results_episodes(got)
    return sum(1 for e in want if e not in have), max(0, len(have) - len(want))


def commands(base: Path) -> dict[str, Command]:
    data = base / "data"

    def with_checkpoints(root: Path) -> None:
        shutil.copytree(base / "train-ref" / EXP, root / EXP)

    demos = [f"task={TASK}", "mode=train", f"n={DEMOS_N}", "data_dir=data", "progress=false"]
    return {
        "demos-w1": Command("demos-w1", cliport("demos", *demos, "workers=1"), f"data/{TASK}-train",
                           count_lost=_demos_lost),
        "demos-w2": Command("demos-w2", cliport("demos", *demos, "workers=2"), f"data/{TASK}-train",
                           count_lost=_demos_lost),
        "train": Command("train", cliport("train", *TRAIN_ARGS, f"train.data_dir={data}"), EXP,
                         count_lost=_train_lost),
        "eval": Command("eval", cliport("eval", *EVAL_ARGS, f"data_dir={data}"), EXP,
                        prepare=with_checkpoints, count_lost=_eval_lost),
    }


def prepare_base(base: Path) -> None:
    """Datasets (train/val/test) and a trained reference experiment, shared by every trial."""
    base.mkdir(parents=True, exist_ok=True)
    for mode, n in (("train", DEMOS_N), ("val", 2), ("test", 2)):
        if not (base / "data" / f"{TASK}-{mode}" / "dataset.json").exists():
            rc, err = run(cliport("demos", f"task={TASK}", f"mode={mode}", f"n={n}", "data_dir=data",
                                  "progress=false"), base)
            assert rc == 0, err
    if not (base / "train-ref" / EXP / "checkpoints" / "last.ckpt").exists():
        (base / "train-ref").mkdir(exist_ok=True)
        rc, err = run(cliport("train", *TRAIN_ARGS, f"train.data_dir={base / 'data'}"), base / "train-ref")
        assert rc == 0, err


# ----------------------------------------------------------------------------------------------
# kill -9 campaign


@dataclass
class Reference:
    files: dict[str, bytes]
    seconds: float
    points: list[str]  # crash points passed, in order


def reference_run(cmd: Command, work: Path) -> Reference:
    root = work / f"{cmd.name}-ref"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    cmd.prepare(root)
    trace = work / f"{cmd.name}-trace.txt"
    trace.unlink(missing_ok=True)
    t0 = time.perf_counter()
    rc, err = run(cmd.argv, root, _env(CLIPORT_CRASH_TRACE=str(trace)))
    seconds = time.perf_counter() - t0
    assert rc == 0, f"{cmd.name} reference run failed: {err}"
    points = trace.read_text().split() if trace.exists() else []
    return Reference(tree(root / cmd.output), seconds, points)


@dataclass
class Trial:
    moment: str
    landed: bool
    corrupt: int
    lost: int
    orphan: int
    identical: bool
    rerun_rc: int
    note: str = ""


def kill_trial(cmd: Command, ref: Reference, work: Path, rng: np.random.Generator, i: int) -> Trial:
    root = work / f"{cmd.name}-{i:02d}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    cmd.prepare(root)
    env = _env()
    use_point = bool(ref.points) and rng.random() < 0.5
    if use_point:
        names = sorted(set(ref.points))
        name = names[int(rng.integers(len(names)))]
        count = ref.points.count(name)
        if cmd.name == "demos-w2" and name in ("write", "renamed"):
            count = max(1, (count + 1) // 2)  # episode writes are shared between two worker processes
        k = int(rng.integers(1, count + 1))
        env["CLIPORT_CRASH_AT"] = f"{name}:{k}:group"
        moment, delay = f"{name}#{k}", ref.seconds * 3
    else:
        delay = float(rng.uniform(0.0, ref.seconds))
        moment = f"t={delay:.1f}s"
    proc = subprocess.Popen(cmd.argv, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with contextlib.suppress(ProcessLookupError):  # workers orphaned by a parent-only crash point
        os.killpg(proc.pid, signal.SIGKILL)
    landed = proc.returncode == -signal.SIGKILL
    note = "" if proc.returncode in (0, -signal.SIGKILL) else proc.stderr.read().decode()[-300:]
    proc.stderr.close()
    out = root / cmd.output
    corrupt = set(corrupt_files(out)) if out.exists() else set()
    rc, err = run(cmd.argv, root)
    if rc != 0:
        note += err[-300:]
    got = tree(out)
    corrupt |= set(corrupt_files(out))
    lost, dup = cmd.count_lost(ref.files, got)
    orphan = sum(1 for k in got if k not in ref.files) + dup
    identical = got == ref.files
    if identical:
        shutil.rmtree(root, ignore_errors=True)
    return Trial(moment, landed, len(corrupt), lost, orphan, identical, rc, note.strip())


def kill_campaign(names: list[str], kills: int, seed: int, work: Path, base: Path) -> list[dict]:
    rows = []
    cmds = commands(base)
    for ci, name in enumerate(names):
        cmd = cmds[name]
        t0 = time.perf_counter()
        ref = reference_run(cmd, work)
        if name == "demos-w2" and (work / "demos-w1-ref").exists():
            same = tree(work / "demos-w1-ref" / cmd.output) == ref.files
            print(f"  demos workers=2 reference equals workers=1 reference: {same}", flush=True)
        rng = np.random.default_rng([seed, ci])
        trials = []
        for i in range(kills):
            trial = kill_trial(cmd, ref, work, rng, i)
            trials.append(trial)
            print(f"  {name} kill {i + 1}/{kills} at {trial.moment}: landed={trial.landed} "
                  f"corrupt={trial.corrupt} lost={trial.lost} orphan={trial.orphan} "
                  f"identical={trial.identical} {trial.note}", flush=True)
        rows.append(dict(
            command=name, kills=f"{sum(t.landed for t in trials)}/{kills}",
            corrupt=sum(t.corrupt for t in trials), lost=sum(t.lost for t in trials),
            orphan_dup=sum(t.orphan for t in trials),
            identical=f"{sum(t.identical for t in trials)}/{kills}",
            seconds=f"{time.perf_counter() - t0:.0f}",
            moments=", ".join(t.moment for t in trials)))
    return rows


# ----------------------------------------------------------------------------------------------
# Disk full and read-only (tmpfs)


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True,
                   capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def remount(path: Path, opts: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{opts}", str(path)], check=True, capture_output=True)


def can_mount(work: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    try:
        with tmpfs(work / "probe", "64k"):
            return True
    except (subprocess.CalledProcessError, OSError):
        return False


def _fill(root: Path, leave: int) -> Path:
    """Fill the file system of ``root`` until ``leave`` bytes are free; returns the filler file."""
    filler = root / "filler.bin"
    free = shutil.disk_usage(root).free - leave
    with filler.open("wb") as f:
        with contextlib.suppress(OSError):
            f.write(b"\0" * max(0, free))
    return filler


def disk_cases(work: Path, base: Path, refs: dict[str, dict[str, bytes]]) -> list[dict]:
    cmds = commands(base)
    rows = []
    # (command, how to make it fail): leave a few KiB free (full) or mount read-only.
    leaves = {"demos-w1": 30_000, "train": 2_000_000, "eval": 3_000}
    for name in ("demos-w1", "train", "eval"):
        cmd = cmds[name]
        for kind in ("full", "read-only"):
            mnt = work / f"mnt-{name}-{kind}"
            with tmpfs(mnt, "16m"):
                cmd.prepare(mnt)
                filler = None
                if kind == "full":
                    filler = _fill(mnt, leaves[name])
                else:
                    remount(mnt, "ro")
                rc, err = run(cmd.argv, mnt)
                lines = [ln for ln in err.splitlines() if ln.strip() and "precision" not in ln]
                message = lines[-1] if lines else ""
                partial = hidden_files(mnt) + corrupt_files(mnt)
                if filler is not None:
                    filler.unlink()
                else:
                    remount(mnt, "rw")
                rc2, err2 = run(cmd.argv, mnt)
                got = tree(mnt / cmd.output)
                rows.append(dict(
                    command=name, fault=kind, exit=rc, one_line=len(lines) == 1 and "Traceback" not in err,
                    names_path=str(mnt) in message or f"cannot write {cmd.output}" in message,
                    partial=len(partial), rerun_ok=rc2 == 0,
                    identical=name not in refs or got == refs[name], message=message[:150]))
                print(f"  {name} {kind}: exit {rc}, {message[:160]} | rerun {rc2} {err2[-200:]}", flush=True)
    return rows


# ----------------------------------------------------------------------------------------------
# Concurrency


def concurrency_cases(work: Path, base: Path, refs: dict[str, dict[str, bytes]]) -> list[dict]:
    cmds = commands(base)
    rows = []
    # 1. two evaluations of one experiment at once
    root = work / "conc-eval"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    cmds["eval"].prepare(root)
    first = subprocess.Popen(cmds["eval"].argv, cwd=root, env=_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, start_new_session=True)
    lock = root / EXP / "checkpoints" / f".{Path(RESULTS).name}.lock"
    deadline = time.monotonic() + 300
    while not lock.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    rc2, err2 = run(cmds["eval"].argv, root)
    first.wait()
    err1 = first.stderr.read().decode()
    first.stderr.close()
    got = tree(root / EXP)
    ok = first.returncode == 0 and rc2 == 2 and ("eval" not in refs or got == refs["eval"])
    rows.append(dict(case="two evals, one experiment", result="ok" if ok else "FAILED",
                     detail=f"first exit {first.returncode}, second exit {rc2}: {err2.strip()[-160:]} "
                            f"{err1[-100:]}"))
    # 2. evaluation while training writes checkpoints
    root = work / "conc-train-eval"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    train = subprocess.Popen(cmds["train"].argv, cwd=root, env=_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, start_new_session=True)
    evals, errors = 0, []
    ckpts = root / EXP / "checkpoints"
    reads = {"ok": 0, "failed": []}

    def hammer() -> None:
        """Select and read checkpoints as fast as possible while training writes them (in this process)."""
        from cliport.agents.checkpoint import read_checkpoint
        from cliport.eval.results import select_checkpoints

        while train.poll() is None:
            if not ckpts.is_dir():
                time.sleep(0.01)
                continue
            for path in select_checkpoints("val_missing", ckpts, ckpts, TASK, {}) + [ckpts / "last.ckpt"]:
                if path.exists():
                    try:
                        read_checkpoint(path)
                        reads["ok"] += 1
                    except Exception as err:  # noqa: BLE001 - every failure is reported
                        reads["failed"].append(f"{path.name}: {err}"[:150])

    reader = threading.Thread(target=hammer)
    reader.start()
    while True:
        running = train.poll() is None
        if ckpts.is_dir() and any(p.name.startswith("steps=") for p in ckpts.iterdir()):
            rc, err = run(cmds["eval"].argv, root)
            evals += 1
            if rc != 0:
                errors.append(err.strip()[-200:])
        else:
            time.sleep(0.05)
        if not running:
            break
    train.wait()
    reader.join()
    train.stderr.close()
    errors += reads["failed"]
    results = json.loads((root / RESULTS).read_text()) if (root / RESULTS).exists() else {}
    want = json.loads(refs["eval"][RESULTS.removeprefix(EXP + "/")]) if "eval" in refs else results
    same = results == want
    ok = train.returncode == 0 and not errors and same
    rows.append(dict(case="eval while train saves", result="ok" if ok else "FAILED",
                     detail=f"train exit {train.returncode}, {evals} evals and {reads['ok']} checkpoint "
                            f"reads during training, errors {errors[:2]}, "
                            f"results equal reference: {same}"))
    return rows


# ----------------------------------------------------------------------------------------------


def table(rows: list[dict], keys: list[str]) -> str:
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILL trials per command")
    parser.add_argument("--commands", default="demos-w1,demos-w2,train,eval")
    parser.add_argument("--sections", default="kill,disk,concurrency")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", default="", help="work folder (default: a temporary one, removed)")
    args = parser.parse_args()
    names = [n for n in args.commands.split(",") if n]
    sections = set(args.sections.split(","))
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="cliport-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "base"
    now = dt.datetime.now(dt.UTC)
    print(f"{now:%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}, work {work}", flush=True)
    prepare_base(base)
    refs: dict[str, dict[str, bytes]] = {}
    if "kill" in sections:
        rows = kill_campaign(names, args.kills, args.seed, work, base)
        keys = ["command", "kills", "corrupt", "lost", "orphan_dup", "identical", "seconds"]
        print("\n## kill -9\n" + table(rows, keys), flush=True)
        for r in rows:
            print(f"  {r['command']} moments: {r['moments']}")
    cmds = commands(base)
    for name in ("demos-w1", "train", "eval"):
        if (work / f"{name}-ref").exists():
            refs[name] = tree(work / f"{name}-ref" / cmds[name].output)
    for name in ("demos-w1", "train", "eval") if sections & {"disk", "concurrency"} else ():
        if name not in refs:
            refs[name] = reference_run(cmds[name], work).files
    if "disk" in sections:
        if can_mount(work):
            rows = disk_cases(work, base, refs)
            keys = ["command", "fault", "exit", "one_line", "names_path", "partial", "rerun_ok", "identical",
                    "message"]
            print("\n## disk full / read-only (tmpfs)\n" + table(rows, keys), flush=True)
        else:
            print("\n## disk full / read-only: skipped (needs root and mount; the tests fake a full disk)")
    if "concurrency" in sections:
        rows = concurrency_cases(work, base, refs)
        print("\n## concurrency\n" + table(rows, ["case", "result", "detail"]), flush=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
