"""The bad-input corpus (docs/reliability.md): each case gets exit code 2 and one exact line, no traceback.

Cases run in-process through ``cliport.cli.main`` in a folder holding the bad files (the ``workdir``
fixture); ``{root}`` in a message stands for that folder. One case runs as a subprocess to check the real
console script and ``CLIPORT_DEBUG=1``. Cases below the CLI (actions handed to ``env.step``, instructions
handed to the tokenizer) are checked at the function that raises, with their exact message.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.data.factories import block_episode, make_folder

from cliport.agents.checkpoint import checkpoint_metadata, write_safetensors
from cliport.agents.config import AgentConfig
from cliport.cli import main
from cliport.data.episode import Episode, save_episode
from cliport.data.lock import exclusive_writer
from cliport.data.store import episode_file
from cliport.env.actions import ActionError, parse_action
from cliport.errors import CliportError
from cliport.models.clip.tokenizer import TokenizerError, decode, tokenize

TI = ["train.task=block-insertion", "train.agent=transporter", "train.n_steps=1", "train.n_rotations=4",
      "train.progress=false", "train.model_options={resnet_base: 4}"]
CLIP = ["train.task=block-insertion", "train.agent=cliport", "train.n_steps=1", "train.n_demos=1",
        "train.data_dir=good", "train.progress=false"]
EV = ["eval", "eval_task=block-insertion", "agent=transporter", "mode=test", "train_demos=2",
      "checkpoint_type=last", "progress=false", "n_demos=2"]
REGEN = "delete it and rerun the `cliport demos` command that made the dataset (it regenerates it)"
GET_CLIP = ("get OpenAI's RN50.pt with `cliport download-clip` (from https://openaipublic.azureedge.net/clip/"
            "models/afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762/RN50.pt) or pass "
            "clip_weights=PATH / set CLIPORT_CLIP_WEIGHTS=PATH")
START_OVER = "pass another train.train_dir, or train.load_from_last_ckpt=false to start over"

#: (case, argv, the exact error line); ``{root}`` is the test's working folder. None = any one line.
CASES = [
    ("unknown command", ["frobnicate"], "cliport: unknown command 'frobnicate'"),
    ("unknown mode", ["demos", "task=block-insertion", "mode=bogus", "n=1"],
     "cliport demos: error: mode must be train, val or test, got 'bogus'"),
    ("n < 1", ["demos", "task=block-insertion", "n=0"],
     "cliport demos: error: n must be >= 1 (the number of episodes to generate), got 0"),
    ("workers=0", ["demos", "task=block-insertion", "n=1", "workers=0"],
     "cliport demos: error: workers must be >= 1, got 0"),
    ("shard=3/2", ["demos", "task=block-insertion", "n=1", "shard=3/2"],
     "cliport demos: error: shard '3/2': need 0 <= i < N"),
    ("demos data_dir is a file", ["demos", "task=block-insertion", "n=1", "data_dir=afile"],
     "cliport demos: error: data_dir 'afile' is a file, not a folder; pass data_dir=<folder>"),
    ("train data_dir is a file", ["train", *TI, "train.n_demos=1", "train.data_dir=afile"],
     "cliport train: error: train.data_dir 'afile' is a file, not a folder; pass train.data_dir=<folder>"),
    ("train n_demos < 1", ["train", *TI, "train.n_demos=0"],
     "cliport train: error: train.n_demos must be >= 1"),
    ("dataset.json not JSON", ["train", *TI, "train.n_demos=1", "train.data_dir=bad"],
     "cliport train: error: bad/block-insertion-train/dataset.json is corrupt (Expecting property name "
     "enclosed in double quotes: line 1 column 2 (char 1))"),
    ("missing dataset folder", ["train", *TI, "train.n_demos=1", "train.data_dir=nodata"],
     "cliport train: error: dataset folder nodata/block-insertion-train does not exist (generate it with "
     "`cliport demos`)"),
    ("results file misnamed / not JSON", ["results", "res.json"],
     "cliport results: error: res.json is not named like '<task>-<agent>-n<N>-results-<mode>.json'"),
    ("results file not JSON", ["results", "block-insertion-transporter-n2-results-test.json"],
     "cliport results: error: results file block-insertion-transporter-n2-results-test.json is not valid "
     "JSON (Expecting value: line 1 column 1 (char 0)); delete it and rerun the `cliport eval` command "
     "that wrote it"),
    ("missing results file", ["results", "nothere/results.json"],
     "cliport results: error: no such results file or folder: nothere/results.json"),
    ("unknown eval task", ["eval", "eval_task=nope", "agent=transporter"],
     "cliport eval: error: unknown task or group 'nope'; `cliport tasks` lists the tasks, multi-task groups "
     "are named multi-* (cliport.tasks.groups)"),
    ("unknown group (misspelt)", ["train", "train.task=multi-languag-conditioned", "train.agent=cliport"],
     "cliport train: error: unknown task or group 'multi-languag-conditioned'; did you mean "
     "multi-language-conditioned or multi-demo-conditioned? `cliport tasks` lists the tasks, multi-task "
     "groups are named multi-* (cliport.tasks.groups)"),
    ("unknown agent", ["train", "train.task=block-insertion", "train.agent=bogus"],
     "cliport train: error: unknown agent 'bogus'; known agents: "
     "cliport, two_stream_clip_lingunet_lat_transporter, two_stream_clip_unet_lat_transporter, "
     "two_stream_clip_lingunet_transporter, two_stream_clip_unet_transporter, "
     "two_stream_clip_woskip_transporter, two_stream_full_rn50_bert_lingunet_lat_transporter, "
     "two_stream_full_rn50_bert_unet_transporter, two_stream_full_rn50_bert_lingunet_transporter, "
     "two_stream_full_untrained_rn50_bert_lingunet_transporter, transporter, clip_unet_transporter, "
     "clip_lingunet_transporter, transporter_lang, image_goal_transporter, "
     "two_stream_clip_film_lingunet_lat_transporter"),
    ("unknown key", ["train", "train.nope=1"],
     "cliport train: error: unknown key 'train.nope' (Key 'nope' not in 'TrainSection')"),
    # --- datasets and episodes
    ("train n_demos beyond the dataset", ["train", *TI, "train.n_demos=5", "train.data_dir=good"],
     "cliport train: error: good/block-insertion-train holds 2 episodes but n_demos=5 were asked for; "
     "generate them with `cliport demos task=block-insertion mode=train n=5 data_dir=good`, or ask for "
     "fewer"),
    ("eval n_demos beyond the dataset", [*EV[:-1], "n_demos=5", "data_dir=good"],
     "cliport eval: error: good/block-insertion-test holds 2 episodes but n_demos=5 were asked for; "
     "generate them with `cliport demos task=block-insertion mode=test n=5 data_dir=good`, or ask for fewer"),
    ("truncated episode file", ["train", *TI, "train.n_demos=1", "train.data_dir=trunc"],
     "cliport train: error: episode file trunc/block-insertion-train/episodes/000000.npz is corrupt or "
     f"truncated (BadZipFile: File is not a zip file); {REGEN}"),
    ("episode of a newer format version", ["train", *TI, "train.n_demos=1", "train.data_dir=v2"],
     "cliport train: error: episode file v2/block-insertion-train/episodes/000000.npz has format version 2; "
     f"this cliport reads version 1; {REGEN}"),
    ("episode of another task in the folder", ["train", *TI, "train.n_demos=1", "train.data_dir=mixed"],
     "cliport train: error: episode file mixed/block-insertion-train/episodes/000000.npz is an episode of "
     f"align-rope-train, not of this folder's block-insertion-train; {REGEN}"),
    ("demos into a folder that another run writes", ["demos", "task=block-insertion", "n=1", "data_dir=busy"],
     "cliport demos: error: busy/block-insertion-train is being written by another cliport demos run "
     "(process {pid}, lock .lock-main); wait for it to finish, or pass another data_dir= or shard="),
    # --- CLIP weights
    ("no CLIP file at all", ["train", *CLIP],
     f"cliport train: error: no CLIP RN50 weights found; {GET_CLIP}"),
    ("missing CLIP file", ["train", *CLIP, "train.clip_weights=nothere.pt"],
     f"cliport train: error: CLIP weights clip_weights='nothere.pt': no such file; {GET_CLIP}"),
    ("corrupt CLIP file", ["train", *CLIP, "train.clip_weights=junk.pt"],
     "cliport train: error: CLIP weights 'junk.pt': cannot read the file (IndexError: pop from empty list); "
     "it is corrupt or not a weight file: download it again with `cliport download-clip`"),
    ("CLIP file of another model (ViT-B/32)", ["train", *CLIP, "train.clip_weights=ViT-B-32.pt"],
     "cliport train: error: CLIP weights 'ViT-B-32.pt' are a ViT-B/32 CLIP, not the RN50 (ResNet-50) CLIP "
     "that CLIPort uses; get RN50.pt with `cliport download-clip`"),
    ("CLIP archive with a bad checksum", ["train", *CLIP, "train.clip_weights=RN50.pt"],
     "cliport train: error: CLIP weights 'RN50.pt': SHA-256 {sha} does not match the expected "
     "afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762 (corrupt or a different file; "
     "re-download with `cliport download-clip`, or pass expected_sha256=None to load a different RN50 file "
     "on purpose)"),
    # --- checkpoints
    ("eval: checkpoint of another agent", [*EV, "data_dir=good", "exp_folder=other_agent"],
     "cliport eval: error: checkpoint other_agent/block-insertion-transporter-n2-train/checkpoints/last.ckpt "
     "belongs to agent 'transporter_lang', not agent='transporter'; pass agent=transporter_lang, or point "
     "exp_folder= at agent transporter's checkpoints"),
    ("eval: checkpoint of a newer format", [*EV, "data_dir=good", "exp_folder=newer"],
     "cliport eval: error: checkpoint newer/block-insertion-transporter-n2-train/checkpoints/last.ckpt has "
     "format version 2; this cliport reads up to 1: upgrade cliport (pip install -U cliport) to read it"),
    ("train: resume from a checkpoint of another agent",
     ["train", *TI, "train.n_demos=1", "train.data_dir=good", "train.train_dir=resume_agent"],
     "cliport train: error: cannot resume from resume_agent/checkpoints/last.ckpt: it was saved with "
     f"agent='image_goal_transporter', this run has agent='transporter'; {START_OVER}"),
    ("train: resume from a checkpoint of another rotation count",
     ["train", *TI, "train.n_demos=1", "train.data_dir=good", "train.train_dir=resume_rot"],
     "cliport train: error: cannot resume from resume_rot/checkpoints/last.ckpt: it was saved with "
     f"n_rotations=36, this run has n_rotations=4; {START_OVER}"),
    ("train: resume from a checkpoint of a newer format",
     ["train", *TI, "train.n_demos=1", "train.data_dir=good", "train.train_dir=resume_new"],
     "cliport train: error: cannot resume from resume_new/checkpoints/last.ckpt: it has format version 2, "
     f"this cliport reads up to 1; upgrade cliport, or {START_OVER}"),
]


def _dataset(root: Path, name: str, task: str = "block-insertion", seeds=(0, 2), test_seeds=(10001, 10003)):
    make_folder(root / name, task, "train", list(seeds))
    make_folder(root / name, task, "val", [1])
    make_folder(root / name, task, "test", list(test_seeds))
    return root / name / f"{task}-train"


class _NewerEpisode(Episode):
    def meta(self) -> dict:
        return {**super().meta(), "format_version": 2}


def _training_checkpoint(path: Path, header: dict[str, str]) -> None:
    write_safetensors(path, {"pick.w": torch.zeros(1)}, {**header, "train_step": "1", "optimizers": "{}"})


def vit_b32_state() -> dict[str, torch.Tensor]:
    """OpenAI's ViT-B/32 state-dict key layout, small widths except the (768, 3, 32, 32) patch embedding."""
    w, state = 8, {}
    state["visual.conv1.weight"] = torch.zeros(768, 3, 32, 32, dtype=torch.float16)
    for key, shape in (("class_embedding", (w,)), ("positional_embedding", (50, w)), ("proj", (w, 4)),
                       ("ln_pre.weight", (w,)), ("ln_pre.bias", (w,)), ("ln_post.weight", (w,)),
                       ("ln_post.bias", (w,))):
        state[f"visual.{key}"] = torch.zeros(shape)
    for tower in ("visual.transformer", "transformer"):
        for leaf, shape in (("attn.in_proj_weight", (3 * w, w)), ("attn.in_proj_bias", (3 * w,)),
                            ("attn.out_proj.weight", (w, w)), ("attn.out_proj.bias", (w,)),
                            ("ln_1.weight", (w,)), ("ln_1.bias", (w,)), ("mlp.c_fc.weight", (4 * w, w)),
                            ("mlp.c_fc.bias", (4 * w,)), ("mlp.c_proj.weight", (w, 4 * w)),
                            ("mlp.c_proj.bias", (w,)), ("ln_2.weight", (w,)), ("ln_2.bias", (w,))):
            state[f"{tower}.resblocks.0.{leaf}"] = torch.zeros(shape)
    for key, shape in (("positional_embedding", (77, w)), ("text_projection", (w, 4)), ("logit_scale", ()),
                       ("token_embedding.weight", (49408, 1)), ("ln_final.weight", (w,)),
                       ("ln_final.bias", (w,))):
        state[key] = torch.zeros(shape)
    state.update(input_resolution=torch.tensor(224), context_length=torch.tensor(77),
                 vocab_size=torch.tensor(49408))
    return state


