"""One demonstration episode in memory and on disk (format version 1, see docs/data-format.md).

An episode of T actions holds T+1 entries (spec data_train_eval.md §1 step 5): entry k is the
observation before action k, the reward received on arrival there, the env info there and its
instruction; the last entry has no action. Instead of the original's raw 3 x 480 x 640 RGB-D views we
store what the networks consume, the fused 320 x 160 colormap (uint8, exact) and heightmap (uint16 in
0.1 mm units, at most 0.05 mm off), in one deflate-compressed ``.npz`` file with no pickled object.
Raw views are kept only when asked (``save_raw``). Files are written atomically and byte-for-byte
deterministically (fixed zip timestamps), so the same seed always gives the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cliport.atomic import write_atomic
from cliport.errors import CliportError
from cliport.geometry import HEIGHTMAP_SHAPE

FORMAT_VERSION = 1
#: Height quantum: 0.1 mm. Heights span 0..0.28 m (input bounds), i.e. 0..2800 units of a uint16.
HEIGHT_UNIT = 1e-4
_MAX_HEIGHT = np.iinfo(np.uint16).max * HEIGHT_UNIT
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_REQUIRED = ("color", "height", "pick", "place", "reward", "instruction", "meta")
#: What to do about a damaged episode file: a rerun of ``cliport demos`` regenerates missing episodes.
REGENERATE = "delete it and rerun the `cliport demos` command that made the dataset (it regenerates it)"


class EpisodeFileError(CliportError, OSError):
    """An episode file is missing, truncated, corrupt or of an unknown format; names the file."""


def quantize_height(height: np.ndarray) -> np.ndarray:
    """float heights (m) -> uint16 in 0.1 mm units (rounded, so at most 0.05 mm off)."""
    h = np.asarray(height, dtype=np.float64)
    if h.size and (np.nanmin(h) < -HEIGHT_UNIT / 2 or np.nanmax(h) > _MAX_HEIGHT):
        raise ValueError(f"heights must lie in [0, {_MAX_HEIGHT:.4f}] m, got [{h.min():.4f}, {h.max():.4f}]")
    return np.clip(np.round(np.nan_to_num(h) / HEIGHT_UNIT), 0, np.iinfo(np.uint16).max).astype(np.uint16)


def dequantize_height(q: np.ndarray) -> np.ndarray:
    return q.astype(np.float32) * np.float32(HEIGHT_UNIT)


def pose_to_row(pose: Any) -> np.ndarray:
    """(position, quaternion) pair, Pose or 7-vector -> float64 (7,) = x, y, z, qx, qy, qz, qw."""
    if hasattr(pose, "position"):
        return np.concatenate([np.asarray(pose.position, float), np.asarray(pose.rotation, float)])
    if isinstance(pose, (tuple, list)) and len(pose) == 2:
        return np.concatenate([np.asarray(pose[0], float).reshape(3), np.asarray(pose[1], float).reshape(4)])
    return np.asarray(pose, dtype=np.float64).reshape(7)


@dataclass
class Episode:
    """T+1 entries of fused maps with their labels. ``height`` is in metres above z_min."""

    color: np.ndarray  # (T+1, 320, 160, 3) uint8
    height: np.ndarray  # (T+1, 320, 160) float32
    pick: np.ndarray  # (T, 7) float64: pose0 of action k
    place: np.ndarray  # (T, 7) float64: pose1 of action k
    reward: np.ndarray  # (T+1,) float64: reward on arrival at entry k (0 for k = 0)
    instruction: list[str]  # (T+1,) the instruction valid at entry k
    seed: int
    task: str = ""
    mode: str = ""
    obj_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (K,)
    obj_pose: np.ndarray | None = None  # (T+1, K, 7) float64, NaN where an object is absent
    obj_dims: np.ndarray | None = None  # (T+1, K, 3) float64
    extras: list[dict] = field(default_factory=list)  # (T+1,) other JSON-able info per entry
    raw_color: np.ndarray | None = None  # (T+1, 3, 480, 640, 3) uint8, only with save_raw
    raw_depth: np.ndarray | None = None  # (T+1, 3, 480, 640) float32, only with save_raw

    def __post_init__(self) -> None:
        n = len(self.color)
        if self.color.shape[1:] != (*HEIGHTMAP_SHAPE, 3) or self.height.shape != (n, *HEIGHTMAP_SHAPE):
            raise ValueError(f"bad map shapes: color {self.color.shape}, height {self.height.shape}")
        if self.pick.shape != (n - 1, 7) or self.place.shape != (n - 1, 7):
            raise ValueError(
                f"{n} entries need {n - 1} actions, got pick {self.pick.shape}, place {self.place.shape}"
            )
        if len(self.reward) != n or len(self.instruction) != n:
            raise ValueError(f"{n} entries need {n} rewards and instructions")

    @property
    def n_actions(self) -> int:
        return len(self.pick)

    def __len__(self) -> int:
        """Number of entries (T+1), like the original's episode list."""
        return len(self.color)

    @property
    def total_reward(self) -> float:
        return float(np.sum(self.reward))

    def meta(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "task": self.task,
            "mode": self.mode,
            "seed": int(self.seed),
            "n_actions": self.n_actions,
            "total_reward": self.total_reward,
        }


