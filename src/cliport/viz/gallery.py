"""A gallery of tasks: one tile per task (its first top-down colormap) with the instruction underneath.

Pure image composition (numpy + Pillow); the ``cliport gallery`` command builds the scenes and hands
the tiles here. Tiles keep the heightmap orientation (rows = y, columns = x).
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LABEL_LINE_HEIGHT = 12
LABEL_CHARS = 26  # characters per label line at the default font on a 160-pixel tile
PAD = 6


@dataclass
class Tile:
    """One gallery cell: a (H, W, 3) uint8 colormap, the task name and its instruction."""

    image: np.ndarray
    title: str
    caption: str


def _label_lines(tile: Tile) -> list[str]:
    return textwrap.wrap(tile.title, LABEL_CHARS) + textwrap.wrap(tile.caption, LABEL_CHARS)


def compose(tiles: list[Tile], columns: int = 8) -> np.ndarray:
    """Arrange tiles in a grid with labels under each; returns a (H, W, 3) uint8 image."""
    if not tiles:
        raise ValueError("the gallery needs at least one tile")
    columns = max(1, min(columns, len(tiles)))
    tile_h, tile_w = tiles[0].image.shape[:2]
    label_h = LABEL_LINE_HEIGHT * max(len(_label_lines(t)) for t in tiles) + PAD
    cell_h, cell_w = tile_h + label_h + PAD, tile_w + PAD
    rows = -(-len(tiles) // columns)
    canvas = Image.new("RGB", (columns * cell_w + PAD, rows * cell_h + PAD), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for k, tile in enumerate(tiles):
        if tile.image.shape[:2] != (tile_h, tile_w):
            raise ValueError(f"tile {tile.title!r} has shape {tile.image.shape}, expected {(tile_h, tile_w)}")
        x, y = PAD + (k % columns) * cell_w, PAD + (k // columns) * cell_h
        canvas.paste(Image.fromarray(np.ascontiguousarray(tile.image[..., :3]).astype(np.uint8)), (x, y))
        n_title = len(textwrap.wrap(tile.title, LABEL_CHARS))
        for i, line in enumerate(_label_lines(tile)):
            fill = (0, 0, 0) if i < n_title else (60, 60, 160)
            draw.text((x, y + tile_h + 2 + i * LABEL_LINE_HEIGHT), line, fill=fill, font=font)
    return np.asarray(canvas)


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write ``image`` as PNG atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        Image.fromarray(image).save(tmp, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
