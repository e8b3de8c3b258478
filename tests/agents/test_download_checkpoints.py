"""`cliport download-checkpoints`: an archive in the original's release layout, served on 127.0.0.1,
is downloaded, SHA-256 checked and every checkpoint in it converted to our format."""

from __future__ import annotations

import hashlib
import warnings
import zipfile

import pytest
import torch

from cliport import cli
from cliport.agents.checkpoint import read_checkpoint
from cliport.commands.download_checkpoints import agent_of_run
from cliport.errors import CliportError

from .conftest import make_tiny, tiny_config
from .test_original import _original_state, _save_lightning
from .test_original import fake_lightning as fake_lightning  # noqa: F401 - the fixture, by name

RUN = "multi-language-conditioned-cliport-n1000-train"
CKPT = "steps=400000-val_loss=0.00014655"


def test_agent_is_read_from_the_run_folder() -> None:
    assert agent_of_run(RUN) == "cliport"
    assert agent_of_run(
        "stack-block-pyramid-seq-seen-colors-two_stream_clip_lingunet_lat_transporter-n100-train"
    ) == ("two_stream_clip_lingunet_lat_transporter")
    with pytest.raises(CliportError, match="names no known agent"):
        agent_of_run("put-block-in-bowl-nosuchagent-n10-train")


def test_quickstart_archive_is_downloaded_and_converted(
    range_server, tmp_path, fake_lightning, capsys
) -> None:  # noqa: F811
    ours = make_tiny("cliport", seed=5, n_rotations=8)
    ckpt = tmp_path / f"{CKPT}.ckpt"
    _save_lightning(ckpt, _original_state(ours), fake_lightning)
    archive = range_server.root / "cliport_quickstart.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(ckpt, f"cliport_quickstart/{RUN}/checkpoints/{CKPT}.ckpt")
        zf.writestr("cliport_quickstart/README.txt", "x")
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    cfg = tiny_config("cliport", n_rotations=8)
    settings = cfg.to_json().replace('"agent": "cliport", ', "")
    dest = tmp_path / "exps"
    url = f"{range_server.url}/cliport_quickstart.zip"
    args = ["download-checkpoints", "quickstart", "--dest", str(dest), "--url", url,
            "--sha256", sha, "--config-json", settings, "--allow-random-clip", "--quiet"]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert cli.main(args) == 0
    out = dest / RUN / "checkpoints" / f"{CKPT}.safetensors"
    assert capsys.readouterr().out.strip() == str(out)
    config, state, meta = read_checkpoint(out)
    assert config == cfg and meta["converted_from"] == f"{CKPT}.ckpt"
    assert all(torch.equal(state[k], v) for k, v in ours.state_dict().items())
    assert sorted(p.name for p in dest.iterdir()) == [".downloads", RUN]  # no unpacked originals left


def test_multi_task_without_url_says_what_to_pass(tmp_path, capsys) -> None:
    assert cli.main(["download-checkpoints", "multi-task", "--dest", str(tmp_path), "--quiet"]) == 2
    assert "--url" in capsys.readouterr().err
