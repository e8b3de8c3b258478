"""The dataset code's name for :mod:`cliport.atomic` (crash-safe writes), kept for existing imports.

The implementation lives at the package's top level so that ``agents`` (checkpoints) can use it
without importing ``cliport.data`` (the import rules of docs/architecture.md).
"""

from cliport.atomic import (  # noqa: F401 - re-exported
    FILE_MODE,
    TMP_PREFIX,
    StorageError,
    append_line,
    remove_stale_temporaries,
    storage_error,
    write_atomic,
    write_bytes_atomic,
    write_json_atomic,
)
