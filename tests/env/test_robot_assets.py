"""Generated UR5 / gripper assets: joint layout, masses, home pose, collision shapes (env.md §7-§8)."""

from __future__ import annotations

import numpy as np
import pybullet
import pytest
from pybullet_utils import bullet_client

from cliport.env.robot import HOME_JOINTS, TIP_LINK


@pytest.fixture()
def client():
    c = bullet_client.BulletClient(pybullet.DIRECT)
    yield c
    c.disconnect()


def test_ur5_joint_layout_and_masses(client, sim_assets):
    ur5 = client.loadURDF(str(sim_assets / "ur5/ur5.urdf"))
    names = [client.getJointInfo(ur5, j)[1].decode() for j in range(client.getNumJoints(ur5))]
    assert names[2:8] == ["shoulder_pan_joint", "shoulder_lift_joint", "elbow_joint", "wrist_1_joint",
                          "wrist_2_joint", "wrist_3_joint"]
    links = [client.getJointInfo(ur5, j)[12].decode() for j in range(client.getNumJoints(ur5))]
    assert links[9:12] == ["tool0", "tool_tip", "base"]
    revolute = [j for j in range(12) if client.getJointInfo(ur5, j)[2] == pybullet.JOINT_REVOLUTE]
    assert revolute == [2, 3, 4, 5, 6, 7]
    masses = [client.getDynamicsInfo(ur5, j)[0] for j in range(1, 8)]
    np.testing.assert_allclose(masses, [4.0, 3.7, 8.393, 2.275, 1.219, 1.219, 0.1879])
    # Only wrist_3 has a collision shape.
    colliding = [j for j in range(-1, 12) if client.getCollisionShapeData(ur5, j)]
    assert colliding == [7]


def test_ur5_home_pose_tip(client, sim_assets):
    ur5 = client.loadURDF(str(sim_assets / "ur5/ur5.urdf"))
    for joint, value in zip(range(2, 8), HOME_JOINTS, strict=True):
        client.resetJointState(ur5, joint, value)
    tip = client.getLinkState(ur5, TIP_LINK)
    np.testing.assert_allclose(tip[0], (0.4869, 0.1092, 0.3119), atol=2e-4)
    assert abs(abs(tip[1][3]) - 1.0) < 1e-6  # orientation (0, 0, 0, 1): tool pointing down
    np.testing.assert_allclose(client.getLinkState(ur5, 9)[0], (0.4869, 0.1092, 0.4319), atol=2e-4)


def test_suction_tip_collision_and_spatula_blade(client, sim_assets):
    head = client.loadURDF(str(sim_assets / "ur5/suction/suction-head.urdf"))
    # A thin cylinder (PyBullet turns it into a convex mesh without URDF_USE_IMPLICIT_CYLINDER).
    lo, hi = client.getAABB(head, 0)
    size = np.subtract(hi, lo)
    assert size[0] < 0.008 and size[1] < 0.008  # 2 mm thick plus the collision margins
    assert 0.028 <= size[2] < 0.034
    base = client.loadURDF(str(sim_assets / "ur5/suction/suction-base.urdf"))
    assert not client.getCollisionShapeData(base, -1)
    spatula = client.loadURDF(str(sim_assets / "ur5/spatula/spatula-base.urdf"))
    blade = client.getCollisionShapeData(spatula, -1)[0]
    np.testing.assert_allclose(blade[3], (0.05, 0.005, 0.11))


def test_workspace_is_half_by_one_metre(sim_assets):
    from cliport.env.assets.robot import mesh_extent

    extent = mesh_extent(sim_assets / "ur5/plane.obj") * np.array([0.0167, 0.0333, 1.0])
    np.testing.assert_allclose(extent[:2], (0.5, 1.0), atol=0.002)


def test_suction_body_dimensions(sim_assets):
    from cliport.env.assets.robot import mesh_extent

    # Millimetre meshes (the URDFs scale them by 0.001): base 76 x 25, mid 77 x 76 x 78, head 10 x 30.
    np.testing.assert_allclose(mesh_extent(sim_assets / "ur5/suction/base.obj")[2], 25.0)
    np.testing.assert_allclose(mesh_extent(sim_assets / "ur5/suction/mid.obj"), (76, 76, 78), atol=1.0)
    np.testing.assert_allclose(mesh_extent(sim_assets / "ur5/suction/head.obj"), (10, 10, 30), atol=0.2)
