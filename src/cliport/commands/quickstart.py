"""Run a small end-to-end job on the CPU: demos -> train -> eval -> results table, affordances, a video.

usage: cliport quickstart [out=outputs/quickstart] [task=put-block-in-bowl-seen-colors] [n_train=10]
       [n_val=2] [n_test=5] [n_steps=30] [batch_size=1] [workers=2] [agent=auto]

agent=auto uses `cliport` when CLIP weights are available (clip_weights=PATH or $CLIPORT_CLIP_WEIGHTS),
otherwise the `transporter` agent, and says so. Every stage resumes if the command is run again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cliport.config import parse_overrides, to_object


@dataclass
class QuickstartConfig:
    out: str = "outputs/quickstart"
    task: str = "put-block-in-bowl-seen-colors"
    n_train: int = 10
    n_val: int = 2
    n_test: int = 5
    n_steps: int = 30  # a smoke run: ~9 s per step on 2 CPU threads; real training wants a GPU
    batch_size: int = 1
    workers: int = 2
    agent: str = "auto"
    clip_weights: str = ""
    n_rotations: int = 36
    model_options: dict[str, Any] = field(default_factory=dict)
    video: bool = True
    #: A video frame every this many physics steps (the original's 5 makes evaluation several times slower).
    video_every: int = 40
    progress: bool = True


def _say(msg: str) -> None:
    print(f"\n== quickstart: {msg}", flush=True)


def choose_agent(cfg: QuickstartConfig) -> tuple[str, str]:
    """(agent, clip_weights): cliport with real CLIP weights if present, else transporter."""
    if cfg.agent != "auto":
        return cfg.agent, cfg.clip_weights
    weights = cfg.clip_weights or os.environ.get("CLIPORT_CLIP_WEIGHTS", "")
    if weights and Path(weights).is_file():
        return "cliport", weights
    print("No CLIP weights found (clip_weights=PATH or $CLIPORT_CLIP_WEIGHTS; `cliport download-clip` "
          "fetches them): using the `transporter` agent, which needs no pretrained weights.")
    return "transporter", ""


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    cfg: QuickstartConfig = to_object(parse_overrides(QuickstartConfig, argv))
    from cliport.cli import main as cli

    out = Path(cfg.out)
    data = out / "data"
    agent, weights = choose_agent(cfg)
    progress = f"progress={str(cfg.progress).lower()}"

    for mode, n in (("train", cfg.n_train), ("val", cfg.n_val), ("test", cfg.n_test)):
        _say(f"{n} oracle demonstrations of {cfg.task} ({mode})")
        _check(cli(["demos", f"task={cfg.task}", f"mode={mode}", f"n={n}", f"data_dir={data}",
                    f"workers={cfg.workers}", progress]))

    _say(f"training {agent} for {cfg.n_steps} steps")
    half = max(1, cfg.n_steps // 2)
    opts = "{" + ", ".join(f"{k}: {v}" for k, v in cfg.model_options.items()) + "}"
    train_args = [
        f"root_dir={out}", f"train.data_dir={data.resolve()}", f"train.task={cfg.task}",
        f"train.agent={agent}",
        f"train.n_demos={cfg.n_train}", f"train.n_steps={cfg.n_steps}", f"train.batch_size={cfg.batch_size}",
        f"train.save_steps=[{half},{cfg.n_steps}]", f"train.last_every={half}", "train.val_every=-1",
        f"train.n_val={max(1, cfg.n_val)}", f"train.n_rotations={cfg.n_rotations}",
        f"train.model_options={opts}", f"train.progress={str(cfg.progress).lower()}",
    ]
    if weights:
        train_args.append(f"train.clip_weights={weights}")
    _check(cli(["train", *train_args]))

    _say(f"evaluating the last checkpoint on {cfg.n_test} test episodes")
    eval_args = [
        f"root_dir={out}", f"data_dir={data.resolve()}", f"eval_task={cfg.task}", f"agent={agent}",
        "mode=test", f"n_demos={cfg.n_test}", f"train_demos={cfg.n_train}", "checkpoint_type=last",
        "update_results=true", f"workers={min(cfg.workers, cfg.n_test)}", progress,
        f"record.save_video={str(cfg.video).lower()}", f"record.every={cfg.video_every}",
    ]
    if weights:
        eval_args.append(f"clip_weights={weights}")
    _check(cli(["eval", *eval_args]))

    _say("results")
    exp = out / "exps" / f"{cfg.task}-{agent}-n{cfg.n_train}-train"
    _check(cli(["results", str(exp), "--plot", str(out / "results.png")]))

    _say("affordances of the trained agent on the first test episode")
    from cliport.data.store import read_meta

    test_folder = data / f"{cfg.task}-test"
    first = test_folder / read_meta(test_folder).episodes[0].file
    aff_args = [str(exp / "checkpoints" / "last.ckpt"), str(first), "--out", str(out / "affordances.png")]
    if weights:
        aff_args += ["--clip-weights", weights]
    _check(cli(["affordances", *aff_args]))
    videos = sorted((exp / "videos").glob("*.mp4")) if cfg.video else []
    print(f"\nDone. Outputs under {out}: results.png, affordances.png"
          + (f", {len(videos)} videos in {exp / 'videos'}" if videos else "") + ".")
    return 0


def _check(code: int) -> None:
    if code != 0:
        raise SystemExit(code)
