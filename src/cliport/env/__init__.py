"""The simulator: PyBullet client, UR5 robot, grippers, motion primitives, cameras, heightmaps, assets.

``env`` knows no task, dataset or model. Tasks plug in through the small interface in
:mod:`cliport.env.task_api`.
"""
