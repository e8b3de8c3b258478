"""Evaluate trained checkpoints in the simulator (the original's eval.py overrides).

usage: cliport eval eval_task=TASK agent=NAME mode=val|test n_demos=N train_demos=N
       checkpoint_type=val_missing|test_best|last|NAME n_repeats=R workers=W exp_folder=... data_dir=...
       [record.save_video=true] [update_results=true] [clip_weights=PATH | allow_random_clip=true]
"""

from __future__ import annotations

from cliport.config import parse_overrides, to_object
from cliport.eval.config import EvalConfig, resolve_paths


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    cfg: EvalConfig = to_object(parse_overrides(EvalConfig, argv))
    from tqdm import tqdm

    from cliport.eval.runner import evaluate

    bar = tqdm(desc=f"eval {cfg.eval_task} ({cfg.mode})", unit="ep", disable=not cfg.progress)

    def on_episode(job, reward, running_mean):
        bar.update(1)
        bar.set_postfix(seed=job.seed, reward=f"{reward:.2f}", mean=f"{running_mean:.3f}")

    on_frames = None
    if cfg.record.save_video:
        from cliport.data.video import write_episode_video

        video_dir = resolve_paths(cfg).video_path

        def on_frames(job, outcome):
            name = f"{cfg.eval_task}-{job.index + 1:06d}" + (f"-r{job.repeat}" if job.repeat else "")
            write_episode_video(video_dir / f"{name}.mp4", outcome.frames, outcome.frame_texts,
                                fps=cfg.record.fps, add_text=cfg.record.add_text, hold=1)

    produced = evaluate(cfg, on_episode=on_episode, on_frames=on_frames)
    bar.close()
    if not produced:
        print("nothing to evaluate: every selected checkpoint has results (update_results=true redoes them)")
    for name, entry in produced.items():
        s = entry["summary"]
        print(
            f"{name}: success {100 * entry['mean_reward']:.1f}% "
            f"(95% CI {100 * s['ci_low']:.1f}-{100 * s['ci_high']:.1f}, over {s['n']} {s['over']})"
        )
    return 0
