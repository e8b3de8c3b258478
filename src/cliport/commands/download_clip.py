"""Download OpenAI's CLIP RN50 weights (RN50.pt), verify their SHA-256 and store them atomically.

usage: cliport download-clip [--dest DIR] [--url URL] [--sha256 HEX]

The loader finds the file in the default folder by itself; with ``--dest`` elsewhere, point
``CLIPORT_CLIP_WEIGHTS`` (or ``clip_weights=``) at the printed path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cliport.download import check_sha256_arg, download_file, stderr_progress
from cliport.models.clip.weights import (
    OFFICIAL_RN50_SHA256,
    OFFICIAL_RN50_URL,
    RN50_FILENAME,
    default_cache_dir,
)


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
    check_sha256_arg(args.sha256)
    folder = default_cache_dir() if args.dest is None else args.dest
    name = args.url.rstrip("/").rsplit("/", 1)[-1] or RN50_FILENAME
    if not name.endswith((".pt", ".pth", ".safetensors", ".bin")):
        name = RN50_FILENAME
    target = Path(folder).expanduser() / name
    if not args.quiet:
        print(f"downloading {args.url}\n  -> {target}", file=sys.stderr)
    try:
        progress = None if args.quiet else stderr_progress()
        path = download_file(args.url, target, args.sha256, progress=progress)
    finally:
        if not args.quiet:
            print("", file=sys.stderr)  # end the progress line
    print(f"{path} (SHA-256 {args.sha256.lower()} verified)")
    return 0
