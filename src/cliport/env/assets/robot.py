"""Generators for the scene and robot assets: plane, workspace, UR5, suction gripper, spatula."""
