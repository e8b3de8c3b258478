"""The ``cliport`` console script: a thin dispatcher to one module per subcommand.

Subcommands are registered by module path so that ``cliport --help`` imports nothing heavy. Each
module defines ``main(argv: list[str]) -> int`` and a docstring whose first line is its help text.
Subcommands take the original's Hydra-style ``key=value`` overrides where the original had them.
Bad input (a :class:`CliportError`, or an operating-system error such as a path that is a file) is printed
as one line with exit code 2; ``CLIPORT_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys

from cliport.errors import CliportError

#: subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    # the workflow
    "quickstart": ("cliport.commands.quickstart", "small end-to-end job: demos, train, eval, results, video"),
    "demos": ("cliport.commands.demos", "generate oracle demonstrations (n=.. task=.. mode=.. workers=..)"),
    "benchmark-data": ("cliport.commands.benchmark_data",
                       "the whole benchmark's data: every task, train/val/test (workers=.. tasks=..)"),
    "train": ("cliport.commands.train", "train an agent on demonstrations (resumes from last.ckpt)"),
    "eval": ("cliport.commands.eval", "evaluate checkpoints in the simulator (val/test, repeats, workers)"),
    "results": ("cliport.commands.results", "print the success table of evaluation results and plot it"),
    # looking at things
    "tasks": ("cliport.commands.tasks_list", "list every task: kind, split, end effector, max steps"),
    "agents": ("cliport.commands.agents_list", "list every agent with its pick/place trainable parameters"),
    "gallery": ("cliport.commands.gallery", "each task's first observation and instruction in one PNG grid"),
    "show-episode": ("cliport.commands.show_episode", "write a PNG per step of an episode"),
    "affordances": ("cliport.commands.affordances", "draw pick/place heatmaps of a checkpoint"),
    "env-info": ("cliport.commands.env_info", "print the simulator's settings, cameras and assets"),
    "scene-demo": ("cliport.commands.scene_demo", "move a few blocks; write camera views and heightmaps"),
    # files of the original and weights
    "convert-dataset": ("cliport.commands.convert_dataset", "convert an original CLIPort dataset to ours"),
    "convert-checkpoint": ("cliport.commands.convert_checkpoint", "convert an original .ckpt to ours"),
    "download-clip": ("cliport.commands.download_clip", "download CLIP RN50 weights (SHA-256 checked)"),
    "download-objects": ("cliport.commands.download_objects", "download the Google Scanned Objects meshes"),
    "download-checkpoints": (
        "cliport.commands.download_checkpoints",
        "download the original's released checkpoints, converted to ours",
    ),
}


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: cliport <command> [args ...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run `cliport <command> --help` for a command's own options."]
    return "\n".join(lines)


#: File-system errors that name a path the user gave: reported in one line, like a CliportError.
_PATH_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError, FileExistsError)
#: Disk full, quota, read-only file system: one line naming the path and the remedy.
_STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from cliport import __version__

        print(f"cliport {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"cliport: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    debug = os.environ.get("CLIPORT_DEBUG", "") not in ("", "0")
    try:
        return int(module.main(rest) or 0)
    except CliportError as err:
        if debug:
            raise
        print(f"cliport {name}: error: {err}", file=sys.stderr)
        return 2
    except _PATH_ERRORS as err:
        if debug:
            raise
        print(f"cliport {name}: error: {err.strerror}: {err.filename}; check that path "
              "(CLIPORT_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 2
    except OSError as err:
        if debug or err.errno not in _STORAGE_ERRNOS:
            raise
        from cliport.atomic import storage_error

        print(f"cliport {name}: error: {storage_error(err.filename or '?', err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cliport {name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
