"""Download OpenAI's CLIP RN50 weights (RN50.pt), verify their SHA-256 and store them atomically.

usage: cliport download-clip [--dest DIR] [--url URL] [--sha256 HEX]

The loader finds the file in the default folder by itself; with ``--dest`` elsewhere, point
``CLIPORT_CLIP_WEIGHTS`` (or ``clip_weights=``) at the printed path.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from cliport.errors import CliportError
from cliport.models.clip.download import download_file
from cliport.models.clip.weights import (
    OFFICIAL_RN50_SHA256,
    OFFICIAL_RN50_URL,
    RN50_FILENAME,
    default_cache_dir,
)


def _progress() -> Callable[[int, int | None], None]:
    """A progress printer for download_file: MiB so far (and percent when the size is known)."""
    last = [-1]

    def show(done: int, total: int | None) -> None:
        mb = done / 2**20
        pct = int(100 * done / total) if total else None
        step = pct if pct is not None else int(mb // 10)
        if step != last[0]:
            last[0] = step
            text = f"{mb:8.1f} MiB" + (f" ({pct:3d}%)" if pct is not None else "")
            print(f"\r  {text}", end="", file=sys.stderr, flush=True)

    return show


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cliport download-clip", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dest", default=None, help=f"folder to store {RN50_FILENAME} in (default: {default_cache_dir()})"
    )
    parser.add_argument("--url", default=OFFICIAL_RN50_URL, help="where to download from (default: OpenAI's)")
    parser.add_argument(
        "--sha256", default=OFFICIAL_RN50_SHA256, help="expected SHA-256 (default: the official file's)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[0-9a-fA-F]{64}", args.sha256):
        raise CliportError(f"--sha256 must be 64 hex digits, got {args.sha256!r}")
    folder = default_cache_dir() if args.dest is None else args.dest
    name = args.url.rstrip("/").rsplit("/", 1)[-1] or RN50_FILENAME
    if not name.endswith((".pt", ".pth", ".safetensors", ".bin")):
        name = RN50_FILENAME
    target = Path(folder).expanduser() / name
    if not args.quiet:
        print(f"downloading {args.url}\n  -> {target}", file=sys.stderr)
    try:
        path = download_file(args.url, target, args.sha256, progress=None if args.quiet else _progress())
    finally:
        if not args.quiet:
            print("", file=sys.stderr)  # end the progress line
    print(f"{path} (SHA-256 {args.sha256.lower()} verified)")
    return 0
