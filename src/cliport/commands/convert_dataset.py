"""convert an original CLIPort dataset folder (five pickle sub-folders) to cliport's format

usage: cliport convert-dataset SRC DST [--skip-bad] [--save-raw]

SRC is one ``{task}-{mode}`` folder of the original layout; DST the folder to write. Pickles are
read with an allow-list (plain data only); a file that references anything else is refused, naming
it (or skipped with a warning under --skip-bad). Reruns continue where they stopped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cliport convert-dataset", description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--skip-bad", action="store_true", help="skip bad episodes with a warning")
    parser.add_argument("--save-raw", action="store_true", help="also keep the raw camera views")
    args = parser.parse_args(argv)
    from tqdm import tqdm

    from cliport.data.convert import convert_dataset

    bar = tqdm(desc=args.src.name, unit="ep", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        report = convert_dataset(args.src, args.dst, skip_bad=args.skip_bad, save_raw=args.save_raw,
                                 progress=progress)
    finally:
        bar.close()
    print(f"{args.dst}: converted {report.converted}, already there {report.skipped_existing}, "
          f"rejected {len(report.rejected)}")
    return 0
