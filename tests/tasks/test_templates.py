"""Instructions of every language task match tasks.md's templates character for character.

Scenes are built on the fake scene of conftest.py (no simulator), extended with the few client calls
the rope and Google-object tasks make. Colours and object names must come from the split's list.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from cliport.tasks import catalogue as cat
from cliport.tasks.registry import make_task, task_names

SEEDS = range(20)

COMPLETED = {
    "align-box-corner": "done with alignment",
    "assembling-kits": "done assembling blocks.",
    "assembling-kits-easy": "done assembling blocks.",
    "block-insertion": "done with insertion.",
    "manipulating-rope": "done manipulating the rope.",
    "packing-boxes": "done packing boxes.",
    "palletizing-boxes": "done stacking boxes.",
    "place-red-in-green": "done placing blocks in bowls.",
    "stack-block-pyramid": "done stacking block pyramid.",
    "sweeping-piles": "done sweeping.",
    "towers-of-hanoi": "solved towers of hanoi.",
    "align-rope": "done aligning the rope.",
    "assembling-kits-seq": "done assembling kit.",
    "packing-shapes": "done packing shapes.",
    "packing-boxes-pairs": "done packing blocks.",
    "packing-seen-google-objects": "done packing objects.",
    "packing-unseen-google-objects": "done packing objects.",
    "put-block-in-bowl": "done placing blocks in bowls.",
    "stack-block-pyramid-seq": "done stacking block pyramid.",
    "separating-piles": "done separating pile.",
    "towers-of-hanoi-seq": "solved towers of hanoi.",
}

FIXED_INSTRUCTIONS = {
    "assembling-kits": "put all the blocks inside the holes they fit in",
    "assembling-kits-easy": "put all the blocks inside the holes they fit in",
    "packing-boxes": "pack all the boxes inside the brown box",
    "sweeping-piles": "push the pile of blocks into the green square",
    "manipulating-rope": "manipulate the rope to complete the square",
}


pytestmark = pytest.mark.usefixtures("fast_free_space")


def extend(scene):
    """Add the rope (multibody/constraint), texture and mesh-data calls to the fake client."""
    base = type(scene.client)

    class Client(base):
        GEOM_BOX, GEOM_SPHERE, JOINT_POINT2POINT = 3, 2, 5

        def createCollisionShape(self, *a, **k):  # noqa: N802 - PyBullet's names
            return 0

        def createVisualShape(self, *a, **k):  # noqa: N802
            return 0

        def createMultiBody(self, mass, col, vis, basePosition):  # noqa: N802, N803
            body = scene.add_object("bead", (basePosition, (0, 0, 0, 1)), "deformable")
            scene.obj_ids["deformable"].remove(body)
            return body

        def createConstraint(self, **k):  # noqa: N802
            return 0

        def changeConstraint(self, *a, **k):  # noqa: N802
            pass

        def changeVisualShape(self, body_id, link, rgbaColor=None, textureUniqueId=None):  # noqa: N802, N803
            if rgbaColor is not None:
                scene.bodies[body_id].rgba = tuple(rgbaColor)

        def loadTexture(self, path):  # noqa: N802
            return 1

        def getMeshData(self, body_id):  # noqa: N802
            return 2, [(-0.05, -0.04, -0.03), (0.05, 0.04, 0.03)]

    scene.client = Client(scene)
    return scene


@pytest.fixture(scope="module")
def google_root(tmp_path_factory):
    """A fake Google-objects folder: empty mesh and texture files for every name."""
    root = tmp_path_factory.mktemp("google")
    (root / "meshes_fixed").mkdir()
    (root / "textures").mkdir()
    for name in cat.GOOGLE_SEEN_OBJECTS:
        (root / "meshes_fixed" / f"{cat.google_file_stem(name)}.obj").write_text("")
        (root / "textures" / f"{cat.google_file_stem(name)}.png").write_bytes(b"")
    return root


def instructions(name, mode, seed, fake_scene, google_root):
    task = make_task(name, mode)
    if "google" in name:
        task.google_objects_root = google_root
    scene = extend(fake_scene(seed))
    task.reset(scene)
    task._scene = scene  # for layout comparisons
    return task, list(task.lang_goals)


def alt(words) -> str:
    return "(" + "|".join(re.escape(w) for w in words) + ")"


def family(name: str) -> str:
    return re.sub(r"-(seen-colors|unseen-colors|full)$", "", name)


def color_pool(name: str, mode: str) -> tuple[str, ...]:
    variant = {"unseen-colors": "unseen", "seen-colors": "seen", "full": "full"}
    for suffix, v in variant.items():
        if name.endswith(suffix):
            return cat.colors_for(v, mode)  # type: ignore[arg-type]
    return cat.colors_for("unseen", mode)  # packing-shapes: seen in train, eval list otherwise


def patterns(name: str, mode: str) -> list[str]:
    """Full-match regexes for each instruction of a task in a mode (colour/name pools of the split)."""
    c = alt(color_pool(name, mode))
    fam = family(name)
    shape_ids = cat.ALL_SHAPES if name.endswith("-full") else cat.shapes_for(mode)
    shapes = alt(cat.KIT_SHAPES[i].name for i in shape_ids)
    split = "seen" if "-seen-" in name else "unseen"
    objs = alt(cat.google_objects_for(split, mode)) if "google" in name else ""  # type: ignore[arg-type]
    table = {
        "align-rope": [r"align the rope from (front left tip to front right tip|front right tip to back right"
                       r" corner|front left tip to back left corner|back right corner to back left corner)"],
        "assembling-kits-seq": [rf"put the {c} {shapes} in the ((top|bottom|left|right|middle) )?\2 hole"],
        "packing-shapes": [rf"pack the {alt(cat.KIT_SHAPES[i].name for i in cat.shapes_for(mode))} in the"
                           r" brown box"],
        "packing-boxes-pairs": [rf"pack all the {c}( and {c})? blocks into the brown box"],
        "packing-seen-google-objects-seq": [rf"pack the {objs} in the brown box"],
        "packing-unseen-google-objects-seq": [rf"pack the {objs} in the brown box"],
        "packing-seen-google-objects-group": [rf"pack all the {objs} objects in the brown box"],
        "packing-unseen-google-objects-group": [rf"pack all the {objs} objects in the brown box"],
        "put-block-in-bowl": [rf"put the {c} blocks in a {c} bowl"],
        "separating-piles": [rf"push the pile of {c} blocks into the {c} square"],
        "towers-of-hanoi-seq": [rf"move the {c} ring to the (lighter brown side|middle of the stand|darker"
                                r" brown side)"],
        "stack-block-pyramid-seq": [rf"put the {c} block on the {p} brown block"
                                    for p in ("lightest", "middle", "darkest")]
        + [rf"put the {c} block on the {c} and {c} blocks"] * 3,
    }  # fmt: skip
    return table[fam]


LANGUAGE = task_names("language")


def test_all_language_tasks_have_patterns():
    assert len(LANGUAGE) == 24
    for name in LANGUAGE:
        assert patterns(name, "train")


@pytest.mark.parametrize("name", LANGUAGE)
@pytest.mark.parametrize("mode", ["train", "test"])
def test_instructions_match_templates(name, mode, fake_scene, google_root):
    pats = patterns(name, mode)
    seen_colors: set[str] = set()
    for seed in SEEDS:
        task, goals = instructions(name, mode, seed, fake_scene, google_root)
        assert goals, f"{name} seed {seed}: no instruction"
        for i, text in enumerate(goals):
            pat = pats[i] if len(pats) > 1 else pats[0]
            assert re.fullmatch(pat, text), f"{name} seed {seed}: {text!r} does not match {pat!r}"
        seen_colors |= {w for g in goals for w in cat.COLOR_NAMES if f" {w} " in f" {g} "}
        assert task.lang_goal() == goals[0]
    if "colors" in name or name.endswith("-full"):
        assert seen_colors <= set(color_pool(name, mode)) | {"brown"}


def test_unseen_eval_splits_draw_only_eval_colours(fake_scene, google_root):
    only_eval = set(cat.EVAL_COLORS) - set(cat.TRAIN_COLORS)
    hits = 0
    for name in ("assembling-kits-seq-unseen-colors", "separating-piles-unseen-colors",
                 "packing-boxes-pairs-unseen-colors"):  # fmt: skip
        for seed in range(10):
            _, goals = instructions(name, "val", seed, fake_scene, google_root)
            words = set(" ".join(goals).split())
            assert not words & {"yellow", "gray", "cyan"}
            hits += bool(words & only_eval)
    assert hits > 0


@pytest.mark.parametrize("name", sorted(FIXED_INSTRUCTIONS))
def test_fixed_instructions(name, fake_scene, google_root):
    _, goals = instructions(name, "train", 0, fake_scene, google_root)
    assert goals == [FIXED_INSTRUCTIONS[name]]


@pytest.mark.parametrize("name", task_names())
def test_completed_sentence(name):
    task = make_task(name)
    key = next(k for k in sorted(COMPLETED, key=len, reverse=True) if name.startswith(k))
    assert task.completed == COMPLETED[key]
    assert task.lang_goal() == COMPLETED[key]  # no goals before reset


def test_same_seed_same_instructions(fake_scene, google_root):
    for name in ("assembling-kits-seq-full", "packing-unseen-google-objects-group", "align-rope"):
        a = instructions(name, "train", 5, fake_scene, google_root)[1]
        b = instructions(name, "train", 5, fake_scene, google_root)[1]
        assert a == b


MINE = [n for n in task_names() if make_task(n).__module__.rsplit(".", 1)[-1]
        in {"kitting", "packing_boxes", "packing_shapes", "packing_google", "rope", "piles"}]  # fmt: skip


@pytest.mark.parametrize("name", MINE)
def test_same_seed_same_scene_other_seed_differs(name, fake_scene, google_root):
    def layout(seed):
        task, goals = instructions(name, "train", seed, fake_scene, google_root)
        bodies = task._scene.bodies.values()
        return goals, [(b.category, tuple(np.round(b.position, 9)), b.rgba) for b in bodies]

    assert layout(3) == layout(3)
    assert layout(3)[1] != layout(4)[1]
