"""Unpickle untrusted files from the original CLIPort layout with an allow-list.

A pickle can call any importable function while loading; the original's dataset files are plain data
(numpy arrays, lists, dicts, tuples, floats, strings), so only the callables needed to rebuild those
are allowed. Anything else (``os.system``, ``builtins.eval``, ...) is refused *before* it is called,
with an error naming the file and the rejected global.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from cliport.errors import CliportError

#: (module, name) pairs a dataset pickle may reference. numpy.core.* is the numpy 1.x spelling.
_ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.dtypes", "UInt8DType"),
        ("numpy.dtypes", "Float32DType"),
        ("numpy.dtypes", "Float64DType"),
        ("numpy.dtypes", "Int64DType"),
        ("numpy.dtypes", "Int32DType"),
        ("numpy.dtypes", "BoolDType"),
        ("collections", "OrderedDict"),
        ("_codecs", "encode"),  # protocol 2 spelling of bytes literals
        ("builtins", "bytearray"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "complex"),
        ("builtins", "slice"),
        ("builtins", "range"),
    }
)


class UnsafePickleError(CliportError, ValueError):
    """A pickle references a global outside the allow-list, or cannot be read; names the file."""


class _AllowListUnpickler(pickle.Unpickler):
    def __init__(self, file: Any, source: str) -> None:
        super().__init__(file)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(
                f"refusing to load {self.source}: it references {module}.{name}, which is not plain data "
                "(allowed: numpy arrays/scalars and builtin containers)"
            )
        if module.startswith("numpy.core."):  # numpy 1.x pickles
            module = "numpy._core." + module[len("numpy.core."):]
        return super().find_class(module, name)


def safe_load(path: str | Path) -> Any:
    """Load a pickle file allowing only plain data; errors name ``path``."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return _AllowListUnpickler(f, str(path)).load()
    except UnsafePickleError:
        raise
    except FileNotFoundError as err:
        raise UnsafePickleError(f"{path} does not exist") from err
    except Exception as err:  # noqa: BLE001 - truncated/corrupt pickles raise many types
        raise UnsafePickleError(f"{path} is not a readable pickle ({type(err).__name__}: {err})") from err
