"""place-red-in-green and put-block-in-bowl: scene counts, colours, splits and exact instructions."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cliport.tasks import catalogue
from cliport.tasks.registry import make_task

TEMPLATE = re.compile(r"^put the (\w+) blocks in a (\w+) bowl$")


def _build(name, mode, seed, fake_scene):
    task = make_task(name, mode)
    scene = fake_scene(seed)
    task.reset(scene)
    return task, scene


def _by_urdf(scene, urdf):
    return [b for b in scene.bodies.values() if b.urdf == urdf]


@pytest.mark.parametrize(
    ("name", "mode", "allowed"),
    [
        ("put-block-in-bowl-seen-colors", "train", catalogue.TRAIN_COLORS),
        ("put-block-in-bowl-seen-colors", "test", catalogue.TRAIN_COLORS),
        ("put-block-in-bowl-unseen-colors", "train", catalogue.TRAIN_COLORS),
        ("put-block-in-bowl-unseen-colors", "val", catalogue.EVAL_COLORS),
        ("put-block-in-bowl-unseen-colors", "test", catalogue.EVAL_COLORS),
        ("put-block-in-bowl-full", "train", catalogue.COLOR_NAMES),
    ],
)
def test_put_block_in_bowl_instructions_and_colours(name, mode, allowed, fake_scene):
    seen_pairs = set()
    for seed in range(20):
        task, scene = _build(name, mode, seed, fake_scene)
        m = TEMPLATE.match(task.lang_goal())
        assert m, task.lang_goal()
        block_c, bowl_c = m.groups()
        assert block_c != bowl_c and block_c in allowed and bowl_c in allowed
        seen_pairs.add((block_c, bowl_c))
        goal = task.goals[0]
        n_blocks, n_bowls = goal.matches.shape
        assert 1 <= n_bowls <= 3 and 1 <= n_blocks <= n_bowls
        assert task.max_steps == n_blocks + 1 and task.pos_eps == 0.05
        assert np.all(goal.matches == 1) and not goal.replace and goal.rotations and goal.metric == "pose"
        for obj in goal.objects:
            assert scene.bodies[obj.body_id].rgba == catalogue.color_rgba(block_c) and obj.symmetry == 0
        bowls = [b for b in _by_urdf(scene, "bowl/bowl.urdf") if b.category == "fixed"]
        assert len(bowls) == n_bowls and all(b.rgba == catalogue.color_rgba(bowl_c) for b in bowls)
        # Six rigid distractors in palette order, never in the two selected colours.
        distractors = [b for i, b in scene.bodies.items()
                       if b.category == "rigid" and i not in {o.body_id for o in goal.objects}]  # fmt: skip
        assert len(distractors) == 6
        rest = [catalogue.color_rgba(c) for c in catalogue.COLOR_NAMES if c not in (block_c, bowl_c)]
        assert [d.rgba for d in distractors] == [rest[k % len(rest)] for k in range(6)]
        assert task.completed == "done placing blocks in bowls."
    assert len(seen_pairs) > 5


def test_place_red_in_green_scene(fake_scene):
    for seed in range(20):
        task, scene = _build("place-red-in-green", "train", seed, fake_scene)
        assert task.lang_goal() == "put the red blocks in a green bowl"
        assert task.max_steps == 10 and task.pos_eps == 0.05
        goal = task.goals[0]
        n_blocks, n_bowls = goal.matches.shape
        assert 1 <= n_blocks <= n_bowls <= 3
        assert all(scene.bodies[o.body_id].rgba is None for o in goal.objects)  # default red
        distractors = [b for i, b in scene.bodies.items()
                       if b.category == "rigid" and i not in {o.body_id for o in goal.objects}]  # fmt: skip
        assert len(distractors) == 6  # bowls among them are rigid too (tasks.md §5)
        for k, d in enumerate(distractors):
            excluded = "red" if d.urdf == "stacking/block.urdf" else "green"
            names = [c for c in catalogue.COLOR_NAMES if c != excluded]
            assert d.rgba == catalogue.color_rgba(names[k % len(names)])
