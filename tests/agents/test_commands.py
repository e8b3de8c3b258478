"""`cliport agents`: full-size trainable parameter counts of models.md §11, built on the meta device."""

from __future__ import annotations

import json

from cliport.agents.build import count_trainable
from cliport.cli import main as cli_main


def test_counts_match_the_spec():
    assert count_trainable("cliport") == (92_338_337, 184_677_098)  # total 277 015 435
    assert count_trainable("transporter") == (9_823_280, 19_647_008)


def test_agents_command_lists_every_agent(capsys):
    assert cli_main(["agents", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert len(rows) == 16
    assert rows["cliport"]["total"] == 277_015_435
    assert "crashes in the original" in rows["image_goal_transporter"]["notes"]
    assert rows["transporter_lang"]["language"] == "bert"
