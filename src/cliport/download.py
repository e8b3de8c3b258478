"""Downloads for the ``cliport download-*`` commands: resumable, SHA-256 checked, atomically renamed.

Why this exists: a half-written or tampered file (CLIP weights, an archive of meshes or checkpoints)
must never be found by a loader, and a large download cut off by the network should continue where it
stopped. A file is streamed to ``.NAME.part`` beside its destination while hashing; a later call resumes
that partial file with an HTTP ``Range`` request (starting over when the server ignores it); only a
complete file whose checksum matches is renamed to its final name with ``os.replace``. Archives are
unpacked into a temporary folder that is renamed into place in one step. Imports only the standard
library and :mod:`cliport.errors`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from cliport.errors import CliportError

Progress = Callable[[int, int | None], None]


class DownloadError(CliportError):
    """The download failed or the file's checksum was wrong."""


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def partial_path(dest: Path) -> Path:
    """Where the unfinished download of ``dest`` is kept between attempts."""
    return dest.parent / f".{dest.name}.part"


def _offline_hint(url: str, dest: Path, manual: str | None) -> str:
    alternative = manual or f"download {url} by hand and save it as {dest}"
    return f"; the partial file is kept and the next run resumes it. Without network: {alternative}"


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    sha256: str | None,
    *,
    timeout: float = 60.0,
    chunk: int = 1 << 20,
    progress: Progress | None = None,
    manual: str | None = None,
) -> Path:
    """Fetch ``url`` to the file ``dest`` (verified against ``sha256`` when given) and return its path.

    An existing ``dest`` with the right checksum is kept and not downloaded again. A partial file of an
    earlier attempt is resumed with a ``Range`` request. ``progress`` is called with (bytes so far, total
    bytes or None). ``manual`` is the alternative named in the error when the URL cannot be reached.
    """
    dest = Path(dest).expanduser()
    want = sha256.lower() if sha256 else None
    if want is not None and dest.is_file() and sha256_of(dest, chunk) == want:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(dest)
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - user-chosen URL
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # the partial file already holds everything
            response = None
        else:
            part.unlink(missing_ok=True)
            raise DownloadError(f"cannot download {url}: {err}") from err
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise DownloadError(f"cannot download {url}: {err}{_offline_hint(url, dest, manual)}") from err
    digest = hashlib.sha256()
    if response is not None:
        with response:
            resumed = have > 0 and response.status == 206
            if resumed:
                with open(part, "rb") as fh:
                    while block := fh.read(chunk):
                        digest.update(block)
            else:
                have = 0
            length = response.headers.get("Content-Length")
            total = have + int(length) if length and length.isdigit() else None
            done = have
            with open(part, "ab" if resumed else "wb") as out:
                while True:
                    try:
                        block = response.read(chunk)
                    except OSError as err:
                        raise DownloadError(
                            f"download of {url} failed after {done} bytes: {err}"
                            + _offline_hint(url, dest, manual)
                        ) from err
                    if not block:
                        break
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
                out.flush()
                os.fsync(out.fileno())
            if total is not None and done != total:
                raise DownloadError(
                    f"download of {url} stopped after {done} of {total} bytes"
                    + _offline_hint(url, dest, manual)
                )
    else:
        digest = hashlib.sha256(part.read_bytes())
    got = digest.hexdigest()
    if want is not None and got != want:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"checksum mismatch for {url}: SHA-256 {got}, expected {want}; the file was not saved"
        )
    os.replace(part, dest)
    return dest


def extract_zip(
    archive: Path, dest: Path, *, select: Callable[[PurePosixPath], PurePosixPath | None] | None = None
) -> list[Path]:
    """Unpack ``archive`` into the folder ``dest`` atomically and return the written files.

    Members are written into a temporary folder beside ``dest``, which then replaces ``dest`` (made
    before the rename, so a killed run leaves either the old folder or the complete new one). Members
    with absolute paths or ``..`` are refused. ``keep`` selects members by their path in the archive.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as err:
        raise DownloadError(f"{archive} is not a zip archive ({err}); delete it and download again") from err
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".unpack", dir=dest.parent))
    written: list[Path] = []
    try:
        with zf:
            for info in zf.infolist():
                name = PurePosixPath(info.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise DownloadError(f"{archive} holds an unsafe member path {info.filename!r}; refused")
                if info.is_dir():
                    continue
                name = select(name) if select is not None else name
                if name is None:
                    continue
                target = tmp.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                written.append(dest.joinpath(*name.parts))
        if dest.exists():
            old = dest.parent / f".{dest.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


def stderr_progress() -> Progress:
    """A progress printer for download_file: MiB so far (and percent when the size is known)."""
    last = [-1]

    def show(done: int, total: int | None) -> None:
        mb = done / 2**20
        pct = int(100 * done / total) if total else None
        step = pct if pct is not None else int(mb // 10)
        if step != last[0]:
            last[0] = step
            text = f"{mb:8.1f} MiB" + (f" ({pct:3d}%)" if pct is not None else "")
            print(f"\r  {text}", end="", file=sys.stderr, flush=True)

    return show


def check_sha256_arg(value: str | None, flag: str = "--sha256") -> str | None:
    """Validate a user-given hex digest (None passes through)."""
    import re

    if value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise CliportError(f"{flag} must be 64 hex digits, got {value!r}")
    return value.lower() if value else None


def obtain_archive(
    url: str | None,
    archive: Path | None,
    downloads: Path,
    sha256: str | None,
    manual: str,
    quiet: bool = True,
) -> Path:
    """The archive to unpack: ``archive`` if the user gave one, else ``url`` downloaded into ``downloads``.

    ``manual`` says how to do it by hand; it ends the offline error message.
    """
    if archive is not None:
        if not archive.is_file():
            raise DownloadError(f"--archive {archive} does not exist")
        return archive
    if url is None:
        raise DownloadError("no URL for this archive: pass --url URL, or --archive ZIP for a downloaded file")
    target = downloads / (url.rstrip("/").rsplit("/", 1)[-1] or "archive.zip")
    download_file(url, target, sha256, progress=None if quiet else stderr_progress(), manual=manual)
    if not quiet:
        print("", file=sys.stderr)
    return target
