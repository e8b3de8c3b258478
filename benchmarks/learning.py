"""Evidence that the agents learn: train on a few demos, evaluate on held-out test episodes, print a table.

Stages (each resumable, each a plain cliport command underneath):

    python benchmarks/learning.py demos  --root R [--tasks ...]   # 10 train, 5 val, 20 test demos per task
    python benchmarks/learning.py train  --root R [--steps 1000 --batch 8]
    python benchmarks/learning.py eval   --root R [--workers 2]
    python benchmarks/learning.py report --root R
    python benchmarks/learning.py curves --root R --plot docs/learning-curves.png   # loss curves

Simulation (demos, eval) runs anywhere; training wants a GPU for thousands of steps. ``export`` /
``import`` move the trained weights between machines as fp16 safetensors shards (small enough to carry).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

DEFAULT_TASKS = ["place-red-in-green", "block-insertion"]


def _cli(args: list[str]) -> None:
    from cliport.cli import main

    code = main(args)
    if code != 0:
        raise SystemExit(f"cliport {' '.join(args)} failed with {code}")


def demos(a) -> None:
    for task in a.tasks:
        for mode, n in (("train", a.n_demos), ("val", a.n_val), ("test", a.n_test)):
            _cli(["demos", f"task={task}", f"mode={mode}", f"n={n}", f"data_dir={a.root / 'data'}",
                  f"workers={a.workers}", "progress=false"])


def train(a) -> None:
    for task in a.tasks:
        t0 = time.perf_counter()
        _cli(["train", f"root_dir={a.root}", f"train.data_dir={(a.root / 'data').resolve()}",
              f"train.task={task}", f"train.agent={a.agent}", f"train.n_demos={a.n_demos}",
              f"train.n_steps={a.steps}", f"train.batch_size={a.batch}",
              f"train.num_workers={a.loader_workers}",
              f"train.save_steps=[{','.join(map(str, sorted({*a.save_steps, a.steps})))}]",
              f"train.last_every={a.last_every or a.steps}",
              "train.val_every=-1",
              f"train.n_val={a.n_val}", f"train.precision={a.precision}", "train.progress=false",
              f"train.allow_random_clip={str(a.allow_random_clip).lower()}"])
        dt = time.perf_counter() - t0
        record = a.root / f"train-{task}.json"
        if record.exists():  # a resumed run: add the earlier part's time
            before = json.loads(record.read_text())
            if before.get("agent") == a.agent and before.get("steps", a.steps) < a.steps:
                dt += before["seconds"]
        record.write_text(json.dumps(
            {"task": task, "agent": a.agent, "steps": a.steps, "batch": a.batch, "seconds": dt,
             "steps_per_s": a.steps / dt}))


def _ckpt(a, task: str) -> Path:
    return a.root / "exps" / f"{task}-{a.agent}-n{a.n_demos}-train" / "checkpoints" / "last.ckpt"


def export(a) -> None:
    """last.ckpt -> fp16 shards of at most --shard-mb MB under --out (weights only, no optimiser)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    a.out.mkdir(parents=True, exist_ok=True)
    for task in a.tasks:
        with safe_open(str(_ckpt(a, task)), framework="pt") as f:
            meta = dict(f.metadata())
            tensors = {k: f.get_tensor(k).half() if f.get_tensor(k).is_floating_point() else f.get_tensor(k)
                       for k in f.keys() if not k.startswith("train_state/")}
        shard, size, k = {}, 0, 0
        for key in sorted(tensors):
            shard[key] = tensors[key]
            size += tensors[key].numel() * tensors[key].element_size()
            if size > a.shard_mb * 2**20:
                save_file(shard, str(a.out / f"{task}-{k}.safetensors"), metadata=meta)
                shard, size, k = {}, 0, k + 1
        if shard:
            save_file(shard, str(a.out / f"{task}-{k}.safetensors"), metadata=meta)


