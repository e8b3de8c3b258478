"""Finding and loading the Google Scanned Objects used by the packing-*-google-objects tasks.

The meshes are not part of CLIPort's repository (nor of ours): users download them separately in
the public CLIPort layout ``google/meshes_fixed/NAME.obj`` and ``google/textures/NAME.png``. The
folder holding ``meshes_fixed`` and ``textures`` is looked up, in order, from an explicit setting,
the ``CLIPORT_GOOGLE_OBJECTS`` environment variable, then ``<assets root>/google``. Without it the
tasks fail at reset with a :class:`GoogleObjectsMissing` error saying what is missing and how to get it.
The object URDF (mesh, uniform scale, colour) is written here, since the original's template is not
public either. Registers no task.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from cliport.env.task_api import Scene
from cliport.errors import CliportError
from cliport.tasks.catalogue import google_file_stem

ENV_VAR = "CLIPORT_GOOGLE_OBJECTS"

_URDF = """<?xml version="1.0"?>
<robot name="google_object">
  <link name="base_link">
    <contact>
      <lateral_friction value="1.0"/>
      <rolling_friction value="0.0001"/>
      <inertia_scaling value="3.0"/>
    </contact>
    <inertial>
      <origin rpy="0 0 0" xyz="0 0 0"/>
      <mass value="0.1"/>
      <inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/>
    </inertial>
    <visual>
      <origin rpy="0 0 0" xyz="0 0 0"/>
      <geometry><mesh filename="{mesh}" scale="{s} {s} {s}"/></geometry>
      <material name="white"><color rgba="1 1 1 1"/></material>
    </visual>
    <collision>
      <origin rpy="0 0 0" xyz="0 0 0"/>
      <geometry><mesh filename="{mesh}" scale="{s} {s} {s}"/></geometry>
    </collision>
  </link>
</robot>
"""


class GoogleObjectsMissing(CliportError, FileNotFoundError):
    """The Google Scanned Objects folder (or one object's files) cannot be found."""


def _how_to_obtain() -> str:
    return (
        "download the Google Scanned Objects used by CLIPort (the public 'google' assets folder with "
        "meshes_fixed/ and textures/) and point to it with the google_objects_root setting or "
        f"${ENV_VAR}, or place it at <assets root>/google"
    )


def google_objects_root(assets_root: Path | str | None, setting: Path | str | None = None) -> Path:
    """The folder holding ``meshes_fixed/`` and ``textures/``; raises GoogleObjectsMissing if none."""
    candidates: list[tuple[str, Path]] = []
    if setting:
        candidates.append(("google_objects_root setting", Path(setting).expanduser()))
    elif os.environ.get(ENV_VAR):
        candidates.append((f"${ENV_VAR}", Path(os.environ[ENV_VAR]).expanduser()))
    elif assets_root is not None:
        candidates.append(("assets root", Path(assets_root) / "google"))
    for origin, root in candidates:
        missing = [sub for sub in ("meshes_fixed", "textures") if not (root / sub).is_dir()]
        if missing:
            raise GoogleObjectsMissing(
                f"Google Scanned Objects folder {root} (from the {origin}) lacks "
                f"{' and '.join(missing)}/: {_how_to_obtain()}"
            )
        return root
    raise GoogleObjectsMissing(f"no Google Scanned Objects folder is configured: {_how_to_obtain()}")


def object_files(root: Path, name: str) -> tuple[Path, Path]:
    """(mesh, texture) paths of an object name; raises GoogleObjectsMissing naming a missing file."""
    stem = google_file_stem(name)
    mesh, texture = root / "meshes_fixed" / f"{stem}.obj", root / "textures" / f"{stem}.png"
    for path in (mesh, texture):
        if not path.is_file():
            raise GoogleObjectsMissing(f"Google object {name!r}: {path} not found: {_how_to_obtain()}")
    return mesh, texture


def load_google_object(
    scene: Scene, root: Path, name: str, scale: float, pose: tuple[np.ndarray, np.ndarray]
) -> int | None:
    """Load one object (uniform ``scale``) at ``pose`` as a rigid body, textured and coloured white.

    Returns None when PyBullet cannot load it (the task then skips the object, like the original).
    """
    import pybullet  # lazy: importing it prints a banner, and the task list needs no simulator

    mesh, texture = object_files(root, name)
    fd, tmp = tempfile.mkstemp(prefix="google-", suffix=".urdf")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(_URDF.format(mesh=mesh.resolve(), s=float(scale)))
        body = scene.add_object(Path(tmp), pose, "rigid")
    except (pybullet.error, CliportError):  # a mesh PyBullet cannot read: skipped, as the original does
        body = None
    finally:
        os.unlink(tmp)
    if body is None:
        return None
    texture_id = scene.client.loadTexture(str(texture))
    if texture_id >= 0:
        scene.client.changeVisualShape(body, -1, textureUniqueId=texture_id)
    scene.client.changeVisualShape(body, -1, rgbaColor=[1, 1, 1, 1])
    return body
