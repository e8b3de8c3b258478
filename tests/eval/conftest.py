"""Fixtures for evaluation tests: a dataset index of seeds and a tiny transporter checkpoint."""

import pytest


def write_seed_index(data_dir, task: str, mode: str, seeds):
    """A dataset.json listing ``seeds`` (evaluation reads only the seeds)."""
    from cliport.data.store import DatasetMeta, EpisodeEntry, dataset_folder, write_meta

    folder = dataset_folder(data_dir, task, mode)
    folder.mkdir(parents=True, exist_ok=True)
    entries = [EpisodeEntry(i, s, f"episodes/{s:06d}.npz") for i, s in enumerate(seeds)]
    write_meta(folder, DatasetMeta(task=task, mode=mode, episodes=entries))
    return folder


@pytest.fixture
def eval_setup(tmp_path):
    """(root, data_dir, checkpoint folder) with a tiny transporter saved as last.ckpt."""
    from cliport.agents.checkpoint import save_agent
    from cliport.agents.config import AgentConfig
    from cliport.agents.policy import build_agent

    data = tmp_path / "data"
    write_seed_index(data, "block-insertion", "test", [10001, 10003, 10005])
    ckpts = tmp_path / "exps" / "block-insertion-transporter-n2-train" / "checkpoints"
    policy = build_agent(AgentConfig(agent="transporter", n_rotations=4, model_options={"resnet_base": 4}))
    save_agent(policy, ckpts / "last.ckpt")
    return tmp_path, data, ckpts
