"""The benchmark's tasks: a registry filled by a decorator, one module per task family, their oracles."""

from cliport.env.quiet_import import import_pybullet_quietly

import_pybullet_quietly()
