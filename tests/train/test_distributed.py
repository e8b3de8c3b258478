"""Two CPU processes (gloo) train the stand-in policy on different batches and end with identical weights."""

import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow


def _train_rank(out_dir: str, conftest_dir: str) -> None:
    sys.path.insert(0, conftest_dir)
    import torch.distributed as dist

    import conftest  # the stand-in policy of tests/train/conftest.py
    from cliport.train.loop import LoopSettings, fit

    torch.set_num_threads(1)
    rank = dist.get_rank()
    policy = conftest.TinyPolicy()
    if rank == 1:  # start from different weights: DDP must broadcast rank 0's
        with torch.no_grad():
            for p in policy.parameters():
                p.add_(1.0)
    settings = LoopSettings(n_steps=12, lr=1e-2, save_steps=[], last_every=100, progress=False)
    fit(policy, settings, conftest.batch_for_step, lambda: [], Path(out_dir) / f"ckpt{rank}", lambda: {})
    torch.save(policy.state_dict(), Path(out_dir) / f"rank{rank}.pt")


def test_two_gloo_ranks_end_with_identical_weights(tmp_path, tiny):
    from cliport.train.distributed import spawn

    spawn(_train_rank, nprocs=2, args=(str(tmp_path), str(Path(__file__).parent)))
    a = torch.load(tmp_path / "rank0.pt")
    b = torch.load(tmp_path / "rank1.pt")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # and training moved them (the ranks saw different batches, gradients were averaged)
    fresh = tiny[0]().state_dict()
    assert any(not torch.equal(fresh[k], a[k]) for k in a)
