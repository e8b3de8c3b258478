"""Download the Google Scanned Objects of the packing-*-google-objects tasks (SHA-256 checked, resumable).

usage: cliport download-objects [--dest DIR] [--url URL] [--sha256 HEX] [--archive ZIP]

Fetches the original's ``google.zip`` (centre-of-mass corrected meshes), resumes a partial download,
and unpacks its ``meshes_fixed/`` and ``textures/`` into DEST in one atomic rename: the layout
:mod:`cliport.tasks.google_objects` reads. Point ``CLIPORT_GOOGLE_OBJECTS`` at DEST (printed at the end),
or choose ``<assets root>/google`` as DEST. ``--archive`` unpacks a zip downloaded by hand instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath

from cliport.download import DownloadError, check_sha256_arg, extract_zip, obtain_archive
from cliport.models.clip.weights import default_cache_dir
from cliport.tasks.google_objects import ENV_VAR

#: The original's release asset (scripts/google_objects_download.sh of the original repository).
OFFICIAL_URL = "https://github.com/cliport/cliport/releases/download/v1.0.0/google.zip"
SUBFOLDERS = ("meshes_fixed", "textures")


def default_dest() -> Path:
    """``$CLIPORT_GOOGLE_OBJECTS`` when set, else ``<cliport cache>/google``."""
    return (
        Path(os.environ[ENV_VAR]).expanduser() if os.environ.get(ENV_VAR) else default_cache_dir() / "google"
    )


def _select(name: PurePosixPath) -> PurePosixPath | None:
    """Keep members under a ``meshes_fixed/`` or ``textures/`` folder (at any depth), relative to it."""
    for i, part in enumerate(name.parts[:-1]):
        if part in SUBFOLDERS:
            return PurePosixPath(*name.parts[i:])
    return None


def fetch_objects(
    dest: Path,
    url: str = OFFICIAL_URL,
    sha256: str | None = None,
    archive: Path | None = None,
    quiet: bool = True,
) -> tuple[int, int]:
    """Download (or take ``archive``) and unpack into ``dest``; returns (meshes, textures) counts."""
    manual = f"download {url} yourself and run `cliport download-objects --archive google.zip --dest {dest}`"
    archive = obtain_archive(url, archive, dest.parent / ".downloads", sha256, manual, quiet)
    written = extract_zip(archive, dest, select=_select)
    meshes = sum(p.suffix == ".obj" for p in written)
    textures = sum(p.suffix == ".png" for p in written)
    if not meshes:
        raise DownloadError(
            f"{archive} holds no meshes_fixed/*.obj; is it the Google Scanned Objects archive?"
        )
    return meshes, textures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cliport download-objects", description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=None, help=f"target folder (default: {default_dest()})")
    parser.add_argument(
        "--url", default=OFFICIAL_URL, help="where to download from (default: the original's)"
    )
    parser.add_argument("--sha256", default=None, help="expected SHA-256 of the archive (checked when given)")
    parser.add_argument(
        "--archive", type=Path, default=None, help="unpack this local zip instead of downloading"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)
    sha = check_sha256_arg(args.sha256)
    dest = (args.dest or default_dest()).expanduser()
    if not args.quiet and args.archive is None:
        print(f"downloading {args.url}\n  -> {dest}", file=sys.stderr)
    meshes, textures = fetch_objects(dest, args.url, sha, args.archive, quiet=args.quiet)
    print(f"{dest}: {meshes} meshes, {textures} textures")
    print(f"use it with: export {ENV_VAR}={dest}")
    return 0
