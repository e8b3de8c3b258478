"""Resume after a kill between an episode's rename and its attempt-log line (benchmarks/faults.py)."""

from __future__ import annotations

from factories import block_episode

from cliport.data.episode import save_episode
from cliport.data.generate import _log_unlogged_episodes
from cliport.data.store import episode_file, read_attempts, trim_log


def test_episode_without_its_log_line_is_logged_on_resume(tmp_path):
    folder = tmp_path / "toy-train"
    ep = block_episode(0)
    save_episode(episode_file(folder, 0), ep)
    log = folder / "attempts" / "main.log"
    log.parent.mkdir(parents=True)
    log.write_text("0 o")  # the writer was killed half-way through "0 ok 1.0\n"
    _log_unlogged_episodes(folder, log)
    assert read_attempts(folder) == {0: True}
    trim_log(log, 0)  # what a finished generation does: the same bytes as an uninterrupted run's log
    assert log.read_text() == f"0 ok {float(ep.total_reward)!r}\n"


def test_unreadable_unlogged_episode_is_removed_to_be_attempted_again(tmp_path):
    folder = tmp_path / "toy-train"
    path = episode_file(folder, 2)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 truncated")
    _log_unlogged_episodes(folder, folder / "attempts" / "main.log")
    assert not path.exists() and read_attempts(folder) == {}
