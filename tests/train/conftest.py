"""A tiny stand-in policy with the Policy's training interface, so the loop is tested in milliseconds."""

import numpy as np
import pytest
import torch
from torch import nn


class TinyPolicy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.pick = nn.Linear(4, 3)
        self.place = nn.Linear(4, 3)

    def parameter_groups(self):
        return {"pick": list(self.pick.parameters()), "place": list(self.place.parameters())}

    def forward(self, batch):
        x, y = batch["x"], batch["y"]
        pick_loss = nn.functional.cross_entropy(self.pick(x), y)
        place_loss = nn.functional.cross_entropy(self.place(x), y)
        return pick_loss + place_loss, {"pick_loss": pick_loss.detach(), "place_loss": place_loss.detach()}


def batch_for_step(step: int, rank: int = 0, batch_size: int = 4):
    rng = np.random.default_rng([7, step, rank])
    x = torch.from_numpy(rng.normal(size=(batch_size, 4)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 3, size=batch_size))
    return {"x": x, "y": y}


@pytest.fixture
def tiny():
    """(policy class, batch function) of the stand-in."""
    return TinyPolicy, batch_for_step
