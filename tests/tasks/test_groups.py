"""Multi-task groups resolve to exactly the member lists of spec data_train_eval.md §5."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cliport.tasks.groups import GROUPS, UnknownGroupError, group, group_members

SPEC = Path("/work/shared/spec/data_train_eval.md")

DEMO = ["align-box-corner", "assembling-kits", "block-insertion", "manipulating-rope", "packing-boxes",
        "palletizing-boxes", "place-red-in-green", "stack-block-pyramid", "sweeping-piles", "towers-of-hanoi"]
LANG_TRAIN = ["align-rope", "assembling-kits-seq-unseen-colors", "packing-boxes-pairs-unseen-colors",
              "packing-shapes", "packing-unseen-google-objects-seq", "packing-unseen-google-objects-group",
              "put-block-in-bowl-unseen-colors", "stack-block-pyramid-seq-unseen-colors",
              "separating-piles-unseen-colors", "towers-of-hanoi-seq-unseen-colors"]
LANG_ALL = ["align-rope", "assembling-kits-seq-seen-colors", "assembling-kits-seq-unseen-colors",
            "packing-boxes-pairs-seen-colors", "packing-boxes-pairs-unseen-colors", "packing-shapes",
            "packing-seen-google-objects-seq", "packing-unseen-google-objects-seq",
            "packing-seen-google-objects-group", "packing-unseen-google-objects-group",
            "put-block-in-bowl-seen-colors", "put-block-in-bowl-unseen-colors",
            "stack-block-pyramid-seq-seen-colors", "stack-block-pyramid-seq-unseen-colors",
            "separating-piles-seen-colors", "separating-piles-unseen-colors",
            "towers-of-hanoi-seq-seen-colors", "towers-of-hanoi-seq-unseen-colors"]


def test_main_groups():
    assert list(group_members("multi-all", "train")) == DEMO + LANG_TRAIN
    for mode in ("val", "test"):
        assert list(group_members("multi-all", mode)) == DEMO + LANG_ALL
        assert list(group_members("multi-language-conditioned", mode)) == LANG_ALL
    assert list(group_members("multi-language-conditioned", "train")) == LANG_TRAIN
    for mode in ("train", "val", "test"):
        assert list(group_members("multi-demo-conditioned", mode)) == DEMO
    assert len(group_members("multi-all", "test")) == 28


def _spec_attribute_rows() -> list[tuple[str, list[str], str, str | None]]:
    rows = []
    for line in SPEC.read_text().splitlines():
        m = re.match(r"^\| (multi-attr-[a-z-]+) \| (.+?) \| ([a-z-]+) \| ([a-z-]+) \|$", line)
        if m:
            train = [t.strip().strip("*") for t in m.group(2).split(",")]
            attr = None if m.group(4) == "none" else m.group(4)
            rows.append((m.group(1), train, m.group(3), attr))
    return rows


@pytest.mark.skipif(not SPEC.is_file(), reason="spec not available")
def test_attribute_groups_match_the_spec_table():
    rows = _spec_attribute_rows()
    assert len(rows) == 10
    for name, train, held_out, attr in rows:
        g = group(name)
        assert list(g.train) == train, name
        assert g.val == g.test == (held_out,)
        assert g.attribute_task == attr
        if attr is not None:
            assert attr in g.train
    main = {"multi-all", "multi-demo-conditioned", "multi-language-conditioned"}
    assert set(GROUPS) == {r[0] for r in rows} | main


def test_unknown_group_and_mode():
    with pytest.raises(UnknownGroupError, match="unknown multi-task group 'multi-everything'"):
        group("multi-everything")
    with pytest.raises(Exception, match="mode"):
        group_members("multi-all", "training")


def test_members_are_registered_tasks():
    from cliport.tasks.registry import task_names

    names = set(task_names())
    if len(names) < 30:
        pytest.skip(f"task registry incomplete ({len(names)} tasks registered so far)")
    missing = sorted({m for g in GROUPS.values() for mode in ("train", "val", "test")
                      for m in g.members(mode)} - names)
    assert not missing, f"group members not in the task registry: {missing}"
