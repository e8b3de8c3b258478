"""``python -m cliport.demos n=10 task=... mode=train``: the original's demos.py entry point."""

from __future__ import annotations

import sys

from cliport.errors import CliportError


def main(argv: list[str] | None = None) -> int:
    from cliport.commands.demos import main as run

    try:
        return run(list(sys.argv[1:] if argv is None else argv))
    except CliportError as err:
        print(f"cliport demos: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
