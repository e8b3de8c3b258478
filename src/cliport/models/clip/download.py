"""Download a weight file with a SHA-256 check and an atomic rename (used by ``cliport download-clip``).

Why this exists: a half-written or tampered RN50.pt must never be found by the loader. The file is
streamed to a temporary name in the destination folder while hashing, checked, and only then renamed
to its final name with ``os.replace``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from cliport.errors import CliportError


class DownloadError(CliportError):
    """The download failed or the file's checksum was wrong."""


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    sha256: str | None,
    *,
    timeout: float = 60.0,
    chunk: int = 1 << 20,
    progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Fetch ``url`` to the file ``dest`` (verified against ``sha256`` when given) and return its path.

    An existing ``dest`` with the right checksum is kept and not downloaded again. ``progress`` is
    called with (bytes so far, total bytes or None).
    """
    dest = Path(dest).expanduser()
    want = sha256.lower() if sha256 else None
    if want is not None and dest.is_file():
        digest = hashlib.sha256()
        with open(dest, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
        if digest.hexdigest() == want:
            return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        done = 0
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - user-chosen URL
            except (urllib.error.URLError, OSError, ValueError) as err:
                raise DownloadError(f"cannot download {url}: {err}") from err
            with response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                while True:
                    try:
                        block = response.read(chunk)
                    except OSError as err:
                        raise DownloadError(f"download of {url} failed after {done} bytes: {err}") from err
                    if not block:
                        break
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
            if total is not None and done != total:
                raise DownloadError(f"download of {url} stopped after {done} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if want is not None and got != want:
            raise DownloadError(
                f"checksum mismatch for {url}: SHA-256 {got}, expected {want}; the file was not saved"
            )
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest
