"""cliport: a fast, faithful reimplementation of CLIPort and its tabletop manipulation benchmark.

Importing the package is cheap: heavy modules (PyBullet, torch) load only when their sub-packages do.
"""

__version__ = "0.1.0"

from cliport.gym_registration import register_envs as _register_envs

_register_envs()
