"""Real rollouts: workers=2 gives exactly the results of workers=1 (slow: runs the simulator)."""

import json

import pytest

from cliport.eval.config import EvalConfig
from cliport.eval.runner import evaluate

pytestmark = pytest.mark.slow


def test_two_workers_equal_one_worker(eval_setup):
    root, data, ckpts = eval_setup
    out = {}
    for workers in (1, 2):
        cfg = EvalConfig(root_dir=str(root), data_dir=str(data), eval_task="block-insertion",
                         agent="transporter", mode="test", n_demos=2, train_demos=2, checkpoint_type="last",
                         update_results=True, workers=workers, progress=False)
        out[workers] = evaluate(cfg)["last.ckpt"]
    assert json.dumps(out[1]["episodes"], sort_keys=True) == json.dumps(out[2]["episodes"], sort_keys=True)
    assert all("lang_goal" in info for _, info in out[1]["episodes"])
