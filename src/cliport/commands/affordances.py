"""Draw a checkpoint's pick and place heatmaps for one step of a stored episode.

usage: cliport affordances CHECKPOINT EPISODE_FILE [--step K] [--out OUT.png]
       [--clip-weights PATH | --allow-random-clip]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cliport.errors import CliportError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cliport affordances", description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("episode", help="an episode file of a cliport dataset")
    parser.add_argument("--step", type=int, default=0, help="entry of the episode (default 0)")
    parser.add_argument("--out", default=None, help="PNG to write (default: affordances-EPISODE-STEP.png)")
    parser.add_argument("--clip-weights", default=None)
    parser.add_argument("--allow-random-clip", action="store_true")
    args = parser.parse_args(argv)

    from cliport.agents.checkpoint import load_agent
    from cliport.data.episode import load_episode
    from cliport.env.heightmap import network_input
    from cliport.viz.affordance import draw_affordances

    episode = load_episode(args.episode)
    if not 0 <= args.step < episode.n_actions:
        raise CliportError(f"--step must be in 0..{episode.n_actions - 1} for {args.episode}")
    policy = load_agent(args.checkpoint, clip_weights=args.clip_weights,
                        allow_random_encoders=args.allow_random_clip)
    image = network_input(episode.color[args.step], episode.height[args.step])
    instruction = episode.instruction[args.step]
    action = policy.act(image, instruction, return_maps=True)
    ex = action.extras
    from cliport.geometry import INPUT_BOUNDS, xyz_to_pix

    label = (xyz_to_pix(episode.pick[args.step][:3], INPUT_BOUNDS),
             xyz_to_pix(episode.place[args.step][:3], INPUT_BOUNDS))
    out = Path(args.out or f"affordances-{Path(args.episode).stem}-{args.step}.png")
    draw_affordances(image, ex["pick_map"], ex["place_map"], tuple(ex["pick"]), tuple(ex["place"]),
                     instruction, out, label=label)
    angle = np.degrees(ex["place"][2])
    print(f"wrote {out} (pick {ex['pick'][:2]}, place {ex['place'][:2]} at {angle:.0f}°)")
    return 0
