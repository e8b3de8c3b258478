"""``python -m cliport.eval key=value ...``: same as ``cliport eval``."""

import sys

from cliport.cli import main

raise SystemExit(main(["eval", *sys.argv[1:]]))
