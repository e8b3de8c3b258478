"""Convert an original CLIPort Lightning checkpoint (.ckpt) into a cliport agent checkpoint."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cliport.errors import CliportError


def parse_settings(config_json: str | None) -> dict:
    """``--config-json`` text -> a dict of agent settings (empty when None)."""
    try:
        settings = json.loads(config_json) if config_json else {}
    except json.JSONDecodeError as err:
        raise CliportError(f"--config-json is not valid JSON: {err}") from None
    if not isinstance(settings, dict):
        raise CliportError("--config-json must be a JSON object")
    return settings


def convert_original(
    src: Path,
    dst: Path,
    agent: str,
    settings: dict,
    *,
    clip_weights: str | None = None,
    allow_random_clip: bool = False,
    weight_tolerance: float = 0.0,
) -> list[str]:
    """Convert the original's ``src`` into our checkpoint ``dst``; returns the conversion report lines."""
    from cliport.agents.checkpoint import save_agent
    from cliport.agents.config import AgentConfig
    from cliport.agents.original import load_original_checkpoint

    if src.resolve() == dst.resolve():
        raise CliportError("source and destination are the same file")
    config = AgentConfig.from_dict({**settings, "agent": agent})
    policy, report = load_original_checkpoint(
        src,
        config,
        clip_weights=clip_weights,
        compare_frozen=True,
        allow_random_encoders=allow_random_clip,
        weight_tolerance=weight_tolerance,
    )
    save_agent(policy, dst, extra_metadata={"converted_from": src.name})
    return report.lines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cliport convert-checkpoint", description=__doc__)
    parser.add_argument("src", type=Path, help="the original's .ckpt file (read with weights_only=True)")
    parser.add_argument("dst", type=Path, help="output file (safetensors; config + trainable weights)")
    parser.add_argument("--agent", required=True, help="registry name the checkpoint was trained as")
    parser.add_argument(
        "--clip-weights",
        default=None,
        help="CLIP RN50 weights to check the checkpoint's frozen copies against (else $CLIPORT_CLIP_WEIGHTS; "
        "without any, the copies are dropped unchecked: the output never contains frozen weights)",
    )
    parser.add_argument(
        "--weight-tolerance",
        type=float,
        default=0.0,
        help="largest accepted |difference| between a frozen copy and our encoder (default exact, in fp16)",
    )
    parser.add_argument(
        "--config-json",
        default=None,
        help="agent settings that differ from the defaults, as JSON, e.g. '{\"n_rotations\": 24}'",
    )
    parser.add_argument("--allow-random-clip", action="store_true", help="(testing) random frozen encoders")
    parser.add_argument("--force", action="store_true", help="overwrite dst")
    args = parser.parse_args(argv)

    if args.dst.exists() and not args.force:
        raise CliportError(f"{args.dst} exists; pass --force to overwrite")
    lines = convert_original(
        args.src,
        args.dst,
        args.agent,
        parse_settings(args.config_json),
        clip_weights=args.clip_weights,
        allow_random_clip=args.allow_random_clip,
        weight_tolerance=args.weight_tolerance,
    )
    for line in lines:
        print(line)
    print(f"wrote {args.dst} ({args.dst.stat().st_size / 1e6:.1f} MB)")
    return 0
