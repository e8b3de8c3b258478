"""Peak memory of a command and every process it starts (DataLoader workers, demo workers, forks).

    .venv/bin/python benchmarks/process_memory.py -- cliport train train.task=block-insertion \\
        train.agent=transporter train.n_demos=20 train.n_steps=40 train.num_workers=2 data_dir=data

Samples the process tree every ``--interval`` seconds (psutil) and prints, per process, its peak RSS
(resident pages, shared ones counted in every process that maps them), peak PSS (shared pages divided
among the processes that share them: the sum over processes is what the machine really holds) and peak
USS (pages only this process holds: what a worker costs on its own), then the tree's peak summed PSS.
Short-lived processes between two samples are missed; the command's exit status is returned.
"""

from __future__ import annotations

import argparse
import sys
import time

import psutil


def _role(proc: psutil.Process) -> str:
    try:
        cmd = proc.cmdline()
    except psutil.Error:
        return "?"
    text = " ".join(cmd)
    if "multiprocessing" in text or "spawn_main" in text or "forkserver" in text:
        return "worker (multiprocessing)"
    return " ".join(c.rsplit("/", 1)[-1] for c in cmd[:3])[:50]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    root = psutil.Popen(command)
    peaks: dict[int, dict] = {}
    tree_pss = 0
    t0 = time.perf_counter()
    while root.poll() is None:
        total = 0
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = [root]
        for proc in procs:
            try:
                info = proc.memory_full_info()
            except psutil.Error:
                continue
            row = peaks.setdefault(proc.pid, {"role": _role(proc), "rss": 0, "pss": 0, "uss": 0,
                                              "first_s": time.perf_counter() - t0})
            row["rss"] = max(row["rss"], info.rss)
            row["pss"] = max(row["pss"], info.pss)
            row["uss"] = max(row["uss"], info.uss)
            total += info.pss
        tree_pss = max(tree_pss, total)
        time.sleep(args.interval)
    wall = time.perf_counter() - t0
    print(f"\ncommand: {' '.join(command)}\nexit {root.returncode}, {wall:.1f} s, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, load {psutil.getloadavg()[0]:.1f}")
    print("pid | process | seen from s | peak RSS GB | peak PSS GB | peak USS GB")
    print("--- | --- | --- | --- | --- | ---")
    for pid, row in peaks.items():
        print(f"{pid} | {row['role']} | {row['first_s']:.1f} | {row['rss'] / 1e9:.2f} | "
              f"{row['pss'] / 1e9:.2f} | {row['uss'] / 1e9:.2f}")
    print(f"peak of the summed PSS over the tree: {tree_pss / 1e9:.2f} GB")
    return int(root.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
