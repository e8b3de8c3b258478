"""The tabletop environment: a Gymnasium env that owns one PyBullet client, one RNG, a UR5 and a gripper.

It is the :class:`~cliport.env.task_api.Scene` that tasks build their scenes in. Reset and step follow
env.md §3 and §10; the deviations (bounded settle loop, movej timeouts in simulation steps, env-owned
RNG, EGL rendering) are listed in docs/fidelity.md.
"""

from __future__ import annotations

import os
import shutil
import string
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pybullet
from pybullet_utils import bullet_client

from cliport.env import cameras as cams
from cliport.env import parallel_render as parallel
from cliport.env import plane_visual
from cliport.env.actions import parse_action
from cliport.env.assets.registry import AssetError, ensure_assets, resolve_asset
from cliport.env.grippers import END_EFFECTORS, EndEffector
from cliport.env.primitives import PRIMITIVES
from cliport.env.quiet_import import c_stdout_silenced
from cliport.env.robot import EE_LINK, IK_SOLVERS, MOTIONS, UR5, sim_path_problem
from cliport.env.spaces import action_space, observation_space
from cliport.env.task_api import Category, SceneTask
from cliport.errors import CliportError
from cliport.geometry import (
    INPUT_BOUNDS,
    ORACLE_CAMERA,
    PIXEL_SIZE,
    REALSENSE_CAMERAS,
    TASK_BOUNDS,
    CameraConfig,
)

#: Everything counts as static once every rigid object's base speed is below this (m/s).
STATIC_SPEED = 5e-3
#: Upper bound of the settle loop after an action, in simulated seconds (the original had none).
SETTLE_MAX_SECONDS = 10.0
_NAME_ALPHABET = string.ascii_lowercase + string.digits

#: Environment keyword values that select the path as it was before the simulator-throughput work
#: (issue 10); benchmarks build ``Environment(**PRE_CHANGE_OPTIONS)`` to compare old and new side by side.
PRE_CHANGE_OPTIONS: dict[str, object] = {
    "fast_plane": False,  # draw the ground plane's whole collision box (same pixels, slower)
    "oracle_shadow_pass": True,  # render the oracle camera's (always empty) shadow map (same pixels, slower)
    "fork_when_busy": True,  # automatic forked rendering even when no core is idle (same pixels, more CPU)
    "ik": "pybullet",  # PyBullet's iterative null-space IK on every move (docs/fidelity.md)
    "motion": "legacy",  # the previous movej and 1 mm lowering loops (same targets, more Python per step)
}


class EnvError(CliportError):
    """The environment was used wrongly (no task, a URDF that does not load, ...)."""


