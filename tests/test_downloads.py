"""cliport.download and `cliport download-objects` against a local HTTP server on 127.0.0.1 (Range
support, dropped connections), on small files of the same format that the tests create."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from cliport import cli
from cliport.download import DownloadError, download_file, extract_zip, partial_path
from cliport.tasks.google_objects import google_objects_root, object_files

PAYLOAD = bytes(range(256)) * 4000 + b"tail"  # ~1 MB, several chunks


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_cut_download_resumes_with_a_range_request(range_server, tmp_path: Path) -> None:
    (range_server.root / "big.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "out" / "big.bin"
    range_server.cut_after = 300_000
    with pytest.raises(DownloadError, match=r"stopped after 300000 of \d+ bytes.*resumes it"):
        download_file(f"{range_server.url}/big.bin", dest, _sha(PAYLOAD), chunk=65536)
    assert not dest.exists() and partial_path(dest).stat().st_size == 300_000
    seen: list[int] = []
    download_file(
        f"{range_server.url}/big.bin", dest, _sha(PAYLOAD), chunk=65536, progress=lambda d, t: seen.append(d)
    )
    assert dest.read_bytes() == PAYLOAD and not partial_path(dest).exists()
    assert range_server.ranges == [None, "bytes=300000-"]
    assert seen[0] > 300_000  # counted from where the partial file stopped


def test_resume_with_a_corrupt_partial_fails_the_checksum_and_discards_it(
    range_server, tmp_path: Path
) -> None:
    (range_server.root / "big.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "big.bin"
    partial_path(dest).write_bytes(b"x" * 1000)  # not the start of PAYLOAD
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_file(f"{range_server.url}/big.bin", dest, _sha(PAYLOAD))
    assert not partial_path(dest).exists() and not dest.exists()
    assert download_file(f"{range_server.url}/big.bin", dest, _sha(PAYLOAD)).read_bytes() == PAYLOAD


def test_offline_error_names_url_and_manual_alternative(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/google.zip"  # port 9 (discard): nothing listens
    with pytest.raises(
        DownloadError, match=r"cannot download http://127.0.0.1:9/google.zip.*Without network: do X"
    ):
        download_file(url, tmp_path / "g.zip", None, timeout=5, manual="do X")


def test_extract_zip_refuses_unsafe_members_and_leaves_no_folder(tmp_path: Path) -> None:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", "fine")
        zf.writestr("../evil.txt", "no")
    with pytest.raises(DownloadError, match="unsafe member"):
        extract_zip(archive, tmp_path / "dest")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.zip"]


def _google_zip(path: Path, names: list[str]) -> None:
    """A google.zip like the original's: google/meshes_fixed/NAME.obj and google/textures/NAME.png."""
    tri = "v 0 0 0\nv 0.05 0 0\nv 0 0.05 0\nv 0 0 0.05\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("google/", "")
        zf.writestr("google/object-template.urdf", "<robot/>")
        for name in names:
            zf.writestr(f"google/meshes_fixed/{name}.obj", tri)
            zf.writestr(f"google/textures/{name}.png", b"\x89PNG\r\n\x1a\n")


def test_download_objects_gives_the_layout_the_tasks_read(
    range_server, tmp_path, monkeypatch, capsys
) -> None:
    _google_zip(range_server.root / "google.zip", ["hammer", "red_cup"])
    sha = _sha((range_server.root / "google.zip").read_bytes())
    dest = tmp_path / "objects"
    url = f"{range_server.url}/google.zip"
    assert cli.main(["download-objects", "--dest", str(dest), "--url", url, "--sha256", sha, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"{dest}: 2 meshes, 2 textures" in out and f"CLIPORT_GOOGLE_OBJECTS={dest}" in out
    monkeypatch.setenv("CLIPORT_GOOGLE_OBJECTS", str(dest))
    root = google_objects_root(None)
    mesh, texture = object_files(root, "red cup")
    assert mesh == dest / "meshes_fixed" / "red_cup.obj" and texture.is_file()
    assert not (dest / "object-template.urdf").exists()
    # A second run finds the verified archive and needs no server.
    args = [
        "download-objects",
        "--dest",
        str(dest),
        "--url",
        "http://127.0.0.1:9/google.zip",
        "--sha256",
        sha,
    ]
    assert cli.main([*args, "--quiet"]) == 0


def test_download_objects_offline_is_one_line_error(tmp_path, capsys) -> None:
    args = [
        "download-objects",
        "--dest",
        str(tmp_path / "g"),
        "--url",
        "http://127.0.0.1:9/google.zip",
        "--quiet",
    ]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "http://127.0.0.1:9/google.zip" in err[0] and "--archive" in err[0]


def test_download_objects_wrong_archive_is_refused(range_server, tmp_path, capsys) -> None:
    with zipfile.ZipFile(range_server.root / "other.zip", "w") as zf:
        zf.writestr("readme.txt", "no meshes")
    args = [
        "download-objects",
        "--dest",
        str(tmp_path / "g"),
        "--url",
        f"{range_server.url}/other.zip",
        "--quiet",
    ]
    assert cli.main(args) == 2
    assert "no meshes_fixed" in capsys.readouterr().err
