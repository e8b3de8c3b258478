"""`cliport tasks`: every registered task with its kind, split, end effector and max steps."""

from __future__ import annotations

import json

from cliport.cli import main as cli_main
from cliport.commands.tasks_list import main


def test_json_lists_all_tasks(capfd):
    assert main(["--json"]) == 0
    out = capfd.readouterr().out
    rows = {r["name"]: r for r in json.loads(out)}  # nothing but JSON on stdout
    assert len(rows) == 39
    assert rows["sweeping-piles"] == {"name": "sweeping-piles", "kind": "demo", "split": "-", "ee": "spatula",
                                      "primitive": "push", "max_steps": 20}  # fmt: skip
    assert rows["packing-boxes-pairs-unseen-colors"]["split"] == "unseen"
    assert rows["packing-shapes"]["max_steps"] == 1 and rows["palletizing-boxes"]["max_steps"] == 30


def test_table_and_kind_filter(capfd):
    assert cli_main(["tasks", "--kind", "language"]) == 0
    lines = capfd.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "kind", "split", "ee", "primitive", "max_steps"]
    body = [line.split() for line in lines[1:] if line and not line.startswith("24 tasks")]
    assert len(body) == 24 and all(row[1] == "language" for row in body)
    assert ["align-rope", "language", "-", "suction", "pick_place", "20"] in body
    assert lines[-1].startswith("24 tasks")