def _torchscript_archive(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(torch.nn.Linear(2, 2), torch.zeros(1, 2)), str(path))


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLIPORT_CLIP_WEIGHTS", raising=False)
    (tmp_path / "clip-cache").mkdir()
    monkeypatch.setenv("CLIPORT_CACHE", str(tmp_path / "clip-cache"))  # no RN50.pt there
    (tmp_path / "afile").write_text("x")
    folder = make_folder(tmp_path / "bad", "block-insertion", "train", [1])
    (folder / "dataset.json").write_text("{not json")
    (tmp_path / "res.json").write_text("nope")
    (tmp_path / "block-insertion-transporter-n2-results-test.json").write_text("nope")
    _dataset(tmp_path, "good")
    trunc = episode_file(_dataset(tmp_path, "trunc", seeds=(0,)), 0)
    trunc.write_bytes(trunc.read_bytes()[:1000])
    save_episode(episode_file(_dataset(tmp_path, "v2", seeds=(0,)), 0),
                 _NewerEpisode(**vars(block_episode(0, task="block-insertion"))))
    save_episode(episode_file(_dataset(tmp_path, "mixed", seeds=(0,)), 0),
                 block_episode(0, task="align-rope"))
    (tmp_path / "junk.pt").write_bytes(b"this is not a weight file" * 10)
    torch.save(vit_b32_state(), tmp_path / "ViT-B-32.pt")
    _torchscript_archive(tmp_path / "RN50.pt")
    mine = AgentConfig(agent="transporter", n_rotations=4, model_options={"resnet_base": 4})
    ckpt = Path("checkpoints/last.ckpt")
    other = AgentConfig(**{**vars(mine), "agent": "image_goal_transporter"})
    _training_checkpoint(tmp_path / "resume_agent" / ckpt, checkpoint_metadata(other))
    _training_checkpoint(tmp_path / "resume_rot" / ckpt,
                         checkpoint_metadata(AgentConfig(**{**vars(mine), "n_rotations": 36})))
    _training_checkpoint(tmp_path / "resume_new" / ckpt, {**checkpoint_metadata(mine), "format_version": "2"})
    exp = Path("block-insertion-transporter-n2-train/checkpoints/last.ckpt")
    write_safetensors(tmp_path / "other_agent" / exp, {"pick.w": torch.zeros(1)},
                      checkpoint_metadata(AgentConfig(agent="transporter_lang")))
    write_safetensors(tmp_path / "newer" / exp, {"pick.w": torch.zeros(1)},
                      {**checkpoint_metadata(mine), "format_version": "2"})
    return tmp_path


