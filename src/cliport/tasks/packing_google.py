"""Packing Google Scanned Objects into a brown box (tasks.md §5.2).

* packing-{seen,unseen}-google-objects-seq: distinct objects sized by a K-D split of the container
  are dropped (tilted, see ``tilt_quirk``) on the table; the first n_pack loaded objects
  (1 <= n_pack < loaded) must be packed one at a time, "pack the {obj} in the brown box".
* packing-{seen,unseen}-google-objects-group: names drawn with replacement, two entries forced to a
  target category and two to a distractor; one goal with every object of the target category,
  "pack all the {obj} objects in the brown box".
Zone metric with mesh points; max steps = number of objects to pack + 1. The meshes are an external
download (see google_objects.py); without them reset raises a clear CliportError.
Randomised: container, split, names, object poses, n_pack.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cliport.env.task_api import Scene
from cliport.tasks import catalogue as cat
from cliport.tasks.base import Goal, GoalObject, Task, Zone
from cliport.tasks.google_objects import google_objects_root, load_google_object
from cliport.tasks.kdsplit import container_leaves, leaf_size
from cliport.tasks.placing import add_container, random_size
from cliport.tasks.registry import register_task

MIN_OBJECT_DIM = 0.08
SCALE_FACTOR = 5.0
SETTLE_STEPS = 480
#: The original's "slight tilt" quaternion, a 20 degree roll written (x, y, z, w).
_TILT = (-0.1736482, 0.0, 0.0, 0.9848078)


def tilt_quirk(quat: np.ndarray) -> np.ndarray:
    """The original's start orientation: a w-first quaternion product applied to x-y-z-w data.

    Both inputs are read as (w, x, y, z) and the result, (w, x, y, z), is used as (x, y, z, w); the
    components are therefore mixed up and objects start nearly upside down (tasks.md §5.2 quirk).
    """
    w1, x1, y1, z1 = (float(c) for c in quat)
    w2, x2, y2, z2 = _TILT
    return np.array([
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 + y1 * w2 + z1 * x2 - x1 * z2,
        w1 * z2 + z1 * w2 + x1 * y2 - y1 * x2,
    ])  # fmt: skip


class PackingGoogleObjects(Task):
    """Base of the seq and group variants: container, split, object spawning."""

    completed = "done packing objects."
    max_steps = 10

    def __init__(self, name: str, mode: str = "train", object_split: cat.GoogleSplit = "seen",
                 google_objects_root: Path | str | None = None, **kw: object) -> None:  # fmt: skip
        super().__init__(name, mode)
        self.object_split = object_split
        #: Folder with meshes_fixed/ and textures/ (else $CLIPORT_GOOGLE_OBJECTS, else assets/google).
        self.google_objects_root = google_objects_root
        self.target_name: str | None = None

    def choose_names(self, rng: np.random.Generator, k: int) -> tuple[list[str], str | None]:
        names = cat.google_objects_for(self.object_split, self.mode)
        return [names[int(i)] for i in rng.choice(len(names), k, replace=False)], None

    def spawn(self, scene: Scene) -> tuple[list[tuple[int, str]], dict, tuple]:
        """Container and objects: ([(body, name)] in load order, points by body, (zone pose, size))."""
        root = google_objects_root(scene.assets_root, self.google_objects_root)
        rng = scene.rng
        zone_size = random_size(rng, (0.2, 0.2, 0.05), (0.35, 0.35, 0.05))
        zone_pose = add_container(self, scene, zone_size)
        leaves = container_leaves(zone_size, MIN_OBJECT_DIM, rng)
        names, self.target_name = self.choose_names(rng, len(leaves))
        loaded, points = [], {}
        for leaf, name in zip(leaves, names, strict=True):
            size = leaf_size(leaf)
            pose, ok = self.random_pose(scene, size)
            if not ok or pose is None:
                continue
            start = (pose[0] + np.array([0.0, 0.0, 0.05]), tilt_quirk(pose[1]))
            body = load_google_object(scene, root, name, SCALE_FACTOR * float(size.max()), start)
            if body is None:
                continue
            points[body] = self.mesh_points(scene, body)
            loaded.append((body, name))
        for _ in range(SETTLE_STEPS):
            scene.client.stepSimulation()
        return loaded, points, (zone_pose, tuple(float(s) for s in zone_size))

    def zone_goal(self, bodies: list[int], points: dict, zone: tuple, max_reward: float) -> Goal:
        zone_pose, zone_size = zone
        params = Zone({b: points[b] for b in bodies}, zone_pose, zone_size)
        return Goal([GoalObject(b, 0.0) for b in bodies], np.eye(len(bodies)), [zone_pose] * len(bodies),
                    replace=False, rotations=False, metric="zone", max_reward=max_reward,
                    zone=params)  # fmt: skip


class PackingGoogleObjectsSeq(PackingGoogleObjects):
    """packing-*-google-objects-seq: the first n_pack loaded objects, one goal step each."""

    template = "pack the {obj} in the brown box"

    def build(self, scene: Scene) -> None:
        loaded, points, zone = self.spawn(scene)
        # numpy randint(1, n) needs n >= 2; with a single loaded object we pack that one (deviation).
        n_pack = int(scene.rng.integers(1, len(loaded))) if len(loaded) > 1 else len(loaded)
        for body, name in loaded[:n_pack]:
            self.goals.append(self.zone_goal([body], points, zone, 1.0 / n_pack))
            self.lang_goals.append(self.template.format(obj=name))
        self.max_steps = n_pack + 1


class PackingGoogleObjectsGroup(PackingGoogleObjects):
    """packing-*-google-objects-group: every object of one category, in one goal step."""

    template = "pack all the {obj} objects in the brown box"

    def choose_names(self, rng: np.random.Generator, k: int) -> tuple[list[str], str | None]:
        """k names with replacement; entries 0-1 become a target category, 2-3 a distractor one."""
        pool = cat.google_objects_for(self.object_split, self.mode)
        names = [pool[int(i)] for i in rng.choice(len(pool), k, replace=True)]
        first, second = (names[int(i)] for i in rng.choice(k, 2, replace=False))
        repeats = 2  # the original's randint(2, 3)
        names[:repeats] = [first] * len(names[:repeats])
        names[repeats : 2 * repeats] = [second] * len(names[repeats : 2 * repeats])
        return names, first

    def build(self, scene: Scene) -> None:
        loaded, points, zone = self.spawn(scene)
        bodies = [b for b, name in loaded if name == self.target_name]
        self.goals.append(self.zone_goal(bodies, points, zone, 1.0))
        self.lang_goals.append(self.template.format(obj=self.target_name))
        self.max_steps = len(bodies) + 1


for _split in ("seen", "unseen"):
    register_task(f"packing-{_split}-google-objects-seq", kind="language", split=_split, max_steps=10,
                  object_split=_split)(PackingGoogleObjectsSeq)  # fmt: skip
    register_task(f"packing-{_split}-google-objects-group", kind="language", split=_split, max_steps=10,
                  object_split=_split)(PackingGoogleObjectsGroup)  # fmt: skip
