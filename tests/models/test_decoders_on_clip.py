"""The decoders over the real CLIP implementation (tiny config, random weights): the encoder Protocol
holds across the two areas, batching is exact, and CLIP stays out of the trainable state."""

from __future__ import annotations

import copy

import pytest
import torch

from cliport.models.attention import PickModule
from cliport.models.clip.encoder import ClipEncoder
from cliport.models.clip.model import CLIP, ClipConfig
from cliport.models.encoders import ImageEncoder, TextEncoder
from cliport.models.lingunet import CLIPLingUNetLat
from cliport.models.resnet import ResNet45_10s
from cliport.models.transport import PlaceModule

LAT = (64, 32, 16, 8, 4, 2)


@pytest.fixture(scope="module")
def clip_encoder():
    torch.manual_seed(0)
    model = CLIP(ClipConfig.tiny()).requires_grad_(False).eval()
    return ClipEncoder(model)


def decoder(enc, d):
    return CLIPLingUNetLat(enc, d, lat_channels=LAT, text_dims=(enc.sentence_dim, enc.token_dim))


def test_clip_encoder_implements_the_protocols(clip_encoder):
    assert isinstance(clip_encoder, ImageEncoder) and isinstance(clip_encoder, TextEncoder)
    bottleneck, skips = clip_encoder.forward_features(torch.zeros(2, 3, 64, 96))
    assert bottleneck.shape == (2, clip_encoder.channels[3], 2, 3)
    assert [s.shape[1] for s in skips[-4:]] == list(clip_encoder.channels)
    assert [s.shape[-1] for s in skips[-4:]] == [24, 12, 6, 3]


def test_pick_and_place_over_clip_batch_equals_single(clip_encoder):
    torch.set_num_threads(1)
    torch.manual_seed(1)
    pick = PickModule(ResNet45_10s(out_dim=1, base=4), decoder(clip_encoder, 1)).train()
    place = PlaceModule(ResNet45_10s(out_dim=3, base=4), ResNet45_10s(out_dim=3, base=4),
                        decoder(clip_encoder, 3), decoder(clip_encoder, 3), crop_size=32).train()
    single_pick, single_place = copy.deepcopy(pick), copy.deepcopy(place)
    gen = torch.Generator().manual_seed(2)
    img = torch.rand(2, 48, 32, 6, generator=gen) * torch.tensor([255.0, 255.0, 255.0, 0.1, 0.1, 0.1])
    picks = torch.tensor([[3, 4], [40, 20]])
    lang = clip_encoder.encode(["put the red block in the brown bowl", "pack the shoe"])
    out_pick, out_place = pick(img, lang), place(img, picks, lang)
    ref_pick = torch.cat([single_pick(img[i:i + 1], lang.select(i)) for i in range(2)])
    ref_place = torch.cat([single_place(img[i:i + 1], picks[i:i + 1], lang.select(i)) for i in range(2)])
    torch.testing.assert_close(out_pick, ref_pick, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_place, ref_place, atol=1e-5, rtol=1e-5)
    (out_pick.sum() + out_place.sum()).backward()
    assert all(p.grad is None for p in clip_encoder.parameters())
    keys = list(pick.state_dict()) + list(place.state_dict())
    assert not any("clip" in k for k in keys)
    assert not clip_encoder.clip.training  # the modules' train() never reaches the shared encoder
