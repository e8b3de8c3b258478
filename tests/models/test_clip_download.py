"""`cliport download-clip` and download_file against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cliport import cli
from cliport.models.clip.download import DownloadError, download_file

PAYLOAD = bytes(range(256)) * 5000 + b"synthetic weights"  # ~1.3 MB, several chunks


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base-class signature
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "served"
    root.mkdir()
    (root / "RN50.pt").write_bytes(PAYLOAD)
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_renames(server: str, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    dest = tmp_path / "out" / "RN50.pt"
    path = download_file(
        f"{server}/RN50.pt", dest, _sha(PAYLOAD), chunk=65536, progress=lambda d, t: seen.append((d, t))
    )
    assert path == dest and dest.read_bytes() == PAYLOAD
    assert _leftovers(dest.parent) == ["RN50.pt"]  # no temporary file left behind
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD)) and len(seen) > 1
    # A verified file is kept without downloading again (the server is not needed).
    assert download_file("http://127.0.0.1:9/unreachable", dest, _sha(PAYLOAD)) == dest


def test_wrong_checksum_keeps_nothing(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "RN50.pt"
    with pytest.raises(DownloadError, match=f"checksum mismatch.*SHA-256 {_sha(PAYLOAD)}"):
        download_file(f"{server}/RN50.pt", dest, "ab" * 32)
    assert _leftovers(dest.parent) == []


def test_wrong_checksum_does_not_replace_existing_file(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "RN50.pt"
    dest.parent.mkdir()
    dest.write_bytes(b"old")
    with pytest.raises(DownloadError):
        download_file(f"{server}/RN50.pt", dest, "cd" * 32)
    assert dest.read_bytes() == b"old" and _leftovers(dest.parent) == ["RN50.pt"]


def test_http_error_is_a_download_error(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="cannot download .*missing.pt.*404"):
        download_file(f"{server}/missing.pt", tmp_path / "out" / "x.pt", None)
    assert _leftovers(tmp_path / "out") == []


def test_cli_command(server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "weights"
    url = f"{server}/RN50.pt"
    args = ["download-clip", "--dest", str(dest), "--url", url, "--sha256", _sha(PAYLOAD), "--quiet"]
    code = cli.main(args)
    assert code == 0
    assert (dest / "RN50.pt").read_bytes() == PAYLOAD
    assert f"{dest / 'RN50.pt'} (SHA-256 {_sha(PAYLOAD)} verified)" in capsys.readouterr().out


def test_cli_wrong_checksum_is_one_line_error(server: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code = cli.main(["download-clip", "--dest", str(out), "--url", f"{server}/RN50.pt", "--sha256", "0" * 64])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("cliport download-clip: error: checksum mismatch")
    assert _leftovers(out) == []


def test_cli_rejects_malformed_sha(capsys) -> None:
    assert cli.main(["download-clip", "--sha256", "xyz"]) == 2
    assert "64 hex digits" in capsys.readouterr().err


def test_default_folder_is_where_the_loader_looks(tmp_path: Path, monkeypatch, server: str) -> None:
    from cliport.models.clip.weights import resolve_weights_path

    monkeypatch.setenv("CLIPORT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CLIPORT_CLIP_WEIGHTS", raising=False)
    url = f"{server}/RN50.pt"
    assert cli.main(["download-clip", "--url", url, "--sha256", _sha(PAYLOAD), "--quiet"]) == 0
    assert resolve_weights_path() == tmp_path / "cache" / "RN50.pt"
