"""Train an agent on stored demonstrations (the original's train.py overrides).

usage: cliport train train.task=TASK train.agent=NAME train.n_demos=N train.n_steps=S
       [train.batch_size=B] [train.num_workers=W] [train.devices=D] [train.precision=auto|32|bf16|16]
       [train.exp_folder=exps] [train.data_dir=data] [train.lr=1e-4] [dataset.type=single|multi]
       [train.clip_weights=PATH | train.allow_random_clip=true] [root_dir=.]
Resumes automatically from {train_dir}/checkpoints/last.ckpt (train.load_from_last_ckpt=false restarts).
"""

from __future__ import annotations

from cliport.config import parse_overrides, to_object
from cliport.train.config import TrainConfig, train_dir


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    cfg: TrainConfig = to_object(parse_overrides(TrainConfig, argv))
    from cliport.train.run import train

    result = train(cfg)
    where = train_dir(cfg) / "checkpoints"
    resumed = f" (resumed from step {result.start_step})" if result.resumed_from else ""
    print(f"trained {cfg.train.agent} on {cfg.train.task} to step {result.end_step}{resumed}; "
          f"checkpoints in {where}")
    return 0
