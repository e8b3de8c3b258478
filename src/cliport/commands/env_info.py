"""Print the simulator's settings, cameras, assets folder and which renderers work on this machine."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np


def collect(assets_root: str | None, check_egl: bool) -> dict:
    """Everything ``env-info`` reports, as plain JSON-able data."""
    from cliport.env import cameras, environment, parallel_render, robot
    from cliport.env.assets import default_assets_root, registered_assets
    from cliport.geometry import ORACLE_CAMERA, PIXEL_SIZE, REALSENSE_CAMERAS, TASK_BOUNDS

    root = Path(assets_root).expanduser() if assets_root else default_assets_root()
    assets = registered_assets()
    missing = [rel for rel in assets if not (root / rel).exists()]
    hz = 480
    renderers = {"tiny": "available"}
    if check_egl:
        reason = cameras.probe_egl()
        renderers["egl"] = "available" if reason is None else f"unavailable: {reason}"
    else:
        renderers["egl"] = "not checked"
    return {
        "physics": {
            "hz": hz,
            "static_speed_m_s": environment.STATIC_SPEED,
            "settle_max_steps": int(environment.SETTLE_MAX_SECONDS * hz),
            "movej_timeout_steps": int(robot.MOVEJ_TIMEOUT_SECONDS * hz),
            "movej_speed_rad": robot.MOVEJ_SPEED,
        },
        "workspace": {"bounds": TASK_BOUNDS.tolist(), "pixel_size": PIXEL_SIZE},
        "cameras": [
            {
                "name": c.name,
                "image_size": list(c.image_size),
                "fx_fy_cx_cy": [c.intrinsics[0], c.intrinsics[4], c.intrinsics[2], c.intrinsics[5]],
                "position": list(c.position),
                "rotation_xyzw": [round(v, 6) for v in c.rotation],
                "fov_y_deg": round(c.fov_y_degrees, 4),
                "zrange": list(c.zrange),
            }
            for c in (*REALSENSE_CAMERAS, ORACLE_CAMERA)
        ],
        "assets": {
            "root": str(root),
            "registered": len(assets),
            "present": len(assets) - len(missing),
            "missing": missing,
        },
        "renderers": renderers,
        "default_renderer": cameras.DEFAULT_RENDERER,
        "forked_tiny_rendering": parallel_render.available() and (os.cpu_count() or 1) > 1,
    }


def _print(info: dict) -> None:
    print("physics:")
    for key, value in info["physics"].items():
        print(f"  {key:<20} {value}")
    ws = info["workspace"]
    print(f"workspace bounds (x, y, z): {ws['bounds']}  pixel size {ws['pixel_size']} m")
    print("cameras:")
    for c in info["cameras"]:
        h, w = c["image_size"]
        pos = np.round(c["position"], 3).tolist()
        print(f"  {c['name']:<7} {h}x{w}  f={c['fx_fy_cx_cy'][0]:g}  fov_y={c['fov_y_deg']:.3f} deg  "
              f"pos={pos}  quat={c['rotation_xyzw']}")
    a = info["assets"]
    print(f"assets root: {a['root']}  ({a['present']}/{a['registered']} present; missing ones are "
          "generated on first use)")
    print("renderers:")
    for name, state in info["renderers"].items():
        mark = " (default)" if name == info["default_renderer"] else ""
        print(f"  {name:<5} {state}{mark}")
    forked = "on" if info["forked_tiny_rendering"] else "off (needs Linux and more than one core)"
    print(f"forked tiny rendering of the 3 cameras: {forked}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cliport env-info", description=__doc__)
    parser.add_argument("--assets-root", help="assets folder to inspect (default: the generated cache)")
    parser.add_argument("--no-egl-check", action="store_true", help="do not try to load the EGL renderer")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    info = collect(args.assets_root, check_egl=not args.no_egl_check)
    if args.json:
        print(json.dumps(info, indent=1))
    else:
        _print(info)
    return 0
