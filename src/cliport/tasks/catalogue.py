"""The benchmark's fixed vocabularies: colours, kitting shapes, Google object names and their splits.

Every task draws its colours, shapes and object names from these typed tables (spec tasks.md §2-§4),
so that the seen/unseen splits are defined once and the tests can compare them with the spec.
Tables are immutable tuples; nothing here draws randomness.

Deviation (documented in docs/fidelity.md): the ``-full`` variants use the union of the train and
eval colours in palette order, where the original built a Python ``set`` whose order depended on the
interpreter's string-hash seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cliport.errors import CliportError

Mode = Literal["train", "val", "test"]
ColorVariant = Literal["seen", "unseen", "full"]

MODES: tuple[str, ...] = ("train", "val", "test")


def check_mode(mode: str) -> str:
    """Return mode if it is one of train/val/test, else raise a CliportError naming it."""
    if mode not in MODES:
        raise CliportError(f"unknown mode {mode!r}: expected one of {', '.join(MODES)}")
    return mode


# ---------------------------------------------------------------------------------------------
# Colours (tasks.md §2)


@dataclass(frozen=True)
class Color:
    """A named palette colour stored as 0-255 RGB."""

    name: str
    rgb255: tuple[int, int, int]

    @property
    def rgb(self) -> tuple[float, float, float]:
        """RGB in [0, 1] (value / 255, as the original stores it)."""
        r, g, b = self.rgb255
        return (r / 255.0, g / 255.0, b / 255.0)

    @property
    def rgba(self) -> tuple[float, float, float, float]:
        return (*self.rgb, 1.0)


#: The Tableau palette in the original dictionary's iteration order.
PALETTE: tuple[Color, ...] = (
    Color("blue", (78, 121, 167)),
    Color("red", (255, 87, 89)),
    Color("green", (89, 169, 79)),
    Color("orange", (242, 142, 43)),
    Color("yellow", (237, 201, 72)),
    Color("purple", (176, 122, 161)),
    Color("pink", (255, 157, 167)),
    Color("cyan", (118, 183, 178)),
    Color("brown", (156, 117, 95)),
    Color("white", (255, 255, 255)),
    Color("gray", (186, 176, 172)),
)
_BY_NAME: dict[str, Color] = {c.name: c for c in PALETTE}

#: Palette names in order.
COLOR_NAMES: tuple[str, ...] = tuple(c.name for c in PALETTE)
TRAIN_COLORS: tuple[str, ...] = ("blue", "red", "green", "yellow", "brown", "gray", "cyan")
EVAL_COLORS: tuple[str, ...] = ("blue", "red", "green", "orange", "purple", "pink", "white")
#: Union of both lists for the ``-full`` variants, in palette order (deterministic; see module doc).
FULL_COLORS: tuple[str, ...] = tuple(n for n in COLOR_NAMES if n in TRAIN_COLORS or n in EVAL_COLORS)

#: Fixed RGBA colours of props that are not palette colours.
BROWN_CONTAINER_RGBA: tuple[float, float, float, float] = (0.6118, 0.4588, 0.3725, 1.0)
HOLE_RGBA: tuple[float, float, float, float] = (0.2, 0.2, 0.2, 1.0)


def color(name: str) -> Color:
    """The palette colour called ``name``; unknown names raise a CliportError listing the palette."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise CliportError(f"unknown colour {name!r}: palette has {', '.join(COLOR_NAMES)}") from None


def color_rgba(name: str) -> tuple[float, float, float, float]:
    return color(name).rgba


def colors_for(variant: ColorVariant, mode: str) -> tuple[str, ...]:
    """The colour list of a language-task variant in a mode (tasks.md §2 variant rule).

    seen: TRAIN in every mode; unseen: TRAIN in train, EVAL in val/test; full: all 11 colours.
    """
    check_mode(mode)
    if variant == "seen":
        return TRAIN_COLORS
    if variant == "unseen":
        return TRAIN_COLORS if mode == "train" else EVAL_COLORS
    if variant == "full":
        return FULL_COLORS
    raise CliportError(f"unknown colour variant {variant!r}: expected seen, unseen or full")