def import_(a) -> None:
    """fp16 shards -> an fp32 agent checkpoint at the usual last.ckpt place."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    for task in a.tasks:
        tensors, meta = {}, {}
        for shard in sorted(a.src.glob(f"{task}-*.safetensors")):
            with safe_open(str(shard), framework="pt") as f:
                meta = dict(f.metadata())
                tensors.update({k: f.get_tensor(k).float() if f.get_tensor(k).is_floating_point()
                                else f.get_tensor(k) for k in f.keys()})
        dest = _ckpt(a, task)
        dest.parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(dest), metadata=meta)
        print(f"{task}: {len(tensors)} tensors -> {dest}")


def evaluate(a) -> None:
    for task in a.tasks:
        _cli(["eval", f"root_dir={a.root}", f"data_dir={(a.root / 'data').resolve()}", f"eval_task={task}",
              f"agent={a.agent}", "mode=test", f"n_demos={a.n_test}", f"train_demos={a.n_demos}",
              "checkpoint_type=last", "update_results=true", f"workers={a.workers}", "progress=false",
              f"allow_random_clip={str(a.allow_random_clip).lower()}"])


def report(a) -> None:
    from cliport.eval.stats import summarise

    print("| task | agent | demos | steps x batch | train s (steps/s) | test success (%) [95% CI] |")
    print("|---|---|---|---|---|---|")
    for task in a.tasks:
        res = (a.root / "exps" / f"{task}-{a.agent}-n{a.n_demos}-train" / "checkpoints"
               / f"{task}-{a.agent}-n{a.n_test}-results-test.json")
        tr = a.root / f"train-{task}.json"
        info = json.loads(tr.read_text()) if tr.exists() else {}
        if not res.exists():
            print(f"| {task} | {a.agent} | {a.n_demos} | - | - | not evaluated |")
            continue
        e = json.loads(res.read_text())["last.ckpt"]
        s = summarise([r for r, _ in e["episodes"]], n_repeats=e.get("n_repeats", 1)).as_dict()
        steps = f"{info.get('steps', '?')} x {info.get('batch', '?')}"
        speed = f"{info.get('seconds', float('nan')):.0f} ({info.get('steps_per_s', float('nan')):.2f})"
        print(f"| {task} | {a.agent} | {a.n_demos} | {steps} | {speed} | "
              f"{100 * e['mean_reward']:.0f} [{100 * s['ci_low']:.0f}, {100 * s['ci_high']:.0f}] |")


def _losses(csv_path: Path) -> dict[str, tuple[list[int], list[float]]]:
    """metrics.csv (step,key,value rows) -> {key: (steps, values)}."""
    import csv

    series: dict[str, tuple[list[int], list[float]]] = {}
    with csv_path.open() as f:
        for row in csv.DictReader(f):
            steps, values = series.setdefault(row["key"], ([], []))
            steps.append(int(row["step"]))
            values.append(float(row["value"]))
    return series


def curves(a) -> None:
    """Training loss curves of every run under --root, as cross-entropies in nats, to --plot."""
    import numpy as np
    from omegaconf import OmegaConf

    from cliport.geometry import HEIGHTMAP_SHAPE, N_ROTATIONS
    from cliport.viz.figures import plt, save_figure

    runs = sorted((a.root / "exps").glob("*-train/metrics.csv"))
    if not runs:
        raise SystemExit(f"no metrics.csv under {a.root / 'exps'}")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    h, w = HEIGHTMAP_SHAPE
    for csv_path in runs:
        series = _losses(csv_path)
        name = csv_path.parent.name.removesuffix("-train")
        cfg = csv_path.parent / "config.yaml"
        r = int(OmegaConf.load(cfg).train.n_rotations) if cfg.exists() else N_ROTATIONS
        # The original's loss is a mean over all logits; times their number it is the cross-entropy.
        for ax, key, n_logits in ((axes[0], "tr/pick_loss", h * w), (axes[1], "tr/place_loss", r * h * w)):
            if key not in series:
                continue
            steps, values = np.asarray(series[key][0]), np.asarray(series[key][1]) * n_logits
            k = max(1, min(25, len(values) // 10))
            smooth = np.convolve(values, np.ones(k) / k, mode="valid")
            ax.plot(steps[k - 1:], smooth, label=name)
    for ax, title, uniform in ((axes[0], "pick (attention)", np.log(h * w)),
                               (axes[1], "place (transport)", np.log(N_ROTATIONS * h * w))):
        ax.axhline(uniform, color="grey", lw=0.8, ls="--", label="uniform")
        ax.set(title=f"{title} cross-entropy", xlabel="optimiser step", ylabel="nats (moving mean)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    print(f"wrote {save_figure(fig, a.plot)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("stage", choices=["demos", "train", "export", "import", "eval", "report", "curves"])
    p.add_argument("--root", type=Path, default=Path("outputs/learning"))
    p.add_argument("--tasks", nargs="+", default=DEFAULT_TASKS)
    p.add_argument("--agent", default="transporter")
    p.add_argument("--n-demos", dest="n_demos", type=int, default=10)
    p.add_argument("--n-val", dest="n_val", type=int, default=5)
    p.add_argument("--n-test", dest="n_test", type=int, default=20)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--save-steps", dest="save_steps", type=int, nargs="*", default=[],
                   help="extra checkpoint steps (the last step is always saved)")
    p.add_argument("--precision", default="32")
    p.add_argument("--last-every", dest="last_every", type=int, default=0, help="save last.ckpt this often")
    p.add_argument("--loader-workers", dest="loader_workers", type=int, default=4)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--allow-random-clip", dest="allow_random_clip", action="store_true")
    p.add_argument("--out", type=Path, default=Path("outputs/learning/export"))
    p.add_argument("--src", type=Path, default=Path("outputs/learning/export"))
    p.add_argument("--plot", type=Path, default=Path("outputs/learning/curves.png"))
    p.add_argument("--shard-mb", dest="shard_mb", type=float, default=15.0)
    a = p.parse_args()
    {"demos": demos, "train": train, "export": export, "import": import_, "eval": evaluate,
     "report": report, "curves": curves}[a.stage](a)


if __name__ == "__main__":
    main()
