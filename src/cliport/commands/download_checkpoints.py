"""Download the original's released checkpoints and convert them to ours on arrival (SHA-256 checked).

usage: cliport download-checkpoints [which] [--dest DIR] [--url URL] [--sha256 HEX] [--archive ZIP]

``which`` is ``quickstart`` (the original's ``cliport_quickstart.zip``: multi-language-conditioned,
cliport agent, 1000 demos) or ``multi-task`` (the original's archive of multi-task runs; pass its
``--url`` or a hand-downloaded ``--archive``). Every ``RUN/checkpoints/NAME.ckpt`` inside, where RUN is the
original's ``{task}-{agent}-n{demos}-train`` folder, becomes ``DEST/RUN/checkpoints/NAME.safetensors``
through the converter of ``cliport convert-checkpoint`` (the agent is read from RUN). The archive is
resumed when cut off; converted files are written atomically and skipped when present.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path, PurePosixPath

from cliport.commands.convert_checkpoint import convert_original, parse_settings
from cliport.download import DownloadError, check_sha256_arg, extract_zip, obtain_archive
from cliport.errors import CliportError

#: name -> the original's release URL (None: no stable URL known; --url or --archive is required).
RELEASES: dict[str, str | None] = {
    "quickstart": "https://github.com/cliport/cliport/releases/download/v1.0.0/cliport_quickstart.zip",
    "multi-task": None,
}
_RUN = re.compile(r"^(?P<task>.+)-(?P<agent>[a-z0-9_]+)-n(?P<demos>\d+)-train$")


def agent_of_run(run: str) -> str:
    """The agent registry name inside the original's ``{task}-{agent}-n{demos}-train`` folder name."""
    from cliport.agents.registry import AGENTS

    match = _RUN.match(run)
    if match is None:
        raise CliportError(
            f"{run!r} is not an original run folder name ({{task}}-{{agent}}-n{{demos}}-train)"
        )
    head = f"{match['task']}-{match['agent']}"
    names = [name for name in AGENTS if head.endswith("-" + name)]
    if not names:
        raise CliportError(f"run folder {run!r} names no known agent; see `cliport agents`")
    return max(names, key=len)


def _select(name: PurePosixPath) -> PurePosixPath | None:
    """Keep ``RUN/checkpoints/NAME.ckpt`` members (at any depth), relative to RUN's parent."""
    parts = name.parts
    if name.suffix == ".ckpt" and len(parts) >= 3 and parts[-2] == "checkpoints":
        return PurePosixPath(*parts[-3:])
    return None


def fetch_checkpoints(
    dest: Path,
    url: str | None,
    sha256: str | None = None,
    archive: Path | None = None,
    *,
    settings: dict | None = None,
    clip_weights: str | None = None,
    allow_random_clip: bool = False,
    quiet: bool = True,
) -> list[Path]:
    """Download (or take ``archive``), convert every checkpoint in it under ``dest``; returns our files."""
    manual = (
        f"download {url} yourself and run `cliport download-checkpoints --archive FILE.zip --dest {dest}`"
    )
    archive = obtain_archive(url, archive, dest / ".downloads", sha256, manual, quiet)
    dest.mkdir(parents=True, exist_ok=True)
    unpacked = Path(tempfile.mkdtemp(prefix=".unpacked.", dir=dest))
    outputs: list[Path] = []
    try:
        originals = extract_zip(archive, unpacked / "ckpt", select=_select)
        if not originals:
            raise DownloadError(
                f"{archive} holds no RUN/checkpoints/*.ckpt; is it an original checkpoint archive?"
            )
        for src in sorted(originals):
            run = src.parent.parent.name
            out = dest / run / "checkpoints" / f"{src.stem}.safetensors"
            if not out.is_file():
                out.parent.mkdir(parents=True, exist_ok=True)
                lines = convert_original(
                    src, out, agent_of_run(run), settings or {},
                    clip_weights=clip_weights, allow_random_clip=allow_random_clip,
                )  # fmt: skip
                if not quiet:
                    print("\n".join(lines), file=sys.stderr)
            outputs.append(out)
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
    return outputs


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cliport download-checkpoints", description=__doc__.splitlines()[0])
    parser.add_argument(
        "which", nargs="?", default="quickstart", choices=sorted(RELEASES), help="which release"
    )
    parser.add_argument("--dest", type=Path, default=Path("exps"), help="folder for the runs (default: exps)")
    parser.add_argument("--url", default=None, help="download from here instead of the release's URL")
    parser.add_argument("--sha256", default=None, help="expected SHA-256 of the archive (checked when given)")
    parser.add_argument(
        "--archive", type=Path, default=None, help="convert this local zip instead of downloading"
    )
    parser.add_argument(
        "--clip-weights", default=None, help="CLIP RN50 weights to check frozen copies against"
    )
    parser.add_argument(
        "--config-json", default=None, help="agent settings that differ from the defaults (JSON)"
    )
    parser.add_argument("--allow-random-clip", action="store_true", help="(testing) random frozen encoders")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)
    sha = check_sha256_arg(args.sha256)
    url = args.url or RELEASES[args.which]
    if not args.quiet and args.archive is None and url:
        print(f"downloading {url}\n  -> {args.dest}", file=sys.stderr)
    outputs = fetch_checkpoints(
        args.dest, url, sha, args.archive,
        settings=parse_settings(args.config_json), clip_weights=args.clip_weights,
        allow_random_clip=args.allow_random_clip, quiet=args.quiet,
    )  # fmt: skip
    for path in outputs:
        print(path)
    return 0
