"""Tiny agents for the tests: every registry agent at a small width and a 64 x 32 input grid.

CLIP agents get a randomly initialised tiny CLIP described by ``encoder_options`` (so a checkpoint
rebuilds it from the file alone); RN50-BERT agents get the models' fake encoders (their pretrained
weights are local files we do not have).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict

import numpy as np
import pytest
import torch

from cliport.agents.config import AgentConfig
from cliport.agents.policy import FrozenEncoders, Policy, build_agent
from cliport.agents.registry import agent_spec
from cliport.models.clip.model import ClipConfig
from cliport.models.fakes import FakeImageEncoder, FakeTextEncoder

IMAGE_SIZE = (64, 32)
CROP = 32
#: ClipConfig.tiny() at twice its image width: the decoders' last stages then keep >= 2 channels (with
#: one channel a dead ReLU can silence a whole random stream).
TINY_CLIP = {**asdict(ClipConfig.tiny()), "vision_width": 8}


def tiny_config(agent: str, **overrides) -> AgentConfig:
    kw = dict(
        agent=agent,
        image_size=IMAGE_SIZE,
        crop_size=CROP,
        model_options={"resnet_base": 8},
        encoder_options={"clip": TINY_CLIP},
    )
    kw.update(overrides)
    return AgentConfig(**kw)


def fake_encoders(agent: str) -> FrozenEncoders | None:
    """Fake encoders for the RN50-BERT family and transporter_lang; None = load from the config."""
    spec = agent_spec(agent)
    needs_fake = (spec.image_encoder or "").startswith("rn50") or (spec.text_encoder or "").startswith("bert")
    if not needs_fake:
        return None
    return FrozenEncoders(
        image=FakeImageEncoder() if spec.image_encoder else None,
        text=FakeTextEncoder() if spec.text_encoder else None,
    )


def make_tiny(agent: str, seed: int = 0, **overrides) -> Policy:
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "CLIP is randomly initialised"
        return build_agent(
            tiny_config(agent, **overrides), allow_random_encoders=True, encoders=fake_encoders(agent)
        )


def tiny_batch(b: int = 2, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    h, w = IMAGE_SIZE
    image = rng.random((b, h, w, 6), dtype=np.float32)
    image[..., :3] *= 255
    image[..., 3:] *= 0.05
    goal = rng.random((b, h, w, 6), dtype=np.float32)
    instructions = ["put the red block in the green bowl", "pack the yellow letter R", "stack the blocks"]
    return {
        "image": torch.from_numpy(image),
        "goal_image": torch.from_numpy(goal),
        "p0": torch.from_numpy(rng.integers(0, [h, w], size=(b, 2))),
        "p0_theta": torch.zeros(b, dtype=torch.float64),
        "p1": torch.from_numpy(rng.integers(0, [h, w], size=(b, 2))),
        "p1_theta": torch.from_numpy(rng.uniform(-np.pi, np.pi, size=b)),
        "instruction": instructions[:b] if b <= 3 else [instructions[i % 3] for i in range(b)],
    }


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