class Environment(gym.Env):
    """UR5 + gripper on a table, three RGB-D cameras; actions are two-pose motion primitives.

    ``task`` (or ``set_task`` before ``reset``) builds the scene; ``assets_root`` is a folder with the
    original layout (default: the generated cache); ``renderer`` is "tiny" or "egl"
    (docs/rendering.md); ``hz`` is the physics rate; ``cameras`` the observation cameras;
    ``deformable_world`` keeps the original's reset flag; ``parallel_render`` renders tiny cameras in
    forked children (None: automatic); ``fast_plane`` gives the tiny renderer a ground plane whose
    only visual is its collision box's top face (the same image bytes, less rendering; plane_visual.py);
    ``oracle_shadow_pass`` renders the oracle camera's shadow map, which is always empty (see
    ``render_oracle``), as the original did; with automatic ``parallel_render`` the cameras are forked
    only while a core is idle (forking costs ~12 % more CPU and gains nothing when every core is busy),
    unless ``fork_when_busy``; ``ik`` is "analytic" (closed form, PyBullet as fallback) or "pybullet";
    ``motion`` is "fast" or "legacy" (robot.py). See :data:`PRE_CHANGE_OPTIONS`.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        task: SceneTask | None = None,
        *,
        assets_root: str | Path | None = None,
        renderer: str = cams.DEFAULT_RENDERER,
        gui: bool = False,
        hz: int = 480,
        cameras: tuple[CameraConfig, ...] = REALSENSE_CAMERAS,
        deformable_world: bool = True,
        parallel_render: bool | None = None,
        fast_plane: bool = True,
        oracle_shadow_pass: bool = False,
        fork_when_busy: bool = False,
        ik: str = IK_SOLVERS[0],
        motion: str = MOTIONS[0],
    ) -> None:
        self.renderer = cams.check_renderer(renderer)
        if (problem := sim_path_problem(ik, motion)) is not None:
            raise EnvError(problem)
        self.ik, self.motion = ik, motion
        if not isinstance(hz, int) or hz <= 0:
            raise EnvError(f"hz must be a positive integer (physics steps per second), got {hz!r}")
        if assets_root is None:
            self.assets_root = ensure_assets()
        else:
            self.assets_root = Path(assets_root).expanduser()
            if not self.assets_root.is_dir():
                raise AssetError(f"assets_root {self.assets_root} is not a folder")
        self.hz = int(hz)
        self.cameras = tuple(cameras)
        self.deformable_world = deformable_world
        # auto: tiny cameras rendered in forked children when it can help (and, unless fork_when_busy,
        # only while a core is idle: checked at each observation)
        self._fork_only_when_idle = parallel_render is None and not fork_when_busy
        if parallel_render is None:
            parallel_render = (
                self.renderer == "tiny" and not gui and parallel.available() and (os.cpu_count() or 1) > 1
            )
        elif parallel_render and (self.renderer != "tiny" or gui or not parallel.available()):
            raise EnvError("parallel_render needs renderer='tiny', DIRECT mode (gui=False) and os.fork")
        self.parallel_render = bool(parallel_render) and len(cameras) > 1
        self.task: SceneTask | None = task
        self.obj_ids: dict[str, list[int]] = {"fixed": [], "rigid": [], "deformable": []}
        self.step_counter = 0
        #: Called with the environment after every physics step (e.g. a video recorder).
        self.step_hooks: list[Callable[[Environment], None]] = []
        self._templates: set[Path] = set()
        self._tmpdir = Path(tempfile.mkdtemp(prefix="cliport-env-"))
        with c_stdout_silenced():  # BulletClient prints "argv[0]=" on connect
            self.client = bullet_client.BulletClient(connection_mode=pybullet.GUI if gui else pybullet.DIRECT)
        if gui:
            self.client.configureDebugVisualizer(pybullet.COV_ENABLE_GUI, 0)
        if self.renderer == "egl":
            try:
                cams.load_egl(self.client)
            except Exception:
                self.close()
                raise
        # As the original: no file caching. Template URDFs are rewritten under reused names (the names
        # come from the RNG, reseeded every episode), so a cache would load a stale file.
        self.client.setPhysicsEngineParameter(enableFileCaching=0)
        self.client.setAdditionalSearchPath(str(self.assets_root))
        self.client.setAdditionalSearchPath(str(self._tmpdir))
        self.client.setTimeStep(1.0 / self.hz)
        self.fast_plane = bool(fast_plane) and self.renderer == "tiny"
        self.oracle_shadow_pass = bool(oracle_shadow_pass)
        self._plane_urdf: Path | None = None  # the plane file reset loads (fast_plane: a rewritten copy)
        self.observation_space = observation_space(self.cameras)
        self.action_space = action_space()
        self.robot: UR5 | None = None
        self.ee: EndEffector | None = None

    # ----------------------------------------------------------------------------------------
    # Scene protocol

    @property
    def rng(self) -> np.random.Generator:
        """The environment's own RNG (Gymnasium's ``np_random``), seeded by ``reset(seed=...)``."""
        return self.np_random

    def set_task(self, task: SceneTask) -> None:
        self.task = task

    def add_object(self, urdf: str | Path, pose, category: Category = "rigid", **load_kwargs: Any) -> int:
        """Load ``urdf`` at ``pose`` (fixed base if category is "fixed") and register its id."""
        if category not in self.obj_ids:
            raise EnvError(f"unknown object category {category!r}; use fixed, rigid or deformable")
        path = resolve_asset(self.assets_root, urdf)
        load_kwargs.setdefault("useFixedBase", category == "fixed")
        try:
            obj_id = self.client.loadURDF(
                str(path), [float(v) for v in pose[0]], [float(v) for v in pose[1]], **load_kwargs
            )
        except pybullet.error as err:
            raise EnvError(f"cannot load {path}: {err}") from None
        finally:
            if path in self._templates:
                self._templates.discard(path)
                path.unlink(missing_ok=True)
        self.obj_ids[category].append(obj_id)
        return obj_id

    def fill_template(self, template: str | Path, replacements: dict[str, Any]) -> Path:
        """Substitute ``FIELD0, FIELD1, ...`` in a template URDF; the copy is deleted once loaded."""
        text = resolve_asset(self.assets_root, template).read_text()
        for field, values in replacements.items():
            for i, value in enumerate(values):
                text = text.replace(f"{field}{i}", str(value))
        name = "".join(self.rng.choice(list(_NAME_ALPHABET), size=16))
        path = self._tmpdir / f"{Path(template).name}.{name}"
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(text)
        os.replace(tmp, path)
        self._templates.add(path)
        return path

    def render_oracle(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top-down oracle view over TASK_BOUNDS: (colormap (320,160,3) uint8, heightmap, id mask int32).

        TinyRenderer draws its shadow map with the camera's projection from a light 2 m from the origin;
        the oracle camera's z range starts 999.7 m out, so that map never holds anything and every pixel
        is lit. Unless ``oracle_shadow_pass``, the pass is skipped: the same bytes, ~5x less time.
        """
        from cliport.env.heightmap import reconstruct

        skip = not self.oracle_shadow_pass and self.renderer == "tiny"
        config = replace(ORACLE_CAMERA, shadow=0) if skip else ORACLE_CAMERA
        img = cams.render(self.client, config, self.renderer, segmentation=True)
        color = np.concatenate([img.color, img.segmentation[..., None]], axis=2)  # (H, W, 4)
        height, cmap = reconstruct(
            color, img.depth, ORACLE_CAMERA.K, np.asarray(ORACLE_CAMERA.position),
            np.asarray(ORACLE_CAMERA.rotation), TASK_BOUNDS, PIXEL_SIZE,
        )
        return cmap[..., :3], height, cmap[..., 3].astype(np.int32)

    # ----------------------------------------------------------------------------------------
    # Physics

    def step_simulation(self) -> None:
        self.client.stepSimulation()
        self.step_counter += 1
        for hook in self.step_hooks:
            hook(self)

    @property
    def is_static(self) -> bool:
        return all(
            np.linalg.norm(self.client.getBaseVelocity(i)[0]) < STATIC_SPEED for i in self.obj_ids["rigid"]
        )

    def wait_static(self, max_steps: int | None = None) -> int:
        """Step until every rigid object is static (at most ``SETTLE_MAX_SECONDS``); return steps taken."""
        limit = int(SETTLE_MAX_SECONDS * self.hz) if max_steps is None else max_steps
        steps = 0
        while steps < limit and not self.is_static:
            self.step_simulation()
            steps += 1
        return steps

    def movej(self, target, speed: float = 0.01) -> bool:
        return self._robot().movej(target, speed)

    def movep(self, pose, speed: float = 0.01) -> bool:
        return self._robot().movep(pose, speed)

    def _robot(self) -> UR5:
        if self.robot is None:
            raise EnvError("the environment has not been reset yet")
        return self.robot

    # ----------------------------------------------------------------------------------------
    # Gymnasium API

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if self.task is None:
            raise EnvError("no task: pass one to Environment(task) or call env.set_task(task) before reset")
        c = self.client
        self.obj_ids = {"fixed": [], "rigid": [], "deformable": []}
        c.resetSimulation(pybullet.RESET_USE_DEFORMABLE_WORLD if self.deformable_world else 0)
        c.setTimeStep(1.0 / self.hz)
        c.setGravity(0, 0, -9.8)
        c.configureDebugVisualizer(pybullet.COV_ENABLE_RENDERING, 0)
        if self._plane_urdf is None:
            plane = resolve_asset(self.assets_root, "plane/plane.urdf")
            self._plane_urdf = plane_visual.fast_plane_urdf(plane, self._tmpdir) if self.fast_plane else plane
        c.loadURDF(str(self._plane_urdf), (0, 0, -0.001), (0, 0, 0, 1))
        c.loadURDF(str(resolve_asset(self.assets_root, "ur5/workspace.urdf")), (0.5, 0, 0), (0, 0, 0, 1))
        ur5_urdf = str(resolve_asset(self.assets_root, "ur5/ur5.urdf"))
        self.robot = UR5(c, ur5_urdf, self.step_simulation, self.hz, ik=self.ik, motion=self.motion)
        ee_cls = END_EFFECTORS.get(self.task.ee_type)
        if ee_cls is None:
            raise EnvError(f"task {self.task.name!r} asks for unknown end effector {self.task.ee_type!r}")
        self.ee = ee_cls(c, self.assets_root, self.robot.body, EE_LINK, self.obj_ids)
        self.robot.go_home()
        self.ee.release()
        self.task.reset(self)
        c.configureDebugVisualizer(pybullet.COV_ENABLE_RENDERING, 1)
        obs, _, _, _, info = self.step(None)
        return obs, info

    def step(self, action=None, *, observe: bool = True):
        """Run the task's primitive (if an action is given), settle, score, observe.

        ``observe=False`` skips the cameras and returns None as the observation, for a caller that
        will not look at it (an evaluation's last allowed step): rendering changes no state.
        """
        if self.task is None or self.robot is None:
            raise EnvError("call reset() before step()")
        poses = parse_action(action)
        if poses is not None:
            primitive = PRIMITIVES.get(self.task.primitive)
            if primitive is None:
                raise EnvError(f"task {self.task.name!r} asks for unknown primitive {self.task.primitive!r}")
            steps = (lambda: self.step_counter) if self.motion == "fast" else None
            timeout = primitive(self.movep, self.ee, poses[0], poses[1], physics_steps=steps,
                                **self.task.primitive_params)
            if timeout:
                return self.observe() if observe else None, 0.0, True, False, self.info
        self.wait_static()
        reward, info = self.task.reward(self) if poses is not None else (0.0, {})
        terminated = bool(self.task.done())
        info = dict(info)
        info.update(self.info)
        return self.observe() if observe else None, float(reward), terminated, False, info

    @property
    def info(self) -> dict:
        """Registered object id -> (position, quaternion, dimensions), plus "lang_goal"."""
        out: dict[Any, Any] = {}
        for ids in self.obj_ids.values():
            for obj_id in ids:
                pos, quat = self.client.getBasePositionAndOrientation(obj_id)
                out[obj_id] = (pos, quat, self.client.getVisualShapeData(obj_id)[0][3])
        out["lang_goal"] = self.task.lang_goal() if self.task is not None else ""
        return out

    def observe(self) -> dict[str, tuple[np.ndarray, ...]]:
        """Render the cameras: {"color": 3 x (480,640,3) uint8, "depth": 3 x (480,640) float32}."""
        if self.parallel_render and not (self._fork_only_when_idle and not parallel.idle_core()):
            images = parallel.render_forked(self.client, self.cameras, self.renderer, self.rng)
        else:
            images = [cams.render(self.client, cfg, self.renderer, rng=self.rng) for cfg in self.cameras]
        return {"color": tuple(i.color for i in images), "depth": tuple(i.depth for i in images)}

    def fused_maps(self, obs: dict, bounds: np.ndarray = INPUT_BOUNDS) -> tuple[np.ndarray, np.ndarray]:
        """Fused top-down (color (320,160,3) uint8, height (320,160) float32) of an observation."""
        from cliport.env.heightmap import fuse

        return fuse(obs["color"], obs["depth"], self.cameras, bounds, PIXEL_SIZE)

    def fused_input(self, obs: dict) -> np.ndarray:
        """The network input (320, 160, 6) float32 over INPUT_BOUNDS."""
        from cliport.env.heightmap import network_input

        return network_input(*self.fused_maps(obs))

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            try:
                client.disconnect()
            except pybullet.error:
                pass
            self.client = None
        tmpdir = getattr(self, "_tmpdir", None)
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - best effort at interpreter shutdown
            pass
