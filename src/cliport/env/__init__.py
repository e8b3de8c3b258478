"""The simulator: PyBullet client, UR5 robot, grippers, motion primitives, cameras, heightmaps, assets.

``env`` knows no task, dataset or model. Tasks plug in through the small interface in
:mod:`cliport.env.task_api`.

Modules: ``environment`` (the Gymnasium env, which is also the tasks' ``Scene``), ``robot`` (UR5, IK,
movej), ``grippers`` (suction, spatula), ``primitives`` (pick-and-place, push), ``cameras`` (tiny/EGL
rendering), ``heightmap`` (RGB-D -> top-down maps), ``actions`` and ``spaces`` (action parsing, gym
spaces), ``blocks_scene`` (a built-in scene for trying the simulator without tasks), ``assets``
(generated URDFs and meshes).
"""

from cliport.env.quiet_import import import_pybullet_quietly

import_pybullet_quietly()
