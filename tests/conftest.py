"""Shared test fixtures: generated simulator assets (once per session), small cameras, and a local
HTTP server on 127.0.0.1 for download tests (honours ``Range: bytes=N-``, can cut a response short to
stand for a dropped connection; never reaches the internet)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cliport.geometry import REALSENSE_CAMERAS, CameraConfig

#: The assets the simulator itself needs (robot, grippers, table, built-in block).
SIM_ASSETS = [
    "plane/plane.urdf", "ur5/workspace.urdf", "ur5/ur5.urdf", "ur5/suction/suction-base.urdf",
    "ur5/suction/suction-head.urdf", "ur5/spatula/spatula-base.urdf", "builtin/block.urdf",
    "builtin/small_block.urdf",
]


@pytest.fixture(scope="session")
def sim_assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the generated robot/scene assets (not the task props)."""
    from cliport.env.assets import ensure_assets

    return ensure_assets(tmp_path_factory.mktemp("assets"), only=SIM_ASSETS)


def scaled_camera(config: CameraConfig, factor: int) -> CameraConfig:
    """The same camera with an image ``factor`` times smaller (same field of view)."""
    h, w = config.image_size
    k = list(config.intrinsics)
    for i in (0, 2, 4, 5):
        k[i] /= factor
    return replace(config, image_size=(h // factor, w // factor), intrinsics=tuple(k))


@pytest.fixture(scope="session")
def small_cameras() -> tuple[CameraConfig, ...]:
    """The three benchmark cameras at 120 x 160 pixels: cheap observations for tests."""
    return tuple(scaled_camera(c, 4) for c in REALSENSE_CAMERAS)

class RangeServer:
    """State shared with the handler: the folder served, the requests seen and a cut-off."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ranges: list[str | None] = []  # the Range header of each request (None when absent)
        self.cut_after: int | None = None  # send only this many body bytes of the next response
        self.url = ""


def _handler(state: RangeServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base-class signature
            pass

        def do_GET(self) -> None:  # noqa: N802 - base-class name
            path = state.root / self.path.lstrip("/")
            state.ranges.append(self.headers.get("Range"))
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            start = 0
            header = self.headers.get("Range")
            if header and header.startswith("bytes=") and header.endswith("-"):
                start = int(header[6:-1])
                if start >= len(data):
                    self.send_error(416)
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if state.cut_after is not None:
                body, state.cut_after = body[: state.cut_after], None
            self.wfile.write(body)

    return Handler


@pytest.fixture
def range_server(tmp_path: Path) -> Iterator[RangeServer]:
    """A local HTTP server (127.0.0.1, free port, Range support) serving ``tmp_path/served``."""
    (tmp_path / "served").mkdir()
    state = RangeServer(tmp_path / "served")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def fake_google(tmp_path_factory):
    """A box mesh and a 4x4 texture per Google object name, in the public CLIPort layout (the real
    Google Scanned Objects cannot be downloaded in tests)."""
    import trimesh
    from PIL import Image

    from cliport.tasks import catalogue as cat

    root = tmp_path_factory.mktemp("google")
    (root / "meshes_fixed").mkdir()
    (root / "textures").mkdir()
    import numpy as np

    rng = np.random.default_rng(0)
    for name in sorted(set(cat.GOOGLE_SEEN_OBJECTS) | set(cat.GOOGLE_UNSEEN_TRAIN_OBJECTS)
                       | set(cat.GOOGLE_UNSEEN_EVAL_OBJECTS)):
        stem = cat.google_file_stem(name)
        box = trimesh.creation.box(extents=rng.uniform(0.06, 0.1, size=3))
        box.export(root / "meshes_fixed" / f"{stem}.obj")
        texture = rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)
        Image.fromarray(texture).save(root / "textures" / f"{stem}.png")
    return root