def _array_entries(ep: Episode) -> dict[str, np.ndarray]:
    k = len(ep.obj_ids)
    n = len(ep)
    arrays = {
        "color": np.ascontiguousarray(ep.color, dtype=np.uint8),
        "height": quantize_height(ep.height),
        "pick": np.asarray(ep.pick, np.float64),
        "place": np.asarray(ep.place, np.float64),
        "reward": np.asarray(ep.reward, np.float64),
        "instruction": np.asarray(list(ep.instruction), dtype=np.str_),
        "obj_ids": np.asarray(ep.obj_ids, np.int64),
        "obj_pose": np.full((n, k, 7), np.nan) if ep.obj_pose is None else np.asarray(ep.obj_pose, float),
        "obj_dims": np.full((n, k, 3), np.nan) if ep.obj_dims is None else np.asarray(ep.obj_dims, float),
        "extras": np.asarray([json.dumps(e, sort_keys=True, default=_json_default) for e in ep.extras],
                             dtype=np.str_),
        "meta": np.asarray(json.dumps(ep.meta(), sort_keys=True)),
    }
    if ep.raw_color is not None:
        arrays["raw_color"] = np.ascontiguousarray(ep.raw_color, dtype=np.uint8)
    if ep.raw_depth is not None:
        arrays["raw_depth"] = np.ascontiguousarray(ep.raw_depth, dtype=np.float32)
    return arrays


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    return repr(obj)


def encode_episode(ep: Episode, compresslevel: int = 6) -> bytes:
    """Episode -> bytes of a deterministic deflate ``.npz`` (loadable with ``numpy.load``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        for name, array in _array_entries(ep).items():
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=compresslevel)
    return buf.getvalue()


def save_episode(path: str | Path, ep: Episode) -> Path:
    data = encode_episode(ep)
    return write_atomic(path, lambda f: f.write(data))


def load_episode(path: str | Path, *, raw: bool = False) -> Episode:
    """Read an episode; any damage raises :class:`EpisodeFileError` naming ``path``."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in _REQUIRED if k not in z.files]
            if missing:
                raise EpisodeFileError(
                    f"episode file {path} lacks fields {missing} (not a cliport episode?); {REGENERATE}"
                )
            meta = json.loads(str(z["meta"][()]))
            if meta.get("format_version") != FORMAT_VERSION:
                raise EpisodeFileError(
                    f"episode file {path} has format version {meta.get('format_version')!r}; "
                    f"this cliport reads version {FORMAT_VERSION}; {REGENERATE}"
                )
            extras = [json.loads(s) for s in z["extras"].tolist()] if "extras" in z.files else []
            return Episode(
                color=z["color"],
                height=dequantize_height(z["height"]),
                pick=z["pick"],
                place=z["place"],
                reward=z["reward"],
                instruction=[str(s) for s in z["instruction"].tolist()],
                seed=int(meta["seed"]),
                task=str(meta.get("task", "")),
                mode=str(meta.get("mode", "")),
                obj_ids=z["obj_ids"],
                obj_pose=z["obj_pose"],
                obj_dims=z["obj_dims"],
                extras=extras,
                raw_color=z["raw_color"] if raw and "raw_color" in z.files else None,
                raw_depth=z["raw_depth"] if raw and "raw_depth" in z.files else None,
            )
    except EpisodeFileError:
        raise
    except FileNotFoundError as err:
        raise EpisodeFileError(f"episode file {path} does not exist") from err
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError, json.JSONDecodeError,
            zlib.error) as err:
        raise EpisodeFileError(
            f"episode file {path} is corrupt or truncated ({type(err).__name__}: {err}); {REGENERATE}"
        ) from err


def info_to_objects(info: dict) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Env info {obj_id: (position, quaternion, dims), ...} -> ({id: pose7}, {id: dims3})."""
    poses, dims = {}, {}
    for key, value in info.items():
        if isinstance(key, (int, np.integer)) and isinstance(value, (tuple, list)) and len(value) == 3:
            try:
                poses[int(key)] = np.concatenate([np.asarray(value[0], float).reshape(3),
                                                  np.asarray(value[1], float).reshape(4)])
                d = np.asarray(value[2], float).reshape(-1)
                dims[int(key)] = np.pad(d, (0, max(0, 3 - d.size)), constant_values=np.nan)[:3]
            except (ValueError, TypeError):
                continue
    return poses, dims


def objects_to_arrays(infos: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
    """A list of per-entry env infos -> (obj_ids (K,), obj_pose (N, K, 7), obj_dims (N, K, 3), extras)."""
    per_entry = [info_to_objects(i) for i in infos]
    ids = sorted({k for poses, _ in per_entry for k in poses})
    n, k = len(infos), len(ids)
    pose = np.full((n, k, 7), np.nan)
    dims = np.full((n, k, 3), np.nan)
    for t, (poses, ds) in enumerate(per_entry):
        for j, oid in enumerate(ids):
            if oid in poses:
                pose[t, j], dims[t, j] = poses[oid], ds[oid]
    extras = []
    for info in infos:
        rest = {str(key): v for key, v in info.items()
                if not isinstance(key, (int, np.integer)) and key != "lang_goal"}
        extras.append(rest)
    return np.asarray(ids, np.int64), pose, dims, extras