def random_brown_rgba(rng: np.random.Generator) -> tuple[float, float, float, float]:
    """env.md §6 random brown: shade ~ U[0.5, 1.5) times the palette brown (values > 1 left as is)."""
    shade = float(rng.uniform(0.5, 1.5))
    r, g, b = _BY_NAME["brown"].rgb255
    return (r * shade / 255.0, g * shade / 255.0, b * shade / 255.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Kitting shapes (tasks.md §3)


@dataclass(frozen=True)
class KitShape:
    """One of the 20 kitting shapes: mesh index, language name, rotational symmetry (radians)."""

    index: int
    name: str
    symmetry: float

    @property
    def mesh(self) -> str:
        """Mesh path relative to the assets root."""
        return f"kitting/{self.index:02d}.obj"


_TWO_PI = 2.0 * np.pi
KIT_SHAPES: tuple[KitShape, ...] = (
    KitShape(0, "letter R shape", _TWO_PI),
    KitShape(1, "letter A shape", _TWO_PI),
    KitShape(2, "triangle", _TWO_PI / 3),
    KitShape(3, "square", np.pi / 2),
    KitShape(4, "plus", np.pi / 2),
    KitShape(5, "letter T shape", _TWO_PI),
    KitShape(6, "diamond", np.pi),
    KitShape(7, "pentagon", _TWO_PI / 5),
    KitShape(8, "rectangle", np.pi),
    KitShape(9, "flower", np.pi / 2),
    KitShape(10, "star", _TWO_PI / 5),
    KitShape(11, "circle", 0.0),
    KitShape(12, "letter G shape", _TWO_PI),
    KitShape(13, "letter V shape", _TWO_PI),
    KitShape(14, "letter E shape", _TWO_PI),
    KitShape(15, "letter L shape", _TWO_PI),
    KitShape(16, "ring", 0.0),
    KitShape(17, "hexagon", _TWO_PI / 6),
    KitShape(18, "heart", _TWO_PI),
    KitShape(19, "letter M shape", _TWO_PI),
)
TRAIN_SHAPES: tuple[int, ...] = tuple(range(14))
TEST_SHAPES: tuple[int, ...] = tuple(range(14, 20))
ALL_SHAPES: tuple[int, ...] = tuple(range(20))
#: assembling-kits-easy: every shape but the square and the circle in train, those two in val/test.
EASY_TEST_SHAPES: tuple[int, ...] = (3, 11)
EASY_TRAIN_SHAPES: tuple[int, ...] = tuple(i for i in ALL_SHAPES if i not in EASY_TEST_SHAPES)


def shapes_for(mode: str) -> tuple[int, ...]:
    """Shape indices of a mode: train shapes in train, test shapes in val and test."""
    return TRAIN_SHAPES if check_mode(mode) == "train" else TEST_SHAPES


# ---------------------------------------------------------------------------------------------
# Google Scanned Objects names (tasks.md §4)

GOOGLE_SEEN_OBJECTS: tuple[str, ...] = (
    "alarm clock", "android toy", "ball puzzle", "black and blue sneakers",
    "black boot with leopard print", "black fedora", "black razer mouse", "black sandal",
    "black shoe with green stripes", "black shoe with orange stripes", "brown fedora", "bull figure",
    "butterfinger chocolate", "c clamp", "can opener", "crayon box", "dinosaur figure", "dog statue",
    "frypan", "green and white striped towel", "grey soccer shoe with cleats", "hammer", "hard drive",
    "honey dipper", "light brown boot with golden laces", "lion figure", "magnifying glass",
    "mario figure", "nintendo 3ds", "nintendo cartridge", "office depot box", "orca plush toy",
    "pepsi gold caffeine free box", "pepsi max box", "pepsi next box", "pepsi wild cherry box",
    "porcelain cup", "porcelain salad plate", "porcelain spoon", "purple tape",
    "red and white flashlight", "red and white striped towel", "red cup", "rhino figure",
    "rocket racoon figure", "scissors", "screwdriver", "silver tape", "spatula with purple head",
    "spiderman figure", "tablet", "toy school bus", "toy train", "unicorn toy", "white razer mouse",
    "yoshi figure",
)  # fmt: skip

GOOGLE_UNSEEN_TRAIN_OBJECTS: tuple[str, ...] = (
    "alarm clock", "android toy", "black boot with leopard print", "black fedora",
    "black razer mouse", "black sandal", "black shoe with orange stripes", "bull figure",
    "butterfinger chocolate", "c clamp", "can opener", "crayon box", "dog statue", "frypan",
    "green and white striped towel", "grey soccer shoe with cleats", "hard drive", "honey dipper",
    "magnifying glass", "mario figure", "nintendo 3ds", "nintendo cartridge", "office depot box",
    "orca plush toy", "pepsi gold caffeine free box", "pepsi wild cherry box", "porcelain cup",
    "purple tape", "red and white flashlight", "rhino figure", "rocket racoon figure", "scissors",
    "silver tape", "spatula with purple head", "spiderman figure", "tablet", "toy school bus",
)  # fmt: skip

GOOGLE_UNSEEN_EVAL_OBJECTS: tuple[str, ...] = (
    "ball puzzle", "black and blue sneakers", "black shoe with green stripes", "brown fedora",
    "dinosaur figure", "hammer", "light brown boot with golden laces", "lion figure", "pepsi max box",
    "pepsi next box", "porcelain salad plate", "porcelain spoon", "red and white striped towel",
    "red cup", "screwdriver", "toy train", "unicorn toy", "white razer mouse", "yoshi figure",
)  # fmt: skip

GoogleSplit = Literal["seen", "unseen"]


def google_objects_for(split: GoogleSplit, mode: str) -> tuple[str, ...]:
    """Object names of a google packing variant in a mode (seen: all 56 always; unseen: 37 -> 19)."""
    check_mode(mode)
    if split == "seen":
        return GOOGLE_SEEN_OBJECTS
    if split == "unseen":
        return GOOGLE_UNSEEN_TRAIN_OBJECTS if mode == "train" else GOOGLE_UNSEEN_EVAL_OBJECTS
    raise CliportError(f"unknown google-object split {split!r}: expected seen or unseen")


def google_file_stem(name: str) -> str:
    """File name stem of an object: spaces replaced by underscores."""
    return name.replace(" ", "_")
