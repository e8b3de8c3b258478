"""docs/real-robot.md's example is a test: its python block runs as written (simulator images as cameras)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "real-robot.md"


def test_doc_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1, "docs/real-robot.md should hold exactly one python example"
    namespace: dict = {"__name__": "__main__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "CLIP is randomly initialised"
        exec(compile(blocks[0], str(DOC), "exec"), namespace)
    plan = namespace["plan"]
    out = capsys.readouterr().out
    assert "pick  xyz" in out and "place xyz" in out
    # The plan's pick height is read from the fused map at the picked cell (the world frame's z).
    row, col, _ = plan.extras["pick"]
    assert abs(plan.pick.position[2] - float(plan.image[row, col, 3])) < 1e-6
