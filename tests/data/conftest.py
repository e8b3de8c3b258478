"""Make the stand-in runner importable (also in spawned worker processes, which inherit sys.path)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
