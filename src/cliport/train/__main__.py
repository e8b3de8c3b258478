"""``python -m cliport.train key=value ...``: same as ``cliport train``."""

import sys

from cliport.cli import main

raise SystemExit(main(["train", *sys.argv[1:]]))
