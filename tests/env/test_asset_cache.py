"""The asset cache: concurrent processes generating into one fresh folder all see complete assets."""

import multiprocessing as mp
from pathlib import Path


def _ensure_and_check(root: str, queue) -> None:
    from cliport.env.assets import ensure_assets, registered_assets

    ensure_assets(Path(root))
    missing = [rel for rel in registered_assets() if not (Path(root) / rel).exists()]
    queue.put(missing)


def test_concurrent_generation_leaves_every_process_a_complete_cache(tmp_path):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_ensure_and_check, args=(str(tmp_path), queue)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert results == [[], [], []]
    assert not list(tmp_path.glob(".gen-*"))  # no temporary folder left behind
