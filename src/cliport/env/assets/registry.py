"""Registry of asset generators keyed by the relative path they write, plus the cache folder logic."""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from cliport.errors import CliportError

#: Bump when any generator's output changes, so caches are rebuilt.
ASSETS_VERSION = "4"

#: Modules whose import registers generators (kept as strings so importing is cheap).
GENERATOR_MODULES: list[str] = [
    "cliport.env.assets.robot",
    "cliport.env.assets.props", "cliport.env.assets.props_meshes", "cliport.env.assets.kitting_shapes",
]

_GENERATORS: dict[str, Callable[[Path], None]] = {}


class AssetError(CliportError, FileNotFoundError):
    """An asset file is missing or cannot be generated."""


def asset_generator(*relative_paths: str) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    """Register ``fn(root)`` as the generator that writes ``relative_paths`` under ``root``.

    One generator may write several files (a URDF and its meshes); list all of them.
    """

    def wrap(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        for rel in relative_paths:
            if rel in _GENERATORS and _GENERATORS[rel] is not fn:
                raise ValueError(f"asset {rel!r} has two generators")
            _GENERATORS[rel] = fn
        return fn

    return wrap


def _load_generators() -> None:
    for module in GENERATOR_MODULES:
        importlib.import_module(module)


def registered_assets() -> list[str]:
    _load_generators()
    return sorted(_GENERATORS)


def default_assets_root() -> Path:
    """``$CLIPORT_ASSETS`` if set, else ``~/.cache/cliport/assets-v{ASSETS_VERSION}``."""
    env = os.environ.get("CLIPORT_ASSETS")
    if env:
        return Path(env).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "cliport" / f"assets-v{ASSETS_VERSION}"


def ensure_assets(root: Path | None = None, only: list[str] | None = None) -> Path:
    """Generate every registered asset (or those in ``only``) missing under ``root``; return root.

    Generators write into a temporary folder that is then moved into place file by file, so an
    interrupted run never leaves a half-written file under ``root``. Processes that share a cache (demo
    workers, test workers) take an exclusive lock while checking and generating, so none of them sees a
    URDF whose meshes another process has not moved into place yet.
    """
    _load_generators()
    root = Path(root) if root is not None else default_assets_root()
    root.mkdir(parents=True, exist_ok=True)
    wanted = only if only is not None else list(_GENERATORS)
    if all((root / rel).exists() for rel in wanted):
        return root  # complete: no lock needed (files only ever appear whole, in generator order)
    with _locked(root / ".lock"):
        _generate_missing(root, wanted)
    return root


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no inter-process lock
            pass
        yield


def _generate_missing(root: Path, wanted: list[str]) -> None:
    done: set[Callable[[Path], None]] = set()
    for rel in wanted:
        if (root / rel).exists():
            continue
        fn = _GENERATORS.get(rel)
        if fn is None:
            raise AssetError(f"no generator is registered for asset {rel!r}")
        if fn in done:
            continue
        done.add(fn)
        with tempfile.TemporaryDirectory(dir=root, prefix=".gen-") as tmp:
            fn(Path(tmp))
            for path in sorted(Path(tmp).rglob("*")):
                if path.is_file():
                    dest = root / path.relative_to(tmp)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    if not dest.exists():
                        os.replace(path, dest)


def resolve_asset(root: Path, relative: str | Path) -> Path:
    """Absolute path of an asset under ``root``; a clear error if it is missing."""
    path = Path(relative)
    if not path.is_absolute():
        path = Path(root) / path
    if not path.exists():
        raise AssetError(
            f"asset file {path} is missing (assets_root={root}). Leave assets_root unset to use the "
            "generated assets, or point it at a folder with the original CLIPort assets layout."
        )
    return path