@pytest.mark.parametrize(("case", "argv", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_one_exact_line(case, argv, message, workdir, capsys, monkeypatch):
    monkeypatch.delenv("CLIPORT_DEBUG", raising=False)
    with exclusive_writer(workdir / "busy" / "block-insertion-train", "main"):  # a run writing busy/
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line[line.index("cliport"):] for line in err.splitlines() if "cliport" in line]
    assert len(lines) == 1 or case == "unknown command", err  # that one adds the usage text
    if message is not None:
        sha = hashlib.sha256((workdir / "RN50.pt").read_bytes()).hexdigest()
        expected = message.replace("{root}", str(workdir)).replace("{pid}", str(os.getpid()))
        assert lines[0] == expected.replace("{sha}", sha)


def test_console_script_and_debug_switch(workdir):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    env.pop("CLIPORT_DEBUG", None)
    cmd = [sys.executable, "-m", "cliport.cli", "demos", "task=block-insertion", "n=1", "data_dir=afile"]
    quiet = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 2
    assert quiet.stderr.strip() == (
        "cliport demos: error: data_dir 'afile' is a file, not a folder; pass data_dir=<folder>"
    )
    loud = subprocess.run(cmd, env={**env, "CLIPORT_DEBUG": "1"}, capture_output=True, text=True, timeout=120)
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "ConfigError" in loud.stderr


# --- below the CLI: the function that detects the problem raises the exact message ---------------------

FIX = "check the policy (or oracle) that produced it"
ACTIONS = [
    ("NaN action", ((0.5, np.nan, 0.02), (0, 0, 0, 1)),
     f"action pose0 contains NaN or infinity: position [0.5, nan, 0.02], quaternion [0.0, 0.0, 0.0, 1.0]; "
     f"{FIX}"),
    ("out-of-workspace action", ((1.2, 0.0, 0.02), (0, 0, 0, 1)),
     "action pose0 position [1.2, 0.0, 0.02] is outside the workspace on x (allowed [0.25, -0.5, 0.0] .. "
     f"[0.75, 0.5, 0.28]); {FIX}"),
]


@pytest.mark.parametrize(("case", "pose0", "message"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_bad_actions_are_refused_with_the_exact_message(case, pose0, message):
    with pytest.raises(ActionError) as info:
        parse_action({"pose0": pose0, "pose1": ((0.5, 0.1, 0.02), (0, 0, 0, 1))})
    assert str(info.value) == message and isinstance(info.value, CliportError)


def test_instruction_longer_than_77_tokens():
    text = "put the red block in the green bowl " * 10  # 80 words -> 82 ids with start/end
    with pytest.raises(TokenizerError) as info:
        tokenize(text)
    assert str(info.value) == (
        "instruction 'put the red block in the green bowl put the red block in ...' is 82 tokens "
        "long (with start/end); CLIP's context holds 77: shorten the instruction"
    )


@pytest.mark.parametrize("text", ["mettez le cube rouge dans le bol vert, s'il vous plaît",
                                  "把红色的方块放进绿色的碗里", "put the 🟥 block in the bowl"])
def test_non_ascii_instructions_are_tokenized_like_clip(text):
    """Accepted, not an error: CLIP's byte-level BPE encodes any Unicode text, and decodes it back."""
    ids = tokenize(text)[0]
    assert ids[0].item() == 49406 and (ids > 0).sum().item() > 2
    assert decode(ids).replace(" ", "") == text.lower().replace(" ", "")


def test_non_ascii_instruction_round_trips_through_an_episode_file(tmp_path):
    from cliport.data.episode import load_episode

    ep = block_episode(0)
    ep.instruction = ["mettez le cube dans le bol \u00e0 gauche \u2014 \u7eff"] * len(ep)
    assert load_episode(save_episode(tmp_path / "e.npz", ep)).instruction == ep.instruction


def test_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    folder = tmp_path / "block-insertion-train"
    folder.mkdir()
    (folder / ".lock-main").write_text("12345\n")  # a stale file: nobody holds its flock
    (folder / ".lock").write_text("")
    (folder / ".tmp-000000.npz.abc").write_bytes(b"half")  # a killed writer's temporary
    with exclusive_writer(folder, "main", cleanup=lambda: (folder / ".tmp-000000.npz.abc").unlink()):
        assert (folder / ".lock-main").read_text() == f"{os.getpid()}\n"
        with pytest.raises(CliportError, match="being written by another"):
            with exclusive_writer(folder, "main"):
                pass
        with exclusive_writer(folder, "shard-0-of-2", cleanup=lambda: pytest.fail("cleanup while busy")):
            pass  # another shard may write beside it, but must not clean up
    assert sorted(p.name for p in folder.iterdir()) == []  # locks and the stale temporary are gone


def test_vit_torchscript_archive_is_named_before_its_checksum(tmp_path):
    """OpenAI's ViT-B-32.pt is a TorchScript archive: recognised by its code (read as text, never run)."""
    from cliport.models.clip.weights import ClipWeightsError, read_state_dict

    class VisionTransformer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 4, 32, 32, bias=False)

        def forward(self, x):
            return self.conv1(x)

    path = tmp_path / "ViT-B-32.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(VisionTransformer(), torch.zeros(1, 3, 32, 32)), str(path))
    with pytest.raises(ClipWeightsError) as info:
        read_state_dict(path)
    assert str(info.value) == (
        f"CLIP weights {str(path)!r} are a ViT CLIP, not the RN50 (ResNet-50) CLIP that CLIPort uses; get "
        "RN50.pt with `cliport download-clip`"
    )
