"""End effectors welded to the UR5's tool0: the suction gripper and the spatula (env.md §8).

The suction gripper holds an object with a fixed constraint to the *last* contact of its tip, when
that contact is a registered rigid object. Grippers are chosen by the task's ``ee_type`` through
:data:`END_EFFECTORS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pybullet

from cliport.env.assets.registry import resolve_asset
from cliport.geometry import invert_pose, multiply_poses, quat_from_pybullet_euler

_FLIPPED = tuple(float(v) for v in quat_from_pybullet_euler((np.pi, 0.0, 0.0)))


class EndEffector:
    """Base end effector: no suction behaviour (the spatula)."""

    def __init__(self, client: Any, assets_root: Path, robot: int, ee_link: int, obj_ids: dict) -> None:
        self.client = client
        self.robot = robot
        self.ee_link = ee_link
        self.obj_ids = obj_ids
        self.activated = False

    def _weld(self, urdf: str, position, child_position, max_force: float | None = None) -> int:
        body = self.client.loadURDF(str(urdf), position, _FLIPPED)
        constraint = self.client.createConstraint(
            parentBodyUniqueId=self.robot, parentLinkIndex=self.ee_link, childBodyUniqueId=body,
            childLinkIndex=-1, jointType=pybullet.JOINT_FIXED, jointAxis=(0, 0, 0),
            parentFramePosition=(0, 0, 0), childFramePosition=child_position,
        )
        if max_force is not None:
            self.client.changeConstraint(constraint, maxForce=max_force)
        return body

    def activate(self) -> None:
        pass

    def release(self) -> None:
        pass

    def detect_contact(self) -> bool:
        return False

    def check_grasp(self) -> bool:
        return False


class Spatula(EndEffector):
    """A flat blade for pushing piles; no activate/release behaviour."""

    def __init__(self, client: Any, assets_root: Path, robot: int, ee_link: int, obj_ids: dict) -> None:
        super().__init__(client, assets_root, robot, ee_link, obj_ids)
        urdf = resolve_asset(assets_root, "ur5/spatula/spatula-base.urdf")
        self.body = self._weld(urdf, (0.487, 0.109, 0.438), (0, 0, 0.01))


class Suction(EndEffector):
    """Suction cup: a visual base plus a compliant head whose tip link (link 0) senses contacts."""

    def __init__(self, client: Any, assets_root: Path, robot: int, ee_link: int, obj_ids: dict) -> None:
        super().__init__(client, assets_root, robot, ee_link, obj_ids)
        base = resolve_asset(assets_root, "ur5/suction/suction-base.urdf")
        head = resolve_asset(assets_root, "ur5/suction/suction-head.urdf")
        self.base = self._weld(base, (0.487, 0.109, 0.438), (0, 0, 0.01))
        self.body = self._weld(head, (0.487, 0.109, 0.347), (0, 0, -0.08), max_force=50)
        self.contact_constraint: int | None = None

    def activate(self) -> None:
        """Grab the body of the tip's last contact if it is a registered rigid object."""
        if self.activated:
            return
        points = self.client.getContactPoints(bodyA=self.body, linkIndexA=0)
        if not points:
            return
        obj_id, obj_link = points[-1][2], points[-1][4]
        if obj_id in self.obj_ids["rigid"]:
            tip = self.client.getLinkState(self.body, 0)
            obj_pose = self.client.getBasePositionAndOrientation(obj_id)
            obj_in_tip = multiply_poses(invert_pose((tip[0], tip[1])), obj_pose)
            self.contact_constraint = self.client.createConstraint(
                parentBodyUniqueId=self.body, parentLinkIndex=0, childBodyUniqueId=obj_id,
                childLinkIndex=obj_link, jointType=pybullet.JOINT_FIXED, jointAxis=(0, 0, 0),
                parentFramePosition=obj_in_tip[0].tolist(), parentFrameOrientation=obj_in_tip[1].tolist(),
                childFramePosition=(0, 0, 0), childFrameOrientation=(0, 0, 0, 1),
            )
        self.activated = True

    def release(self) -> None:
        if not self.activated:
            return
        self.activated = False
        if self.contact_constraint is not None:
            try:
                self.client.removeConstraint(self.contact_constraint)
            except pybullet.error:
                pass
            self.contact_constraint = None

    def held_object(self) -> tuple[int, int] | None:
        """(body, link) held by the grasp constraint, or None."""
        if self.contact_constraint is None:
            return None
        try:
            info = self.client.getConstraintInfo(self.contact_constraint)
        except pybullet.error:
            self.contact_constraint = None
            return None
        return info[2], info[3]

    def detect_contact(self) -> bool:
        """Contacts of the held object (ignoring the head), or of the tip link when nothing is held."""
        body, link = self.body, 0
        if self.activated:
            held = self.held_object()
            if held is not None:
                body, link = held
        points = self.client.getContactPoints(bodyA=body, linkIndexA=link)
        if self.activated:
            points = [p for p in points if p[2] != self.body]
        return len(points) > 0

    def check_grasp(self) -> bool:
        return self.held_object() is not None


#: ``task.ee_type`` -> end-effector class.
END_EFFECTORS: dict[str, type[EndEffector]] = {"suction": Suction, "spatula": Spatula}
