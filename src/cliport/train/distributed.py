"""Multi-process training through torch.distributed: torchrun on GPUs or nodes, gloo processes on CPU.

``cliport train train.devices=N`` on one machine spawns N processes itself; under ``torchrun`` (or SLURM
with torchrun) the process group is read from the environment (RANK, WORLD_SIZE, MASTER_ADDR, ...).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def backend_for(device: str) -> str:
    return "nccl" if device.startswith("cuda") else "gloo"


def init_process_group(device: str) -> tuple[int, int]:
    """Join the group described by the environment; returns (rank, world size)."""
    if not dist.is_initialized():
        dist.init_process_group(backend=backend_for(device))
    if device.startswith("cuda"):
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    return dist.get_rank(), dist.get_world_size()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(rank: int, world: int, port: int, device: str, fn: Callable, args: tuple) -> None:
    os.environ.update(
        {"RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank),
         "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
    )
    init_process_group(device)
    try:
        fn(*args)
    finally:
        dist.destroy_process_group()


def spawn(fn: Callable, nprocs: int, device: str = "cpu", args: tuple = ()) -> None:
    """Run ``fn(*args)`` in ``nprocs`` fresh processes joined in one process group (loopback only)."""
    mp.start_processes(_worker, args=(nprocs, free_port(), device, fn, args), nprocs=nprocs,
                       start_method="spawn", join=True)
