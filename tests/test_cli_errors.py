"""Bad input to the workflow commands gives one clear line naming the problem (no traceback)."""

import pytest

from cliport.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "train.agent=bogus"], "bogus"),
        (["train", "train.task=bogus-task", "train.agent=transporter"], "unknown task or group 'bogus-task'"),
        (["train", "train.nope=1"], "unknown key 'train.nope'"),
        (["train", "train.n_demos=abc"], "train.n_demos"),
        (["eval", "eval_task=nope", "agent=transporter"], "unknown task or group 'nope'"),
        (["eval", "eval_task=block-insertion", "agent=transporter", "data_dir=/nonexistent"],
         "does not exist"),
        (["eval", "eval_task=multi-language-conditioned", "agent=cliport"], "task group"),
        (["demos", "task=bogus", "n=1"], "bogus"),
        (["results", "/nonexistent/results.json"], "no such results file"),
        (["frobnicate"], "unknown command"),
    ],
)
def test_bad_input_is_one_clear_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
